/**
 * The `/Groups` endpoints. Groups never need an app action (the four actions are user-level,
 * byo-contract §4.2), so every request completes at once and tells the app who is affected:
 * membership changes → the linked app ids of the members added or removed; a change of
 * `displayName` or `externalId` (what `GetScimUser` shows per group), or a delete → every member.
 *
 * Member operations are applied through `MemberDelta`, so a PATCH costs O(members it names) even
 * on a large group. PATCH answers 204 unless the IdP asked for `attributes` (RFC 7644 §3.5.2), so
 * a one-member change never renders a 10,000-member group. A PUT without `members` keeps the
 * current members (RFC 7644 §3.5.1 allows either; mass removal by omission is the riskier reading).
 */
import { randomUUID } from "node:crypto";
import type { ScimGroupMembershipResponse } from "@propelauth/byo-node";
import { parse as parseFilterSyntax, type Filter } from "scim2-parse-filter";
import { cloneJson, findKeyCaseInsensitive, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from "./json.ts";
import { err, ok, type Result } from "./result.ts";
import { groupDisplayName, groupExternalId, type StoredGroup } from "./group-store.ts";
import { pageOf, parseListQuery, parseProjection } from "./list-query.ts";
import { applyAttributeOperations, parsePatchRequest, topLevelAttribute, type PatchOperation } from "./patch-ops.ts";
import {
  cantRemoveRequiredField,
  groupNotFound,
  invalidBody,
  invalidPatchPath,
  invalidPatchValue,
  missingRequiredField,
  type ScimFailure,
} from "./scim-errors.ts";
import { filterReads, matchesFilter, narrowingEquality } from "./scim-filter.ts";
import { completed, failed, type ScimContext, type ScimOutcome } from "./scim-outcome.ts";
import { applyProjection, GROUP_SCHEMA, listResponse, projectionKeeps, renderGroup } from "./scim-resources.ts";

/** Group attributes the stand-in owns, or keeps apart from `attributes`. */
const SERVER_MANAGED_GROUP_ATTRIBUTES: ReadonlySet<string> = new Set(["id", "meta", "schemas", "members"]);
const CANONICAL_GROUP_ATTRIBUTES = new Map<string, string>(
  ["id", "meta", "schemas", "members", "displayName", "externalId"].map((name) => [name.toLowerCase(), name]),
);

const CORE_GROUP_PREFIX = `${GROUP_SCHEMA.toLowerCase()}:`;

function canonicalGroupAttribute(name: string): string {
  return CANONICAL_GROUP_ATTRIBUTES.get(name.toLowerCase()) ?? name;
}

/** Membership changes accumulated over one request against the group's current member set. */
class MemberDelta {
  private readonly base: ReadonlySet<string>;
  private cleared = false;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(base: ReadonlySet<string>) {
    this.base = base;
  }

  has(id: string): boolean {
    return this.added.has(id) || (!this.cleared && this.base.has(id) && !this.removed.has(id));
  }

  add(id: string): void {
    if (this.has(id)) return;
    if (!this.cleared && this.base.has(id)) this.removed.delete(id);
    else this.added.add(id);
  }

  remove(id: string): void {
    if (!this.has(id)) return;
    if (this.added.has(id)) this.added.delete(id);
    else this.removed.add(id);
  }

  /** Drops every member (a `replace` of `members`, or a `remove` of `members` without a value). */
  clear(): void {
    this.cleared = true;
    this.added.clear();
    this.removed.clear();
  }

  /** The net change against the base set. */
  diff(): { added: string[]; removed: string[] } {
    const added = [...this.added].filter((id) => !this.base.has(id));
    const removed = this.cleared ? [...this.base].filter((id) => !this.added.has(id)) : [...this.removed];
    return { added, removed };
  }
}

/** The SCIM user ids in a `members` value: `[{ "value": "<id>" }, ...]` (a single object is accepted too). */
function memberIdsOf(value: JsonValue | undefined, onError: (detail: string) => ScimFailure): Result<string[], ScimFailure> {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const ids: string[] = [];
  for (const item of items) {
    const id = isJsonObject(item) ? item[findKeyCaseInsensitive(item, "value") ?? "value"] : undefined;
    if (typeof id !== "string" || id === "") return err(onError("Each member must be an object with a string value."));
    ids.push(id);
  }
  return ok(ids);
}

/** Checks that every id is a linked user on this connection (nested groups are not supported). */
function requireKnownUsers(
  ctx: ScimContext,
  ids: readonly string[],
  onError: (detail: string) => ScimFailure,
): ScimFailure | undefined {
  const unknown = ids.find((id) => !ctx.connection.users.get(id));
  return unknown === undefined ? undefined : onError(`Member ${unknown} is not a user on this connection.`);
}

interface GroupBody {
  readonly attributes: JsonObject;
  /** Absent when the body had no `members`. */
  readonly memberIds?: string[];
}

/** Reads a POST/PUT body into attributes and (when present) member ids. */
function readGroupBody(ctx: ScimContext, body: JsonValue | undefined): Result<GroupBody, ScimFailure> {
  if (!isJsonObject(body)) return err(invalidBody("A /Groups body must be a JSON object."));
  const attributes: JsonObject = {};
  let rawMembers: JsonValue | undefined;
  for (const [key, value] of Object.entries(body)) {
    const name = canonicalGroupAttribute(key);
    if (name === "members") rawMembers = value;
    else if (!SERVER_MANAGED_GROUP_ATTRIBUTES.has(name) && value !== undefined) attributes[name] = cloneJson(value);
  }
  const displayName = attributes["displayName"];
  if (displayName === undefined || displayName === null || displayName === "") return err(missingRequiredField("displayName"));
  if (typeof displayName !== "string") return err(invalidBody("displayName must be a string.", "invalidValue"));
  if (rawMembers === undefined) return ok({ attributes });

  const bodyError = (detail: string): ScimFailure => invalidBody(detail, "invalidValue");
  const memberIds = memberIdsOf(rawMembers, bodyError);
  if (!memberIds.ok) return memberIds;
  const unknown = requireKnownUsers(ctx, memberIds.value, bodyError);
  if (unknown) return err(unknown);
  return ok({ attributes, memberIds: [...new Set(memberIds.value)] });
}

function appUserIds(ctx: ScimContext, scimIds: Iterable<string>): string[] {
  const ids: string[] = [];
  for (const scimId of scimIds) {
    const user = ctx.connection.users.get(scimId);
    if (user) ids.push(user.userId);
  }
  return ids;
}

/** Applies a membership diff to the group and to each user's `groupIds`. */
function applyMembership(ctx: ScimContext, group: StoredGroup, diff: { added: readonly string[]; removed: readonly string[] }): void {
  for (const id of diff.removed) {
    group.members.delete(id);
    ctx.connection.users.get(id)?.groupIds.delete(group.id);
  }
  for (const id of diff.added) {
    group.members.add(id);
    ctx.connection.users.get(id)?.groupIds.add(group.id);
  }
}

function identityOf(attributes: JsonObject): [JsonValue | undefined, JsonValue | undefined] {
  return [attributes["displayName"], attributes["externalId"]];
}

export function listGroups(ctx: ScimContext, params: URLSearchParams): ScimOutcome {
  const query = parseListQuery(params);
  if (!query.ok) return failed(query.error);
  const { users, groups } = ctx.connection;
  const { filter } = query.value;
  const includeMembers = projectionKeeps(query.value, "members");

  let matches: Iterable<StoredGroup>;
  let totalResults: number;
  if (filter) {
    const renderMembers = filterReads(filter, "members");
    const equality = narrowingEquality(filter);
    const candidates =
      equality?.path === "id" ? [groups.get(equality.value)].filter((group) => group !== undefined) : [...groups.values()];
    const filtered = candidates.filter((group) =>
      matchesFilter(renderGroup(group, users, { includeMembers: renderMembers }), filter),
    );
    matches = filtered;
    totalResults = filtered.length;
  } else {
    matches = groups.values();
    totalResults = groups.size;
  }
  const resources = pageOf(matches, query.value).map((group) =>
    applyProjection(renderGroup(group, users, { includeMembers }), query.value),
  );
  return completed(200, listResponse(resources, totalResults, query.value.startIndex));
}

export function getGroup(ctx: ScimContext, id: string, params: URLSearchParams): ScimOutcome {
  const group = ctx.connection.groups.get(id);
  if (!group) return failed(groupNotFound(id));
  const projection = parseProjection(params);
  const resource = renderGroup(group, ctx.connection.users, { includeMembers: projectionKeeps(projection, "members") });
  return completed(200, applyProjection(resource, projection));
}

export function createGroup(ctx: ScimContext, body: JsonValue | undefined): ScimOutcome {
  const read = readGroupBody(ctx, body);
  if (!read.ok) return failed(read.error);
  const now = ctx.nowIso();
  const group: StoredGroup = {
    id: randomUUID(),
    attributes: read.value.attributes,
    members: new Set(),
    created: now,
    lastModified: now,
    version: 1,
  };
  ctx.connection.groups.insert(group);
  const added = read.value.memberIds ?? [];
  applyMembership(ctx, group, { added, removed: [] });
  return completed(201, renderGroup(group, ctx.connection.users, { includeMembers: true }), appUserIds(ctx, added));
}

export function replaceGroup(ctx: ScimContext, id: string, body: JsonValue | undefined): ScimOutcome {
  const group = ctx.connection.groups.get(id);
  if (!group) return failed(groupNotFound(id));
  const read = readGroupBody(ctx, body);
  if (!read.ok) return failed(read.error);

  const delta = new MemberDelta(group.members);
  if (read.value.memberIds) {
    delta.clear();
    for (const memberId of read.value.memberIds) delta.add(memberId);
  }
  return commitGroupChange(ctx, group, read.value.attributes, delta.diff(), () =>
    completed(200, renderGroup(group, ctx.connection.users, { includeMembers: true })),
  );
}

export function patchGroup(ctx: ScimContext, id: string, body: JsonValue | undefined, params: URLSearchParams): ScimOutcome {
  const group = ctx.connection.groups.get(id);
  if (!group) return failed(groupNotFound(id));
  const operations = parsePatchRequest(body);
  if (!operations.ok) return failed(operations.error);

  const delta = new MemberDelta(group.members);
  const attributeOperations: PatchOperation[] = [];
  for (const operation of operations.value) {
    const handled =
      operation.path === undefined
        ? splitPathlessOperation(ctx, operation, delta, attributeOperations)
        : applyPathOperation(ctx, operation, operation.path, delta, attributeOperations);
    if (handled) return failed(handled);
  }

  let attributes = group.attributes;
  if (attributeOperations.length > 0) {
    const patched = applyAttributeOperations(group.attributes, attributeOperations, GROUP_SCHEMA);
    if (!patched.ok) return failed(patched.error);
    attributes = patched.value;
    const displayName = attributes["displayName"];
    if (displayName === undefined || displayName === null || displayName === "") return failed(cantRemoveRequiredField("displayName"));
    if (typeof displayName !== "string") return failed(invalidPatchValue("displayName", "displayName must be a string."));
  }

  const projection = parseProjection(params);
  return commitGroupChange(ctx, group, attributes, delta.diff(), () => {
    // RFC 7644 §3.5.2: 204 is allowed, but 200 with the resource is required when `attributes` is given.
    if (!projection.attributes) return completed(204);
    const includeMembers = projectionKeeps(projection, "members");
    return completed(200, applyProjection(renderGroup(group, ctx.connection.users, { includeMembers }), projection));
  });
}

/** Okta sends `{"op":"replace","value":{"id":"…","displayName":"…"}}` and may put `members` in the value. */
function splitPathlessOperation(
  ctx: ScimContext,
  operation: PatchOperation,
  delta: MemberDelta,
  attributeOperations: PatchOperation[],
): ScimFailure | undefined {
  if (!isJsonObject(operation.value)) return undefined;
  const value: JsonObject = {};
  for (const [key, item] of Object.entries(operation.value)) {
    const name = canonicalGroupAttribute(key);
    if (name === "members") {
      const problem = changeMembers(ctx, operation.op === "replace" ? "replace" : "add", item, delta);
      if (problem) return problem;
    } else if (!SERVER_MANAGED_GROUP_ATTRIBUTES.has(name)) {
      value[name] = item;
    }
  }
  if (Object.keys(value).length > 0) attributeOperations.push({ op: operation.op, value });
  return undefined;
}

function applyPathOperation(
  ctx: ScimContext,
  operation: PatchOperation,
  rawPath: string,
  delta: MemberDelta,
  attributeOperations: PatchOperation[],
): ScimFailure | undefined {
  // RFC 7644 §3.10 allows core attributes fully qualified: "urn:...:core:2.0:Group:displayName".
  const path = rawPath.toLowerCase().startsWith(CORE_GROUP_PREFIX) ? rawPath.slice(CORE_GROUP_PREFIX.length) : rawPath;
  const top = canonicalGroupAttribute(topLevelAttribute(path));
  if (top !== "members") {
    if (SERVER_MANAGED_GROUP_ATTRIBUTES.has(top)) return invalidPatchPath(`${top} is read-only.`);
    attributeOperations.push({ ...operation, path: path.startsWith("urn:") ? path : top + path.slice(topLevelAttribute(path).length) });
    return undefined;
  }
  if (path.toLowerCase() === "members") return changeMembers(ctx, operation.op, operation.value, delta);

  // Entra: {"op":"Remove","path":"members[value eq \"<id>\"]"}
  const filterMatch = /^members\[(.+)\]$/i.exec(path);
  if (!filterMatch?.[1] || operation.op !== "remove") {
    return invalidPatchPath(`Unsupported members path ${JSON.stringify(path)}; use "members" or remove "members[value eq \\"id\\"]".`);
  }
  const ids = memberIdsInFilter(parseFilterSyntax(filterMatch[1]));
  if (!ids) return invalidPatchPath('Only members[value eq "<id>"] filters (optionally joined by or) are supported.');
  for (const memberId of ids) delta.remove(memberId);
  return undefined;
}

/** The ids named by `value eq "a" or value eq "b"`, or undefined for any other filter. */
function memberIdsInFilter(filter: Filter): string[] | undefined {
  if (filter.op === "or" && "filters" in filter) {
    const ids: string[] = [];
    for (const child of filter.filters) {
      const childIds = memberIdsInFilter(child);
      if (!childIds) return undefined;
      ids.push(...childIds);
    }
    return ids;
  }
  if (filter.op === "eq" && "compValue" in filter && filter.attrPath.toLowerCase() === "value" && typeof filter.compValue === "string") {
    return [filter.compValue];
  }
  return undefined;
}

function changeMembers(
  ctx: ScimContext,
  op: PatchOperation["op"],
  value: JsonValue | undefined,
  delta: MemberDelta,
): ScimFailure | undefined {
  const patchError = (detail: string): ScimFailure => invalidPatchValue("members", detail);
  if (op === "remove" && value === undefined) {
    delta.clear();
    return undefined;
  }
  const ids = memberIdsOf(value, patchError);
  if (!ids.ok) return ids.error;
  if (op === "remove") {
    for (const memberId of ids.value) delta.remove(memberId);
    return undefined;
  }
  const unknown = requireKnownUsers(ctx, ids.value, patchError);
  if (unknown) return unknown;
  if (op === "replace") delta.clear();
  for (const memberId of ids.value) delta.add(memberId);
  return undefined;
}

/** Stores new attributes and a membership diff, bumping the version only when something changed. */
function commitGroupChange(
  ctx: ScimContext,
  group: StoredGroup,
  attributes: JsonObject,
  diff: { added: string[]; removed: string[] },
  respond: () => ScimOutcome,
): ScimOutcome {
  const attributesChanged = !jsonEqual(group.attributes, attributes);
  const identityChanged = !jsonEqual(identityOf(group.attributes), identityOf(attributes));
  const membersChanged = diff.added.length > 0 || diff.removed.length > 0;
  if (!attributesChanged && !membersChanged) return respond();

  group.attributes = attributes;
  applyMembership(ctx, group, diff);
  group.lastModified = ctx.nowIso();
  group.version += 1;
  // A rename changes the groups list `GetScimUser` shows for every member (and for removed ones).
  const affected = identityChanged ? [...group.members, ...diff.removed] : [...diff.added, ...diff.removed];
  const outcome = respond();
  if (outcome.kind !== "completed") return outcome;
  return completed(outcome.httpCode, outcome.data, appUserIds(ctx, affected));
}

export function deleteGroup(ctx: ScimContext, id: string): ScimOutcome {
  const group = ctx.connection.groups.get(id);
  if (!group) return failed(groupNotFound(id));
  const affected = appUserIds(ctx, group.members);
  for (const memberId of group.members) ctx.connection.users.get(memberId)?.groupIds.delete(group.id);
  ctx.connection.groups.remove(group);
  return completed(204, undefined, affected);
}

/** For GetScimUser: the groups of a user as `{ groupId, displayName, externalId? }`. */
export function groupMembershipsOf(
  ctx: Pick<ScimContext, "connection">,
  groupIds: Iterable<string>,
): ScimGroupMembershipResponse[] {
  const memberships: ScimGroupMembershipResponse[] = [];
  for (const groupId of groupIds) {
    const group = ctx.connection.groups.get(groupId);
    if (!group) continue;
    const externalId = groupExternalId(group);
    memberships.push({ groupId: group.id, displayName: groupDisplayName(group), ...(externalId !== undefined ? { externalId } : {}) });
  }
  return memberships;
}
