/**
 * The one place that turns a failure into an RFC 7644 §3.12 error answer.
 * Every error the worker itself produces goes through `failureResponse`.
 */
import { SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA, THROTTLED_RETRY_AFTER_SECONDS, UNAVAILABLE_RETRY_AFTER_SECONDS } from "../constants";

/** RFC 7644 §3.12 Table 9. */
export type ScimErrorType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

/** Which HTTP status each scimType may accompany (RFC 7644 §3.12): everything but uniqueness is a 400. */
const STATUS_FOR_SCIM_TYPE: Record<ScimErrorType, number> = {
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 400,
};

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimErrorType;
  detail: string;
}

export function scimErrorBody(status: number, detail: string, scimType?: ScimErrorType): ScimErrorBody {
  if (scimType !== undefined && STATUS_FOR_SCIM_TYPE[scimType] !== status) {
    throw new TypeError(`scimType ${scimType} cannot go with HTTP ${status}`);
  }
  return scimType === undefined
    ? { schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail }
    : { schemas: [SCIM_ERROR_SCHEMA], status: String(status), scimType, detail };
}

export function scimJsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204 || status === 304 || body === undefined) {
    return new Response(null, { status, headers });
  }
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": SCIM_CONTENT_TYPE, ...headers },
  });
}

/**
 * Everything that can go wrong in the worker, as data. `kind` is what the log line records
 * (`error:<kind>`); the IdP only ever sees the generic detail chosen in `failureResponse`.
 */
export type WorkerFailure =
  | { kind: "invalid_json" }
  | { kind: "missing_body" }
  | { kind: "body_too_large" }
  | { kind: "method_not_allowed"; method: string }
  | { kind: "missing_credentials" }
  | { kind: "route_not_found" }
  | { kind: "config_invalid"; variables: readonly string[] }
  | { kind: "sidecar_unreachable"; reason: string }
  | { kind: "sidecar_timeout"; timeoutMs: number }
  | { kind: "sidecar_bad_response"; status: number; reason: string }
  | { kind: "sidecar_rejected"; command: string; errorType: string }
  | { kind: "customer_unmapped"; customerId: string }
  | { kind: "cognito_throttled"; operation: string }
  | { kind: "cognito_unavailable"; operation: string; errorType: string }
  | { kind: "cognito_rejected"; operation: string; errorType: string }
  | { kind: "cognito_invalid_value"; operation: string; errorType: string }
  | { kind: "user_exists"; policy: string }
  | { kind: "tenancy_violation"; userId: string; ownerCustomerId: string | null }
  | { kind: "user_missing_in_pool"; userId: string }
  | { kind: "storage_unavailable"; reason: string }
  | { kind: "internal"; reason: string };

export function failureResponse(failure: WorkerFailure): Response {
  switch (failure.kind) {
    case "invalid_json":
      return scimJsonResponse(400, scimErrorBody(400, "The request body is not valid JSON.", "invalidSyntax"));
    case "missing_body":
      return scimJsonResponse(400, scimErrorBody(400, "This request needs a JSON body.", "invalidSyntax"));
    case "body_too_large":
      return scimJsonResponse(413, scimErrorBody(413, "The request body is larger than this server accepts."));
    case "method_not_allowed":
      return scimJsonResponse(405, scimErrorBody(405, `Method ${failure.method} is not supported.`), {
        allow: "GET, POST, PUT, PATCH, DELETE",
      });
    case "missing_credentials":
      return scimJsonResponse(401, scimErrorBody(401, "A bearer token is required."), {
        "www-authenticate": 'Bearer realm="SCIM"',
      });
    case "route_not_found":
      return scimJsonResponse(404, scimErrorBody(404, "Not found."));
    case "config_invalid":
    case "customer_unmapped":
    case "internal":
      return scimJsonResponse(500, scimErrorBody(500, "The provisioning service is misconfigured or failed; the operator has been notified in the logs."));
    case "sidecar_unreachable":
    case "sidecar_bad_response":
    case "sidecar_rejected":
    case "cognito_rejected":
      return scimJsonResponse(502, scimErrorBody(502, "An upstream service failed to handle the request."));
    case "sidecar_timeout":
      return scimJsonResponse(504, scimErrorBody(504, "An upstream service did not answer in time."));
    case "cognito_throttled":
      return scimJsonResponse(429, scimErrorBody(429, "The user directory is busy; retry later."), {
        "retry-after": String(THROTTLED_RETRY_AFTER_SECONDS),
      });
    case "storage_unavailable":
    case "cognito_unavailable":
      return scimJsonResponse(503, scimErrorBody(503, "The user directory is unavailable; retry later."), {
        "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS),
      });
    case "cognito_invalid_value":
      return scimJsonResponse(400, scimErrorBody(400, "The user directory rejected an attribute value.", "invalidValue"));
    case "user_exists":
      return scimJsonResponse(409, scimErrorBody(409, "A user with this userName already exists in the user pool.", "uniqueness"));
    case "tenancy_violation":
    case "user_missing_in_pool":
      return scimJsonResponse(404, scimErrorBody(404, "Resource not found."));
  }
}
