/**
 * A tiny signed client for the Cognito admin API, for tests, scripts and benchmarks that talk to
 * the emulator (or real Cognito) without the AWS SDK. Runtime-agnostic (aws4fetch + fetch only),
 * never retries (`retries: 0`), and never throws on AWS errors: it returns status, body and the
 * error name the way the SDK derives it (`__type`, else `x-amzn-errortype`, without `ns#`/`:...`).
 */
import { AwsClient } from "aws4fetch";
import type { EmulatorCredentials } from "./sigv4-verify.ts";

export interface CognitoCallResult {
  status: number;
  body: Record<string, unknown>;
  /** AWS error name, or undefined on success. */
  errorType: string | undefined;
  headers: Headers;
}

export interface CognitoTestClient {
  /** Signs and sends one operation, e.g. `call("AdminGetUser", { UserPoolId, Username })`. */
  call(operation: string, input: unknown, init?: { aws?: { datetime?: string } }): Promise<CognitoCallResult>;
  /** Signs without sending (to tamper with the request in tests). */
  sign(operation: string, input: unknown, init?: { aws?: { datetime?: string } }): Promise<Request>;
  /** The underlying aws4fetch client. */
  readonly aws: AwsClient;
}

export interface CognitoTestClientOptions {
  /** Emulator base URL (with or without a trailing slash). */
  url: string;
  credentials: EmulatorCredentials;
  /** Signing region. Default "local" (cognito-local pool ids are `local_…`). */
  region?: string;
}

export const COGNITO_TARGET_PREFIX = "AWSCognitoIdentityProviderService.";

/** Error name as the AWS SDK reads it: `__type`, else the header; strip `ns#` and `:suffix`. */
export function awsErrorName(body: Record<string, unknown>, headers: Headers): string | undefined {
  const raw = typeof body["__type"] === "string" ? body["__type"] : headers.get("x-amzn-errortype") ?? undefined;
  if (raw === undefined || raw === "") return undefined;
  const withoutSuffix = raw.split(":")[0] ?? raw;
  return withoutSuffix.slice(withoutSuffix.lastIndexOf("#") + 1);
}

export function createCognitoTestClient(options: CognitoTestClientOptions): CognitoTestClient {
  const endpoint = options.url.endsWith("/") ? options.url : `${options.url}/`;
  const aws = new AwsClient({
    ...options.credentials,
    service: "cognito-idp",
    region: options.region ?? "local",
    retries: 0,
  });
  const requestInit = (operation: string, input: unknown, init?: { aws?: { datetime?: string } }) => ({
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `${COGNITO_TARGET_PREFIX}${operation}`,
    },
    body: JSON.stringify(input),
    ...(init?.aws?.datetime !== undefined ? { aws: { datetime: init.aws.datetime } } : {}),
  });
  return {
    aws,
    sign: (operation, input, init) => aws.sign(endpoint, requestInit(operation, input, init)),
    async call(operation, input, init) {
      const res = await aws.fetch(endpoint, requestInit(operation, input, init));
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = text === "" ? {} : JSON.parse(text);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        body = { raw: text };
      }
      const errorType = res.status === 200 ? undefined : awsErrorName(body, res.headers);
      return { status: res.status, body, errorType, headers: res.headers };
    },
  };
}
