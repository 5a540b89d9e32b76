/**
 * The `/Users` endpoints of the stand-in (byo-contract §10.2):
 * - POST with a new userName stages a `LinkUser`; nothing is stored until `LinkScimUser`.
 * - PUT/PATCH that flips `active` stages `DisableUser`/`EnableUser`; the whole change (other
 *   attributes too) waits for `CommitScimUserChange`. Any other PUT/PATCH completes at once.
 * - DELETE stages `DeleteUser`.
 * `ssoUserSubject` is the userName: the stand-in has no paired OIDC client, and the userName is
 * what the default matching strategies (`Oidc*ToScimUsername`) compare against.
 */
import { randomUUID } from "node:crypto";
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from "./json.ts";
import { err, type Result } from "./result.ts";
import { pageOf, parseListQuery, parseProjection } from "./list-query.ts";
import { parsePatchRequest } from "./patch-ops.ts";
import {
  cantRemoveRequiredField,
  invalidBody,
  invalidPatchValue,
  missingRequiredField,
  userNameTaken,
  userNotFound,
  type ScimFailure,
} from "./scim-errors.ts";
import { matchesFilter, narrowingEquality } from "./scim-filter.ts";
import { actionRequired, completed, failed, type ScimContext, type ScimOutcome } from "./scim-outcome.ts";
import { applyProjection, listResponse, renderUser } from "./scim-resources.ts";
import type { AnnouncedUserData } from "./staged-changes.ts";
import { normaliseUserAttributes, userNameKey, type AttributeProblem } from "./user-attributes.ts";
import { effectiveMapping, parseUserData, primaryEmailOf } from "./user-mapping.ts";
import { applyUserPatch } from "./user-patch.ts";
import type { StoredUser } from "./user-store.ts";

/** `primaryEmail` and `parsedUserData` as the connection's mapping sees these attributes. */
export function describeUser(ctx: Pick<ScimContext, "connection">, attributes: JsonObject): AnnouncedUserData {
  return {
    primaryEmail: primaryEmailOf(attributes),
    parsedUserData: parseUserData(effectiveMapping(ctx.connection.customMapping), attributes),
  };
}

function bodyProblem(problem: AttributeProblem): ScimFailure {
  if (problem.kind === "missing") return missingRequiredField(problem.field);
  return invalidBody(
    problem.field === "active" ? "active must be a boolean." : "userName must be a non-empty string.",
    "invalidValue",
  );
}

function patchProblem(problem: AttributeProblem): ScimFailure {
  if (problem.kind === "missing") return cantRemoveRequiredField(problem.field);
  return invalidPatchValue(
    problem.field,
    problem.field === "active" ? "active must be a boolean." : "userName must be a non-empty string.",
  );
}

export function listUsers(ctx: ScimContext, params: URLSearchParams): ScimOutcome {
  const query = parseListQuery(params);
  if (!query.ok) return failed(query.error);
  const { users, groups } = ctx.connection;
  const { filter } = query.value;

  let page: StoredUser[];
  let totalResults: number;
  if (filter) {
    const matches = candidatesFor(ctx, narrowingEquality(filter)).filter((user) =>
      matchesFilter(renderUser(user, groups), filter),
    );
    totalResults = matches.length;
    page = pageOf(matches, query.value);
  } else {
    totalResults = users.size;
    page = pageOf(users.values(), query.value);
  }
  const resources = page.map((user) => applyProjection(renderUser(user, groups), query.value));
  return completed(200, listResponse(resources, totalResults, query.value.startIndex));
}

/** Uses an index when the filter pins `userName`, `id` or `externalId`; otherwise every user. */
function candidatesFor(ctx: ScimContext, equality: { path: string; value: string } | undefined): StoredUser[] {
  const { users } = ctx.connection;
  const one = (user: StoredUser | undefined): StoredUser[] => (user ? [user] : []);
  switch (equality?.path) {
    case "username":
      return one(users.getByUserName(equality.value));
    case "id":
      return one(users.get(equality.value));
    case "externalid":
      return users.getByExternalId(equality.value);
    default:
      return [...users.values()];
  }
}

export function getUser(ctx: ScimContext, id: string, params: URLSearchParams): ScimOutcome {
  const user = ctx.connection.users.get(id);
  if (!user) return failed(userNotFound(id));
  return completed(200, applyProjection(renderUser(user, ctx.connection.groups), parseProjection(params)));
}

export function createUser(ctx: ScimContext, body: JsonValue | undefined): ScimOutcome {
  if (!isJsonObject(body)) return failed(invalidBody("A POST /Users body must be a JSON object."));
  const normalised = normaliseUserAttributes(body, true);
  if (!normalised.ok) return failed(bodyProblem(normalised.error));
  const attributes = normalised.value;
  const userName = String(attributes["userName"]);
  const { users } = ctx.connection;
  if (users.getByUserName(userName)) return failed(userNameTaken(userName));

  // A retried POST while a LinkUser is pending replaces it: only the newest commitId links.
  const key = userNameKey(userName);
  const previous = users.pendingLinks.get(key);
  if (previous !== undefined) ctx.staged.consume(previous);
  const change = ctx.staged.stage(ctx.connection.connectionId, {
    kind: "LinkUser",
    scimId: randomUUID(),
    userNameKey: key,
    attributes,
  });
  users.pendingLinks.set(key, change.commitId);
  return actionRequired({
    action: "LinkUser",
    commitId: change.commitId,
    userName,
    ...describeUser(ctx, attributes),
    active: attributes["active"] === true,
    ssoUserSubject: userName,
  });
}

export function replaceUser(ctx: ScimContext, id: string, body: JsonValue | undefined): ScimOutcome {
  const user = ctx.connection.users.get(id);
  if (!user) return failed(userNotFound(id));
  if (!isJsonObject(body)) return failed(invalidBody("A PUT /Users body must be a JSON object."));
  // A PUT replaces every attribute; only `active` survives when left out (see user-attributes.ts).
  return updateUser(ctx, user, (current) => {
    const normalised = normaliseUserAttributes(body, current["active"] === true);
    return normalised.ok ? normalised : err(bodyProblem(normalised.error));
  });
}

export function patchUser(ctx: ScimContext, id: string, body: JsonValue | undefined): ScimOutcome {
  const user = ctx.connection.users.get(id);
  if (!user) return failed(userNotFound(id));
  const operations = parsePatchRequest(body);
  if (!operations.ok) return failed(operations.error);
  return updateUser(ctx, user, (current) => {
    const patched = applyUserPatch(current, operations.value);
    if (!patched.ok) return patched;
    const normalised = normaliseUserAttributes(patched.value, current["active"] === true);
    return normalised.ok ? normalised : err(patchProblem(normalised.error));
  });
}

/** Another user on the connection already holding this userName, as a 409 failure. */
export function userNameConflict(ctx: Pick<ScimContext, "connection">, user: StoredUser, next: JsonObject): ScimFailure | undefined {
  const userName = String(next["userName"]);
  const holder = ctx.connection.users.getByUserName(userName);
  return holder && holder !== user ? userNameTaken(userName) : undefined;
}

/**
 * Shared by PUT and PATCH. `computeNext` is kept with a staged Disable/Enable so the commit
 * re-applies the IdP's request to the attributes as they are then.
 */
function updateUser(
  ctx: ScimContext,
  user: StoredUser,
  computeNext: (current: JsonObject) => Result<JsonObject, ScimFailure>,
): ScimOutcome {
  const next = computeNext(user.attributes);
  if (!next.ok) return failed(next.error);
  const conflict = userNameConflict(ctx, user, next.value);
  if (conflict) return failed(conflict);

  const wasActive = user.attributes["active"] === true;
  const willBeActive = next.value["active"] === true;
  if (wasActive !== willBeActive) {
    const action = willBeActive ? "EnableUser" : "DisableUser";
    const announced = describeUser(ctx, next.value);
    const change = ctx.staged.stage(ctx.connection.connectionId, {
      kind: "UpdateUser",
      action,
      scimId: user.id,
      reapply: computeNext,
      announced,
    });
    return actionRequired({ action, commitId: change.commitId, userId: user.userId, ...announced });
  }

  if (jsonEqual(user.attributes, next.value)) return completed(200, renderUser(user, ctx.connection.groups));
  ctx.connection.users.update(user, next.value, ctx.nowIso());
  return completed(200, renderUser(user, ctx.connection.groups), [user.userId]);
}

export function deleteUser(ctx: ScimContext, id: string): ScimOutcome {
  const user = ctx.connection.users.get(id);
  if (!user) return failed(userNotFound(id));
  const change = ctx.staged.stage(ctx.connection.connectionId, { kind: "DeleteUser", scimId: user.id });
  return actionRequired({
    action: "DeleteUser",
    commitId: change.commitId,
    userId: user.userId,
    ...describeUser(ctx, user.attributes),
  });
}

/** Removes a user and every group membership it has (used when a DeleteUser is committed). */
export function removeUserEverywhere(ctx: Pick<ScimContext, "connection" | "nowIso">, user: StoredUser): void {
  const { users, groups } = ctx.connection;
  for (const groupId of user.groupIds) {
    const group = groups.get(groupId);
    if (!group) continue;
    group.members.delete(user.id);
    group.lastModified = ctx.nowIso();
    group.version += 1;
  }
  user.groupIds.clear();
  users.remove(user);
}

