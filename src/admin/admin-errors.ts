/**
 * Every failure of the admin API as data, and the one exhaustive mapping to the wire:
 * `{ "error": { "code", "message", "field"? } }`. `field` names the request field at fault (path
 * parameter, query parameter or body member). Internal detail (upstream error names, KV reasons)
 * goes only to the audit log line via `describeAdminFailure`, never to the caller.
 */
import type { CognitoFailure } from "../cognito/cognito-client";
import type { ManagementFailure } from "../sidecar/connection-management";
import type { PoolStoreFailure } from "../pools/customer-pool-store";
import type { WorkerFailure } from "../scim/scim-error";

export type AuthFailureReason =
  | "missing_credentials"
  | "token_mismatch"
  | "jwt_malformed"
  | "jwt_signature"
  | "jwt_expired"
  | "jwt_not_yet_valid"
  | "jwt_issuer"
  | "jwt_audience"
  | "jwt_claims"
  | "jwt_unknown_key"
  | "jwt_algorithm";

export type AdminFailure =
  | { readonly kind: "unauthorized"; readonly reason: AuthFailureReason; readonly scheme: "Bearer" | "Access" }
  | { readonly kind: "auth_unavailable"; readonly reason: string }
  | { readonly kind: "cross_site_request"; readonly reason: string }
  | { readonly kind: "csrf_token_invalid" }
  | { readonly kind: "unsupported_media_type" }
  | { readonly kind: "body_too_large" }
  | { readonly kind: "invalid_json" }
  | { readonly kind: "invalid_input"; readonly field: string; readonly message: string }
  | { readonly kind: "route_not_found" }
  | { readonly kind: "connection_not_found"; readonly customerId: string }
  | { readonly kind: "mapping_not_found"; readonly customerId: string }
  | { readonly kind: "connection_exists"; readonly customerId: string }
  | { readonly kind: "pool_not_found"; readonly userPoolId: string }
  | { readonly kind: "pool_id_rejected"; readonly userPoolId: string }
  | { readonly kind: "mapping_malformed"; readonly customerId: string }
  /** Another customer's mapping forbids this one (pool-users:<userPoolId>, docs/storage.md). */
  | { readonly kind: "pool_in_use"; readonly userPoolId: string; readonly holders: readonly string[]; readonly dedicated: boolean }
  | { readonly kind: "pool_usage_malformed"; readonly userPoolId: string }
  /** Shared pool whose app clients let users write the tenant attribute (or every attribute). */
  | {
      readonly kind: "tenant_attribute_writable";
      readonly userPoolId: string;
      readonly tenantAttribute: string;
      readonly clients: readonly { readonly clientId: string; readonly writeAttributes: "unset" | "includes_tenant_attribute" }[];
    }
  | {
      readonly kind: "mapping_write_failed";
      readonly reason: string;
      readonly connectionId: string;
      /** True when the connection created in the same call was deleted again. */
      readonly connectionRemoved: boolean;
    }
  | { readonly kind: "mapping_delete_failed"; readonly reason: string }
  | { readonly kind: "storage_failed"; readonly operation: string; readonly reason: string }
  | { readonly kind: "sidecar_unavailable"; readonly reason: string }
  | { readonly kind: "sidecar_timeout"; readonly timeoutMs: number }
  | { readonly kind: "cognito_throttled"; readonly operation: string }
  | { readonly kind: "cognito_unavailable"; readonly operation: string; readonly errorType: string }
  | { readonly kind: "cognito_rejected"; readonly operation: string; readonly errorType: string }
  | { readonly kind: "internal"; readonly reason: string };

export interface AdminErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Seconds an operator should wait before retrying when an upstream is busy. */
export const ADMIN_RETRY_AFTER_SECONDS = 5;

export function adminErrorBody(code: string, message: string, field?: string): AdminErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

function json(status: number, body: AdminErrorBody, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function adminFailureResponse(failure: AdminFailure): Response {
  switch (failure.kind) {
    case "unauthorized":
      return json(401, adminErrorBody("unauthorized", "Valid admin credentials are required."), {
        "www-authenticate": failure.scheme === "Bearer" ? 'Bearer realm="admin"' : 'Bearer realm="admin", error="invalid_token"',
      });
    case "auth_unavailable":
      return json(503, adminErrorBody("auth_unavailable", "Credentials cannot be checked right now; retry later."), {
        "retry-after": String(ADMIN_RETRY_AFTER_SECONDS),
      });
    case "cross_site_request":
      return json(403, adminErrorBody("cross_site_request", "Cross-site requests to the admin API are refused."));
    case "csrf_token_invalid":
      return json(403, adminErrorBody("csrf_token_invalid", "The form is stale or was not sent by this site; reload the page and try again.", "csrf"));
    case "unsupported_media_type":
      return json(415, adminErrorBody("unsupported_media_type", "Send the request body as application/json.", "content-type"));
    case "body_too_large":
      return json(413, adminErrorBody("body_too_large", "The request body is too large."));
    case "invalid_json":
      return json(400, adminErrorBody("invalid_json", "The request body is not valid JSON.", "body"));
    case "invalid_input":
      return json(400, adminErrorBody("invalid_input", failure.message, failure.field));
    case "route_not_found":
      return json(404, adminErrorBody("not_found", "No such admin route."));
    case "connection_not_found":
      return json(404, adminErrorBody("connection_not_found", `No SCIM connection exists for customer ${failure.customerId}.`, "customerId"));
    case "mapping_not_found":
      return json(404, adminErrorBody("mapping_not_found", `Customer ${failure.customerId} has no user pool mapping.`, "customerId"));
    case "connection_exists":
      return json(409, adminErrorBody("connection_exists", `Customer ${failure.customerId} already has a SCIM connection; rotate its key instead.`, "customerId"));
    case "pool_not_found":
      return json(400, adminErrorBody("pool_not_found", `User pool ${failure.userPoolId} does not exist or is not visible to the worker's credentials.`, "userPoolId"));
    case "pool_id_rejected":
      return json(400, adminErrorBody("invalid_input", `Cognito rejected user pool id ${failure.userPoolId}.`, "userPoolId"));
    case "mapping_malformed":
      return json(500, adminErrorBody("mapping_malformed", `The stored pool mapping of customer ${failure.customerId} is malformed; replace it with PUT /admin/customers/{customerId}/pool.`));
    case "pool_in_use":
      return json(
        409,
        adminErrorBody(
          "pool_in_use",
          failure.dedicated
            ? `User pool ${failure.userPoolId} is dedicated to customer ${listed(failure.holders)}; no other customer can be mapped to it.`
            : `User pool ${failure.userPoolId} is shared by customer(s) ${listed(failure.holders)}; a dedicated mapping (shared: false) needs a pool no other customer uses.`,
          "userPoolId",
        ),
      );
    case "pool_usage_malformed":
      return json(
        500,
        adminErrorBody("pool_usage_malformed", `The stored usage index of user pool ${failure.userPoolId} (pool-users:${failure.userPoolId}) is malformed; repair it (docs/storage.md).`),
      );
    case "tenant_attribute_writable":
      return json(
        400,
        adminErrorBody(
          "tenant_attribute_writable",
          `App client(s) of user pool ${failure.userPoolId} let users write ${failure.tenantAttribute}: ` +
            listed(failure.clients.map((c) => `${c.clientId} (${c.writeAttributes === "unset" ? "WriteAttributes not set" : `WriteAttributes includes ${failure.tenantAttribute}`})`)) +
            `. A shared pool's users could then untag themselves or claim another customer; set each client's WriteAttributes explicitly, without ${failure.tenantAttribute}.`,
          "userPoolId",
        ),
      );
    case "mapping_write_failed":
      return json(
        503,
        adminErrorBody(
          "mapping_write_failed",
          failure.connectionRemoved
            ? "Storing the pool mapping failed, so the new connection was removed again; nothing was changed. Retry later."
            : `Storing the pool mapping failed and removing the new connection ${failure.connectionId} failed too; delete it with DELETE /admin/connections/{customerId} before retrying.`,
        ),
        { "retry-after": String(ADMIN_RETRY_AFTER_SECONDS) },
      );
    case "mapping_delete_failed":
      return json(
        503,
        adminErrorBody(
          "mapping_delete_failed",
          "The connection was deleted, but removing the pool mapping failed; retry with DELETE /admin/customers/{customerId}/pool.",
        ),
        { "retry-after": String(ADMIN_RETRY_AFTER_SECONDS) },
      );
    case "storage_failed":
      return json(503, adminErrorBody("storage_unavailable", "The mapping store is unavailable; retry later."), {
        "retry-after": String(ADMIN_RETRY_AFTER_SECONDS),
      });
    case "sidecar_unavailable":
      return json(502, adminErrorBody("sidecar_unavailable", "The provisioning sidecar failed to handle the request."));
    case "sidecar_timeout":
      return json(504, adminErrorBody("sidecar_timeout", "The provisioning sidecar did not answer in time."));
    case "cognito_throttled":
      return json(503, adminErrorBody("cognito_throttled", "Cognito is throttling requests; retry later."), {
        "retry-after": String(ADMIN_RETRY_AFTER_SECONDS),
      });
    case "cognito_unavailable":
      return json(503, adminErrorBody("cognito_unavailable", "Cognito is unavailable; retry later."), {
        "retry-after": String(ADMIN_RETRY_AFTER_SECONDS),
      });
    case "cognito_rejected":
      return json(502, adminErrorBody("cognito_rejected", `Cognito refused ${failure.operation}; check the worker's IAM policy (docs/iam-policy.json).`));
    case "internal":
      return json(500, adminErrorBody("internal", "The admin API failed; the operator has been notified in the logs."));
  }
}

/** Internal detail for the audit log line (never sent to the caller). */
export function describeAdminFailure(failure: AdminFailure): string | undefined {
  switch (failure.kind) {
    case "unauthorized":
      return failure.reason;
    case "auth_unavailable":
    case "cross_site_request":
    case "sidecar_unavailable":
    case "internal":
    case "mapping_write_failed":
    case "mapping_delete_failed":
      return failure.reason;
    case "storage_failed":
      return `${failure.operation}: ${failure.reason}`;
    case "sidecar_timeout":
      return `timeout after ${failure.timeoutMs} ms`;
    case "cognito_throttled":
      return failure.operation;
    case "cognito_unavailable":
    case "cognito_rejected":
      return `${failure.operation}: ${failure.errorType}`;
    case "invalid_input":
      return failure.field;
    case "pool_in_use":
      return `${failure.dedicated ? "dedicated to" : "shared by"} ${failure.holders.join(",")}`;
    case "tenant_attribute_writable":
      return `writable by ${failure.clients.map((c) => c.clientId).join(",")}`;
    default:
      return undefined;
  }
}

/** Maps the sidecar management failures; `customerId` names the connection being addressed. */
export function managementFailureToAdminFailure(failure: ManagementFailure, customerId: string): AdminFailure {
  switch (failure.kind) {
    case "connection_not_found":
      return { kind: "connection_not_found", customerId };
    case "connection_exists":
      return { kind: "connection_exists", customerId };
    case "invalid_fields": {
      const first = failure.fields[0];
      return first === undefined
        ? { kind: "invalid_input", field: "body", message: "The sidecar refused the connection's fields." }
        : { kind: "invalid_input", field: SIDECAR_FIELD_NAMES[first.field] ?? first.field, message: first.message };
    }
    case "display_name_invalid":
      return { kind: "invalid_input", field: "displayName", message: failure.message };
    case "invalid_query_field":
      return { kind: "invalid_input", field: SIDECAR_FIELD_NAMES[failure.field] ?? failure.field, message: failure.message };
    case "sidecar_timeout":
      return { kind: "sidecar_timeout", timeoutMs: failure.timeoutMs };
    case "sidecar_unreachable":
      return { kind: "sidecar_unavailable", reason: `unreachable: ${failure.reason}` };
    case "sidecar_bad_response":
      return { kind: "sidecar_unavailable", reason: `bad response (${failure.status}): ${failure.reason}` };
    case "sidecar_rejected":
      return { kind: "sidecar_unavailable", reason: `${failure.command} rejected: ${failure.errorType}` };
  }
}

/** The sidecar's field names -> the admin API's. */
const SIDECAR_FIELD_NAMES: Readonly<Record<string, string>> = {
  scimApiKeyExpiration: "keyExpiresAt",
  pageNumber: "page",
  pageSize: "pageSize",
};

export function poolStoreFailureToAdminFailure(failure: PoolStoreFailure): AdminFailure {
  switch (failure.kind) {
    case "kv_failed":
      return { kind: "storage_failed", operation: failure.operation, reason: failure.reason };
    case "record_malformed":
      return { kind: "mapping_malformed", customerId: failure.customerId };
    case "usage_malformed":
      return { kind: "pool_usage_malformed", userPoolId: failure.userPoolId };
    case "pool_in_use":
      return { kind: "pool_in_use", userPoolId: failure.userPoolId, holders: failure.holders, dedicated: failure.dedicated };
  }
}

/** At most ten names, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 10).join(", ");
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}

/** Failures of the provisioning path's pool resolution (e.g. tag discovery), as seen by the admin API. */
export function workerFailureToAdminFailure(failure: WorkerFailure): AdminFailure {
  switch (failure.kind) {
    case "cognito_throttled":
      return { kind: "cognito_throttled", operation: failure.operation };
    case "cognito_unavailable":
      return { kind: "cognito_unavailable", operation: failure.operation, errorType: failure.errorType };
    case "cognito_rejected":
    case "cognito_invalid_value":
      return { kind: "cognito_rejected", operation: failure.operation, errorType: failure.errorType };
    case "sidecar_timeout":
      return { kind: "sidecar_timeout", timeoutMs: failure.timeoutMs };
    case "sidecar_unreachable":
    case "sidecar_bad_response":
    case "sidecar_rejected":
      return { kind: "sidecar_unavailable", reason: failure.kind };
    case "storage_unavailable":
      return { kind: "storage_failed", operation: "get", reason: failure.reason };
    case "internal":
      return { kind: "internal", reason: failure.reason };
    default:
      return { kind: "internal", reason: failure.kind };
  }
}

/** DescribeUserPool / AdminGetUser failures. `userPoolId` is set when the pool itself is in question. */
export function cognitoFailureToAdminFailure(failure: CognitoFailure, userPoolId?: string): AdminFailure {
  switch (failure.kind) {
    case "throttled":
      return { kind: "cognito_throttled", operation: failure.operation };
    case "unavailable":
      return { kind: "cognito_unavailable", operation: failure.operation, errorType: failure.errorType };
    case "rejected":
      if (userPoolId !== undefined && failure.errorType === "ResourceNotFoundException") return { kind: "pool_not_found", userPoolId };
      if (userPoolId !== undefined && failure.errorType === "InvalidParameterException") return { kind: "pool_id_rejected", userPoolId };
      return { kind: "cognito_rejected", operation: failure.operation, errorType: failure.errorType };
  }
}
