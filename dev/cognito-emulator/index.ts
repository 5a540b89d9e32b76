/**
 * A local Cognito admin API that checks SigV4 like AWS: cognito-local (hosted in-process) behind a
 * front that verifies every signature, throttles per quota category, injects faults, counts calls
 * and adds the operations cognito-local lacks. Used by the Node tests, `npm run dev` and the
 * benchmarks. Listens on loopback only; the `/__emulator/*` control endpoints have no auth and are
 * not SigV4-checked, so other processes (and tests running inside workerd) can drive them.
 *
 * Pipeline for `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`:
 * signature → fault → throttle → operation (see operations.ts) → JSON 1.1 answer.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createCognitoLocalCore } from "./cognito-local-host.ts";
import {
  CategoryThrottle,
  FaultQueue,
  parseFaultRule,
  parseThrottleLimits,
  quotaCategoryOf,
  type FaultRule,
  type ThrottleLimits,
} from "./limits.ts";
import { awsError, createCognitoOperations, type ApiResponse, type LinkRecord, type SignOutRecord } from "./operations.ts";
import { verifySigV4, type EmulatorCredentials } from "./sigv4-verify.ts";

export type { CognitoQuotaCategory, FaultRule, ThrottleLimits } from "./limits.ts";
export { QUOTA_CATEGORIES, quotaCategoryOf } from "./limits.ts";
export type { LinkRecord, SignOutRecord } from "./operations.ts";
export type { EmulatorCredentials, SignedRequestParts, SigV4Verdict } from "./sigv4-verify.ts";
export { verifySigV4 } from "./sigv4-verify.ts";

/**
 * The key pair `main.ts` accepts when AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set.
 * Not a real AWS key; sign local requests with it (region "local", service "cognito-idp").
 */
export const LOCAL_EMULATOR_CREDENTIALS: EmulatorCredentials = {
  accessKeyId: "AKIACOGNITOEMULATOR0",
  secretAccessKey: "cognito-emulator-local-secret-not-an-aws-key",
};

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const JSON_11 = "application/x-amz-json-1.1";
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);
/**
 * Operations AWS serves without IAM credentials (they authenticate with tokens or client ids);
 * unsigned calls to these are let through, signed ones are still verified.
 */
const PUBLIC_OPERATIONS = new Set([
  "InitiateAuth", "RespondToAuthChallenge", "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword",
  "ConfirmForgotPassword", "GetUser", "ChangePassword", "GlobalSignOut", "RevokeToken", "UpdateUserAttributes",
  "DeleteUser", "DeleteUserAttributes", "VerifyUserAttribute", "GetUserAttributeVerificationCode",
  "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference",
]);

export interface CognitoEmulatorOptions {
  /** Bind address, loopback only. Default "127.0.0.1". */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** cognito-local state lives in `<dataDir>/.cognito` (created if missing). */
  dataDir: string;
  /** Key pairs whose signatures are accepted. */
  credentials: readonly EmulatorCredentials[];
  /** Requests/second per quota category; absent = unlimited. */
  throttle?: ThrottleLimits;
  /** One line per API call on stdout. Default false (the emulator prints nothing). */
  logRequests?: boolean;
  /** Clock for signature skew checks and recorded times. Default the system clock. */
  now?: () => Date;
}

/** Counters for one operation. */
export interface OperationStats {
  /** Every request naming this operation, whatever happened to it. */
  calls: number;
  /** Answered 200. */
  ok: number;
  /** Reached cognito-local or an added operation and failed there (4xx/5xx). */
  errors: number;
  /** Refused with TooManyRequestsException by the throttle. */
  throttled: number;
  /** Answered by an injected fault. */
  faulted: number;
  /** Refused by the SigV4 check (never forwarded). */
  rejectedSignature: number;
}

/** Per operation name (e.g. "AdminCreateUser"); requests without a usable target count under "(none)". */
export type EmulatorStats = Record<string, OperationStats>;

export interface RunningCognitoEmulator {
  /** Base URL, e.g. "http://127.0.0.1:9229" (no trailing slash). */
  url: string;
  port: number;
  /** Replaces all throttle limits (buckets start full). Throws TypeError on bad input. */
  setThrottle(limits: ThrottleLimits): void;
  /** Queues a fault for the next `count` calls of `operation`. Throws TypeError on bad input. */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Recorded AdminUserGlobalSignOut calls. */
  signOuts(): SignOutRecord[];
  /** Identities linked with AdminLinkProviderForUser, across pools. */
  links(): Promise<LinkRecord[]>;
  /** Stops listening, closes connections and writes pending state to disk. */
  close(): Promise<void>;
}

/**
 * Starts the emulator: cognito-local in-process behind the verifying front.
 *
 * @param options.host Loopback address to bind (default "127.0.0.1"); anything else throws.
 * @param options.port Port (default 0 = random).
 * @param options.dataDir Directory for `.cognito/` state (created if missing).
 * @param options.credentials Accepted key pairs (at least one).
 * @param options.throttle Initial per-category limits (default none).
 * @param options.logRequests Print one line per API call (default false).
 * @throws TypeError for a non-loopback host, missing credentials or bad throttle limits; the
 *   listen error (e.g. EADDRINUSE) if the port is taken.
 * @example
 *   const emu = await startCognitoEmulator({ dataDir: tmp, credentials: [LOCAL_EMULATOR_CREDENTIALS] });
 *   const aws = new AwsClient({ ...LOCAL_EMULATOR_CREDENTIALS, service: "cognito-idp", region: "local", retries: 0 });
 *   await aws.fetch(emu.url + "/", { method: "POST", headers: { "x-amz-target": "AWSCognitoIdentityProviderService.ListUserPools" }, body: '{"MaxResults":10}' });
 */
export async function startCognitoEmulator(options: CognitoEmulatorOptions): Promise<RunningCognitoEmulator> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host)) throw new TypeError(`host must be a loopback address, got '${host}'`);
  if (options.credentials.length === 0) throw new TypeError("at least one credential pair is required");
  for (const c of options.credentials) {
    if (!c.accessKeyId || !c.secretAccessKey) throw new TypeError("credentials need a non-empty accessKeyId and secretAccessKey");
  }
  const credentials = options.credentials.map((c) => ({ ...c }));
  const now = options.now ?? (() => new Date());
  const throttle = new CategoryThrottle();
  throttle.set(options.throttle ?? {});
  const faults = new FaultQueue();
  let stats: EmulatorStats = {};

  const countFor = (operation: string): OperationStats => {
    const existing = stats[operation];
    if (existing !== undefined) return existing;
    const created: OperationStats = { calls: 0, ok: 0, errors: 0, throttled: 0, faulted: 0, rejectedSignature: 0 };
    stats[operation] = created;
    return created;
  };

  let handleRequest: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handleRequest === undefined) {
      sendJson(res, 503, { message: "starting" });
      return;
    }
    handleRequest(req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const core = await createCognitoLocalCore({
    dataDir: options.dataDir,
    issuerUrl: url,
    logLevel: process.env["COGNITO_EMULATOR_DEBUG"] ? "debug" : "silent",
  }).catch((error: unknown) => {
    server.close();
    throw error;
  });
  const operations = createCognitoOperations(core, { now });

  async function handleApi(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const started = performance.now();
    const target = headerValue(req, "x-amz-target");
    const operation = target?.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const counter = countFor(operation ?? "(none)");
    counter.calls += 1;
    const answer = (response: ApiResponse): void => {
      sendAws(res, response);
      if (options.logRequests) {
        const error = response.status === 200 ? "" : ` ${String(response.body["__type"])}`;
        console.log(`[cognito-emulator] ${operation ?? target ?? "-"} ${response.status}${error} ${(performance.now() - started).toFixed(1)}ms`);
      }
    };

    const unsignedPublicCall = operation !== undefined && PUBLIC_OPERATIONS.has(operation) && headerValue(req, "authorization") === undefined;
    if (!unsignedPublicCall) {
      const verdict = await verifySigV4(
        { method: req.method ?? "POST", path: req.url ?? "/", headers: flatHeaders(req), body },
        credentials,
        { now },
      );
      if (!verdict.ok) {
        counter.rejectedSignature += 1;
        answer(awsError(verdict.errorType, verdict.message));
        return;
      }
    }
    if (operation === undefined || !/^[A-Za-z0-9]+$/.test(operation)) {
      counter.errors += 1;
      answer(awsError("UnknownOperationException", ""));
      return;
    }
    const fault = faults.take(operation);
    if (fault !== undefined) {
      counter.faulted += 1;
      answer(awsError(fault.errorType, fault.message, fault.status));
      return;
    }
    if (!throttle.tryTake(quotaCategoryOf(operation))) {
      counter.throttled += 1;
      answer(awsError("TooManyRequestsException", "Rate exceeded"));
      return;
    }
    let input: unknown;
    try {
      input = body.trim() === "" ? {} : JSON.parse(body);
    } catch {
      counter.errors += 1;
      answer(awsError("SerializationException", "Start of structure or map found where not expected."));
      return;
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      counter.errors += 1;
      answer(awsError("SerializationException", "Start of structure or map found where not expected."));
      return;
    }
    const response = await operations.handle(operation, input as Record<string, unknown>);
    if (response.status === 200) counter.ok += 1;
    else counter.errors += 1;
    answer(response);
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, path: string, body: string): void {
    const method = req.method ?? "GET";
    const parseBody = (): { ok: true; value: unknown } | { ok: false } => {
      try {
        return { ok: true, value: body.trim() === "" ? {} : JSON.parse(body) };
      } catch {
        return { ok: false };
      }
    };
    if (path === "/__emulator/throttle" && method === "GET") return sendJson(res, 200, throttle.limits());
    if (path === "/__emulator/throttle" && method === "POST") {
      const parsedBody = parseBody();
      const limits = parsedBody.ok ? parseThrottleLimits(parsedBody.value) : { ok: false as const, message: "invalid JSON" };
      if (!limits.ok) return sendJson(res, 400, { error: limits.message });
      throttle.set(limits.value);
      return sendJson(res, 200, throttle.limits());
    }
    if (path === "/__emulator/faults" && method === "GET") return sendJson(res, 200, faults.list());
    if (path === "/__emulator/faults" && method === "POST") {
      const parsedBody = parseBody();
      const rules = parsedBody.ok ? (Array.isArray(parsedBody.value) ? parsedBody.value : [parsedBody.value]) : [undefined];
      const parsed = rules.map(parseFaultRule);
      const bad = parsed.find((p) => !p.ok);
      if (bad !== undefined && !bad.ok) return sendJson(res, 400, { error: parsedBody.ok ? bad.message : "invalid JSON" });
      for (const p of parsed) if (p.ok) faults.add(p.value);
      return sendJson(res, 200, faults.list());
    }
    if (path === "/__emulator/faults" && method === "DELETE") {
      faults.clear();
      return sendJson(res, 200, []);
    }
    if (path === "/__emulator/stats" && method === "GET") return sendJson(res, 200, snapshot(stats));
    if (path === "/__emulator/stats/reset" && method === "POST") {
      stats = {};
      return sendJson(res, 200, {});
    }
    if (path === "/__emulator/signouts" && method === "GET") return sendJson(res, 200, operations.signOuts());
    if (path === "/__emulator/links" && method === "GET") {
      operations.links().then(
        (links) => sendJson(res, 200, links),
        (error: unknown) => sendJson(res, 500, { error: String(error) }),
      );
      return;
    }
    sendJson(res, 404, { error: `no control endpoint ${method} ${path}` });
  }

  handleRequest = (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    if (path === "/health" && method === "GET") {
      sendJson(res, 200, { ok: true });
      return;
    }
    const isApi = path === "/" && method === "POST";
    const isControl = path.startsWith("/__emulator/");
    if (!isApi && !isControl) {
      core.handleHttp(req, res);
      return;
    }
    if (isControl && !isLoopback(req.socket.remoteAddress)) {
      sendJson(res, 403, { error: "control endpoints are loopback-only" });
      return;
    }
    readBody(req).then(
      (body) => {
        if (body === undefined) {
          sendAws(res, awsError("SerializationException", "Request body too large", 413));
          return;
        }
        if (isControl) handleControl(req, res, path, body);
        else
          handleApi(req, res, body).catch((error: unknown) => {
            sendAws(res, awsError("InternalErrorException", error instanceof Error ? error.message : String(error), 500));
          });
      },
      () => res.destroy(),
    );
  };

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    setThrottle: (limits) => throttle.set(limits),
    injectFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    stats: () => snapshot(stats),
    resetStats: () => {
      stats = {};
    },
    signOuts: () => operations.signOuts(),
    links: () => operations.links(),
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await core.flush();
      })();
      return closed;
    },
  };
}

function snapshot(stats: EmulatorStats): EmulatorStats {
  const copy: EmulatorStats = {};
  for (const [operation, counters] of Object.entries(stats)) copy[operation] = { ...counters };
  return copy;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return out;
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** cognito-local's wire convention, kept: Date values become epoch seconds. */
function toWireJson(body: Record<string, unknown>): string {
  return JSON.stringify(body, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? Math.floor(raw.getTime() / 1000) : value;
  });
}

function sendAws(res: ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { "content-type": JSON_11, "x-amzn-requestid": randomUUID() };
  const errorType = response.status === 200 ? undefined : response.body["__type"];
  if (typeof errorType === "string") headers["x-amzn-errortype"] = `${errorType}:`;
  res.writeHead(response.status, headers);
  res.end(toWireJson(response.body));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
