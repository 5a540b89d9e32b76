/**
 * Measures AdminCreateUser latency through the emulator as one pool fills up.
 *
 *   npx tsx dev/cognito-emulator/bench-create-users.ts [users=10000] [kind=plain|email] [concurrency=1]
 *
 * Starts a private emulator on a temp data dir, creates one pool, then creates `users` users with
 * signed requests (aws4fetch, as the Worker does) and prints mean/p50/p95 of each 1,000-user window.
 */
import { AwsClient } from "aws4fetch";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_EMULATOR_CREDENTIALS, startCognitoEmulator } from "./index.ts";

const users = Number(process.argv[2] ?? 10_000);
const kind = process.argv[3] === "email" ? "email" : "plain";
const concurrency = Math.max(1, Number(process.argv[4] ?? 1));
const WINDOW = 1_000;

const dataDir = mkdtempSync(join(tmpdir(), "cognito-emulator-bench-"));
const emulator = await startCognitoEmulator({ dataDir, credentials: [LOCAL_EMULATOR_CREDENTIALS] });
const aws = new AwsClient({ ...LOCAL_EMULATOR_CREDENTIALS, service: "cognito-idp", region: "local", retries: 0 });

async function call(operation: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await aws.fetch(`${emulator.url}/`, {
    method: "POST",
    headers: { "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`, "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${operation} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return `mean ${mean.toFixed(2)} ms  p50 ${at(0.5).toFixed(2)}  p95 ${at(0.95).toFixed(2)}  max ${at(1).toFixed(2)}`;
}

try {
  const created = await call("CreateUserPool", {
    PoolName: `bench-${kind}`,
    ...(kind === "email" ? { UsernameAttributes: ["email"] } : { AliasAttributes: ["email"] }),
    Schema: [{ Name: "scim_customer", AttributeDataType: "String", Mutable: true }],
  });
  const poolId = (created["UserPool"] as { Id: string }).Id;
  const latencies: number[] = new Array<number>(users).fill(-1);
  const started = performance.now();
  let next = 0;
  let reported = 0;
  async function worker(): Promise<void> {
    while (next < users) {
      const i = next++;
      const t = performance.now();
      await call("AdminCreateUser", {
        UserPoolId: poolId,
        Username: kind === "email" ? `user${i}@example.com` : `user${i}`,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: `user${i}@example.com` },
          { Name: "email_verified", Value: "true" },
          { Name: "given_name", Value: "Given" },
          { Name: "family_name", Value: `Family${i}` },
          { Name: "custom:scim_customer", Value: "bench" },
        ],
      });
      latencies[i] = performance.now() - t;
      while (reported + WINDOW <= users && latencies.slice(reported, reported + WINDOW).every((v) => v >= 0)) {
        console.log(`users ${reported + 1}–${reported + WINDOW}: ${summary(latencies.slice(reported, reported + WINDOW))}`);
        reported += WINDOW;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  console.log(`${users} users (${kind} pool, concurrency ${concurrency}) in ${seconds.toFixed(1)} s = ${(users / seconds).toFixed(0)} req/s`);
} finally {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
}
