/**
 * The `ScimRequest` command: authenticates the SCIM API key, routes `pathAndQueryParams`
 * (relative to the SCIM base, byo-contract §10.1) to an endpoint, and puts the outcome on the
 * wire as `ScimRequestResponse` (HTTP 200) or `ScimClientFacingError` (HTTP = the SCIM status).
 *
 * Every path, discovery included, needs a valid key: the key is what names the connection, and
 * `connectionId` is echoed in every answer.
 */
import type { JsonValue, ScimRequestResponse } from "@propelauth/byo-node";
import { success, unexpectedError, type CommandReply } from "./command-reply.ts";
import { describeIssues, scimRequestData } from "./command-schemas.ts";
import { resourceTypes, schemas, serviceProviderConfig } from "./discovery.ts";
import { invalidApiKey, methodNotSupported, toClientFacingError, unknownPath, type ScimFailure } from "./scim-errors.ts";
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from "./scim-groups.ts";
import { failed, type ScimContext, type ScimOutcome } from "./scim-outcome.ts";
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from "./scim-users.ts";
import { nowIso, nowSeconds, type StandinState } from "./standin-state.ts";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface RoutedRequest {
  readonly method: Method;
  readonly path: string;
  readonly resource: string;
  readonly id: string | undefined;
  readonly extraSegments: boolean;
  readonly params: URLSearchParams;
  readonly body: JsonValue | undefined;
}

/** The bare key from `scim_…` or `Bearer scim_…` (the real sidecar accepts both, byo-contract §2.2). */
function bareKey(scimApiKey: string | null | undefined): string | undefined {
  if (typeof scimApiKey !== "string") return undefined;
  const key = scimApiKey.trim().replace(/^bearer\s+/i, "").trim();
  return key === "" ? undefined : key;
}

export function handleScimRequest(state: StandinState, data: unknown): CommandReply {
  const parsed = scimRequestData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const command = parsed.data;

  const key = bareKey(command.scimApiKey);
  const connection = key === undefined ? undefined : state.registry.authenticate(key, nowSeconds(state));
  if (!connection) return wireFailure(invalidApiKey());

  const ctx: ScimContext = { connection, staged: state.staged, nowIso: () => nowIso(state) };
  const outcome = route(ctx, routeOf(command.method, command.pathAndQueryParams, command.body));
  return toWire(connection.connectionId, outcome);
}

function routeOf(method: Method, pathAndQueryParams: string, body: JsonValue | undefined): RoutedRequest {
  // Collapse leading slashes so "//Users" cannot be read as a host by the URL parser.
  const url = new URL(`/${pathAndQueryParams.replace(/^\/+/, "")}`, "http://scim.invalid");
  const segments = url.pathname
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return {
    method,
    path: url.pathname,
    resource: (segments[0] ?? "").toLowerCase(),
    id: segments[1],
    extraSegments: segments.length > 2,
    params: url.searchParams,
    body,
  };
}

function route(ctx: ScimContext, request: RoutedRequest): ScimOutcome {
  const { method, path, id, params, body } = request;
  if (request.extraSegments) return failed(unknownPath(path));
  const notSupported = (): ScimOutcome => failed(methodNotSupported(method, path));

  switch (request.resource) {
    case "users":
      if (id === undefined) {
        if (method === "GET") return listUsers(ctx, params);
        if (method === "POST") return createUser(ctx, body);
        return notSupported();
      }
      if (method === "GET") return getUser(ctx, id, params);
      if (method === "PUT") return replaceUser(ctx, id, body);
      if (method === "PATCH") return patchUser(ctx, id, body);
      if (method === "DELETE") return deleteUser(ctx, id);
      return notSupported();
    case "groups":
      if (id === undefined) {
        if (method === "GET") return listGroups(ctx, params);
        if (method === "POST") return createGroup(ctx, body);
        return notSupported();
      }
      if (method === "GET") return getGroup(ctx, id, params);
      if (method === "PUT") return replaceGroup(ctx, id, body);
      if (method === "PATCH") return patchGroup(ctx, id, body, params);
      if (method === "DELETE") return deleteGroup(ctx, id);
      return notSupported();
    case "serviceproviderconfig":
      if (id !== undefined) return failed(unknownPath(path));
      return method === "GET" ? serviceProviderConfig() : notSupported();
    case "schemas":
      return method === "GET" ? schemas(id, path) : notSupported();
    case "resourcetypes":
      return method === "GET" ? resourceTypes(id, path) : notSupported();
    default:
      return failed(unknownPath(path));
  }
}

function wireFailure(failure: ScimFailure): CommandReply {
  return { status: failure.status, body: toClientFacingError(failure) };
}

function toWire(connectionId: string, outcome: ScimOutcome): CommandReply {
  switch (outcome.kind) {
    case "failure":
      return wireFailure(outcome.failure);
    case "completed": {
      const response: ScimRequestResponse = {
        status: "Completed",
        connectionId,
        responseHttpCode: outcome.httpCode,
        ...(outcome.data ? { responseData: outcome.data } : {}),
        ...(outcome.affectedUserIds ? { affectedUserIds: [...outcome.affectedUserIds] } : {}),
      };
      return success(response);
    }
    case "action": {
      const response: ScimRequestResponse = { status: "ActionRequired", connectionId, ...outcome.action };
      return success(response);
    }
  }
}
