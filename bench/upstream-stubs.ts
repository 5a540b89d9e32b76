/**
 * The upstreams both overhead targets talk to: a tiny BYO `/run-command` stub and a tiny Cognito
 * admin API stub, each answering after a fixed, configurable delay. They do the least work that
 * keeps both clients honest (the integration key is checked, bodies are read and parsed, answers
 * have the real shapes) and count what they receive, so the benchmark can verify that both
 * targets made the same upstream round trips. Signatures are not verified: any SigV4 request
 * (aws4fetch's or the AWS SDK's) is accepted.
 *
 *   npx tsx bench/upstream-stubs.ts --delay 20 --integration-key k   # prints {"sidecarUrl",...}
 *
 * Paths served to the IdP side of the benchmark (ScimRequest by method):
 * - GET  → `Completed` 200 with a user (the "Completed" path: 1 upstream round trip);
 * - PATCH/PUT → `ActionRequired` DisableUser, after which the target calls AdminDisableUser,
 *   AdminUserGlobalSignOut and CommitScimUserChange (the "DisableUser" path: 4 round trips).
 * Loopback only; `/__stubs/*` control endpoints have no auth.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { STUB_CONNECTION_ID, STUB_CUSTOMER_ID, STUB_USER, STUB_USER_POOL_ID, STUB_USER_SUB } from "./lib/stub-identities.ts";

export interface UpstreamStubOptions {
  /** Delay before every answer, in milliseconds (0 = answer at once). */
  readonly delayMs: number;
  /** The integration key `/run-command` callers must send as a bearer token. */
  readonly integrationKey: string;
  /** Ports (0 = pick free ones). */
  readonly sidecarPort?: number;
  readonly cognitoPort?: number;
}

export interface RunningUpstreamStubs {
  readonly sidecarUrl: string;
  readonly cognitoUrl: string;
  setDelay(ms: number): void;
  stats(): StubStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** Calls received, by sidecar command and by Cognito operation, and TCP connections accepted. */
export interface StubStats {
  readonly sidecar: Record<string, number>;
  readonly cognito: Record<string, number>;
  readonly rejected: number;
  readonly connections: { readonly sidecar: number; readonly cognito: number };
}

export { STUB_CONNECTION_ID, STUB_CUSTOMER_ID, STUB_SCIM_API_KEY, STUB_USER_POOL_ID, STUB_USER_SUB } from "./lib/stub-identities.ts";

const LOOPBACK = "127.0.0.1";

export async function startUpstreamStubs(options: UpstreamStubOptions): Promise<RunningUpstreamStubs> {
  let delayMs = options.delayMs;
  let sidecarCounts: Record<string, number> = {};
  let cognitoCounts: Record<string, number> = {};
  let rejected = 0;
  const connections = { sidecar: 0, cognito: 0 };
  const bump = (counts: Record<string, number>, key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const later = (send: () => void): void => {
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

  const sidecar = createServer((req, res) => {
    if (control(req, res)) return;
    readBody(req).then((raw) => {
      const reply = sidecarReply(req, raw);
      if (reply.status >= 400) rejected += 1;
      later(() => sendJson(res, reply.status, reply.body, "application/json"));
    }, () => res.destroy());
  });

  function sidecarReply(req: IncomingMessage, raw: string): { status: number; body: unknown } {
    if (req.method !== "POST" || req.url !== "/run-command") return { status: 404, body: { type: "UnexpectedError" } };
    if (req.headers.authorization !== `Bearer ${options.integrationKey}`) return { status: 401, body: { type: "IntegrationKeyNotFound" } };
    let command: { command?: unknown; data?: Record<string, unknown> };
    try {
      command = JSON.parse(raw) as typeof command;
    } catch {
      return { status: 400, body: { type: "UnexpectedError", details: "bad JSON" } };
    }
    const name = typeof command.command === "string" ? command.command : "(none)";
    bump(sidecarCounts, name);
    const data = command.data ?? {};
    switch (name) {
      case "ScimRequest": {
        if (typeof data["scimApiKey"] !== "string" || data["scimApiKey"] === "") {
          return { status: 401, body: { statusToReturn: 401, bodyToReturn: null, underlyingError: { type: "InvalidApiKey" } } };
        }
        const method = String(data["method"]);
        if (method === "PATCH" || method === "PUT") {
          return {
            status: 200,
            body: {
              status: "ActionRequired",
              action: "DisableUser",
              connectionId: STUB_CONNECTION_ID,
              commitId: randomUUID(),
              userId: STUB_USER_SUB,
              primaryEmail: STUB_USER.userName,
              parsedUserData: { firstName: "Ada", lastName: "Lovelace" },
            },
          };
        }
        return { status: 200, body: { status: "Completed", connectionId: STUB_CONNECTION_ID, responseHttpCode: 200, responseData: STUB_USER } };
      }
      case "CommitScimUserChange":
        return { status: 200, body: { connectionId: STUB_CONNECTION_ID, responseHttpCode: 200, responseData: { ...STUB_USER, active: false } } };
      case "FetchScimConnection":
        return { status: 200, body: { connectionId: STUB_CONNECTION_ID, customerId: STUB_CUSTOMER_ID, displayName: null, scimApiKeyValidUntil: null } };
      case "Ping":
        return { status: 200, body: { timestamp: Math.floor(Date.now() / 1000) } };
      default:
        return { status: 400, body: { type: "UnexpectedError", details: `stub does not serve ${name}` } };
    }
  }

  const cognito = createServer((req, res) => {
    if (control(req, res)) return;
    readBody(req).then((raw) => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith("AWSCognitoIdentityProviderService.") ? target.slice(34) : "(none)";
      bump(cognitoCounts, operation);
      let input: Record<string, unknown> = {};
      try {
        input = raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        rejected += 1;
        later(() => sendJson(res, 400, { __type: "SerializationException", message: "bad JSON" }, "application/x-amz-json-1.1"));
        return;
      }
      later(() => sendJson(res, 200, cognitoAnswer(operation, input), "application/x-amz-json-1.1"));
    }, () => res.destroy());
  });

  /** `/__stubs/*` on either port. */
  function control(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    if (!url.startsWith("/__stubs/")) return false;
    if (url === "/__stubs/stats" && req.method === "GET") sendJson(res, 200, snapshot(), "application/json");
    else if (url === "/__stubs/stats/reset" && req.method === "POST") {
      reset();
      sendJson(res, 200, {}, "application/json");
    } else if (url.startsWith("/__stubs/delay/") && req.method === "POST") {
      const ms = Number(url.slice("/__stubs/delay/".length));
      if (Number.isFinite(ms) && ms >= 0) delayMs = ms;
      sendJson(res, 200, { delayMs }, "application/json");
    } else sendJson(res, 404, {}, "application/json");
    return true;
  }

  const snapshot = (): StubStats => ({ sidecar: { ...sidecarCounts }, cognito: { ...cognitoCounts }, rejected, connections: { ...connections } });
  const reset = (): void => {
    sidecarCounts = {};
    cognitoCounts = {};
    rejected = 0;
    connections.sidecar = 0;
    connections.cognito = 0;
  };
  sidecar.on("connection", () => {
    connections.sidecar += 1;
  });
  cognito.on("connection", () => {
    connections.cognito += 1;
  });

  const sidecarPort = await listen(sidecar, options.sidecarPort ?? 0);
  const cognitoPort = await listen(cognito, options.cognitoPort ?? 0).catch(async (error: unknown) => {
    await close(sidecar);
    throw error;
  });
  return {
    sidecarUrl: `http://${LOOPBACK}:${sidecarPort}`,
    cognitoUrl: `http://${LOOPBACK}:${cognitoPort}`,
    setDelay: (ms) => {
      delayMs = ms;
    },
    stats: snapshot,
    resetStats: reset,
    close: async () => {
      await Promise.all([close(sidecar), close(cognito)]);
    },
  };
}

function cognitoAnswer(operation: string, input: Record<string, unknown>): Record<string, unknown> {
  switch (operation) {
    case "AdminGetUser":
      return {
        Username: STUB_USER_SUB,
        Enabled: true,
        UserStatus: "CONFIRMED",
        UserAttributes: [
          { Name: "sub", Value: STUB_USER_SUB },
          { Name: "email", Value: STUB_USER.userName },
        ],
      };
    case "DescribeUserPool":
      return { UserPool: { Id: input["UserPoolId"] ?? STUB_USER_POOL_ID, UsernameAttributes: [], AliasAttributes: [] } };
    default:
      // AdminDisableUser, AdminUserGlobalSignOut and every other no-output operation.
      return {};
  }
}

function listen(server: Server, port: number): Promise<number> {
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, LOOPBACK, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, contentType: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(payload), "x-amzn-requestid": "00000000-0000-0000-0000-000000000000" });
  res.end(payload);
}

/** Child-process mode: `--delay <ms> --integration-key <key>`; prints the URLs as one JSON line. */
async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const stubs = await startUpstreamStubs({
    delayMs: Number(arg("--delay") ?? 20),
    integrationKey: arg("--integration-key") ?? "bench-integration-key",
  });
  console.log(JSON.stringify({ sidecarUrl: stubs.sidecarUrl, cognitoUrl: stubs.cognitoUrl }));
  const stop = (): void => void stubs.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // Never outlive the benchmark that started us.
  process.stdin.on("end", stop);
  process.stdin.resume();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
