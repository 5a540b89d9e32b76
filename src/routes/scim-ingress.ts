/**
 * `ALL <SCIM_BASE_PATH>/*`: validate the IdP's request, hand it to the sidecar, carry out any
 * action on Cognito, answer with the sidecar's final word. One log line per request.
 */
import type { ScimRequestCommand } from "@propelauth/byo-node";
import type { Context } from "hono";
import { carryOutAction, type ActionTrace } from "../provisioning/carry-out-action";
import type { RequestServices } from "../request-services";
import { failureResponse, scimErrorBody, scimJsonResponse, type WorkerFailure } from "../scim/scim-error";
import type { ClientFacingAnswer } from "../sidecar/sidecar-client";
import type { CompletedAnswer, ScimRequestAnswer } from "../sidecar/sidecar-schemas";
import { scheduleSync } from "../sync/sync-producer";

const SCIM_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

type ScimMethod = ScimRequestCommand["method"];

interface RequestLog {
  connectionId?: string;
  customerId?: string;
  userPoolId?: string;
  method: string;
  resourceType: string;
  outcome: string;
  /** Internal detail of a failure; never sent to the IdP. */
  reason?: string;
  status: number;
  /** User ids handed to the sync queue after the answer (docs/sync.md). */
  syncQueued?: number;
}

export async function handleScimRequest(c: Context, services: RequestServices): Promise<Response> {
  const started = Date.now();
  const method = c.req.method.toUpperCase();
  const relative = pathBelowBase(c.req.url, services.config.scimBasePath);
  const log: RequestLog = { method, resourceType: resourceTypeOf(relative), outcome: "pending", status: 0 };

  const response = await answer(c, services, method, relative, log);
  log.status = response.status;
  services.logger.log(response.status >= 500 ? "error" : "info", "scim_request", {
    ...log,
    sidecarMs: services.timer.sidecarMs,
    cognitoMs: services.timer.cognitoMs,
    totalMs: Date.now() - started,
  });
  return response;
}

async function answer(c: Context, services: RequestServices, method: string, relative: string, log: RequestLog): Promise<Response> {
  const failed = (failure: WorkerFailure): Response => {
    log.outcome = `error:${failure.kind}`;
    if (failure.kind === "customer_unmapped") {
      services.logger.log("error", "customer_unmapped", { customerId: failure.customerId, connectionId: log.connectionId });
    }
    log.reason = describeFailure(failure);
    return failureResponse(failure);
  };

  if (!SCIM_METHODS.has(method)) return failed({ kind: "method_not_allowed", method });
  const scimApiKey = bearerToken(c.req.header("authorization"));
  if (scimApiKey === undefined) return failed({ kind: "missing_credentials" });

  let body: ScimRequestCommand["body"];
  if (METHODS_WITH_BODY.has(method)) {
    const text = await c.req.text();
    if (text.trim() === "") return failed({ kind: "missing_body" });
    try {
      body = JSON.parse(text) as ScimRequestCommand["body"];
    } catch {
      return failed({ kind: "invalid_json" });
    }
  }

  const sidecarAnswer = await services.sidecar.scimRequest({
    method: method as ScimMethod,
    pathAndQueryParams: relative,
    ...(body === undefined ? {} : { body }),
    scimApiKey,
  });
  if (!sidecarAnswer.ok) return failed(sidecarAnswer.error);
  const first: ScimRequestAnswer | ClientFacingAnswer = sidecarAnswer.value;

  if (first.status === "ClientFacingError") {
    log.outcome = `rejected:${first.underlyingErrorType ?? "unknown"}`;
    const errorBody = first.bodyToReturn ?? scimErrorBody(first.statusToReturn, "Request rejected.");
    return scimJsonResponse(first.statusToReturn, errorBody, first.statusToReturn === 401 ? { "www-authenticate": 'Bearer realm="SCIM"' } : {});
  }
  log.connectionId = first.connectionId;
  const sync = (completed: CompletedAnswer) => {
    const queued = scheduleSync(c, c.env.SYNC_QUEUE, services.config, services.logger, completed, { method, relativePath: relative });
    if (queued > 0) log.syncQueued = (log.syncQueued ?? 0) + queued;
  };
  if (first.status === "Completed") {
    log.outcome = "completed";
    sync(first);
    return completedResponse(c.req.url, services.config.scimBasePath, first);
  }

  log.outcome = `action:${first.action}`;
  const trace: ActionTrace = {};
  const final = await carryOutAction(first, services, trace);
  log.customerId = trace.customerId;
  log.userPoolId = trace.userPoolId;
  if (!final.ok) return failed(final.error);
  sync(final.value);
  return completedResponse(c.req.url, services.config.scimBasePath, final.value);
}

function completedResponse(requestUrl: string, basePath: string, completed: CompletedAnswer): Response {
  const status = completed.responseHttpCode;
  const data = completed.responseData ?? undefined;
  const headers: Record<string, string> = {};
  // RFC 7644 §3.3: a 201 carries the new resource's URI in Location. The sidecar only knows
  // paths relative to the SCIM base, so anchor them on our public base URL.
  const meta = data?.["meta"];
  const location = meta !== null && typeof meta === "object" ? (meta as Record<string, unknown>)["location"] : undefined;
  if (status === 201 && typeof location === "string") {
    headers["location"] = /^https?:\/\//.test(location) ? location : new URL(requestUrl).origin + basePath + (location.startsWith("/") ? location : `/${location}`);
  }
  return scimJsonResponse(status, data, headers);
}

/** Path below the base plus the raw query, exactly as the IdP sent them (no re-encoding). */
export function pathBelowBase(requestUrl: string, basePath: string): string {
  const afterScheme = requestUrl.indexOf("//");
  const pathStart = requestUrl.indexOf("/", afterScheme + 2);
  const pathAndQuery = pathStart < 0 ? "/" : requestUrl.slice(pathStart);
  const hash = pathAndQuery.indexOf("#");
  const withoutFragment = hash < 0 ? pathAndQuery : pathAndQuery.slice(0, hash);
  const below = withoutFragment.startsWith(basePath) ? withoutFragment.slice(basePath.length) : withoutFragment;
  return below === "" || below.startsWith("?") ? `/${below}` : below;
}

function resourceTypeOf(relative: string): string {
  const segment = relative.split(/[/?]/)[1] ?? "";
  return segment === "" ? "root" : segment.slice(0, 40);
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Internal detail for the log line only. */
function describeFailure(failure: WorkerFailure): string | undefined {
  switch (failure.kind) {
    case "sidecar_unreachable":
    case "storage_unavailable":
    case "internal":
      return failure.reason;
    case "sidecar_bad_response":
      return `${failure.status} ${failure.reason}`;
    case "sidecar_rejected":
      return `${failure.command}: ${failure.errorType}`;
    case "cognito_throttled":
      return failure.operation;
    case "cognito_unavailable":
    case "cognito_rejected":
    case "cognito_invalid_value":
      return `${failure.operation}: ${failure.errorType}`;
    case "config_invalid":
      return failure.variables.join(",");
    default:
      return undefined;
  }
}
