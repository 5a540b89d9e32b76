/**
 * Builds the real worker (real Hono app, real local KV from miniflare) wired to the in-process
 * sidecar and Cognito fakes. Any outbound request to another host fails the test.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { WorkerEnv } from "../../../src/env";
import { createWorker } from "../../../src/index";
import { createConsoleLogger } from "../../../src/log";
import type { Clock } from "../../../src/timing";
import { createFakeCognito, type FakeCognito } from "./fake-cognito";
import { createFakeSidecar, type FakeSidecar } from "./fake-sidecar";

export const SIDECAR_ORIGIN = "http://sidecar.test";
export const COGNITO_ORIGIN = "http://cognito.test";
export const INTEGRATION_KEY = "byo_integration_key_for_tests_0123456789";
export const AWS_KEYS = { accessKeyId: "AKIDTESTWORKER000001", secretAccessKey: "worker-test-secret-key-do-not-log-0000000" };
export const SCIM_KEY = "scim_test_key_abcdef0123456789abcdef0123456789abcdef012345";
export const POOL_ID = "local_Dedicated1";
export const SHARED_POOL_ID = "local_SharedPool1";

export interface Harness {
  readonly sidecar: FakeSidecar;
  readonly cognito: FakeCognito;
  readonly env: WorkerEnv;
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
  readonly sleeps: number[];
  readonly unexpectedOutbound: string[];
  scim(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  request(url: string, init?: RequestInit): Promise<Response>;
}

export interface HarnessOptions {
  vars?: Partial<Record<keyof WorkerEnv, string | undefined>>;
  customerByConnection?: Record<string, string>;
  accessServiceToken?: { clientId: string; clientSecret: string };
  /** Replaces the real local KV (e.g. to inject KV failures). */
  kv?: KVNamespace;
}

let harnessCounter = 0;

/** Unique ids per test: KV storage is shared by all tests of one file. */
export function uniqueId(prefix: string): string {
  harnessCounter += 1;
  return `${prefix}-${harnessCounter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Settings every test worker shares: the in-process fakes' origins and keys, real local KV. */
export function baseWorkerEnv(kv?: KVNamespace): WorkerEnv {
  return {
    POOLS: kv ?? env.POOLS,
    BYO_URL: SIDECAR_ORIGIN,
    BYO_INTEGRATION_KEY: INTEGRATION_KEY,
    AWS_ACCESS_KEY_ID: AWS_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_KEYS.secretAccessKey,
    AWS_REGION: "us-east-1",
    COGNITO_ENDPOINT: COGNITO_ORIGIN,
    SCIM_BASE_PATH: "/api/scim",
  };
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const customerByConnection = options.customerByConnection ?? {};
  const sidecar = createFakeSidecar({
    integrationKey: INTEGRATION_KEY,
    accessClientId: options.accessServiceToken?.clientId,
    accessClientSecret: options.accessServiceToken?.clientSecret,
    customerByConnection,
  });
  const sessionToken = options.vars?.AWS_SESSION_TOKEN;
  const cognito = createFakeCognito(sessionToken ? { ...AWS_KEYS, sessionToken } : AWS_KEYS);
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  const unexpectedOutbound: string[] = [];

  const clock: Clock = {
    now: () => Date.now(),
    // Backoff waits are recorded, not slept: the retry budget is still measured on a virtual clock.
    sleep: async (ms) => {
      sleeps.push(ms);
      virtualOffset += ms;
    },
    random: () => 0.5,
  };
  let virtualOffset = 0;
  const virtualClock: Clock = { ...clock, now: () => Date.now() + virtualOffset };

  const workerEnv = {
    ...baseWorkerEnv(options.kv),
    BYO_ACCESS_CLIENT_ID: options.accessServiceToken?.clientId,
    BYO_ACCESS_CLIENT_SECRET: options.accessServiceToken?.clientSecret,
    ...options.vars,
  } as WorkerEnv;

  const worker = createWorker({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const origin = new URL(request.url).origin;
      if (origin === SIDECAR_ORIGIN) return sidecar.handle(request);
      if (origin === COGNITO_ORIGIN) return cognito.handle(request);
      unexpectedOutbound.push(request.url);
      throw new TypeError(`unexpected outbound request to ${request.url}`);
    },
    clock: virtualClock,
    logger: createConsoleLogger((line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }),
  });

  async function request(url: string, init?: RequestInit): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(url, init), workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  return {
    sidecar,
    cognito,
    env: workerEnv,
    logs,
    rawLogs,
    sleeps,
    unexpectedOutbound,
    request,
    scim(path, init = {}) {
      const scimRequest = buildScimRequest(path, init);
      return request(scimRequest.url, scimRequest);
    },
  };
}

/** A pool id of the emulator's form, unique per test (pool designs are cached in KV per file). */
export function uniquePoolId(): string {
  harnessCounter += 1;
  return `local_P${harnessCounter}${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;
}

/** An IdP's request to the SCIM route: bearer SCIM key, JSON body as `application/scim+json`. */
export function buildScimRequest(path: string, init: RequestInit & { json?: unknown } = {}): Request {
  const { json, headers, ...rest } = init;
  return new Request(`https://scim.example.com/api/scim${path}`, {
    ...rest,
    headers: {
      authorization: `Bearer ${SCIM_KEY}`,
      ...(json === undefined ? {} : { "content-type": "application/scim+json" }),
      ...(headers as Record<string, string> | undefined),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

export async function mapCustomer(customerId: string, record: { userPoolId: string; shared?: boolean; identityProvider?: string }): Promise<void> {
  await env.POOLS.put(`customer:${customerId}`, JSON.stringify(record));
}
