/**
 * CPU-time harness (bench/parts/cpu-time.ts), built with `wrangler deploy --dry-run` like the real
 * worker and run in workerd. `POST /__loop?path=completed|disable&n=N` calls the real worker's
 * `fetch` (createWorker from src/index.ts: Hono app, config, zod validation, sidecar client,
 * SigV4 signing, JSON log line) N times in a row, with every upstream answered in-process at once:
 * sidecar commands and Cognito calls by `stubFetch`, KV by a Map. Nothing waits on I/O, so the
 * caller's wall time for the request, minus an n=0 request, divided by N is the CPU time one
 * SCIM request costs inside the isolate. workerd's clocks only move on I/O (Spectre
 * mitigation), which is why the timing is taken outside, by the benchmark.
 */
import { createWorker } from "../../src/index";
import type { WorkerEnv } from "../../src/env";
import { createConsoleLogger } from "../../src/log";
import { systemClock } from "../../src/timing";
import { STUB_CONNECTION_ID, STUB_CUSTOMER_ID, STUB_SCIM_API_KEY, STUB_USER, STUB_USER_POOL_ID, STUB_USER_SUB } from "../lib/stub-identities";

const SIDECAR_ORIGIN = "http://sidecar.bench.invalid";
const COGNITO_ORIGIN = "http://cognito.bench.invalid";
const INTEGRATION_KEY = "bench-integration-key";
const json = (body: unknown, contentType = "application/json"): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: { "content-type": contentType } });

let commitCounter = 0;

/** The upstreams, answered at once. Reads each request body as the network would. */
async function stubFetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const url = request ? request.url : String(input);
  const body = request ? await request.text() : typeof init?.body === "string" ? init.body : "";
  if (url.startsWith(SIDECAR_ORIGIN)) {
    const command = JSON.parse(body) as { command: string; data: Record<string, unknown> };
    switch (command.command) {
      case "ScimRequest":
        if (command.data["method"] === "PATCH") {
          return json({
            status: "ActionRequired",
            action: "DisableUser",
            connectionId: STUB_CONNECTION_ID,
            commitId: `commit-${++commitCounter}`,
            userId: STUB_USER_SUB,
            primaryEmail: STUB_USER.userName,
            parsedUserData: { firstName: "Ada", lastName: "Lovelace" },
          });
        }
        return json({ status: "Completed", connectionId: STUB_CONNECTION_ID, responseHttpCode: 200, responseData: STUB_USER });
      case "CommitScimUserChange":
        return json({ connectionId: STUB_CONNECTION_ID, responseHttpCode: 200, responseData: { ...STUB_USER, active: false } });
      case "FetchScimConnection":
        return json({ connectionId: STUB_CONNECTION_ID, customerId: STUB_CUSTOMER_ID, displayName: null, scimApiKeyValidUntil: null });
      default:
        return new Response(JSON.stringify({ type: "UnexpectedError" }), { status: 400 });
    }
  }
  if (url.startsWith(COGNITO_ORIGIN)) {
    JSON.parse(body === "" ? "{}" : body);
    return json({}, "application/x-amz-json-1.1");
  }
  return new Response("no such upstream in the CPU harness", { status: 599 });
}

// The AWS SDK variant sends through the global fetch; route it to the stubs as well.
globalThis.fetch = stubFetch as typeof fetch;

const kvData = new Map<string, string>([[`customer:${STUB_CUSTOMER_ID}`, JSON.stringify({ userPoolId: STUB_USER_POOL_ID, shared: false })]]);
const memoryKv = {
  async get(key: string, options?: unknown): Promise<unknown> {
    const value = kvData.get(key);
    if (value === undefined) return null;
    const type = typeof options === "string" ? options : (options as { type?: string } | undefined)?.type;
    return type === "json" ? JSON.parse(value) : value;
  },
  async put(key: string, value: string): Promise<void> {
    kvData.set(key, value);
  },
} as unknown as KVNamespace;

const workerEnv: WorkerEnv = {
  POOLS: memoryKv,
  SCIM_BASE_PATH: "/api/scim",
  BYO_URL: SIDECAR_ORIGIN,
  BYO_INTEGRATION_KEY: INTEGRATION_KEY,
  BYO_TIMEOUT_MS: "10000",
  AWS_ACCESS_KEY_ID: "AKIABENCHHARNESS0000",
  AWS_SECRET_ACCESS_KEY: "bench-harness-secret",
  AWS_REGION: "local",
  COGNITO_ENDPOINT: COGNITO_ORIGIN,
  EXISTING_USER_POLICY: "reject",
};

const app = createWorker({ fetch: stubFetch, clock: systemClock, logger: createConsoleLogger() });

const PATCH_BODY = JSON.stringify({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations: [{ op: "replace", path: "active", value: false }],
});

function scimRequest(path: string): Request {
  const url = `https://scim.bench.test/api/scim/Users/${STUB_USER.id}`;
  const headers = { authorization: `Bearer ${STUB_SCIM_API_KEY}`, "content-type": "application/scim+json" };
  return path === "disable" ? new Request(url, { method: "PATCH", headers, body: PATCH_BODY }) : new Request(url, { method: "GET", headers });
}

export default {
  async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__loop") return new Response("POST /__loop?path=completed|disable&n=N", { status: 404 });
    const path = url.searchParams.get("path") === "disable" ? "disable" : "completed";
    const n = Math.min(100_000, Math.max(0, Number(url.searchParams.get("n") ?? "0") | 0));
    const statuses: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const response = await app.fetch(scimRequest(path), workerEnv, ctx);
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
    return new Response(JSON.stringify({ path, n, statuses }), { headers: { "content-type": "application/json" } });
  },
};
