/**
 * The worker wired for admin tests: the same fakes as harness.ts (sidecar with stateful
 * connection management, SigV4-checking Cognito, real local KV) plus a Cloudflare Access team
 * whose JWKS is served through the injected fetch. JWTs are signed with a key pair generated here.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import type { WorkerEnv } from "../../../src/env";
import { createWorker } from "../../../src/index";
import { createConsoleLogger } from "../../../src/log";
import type { Clock } from "../../../src/timing";
import { createFakeCognito, type FakeCognito } from "./fake-cognito";
import { createFakeSidecar, installConnectionManagement, type FakeConnectionRegistry, type FakeSidecar } from "./fake-sidecar";
import { AWS_KEYS, baseWorkerEnv, COGNITO_ORIGIN, INTEGRATION_KEY, SIDECAR_ORIGIN } from "./harness";

export const ORIGIN = "https://scim.example.com";
export const ACCESS_TEAM = "https://test-team.cloudflareaccess.com";
export const ACCESS_AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789-abcdefghij";
export const OPERATOR_EMAIL = "operator@example.com";

export interface AccessSigner {
  readonly kid: string;
  readonly publicJwk: JWK;
  /** A JWT as Access would issue it; every claim can be overridden (`undefined` removes it). */
  sign(overrides?: Record<string, unknown>): Promise<string>;
}

export async function createAccessSigner(kid = "access-key-1"): Promise<AccessSigner> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    kid,
    publicJwk,
    async sign(overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: ACCESS_TEAM,
        aud: [ACCESS_AUD],
        sub: "7335d417-61da-459d-899c-0a01c76a2f94",
        email: OPERATOR_EMAIL,
        type: "app",
        iat: now,
        nbf: now,
        exp: now + 300,
        ...overrides,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
    },
  };
}

export type AdminAuthMode = "token" | "access" | "none";

export interface AdminHarness {
  readonly sidecar: FakeSidecar;
  readonly registry: FakeConnectionRegistry;
  readonly cognito: FakeCognito;
  readonly env: WorkerEnv;
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
  readonly unexpectedOutbound: string[];
  /** Keys the fake Access team publishes; replace to simulate rotation. */
  jwks: { keys: JWK[] };
  /** How the JWKS endpoint answers (e.g. 500, or "network-error"). */
  jwksAnswer: "ok" | "network-error" | number;
  readonly jwksRequests: string[];
  readonly signer: AccessSigner | undefined;
  /** Log lines with this event name. */
  events(name: string): Record<string, unknown>[];
  request(path: string, init?: RequestInit): Promise<Response>;
  /** An authenticated admin call (token or a fresh JWT), JSON body when `json` is given. */
  api(path: string, init?: RequestInit & { json?: unknown; credentials?: "default" | "none" | { header: string; value: string } }): Promise<Response>;
}

export interface AdminHarnessOptions {
  auth: AdminAuthMode;
  vars?: Partial<Record<keyof WorkerEnv, string | undefined>>;
  customerByConnection?: Record<string, string>;
  /** Replace the POOLS binding, e.g. with one whose writes fail. */
  kv?: KVNamespace;
}

export async function createAdminHarness(options: AdminHarnessOptions): Promise<AdminHarness> {
  const sidecar = createFakeSidecar({ integrationKey: INTEGRATION_KEY, customerByConnection: options.customerByConnection ?? {} });
  const registry = installConnectionManagement(sidecar, options.customerByConnection);
  const cognito = createFakeCognito(AWS_KEYS);
  const signer = options.auth === "access" ? await createAccessSigner() : undefined;
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const unexpectedOutbound: string[] = [];
  const jwksRequests: string[] = [];

  const authVars: Partial<Record<keyof WorkerEnv, string>> =
    options.auth === "token" ? { ADMIN_TOKEN } : options.auth === "access" ? { ACCESS_TEAM_DOMAIN: ACCESS_TEAM, ACCESS_AUD } : {};
  const workerEnv = {
    ...baseWorkerEnv(options.kv),
    ...authVars,
    ...options.vars,
  } as WorkerEnv;

  // Backoff waits are not slept; they advance a virtual clock so retry budgets still run out.
  let virtualOffsetMs = 0;
  const clock: Clock = {
    now: () => Date.now() + virtualOffsetMs,
    sleep: async (ms) => {
      virtualOffsetMs += ms;
    },
    random: () => 0.5,
  };

  const harness: AdminHarness = {
    sidecar,
    registry,
    cognito,
    env: workerEnv,
    logs,
    rawLogs,
    unexpectedOutbound,
    jwks: { keys: signer ? [signer.publicJwk] : [] },
    jwksAnswer: "ok",
    jwksRequests,
    signer,
    events: (name) => logs.filter((line) => line["event"] === name),
    request,
    async api(path, init = {}) {
      const { json, credentials = "default", headers, ...rest } = init;
      const auth: Record<string, string> = {};
      if (credentials === "default") {
        if (options.auth === "token") auth["authorization"] = `Bearer ${ADMIN_TOKEN}`;
        if (options.auth === "access" && signer) auth["cf-access-jwt-assertion"] = await signer.sign();
      } else if (credentials !== "none") {
        auth[credentials.header] = credentials.value;
      }
      return request(path, {
        ...rest,
        headers: {
          ...auth,
          ...(json === undefined ? {} : { "content-type": "application/json" }),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
  };

  const worker = createWorker({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (url.origin === SIDECAR_ORIGIN) return sidecar.handle(request);
      if (url.origin === COGNITO_ORIGIN) return cognito.handle(request);
      if (url.origin === ACCESS_TEAM && url.pathname === "/cdn-cgi/access/certs" && request.method === "GET") {
        jwksRequests.push(url.href);
        if (harness.jwksAnswer === "network-error") throw new TypeError("Network connection lost.");
        if (typeof harness.jwksAnswer === "number") return new Response("upstream error", { status: harness.jwksAnswer });
        return Response.json({ keys: harness.jwks.keys, public_cert: { kid: "x", cert: "unused" }, public_certs: [] });
      }
      unexpectedOutbound.push(request.url);
      throw new TypeError(`unexpected outbound request to ${request.url}`);
    },
    clock,
    logger: createConsoleLogger((line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }),
  });

  async function request(path: string, init?: RequestInit): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request(new URL(path, ORIGIN), init), workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  return harness;
}

/**
 * A KV binding whose chosen operations throw, as KV does on 429 / outages; with `keyPrefix`, only
 * for keys that start with it (e.g. `pool-users:`), and with `times`, only that many calls in all
 * (then KV works again).
 */
export function failingKv(kv: KVNamespace, fail: { put?: boolean; delete?: boolean; get?: boolean; keyPrefix?: string; times?: number }): KVNamespace {
  let failuresLeft = fail.times ?? Infinity;
  return new Proxy(kv, {
    get(target, property, receiver) {
      if ((property === "put" && fail.put) || (property === "delete" && fail.delete) || (property === "get" && fail.get)) {
        const real = (Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          if ((fail.keyPrefix !== undefined && !String(args[0]).startsWith(fail.keyPrefix)) || failuresLeft <= 0) return real(...args);
          failuresLeft -= 1;
          throw new Error("KV PUT failed: 429 Too Many Requests");
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function readJson<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

let counter = 0;
/** Unique per test: KV is shared by all tests of one file. */
export function uniqueCustomer(prefix = "cust"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}
