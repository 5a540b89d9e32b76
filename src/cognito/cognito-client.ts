/**
 * Transport for the Cognito Identity Provider API (AWS JSON 1.1, SigV4 via aws4fetch).
 * We own the retry policy: aws4fetch's default retries 5xx ten times and never retries Cognito's
 * throttling, which arrives as HTTP 400 (platform-notes A1, B4). Errors are classified by
 * `__type`, never by status.
 */
import { AwsClient } from "aws4fetch";
import { COGNITO_CALL_TIMEOUT_MS, COGNITO_RETRY_BASE_DELAY_MS, COGNITO_RETRY_MAX_DELAY_MS } from "../constants";
import type { Config } from "../config";
import { fail, ok, type Result } from "../result";
import type { WorkerFailure } from "../scim/scim-error";
import type { Clock, FetchLike, UpstreamTimer } from "../timing";

export type CognitoFailure =
  | { readonly kind: "throttled"; readonly operation: string }
  | { readonly kind: "unavailable"; readonly operation: string; readonly errorType: string }
  | {
      readonly kind: "rejected";
      readonly operation: string;
      readonly errorType: string;
      /**
       * Cognito's message, cut to 200 characters. Only for telling apart rejections that share a
       * type (AdminLinkProviderForUser's "already linked" vs "merging"); never logged, as it can
       * quote attribute values.
       */
      readonly message?: string;
    };

/**
 * Thrown by a fetch that refuses to make a call because the invocation's subrequest budget is
 * spent (the queue consumer's budget). Retrying inside the same invocation cannot help, so the
 * client fails at once instead of backing off.
 */
export class CallBudgetExhausted extends Error {
  override readonly name = "CallBudgetExhausted";
  constructor() {
    super("subrequest budget of this invocation is spent");
  }
}

export interface CognitoClient {
  /** One API operation, retried within the configured budget when throttled or failing. */
  call(operation: string, region: string, input: Readonly<Record<string, unknown>>): Promise<Result<Record<string, unknown>, CognitoFailure>>;
}

export interface CognitoClientDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timer: UpstreamTimer;
}

/** Error types that mean "slow down"; Cognito sends them with HTTP 400. */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set(["TooManyRequestsException", "ThrottlingException", "RequestLimitExceeded"]);
/** Error types worth retrying whatever their status. */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set(["InternalErrorException", "ServiceUnavailable", "InternalFailure"]);

/** One AwsClient per isolate and credential set, so derived signing keys stay cached. */
const awsClients = new WeakMap<Config["aws"], AwsClient>();

function awsClientFor(aws: Config["aws"]): AwsClient {
  let client = awsClients.get(aws);
  if (!client) {
    client = new AwsClient({
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey,
      sessionToken: aws.sessionToken,
      service: "cognito-idp",
      retries: 0,
    });
    awsClients.set(aws, client);
  }
  return client;
}

export function cognitoEndpoint(config: Config["cognito"], region: string): string {
  return config.endpoint !== undefined ? `${config.endpoint}/` : `https://cognito-idp.${region}.amazonaws.com/`;
}

/** `aws.cognito#NotAuthorizedException:http://...` -> `NotAuthorizedException` (smithy's rule). */
export function sanitizeErrorType(raw: string): string {
  const beforeColon = raw.split(":")[0] ?? raw;
  const hash = beforeColon.lastIndexOf("#");
  return (hash >= 0 ? beforeColon.slice(hash + 1) : beforeColon).trim();
}

/** One try at an operation, as the retry loop sees it. */
export type AttemptOutcome =
  | { kind: "ok"; body: Record<string, unknown> }
  | { kind: "retryable"; failure: CognitoFailure }
  | { kind: "final"; failure: CognitoFailure };

export function createCognitoClient(aws: Config["aws"], cognito: Config["cognito"], deps: CognitoClientDeps): CognitoClient {
  const signer = awsClientFor(aws);

  async function attempt(operation: string, region: string, payload: string): Promise<AttemptOutcome> {
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), COGNITO_CALL_TIMEOUT_MS);
    const started = deps.clock.now();
    try {
      const signed = await signer.sign(cognitoEndpoint(cognito, region), {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: payload,
        aws: { service: "cognito-idp", region },
      });
      const response = await deps.fetch(signed, { signal: abort.signal });
      const text = await response.text();
      const body = parseJsonObject(text);
      if (response.ok && body) return { kind: "ok", body };
      const errorType = sanitizeErrorType(
        (typeof body?.["__type"] === "string" && body["__type"]) ||
          (typeof body?.["code"] === "string" && body["code"]) ||
          response.headers.get("x-amzn-errortype") ||
          (response.ok ? "MalformedResponse" : `HTTP${response.status}`),
      );
      if (THROTTLING_ERRORS.has(errorType) || response.status === 429) {
        return { kind: "retryable", failure: { kind: "throttled", operation } };
      }
      if (response.status >= 500 || TRANSIENT_ERRORS.has(errorType) || response.ok) {
        return { kind: "retryable", failure: { kind: "unavailable", operation, errorType } };
      }
      const message = typeof body?.["message"] === "string" ? body["message"].slice(0, 200) : undefined;
      return { kind: "final", failure: message === undefined ? { kind: "rejected", operation, errorType } : { kind: "rejected", operation, errorType, message } };
    } catch (error) {
      if (error instanceof CallBudgetExhausted) {
        return { kind: "final", failure: { kind: "unavailable", operation, errorType: error.name } };
      }
      const errorType = abort.signal.aborted ? "Timeout" : error instanceof Error ? error.name : "NetworkError";
      return { kind: "retryable", failure: { kind: "unavailable", operation, errorType } };
    } finally {
      clearTimeout(timeout);
      deps.timer.cognitoMs += deps.clock.now() - started;
    }
  }

  return {
    async call(operation, region, input) {
      const payload = JSON.stringify(input);
      return retryWithinBudget(() => attempt(operation, region, payload), deps.clock, cognito.retryBudgetMs);
    },
  };
}

/**
 * Retries throttled or failing attempts with full-jitter exponential backoff until one succeeds,
 * fails for good, or the next wait would end past the budget. Full jitter spreads the retries of
 * many concurrent requests hitting one account-wide quota.
 */
export async function retryWithinBudget(
  attempt: () => Promise<AttemptOutcome>,
  clock: Clock,
  budgetMs: number,
): Promise<Result<Record<string, unknown>, CognitoFailure>> {
  const deadline = clock.now() + budgetMs;
  for (let attemptNumber = 0; ; attemptNumber++) {
    const outcome = await attempt();
    if (outcome.kind === "ok") return ok(outcome.body);
    if (outcome.kind === "final") return fail(outcome.failure);
    const ceiling = Math.min(COGNITO_RETRY_MAX_DELAY_MS, COGNITO_RETRY_BASE_DELAY_MS * 2 ** attemptNumber);
    const delay = Math.floor(clock.random() * ceiling);
    if (clock.now() + delay >= deadline) return fail(outcome.failure);
    await clock.sleep(delay);
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Invalid values on writes are the IdP's data; every other rejection is ours or AWS's. */
export function cognitoFailureToWorkerFailure(failure: CognitoFailure): WorkerFailure {
  switch (failure.kind) {
    case "throttled":
      return { kind: "cognito_throttled", operation: failure.operation };
    case "unavailable":
      return { kind: "cognito_unavailable", operation: failure.operation, errorType: failure.errorType };
    case "rejected":
      return failure.errorType === "InvalidParameterException" &&
        (failure.operation === "AdminCreateUser" || failure.operation === "AdminUpdateUserAttributes")
        ? { kind: "cognito_invalid_value", operation: failure.operation, errorType: failure.errorType }
        : { kind: "cognito_rejected", operation: failure.operation, errorType: failure.errorType };
  }
}
