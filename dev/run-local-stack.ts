/**
 * `npm run dev`: the whole provisioning path on one machine, no AWS account, no network.
 * Starts the BYO sidecar stand-in and the SigV4-checking Cognito emulator, seeds demo pools and
 * SCIM connections, maps the customers in local KV, runs `wrangler dev`, and prints what an IdP
 * (or curl) needs. Every run starts from a clean `.local-stack/`; Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { startLocalStack, type LocalStack } from "./local-stack/bootstrap.ts";
import { LOCAL_STACK_FILE, type LocalStackDescription } from "./local-stack/description.ts";

const root = resolve(import.meta.dirname, "..");
const stateDir = join(root, ".local-stack");
const workerPort = Number(process.env["WORKER_PORT"] ?? 8787);
const sidecarPort = Number(process.env["SIDECAR_STANDIN_PORT"] ?? 2884);
const cognitoPort = Number(process.env["COGNITO_EMULATOR_PORT"] ?? 9229);
const wranglerBin = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" };

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [wranglerBin, ...args], {
    cwd: root,
    env: childEnv,
    // Own process group, so stopping it also stops workerd and the esbuild watcher it spawns.
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
  });
}

function finished(child: ChildProcess): Promise<number> {
  return new Promise((resolveExit) => child.on("exit", (code) => resolveExit(code ?? 1)));
}

function stopGroup(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main(): Promise<void> {
  let stack: LocalStack | undefined;
  let wrangler: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    stopGroup(wrangler);
    await stack?.close();
    // The description names keys of a stack that no longer runs.
    await rm(join(root, LOCAL_STACK_FILE), { force: true });
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  console.log("Starting the sidecar stand-in and the Cognito emulator…");
  stack = await startLocalStack({ dataDir: join(stateDir, "cognito"), sidecarPort, cognitoPort });

  // Local KV starts empty each run too: the pools it would map no longer exist.
  const persist = join(stateDir, "wrangler");
  await rm(persist, { recursive: true, force: true });
  const envFile = join(stateDir, "worker.env");
  await writeFile(envFile, Object.entries(stack.workerVars()).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });


  console.log("Starting the worker (wrangler dev)…");
  wrangler = run(["dev", "--ip", "127.0.0.1", "--port", String(workerPort), "--persist-to", persist, "--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "log"]);
  void finished(wrangler).then((code) => {
    if (!stopping) {
      console.error(`wrangler dev exited (${code}); stopping.`);
      void stop(code || 1);
    }
  });

  const workerUrl = `http://127.0.0.1:${workerPort}`;
  if (!(await waitForHealth(`${workerUrl}/healthz`, 60_000))) {
    console.error("The worker did not become healthy within 60 s.");
    await stop(1);
    return;
  }

  // Map the demo customers through the admin API, as an operator would: it validates the pool and
  // keeps the pool-usage index that stops two customers from holding one "dedicated" pool.
  for (const customer of stack.customers) {
    if (!customer.poolRecord) continue;
    const mapped = await fetch(`${workerUrl}/admin/customers/${customer.customerId}/pool`, {
      method: "PUT",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(customer.poolRecord),
    });
    if (!mapped.ok) {
      console.error(`Mapping ${customer.customerId} failed: ${mapped.status} ${await mapped.text()}`);
      await stop(1);
      return;
    }
  }

  const description: LocalStackDescription = {
    workerUrl,
    scimBaseUrl: `${workerUrl}/api/scim`,
    sidecarUrl: stack.sidecarUrl,
    cognitoUrl: stack.cognitoUrl,
    region: "local",
    adminToken: stack.adminToken,
    credentials: stack.credentials,
    pools: stack.pools,
    customers: stack.customers.map(({ customerId, connectionId, scimApiKey, userPoolId }) => ({ customerId, connectionId, scimApiKey, userPoolId })),
  };
  await writeFile(join(root, LOCAL_STACK_FILE), JSON.stringify(description, null, 2), { mode: 0o600 });
  printSummary(description);
}

function printSummary(d: LocalStackDescription): void {
  const acme = d.customers[0];
  console.log(`
cognito-scim-edge is running locally.

  SCIM base URL     ${d.scimBaseUrl}
${d.customers.map((c) => `  ${c.customerId.padEnd(8)} SCIM API key  ${c.scimApiKey}\n           user pool     ${c.userPoolId}`).join("\n")}

  Cognito endpoint  ${d.cognitoUrl}   (region "${d.region}", SigV4 checked)
  AWS credentials   AWS_ACCESS_KEY_ID=${d.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${d.credentials.secretAccessKey}
  Sidecar stand-in  ${d.sidecarUrl}
  Admin API         ${d.workerUrl}/admin/openapi.json   (Authorization: Bearer ${d.adminToken})
  Pools             email-as-username ${d.pools.emailAsUsername}, plain usernames ${d.pools.plainUsernames}, shared default ${d.pools.shared}

Try it:
  curl -s -H 'Authorization: Bearer ${acme?.scimApiKey}' -H 'Content-Type: application/scim+json' \\
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.test","emails":[{"primary":true,"value":"ada@acme.test"}],"name":{"givenName":"Ada","familyName":"Lovelace"}}' \\
    ${d.scimBaseUrl}/Users
  npm run demo          # plays a whole IdP lifecycle and shows Cognito after each step

Details are in ${LOCAL_STACK_FILE}. Ctrl-C stops everything.
`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
