/**
 * How the stand-in renders its stored users and groups as SCIM resources (RFC 7643 §4), plus the
 * ListResponse envelope and the `attributes` / `excludedAttributes` projection (RFC 7644 §3.9),
 * which it honours for top-level attributes only.
 */
import { findKeyCaseInsensitive, isJsonObject, type JsonObject } from "./json.ts";
import { groupDisplayName, type GroupStore, type StoredGroup } from "./group-store.ts";
import type { StoredUser, UserStore } from "./user-store.ts";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Attributes that are returned whatever `attributes`/`excludedAttributes` say (RFC 7643 §7 `returned: always`). */
const ALWAYS_RETURNED = new Set(["id", "schemas"]);

function meta(resourceType: "User" | "Group", location: string, created: string, lastModified: string, version: number): JsonObject {
  return { resourceType, created, lastModified, location, version: `W/"${version}"` };
}

/** Core schema plus every extension URN the IdP sent as a top-level key. */
function schemasFor(coreSchema: string, attributes: JsonObject): string[] {
  const extensions = Object.keys(attributes).filter((key) => key.startsWith("urn:") && isJsonObject(attributes[key]));
  return [coreSchema, ...extensions];
}

/** What a group member or a user's group entry displays for a user. */
export function userDisplay(user: StoredUser): string {
  const displayName = user.attributes["displayName"];
  return typeof displayName === "string" && displayName !== "" ? displayName : String(user.attributes["userName"]);
}

export function renderUser(user: StoredUser, groups: GroupStore): JsonObject {
  const groupEntries: JsonObject[] = [];
  for (const groupId of user.groupIds) {
    const group = groups.get(groupId);
    if (group) groupEntries.push({ value: group.id, display: groupDisplayName(group) });
  }
  return {
    schemas: schemasFor(USER_SCHEMA, user.attributes),
    id: user.id,
    ...user.attributes,
    groups: groupEntries,
    meta: meta("User", `/Users/${user.id}`, user.created, user.lastModified, user.version),
  };
}

export function renderGroup(group: StoredGroup, users: UserStore, options: { readonly includeMembers: boolean }): JsonObject {
  const resource: JsonObject = {
    schemas: schemasFor(GROUP_SCHEMA, group.attributes),
    id: group.id,
    ...group.attributes,
  };
  if (options.includeMembers) {
    const members: JsonObject[] = [];
    for (const memberId of group.members) {
      const user = users.get(memberId);
      if (user) members.push({ value: user.id, display: userDisplay(user) });
    }
    resource["members"] = members;
  }
  resource["meta"] = meta("Group", `/Groups/${group.id}`, group.created, group.lastModified, group.version);
  return resource;
}

export function listResponse(resources: JsonObject[], totalResults: number, startIndex: number): JsonObject {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** `attributes` / `excludedAttributes` from the query, as lists of attribute paths. */
export interface Projection {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

/** The top-level key an attribute path refers to: `name.givenName` → `name`, `urn:...:User:department` → `urn:...:User`. */
function topLevelName(path: string): string {
  if (path.startsWith("urn:")) {
    const colon = path.lastIndexOf(":");
    return path.slice(0, colon);
  }
  return path.split(".")[0] ?? path;
}

/** Whether a projected resource keeps `attribute` (lets callers skip rendering large attributes such as `members`). */
export function projectionKeeps(projection: Projection, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  if (projection.attributes && projection.attributes.length > 0) {
    return projection.attributes.some((path) => topLevelName(path).toLowerCase() === lower);
  }
  return !(projection.excludedAttributes ?? []).some((path) => path.toLowerCase() === lower);
}

export function applyProjection(resource: JsonObject, projection: Projection): JsonObject {
  if (projection.attributes && projection.attributes.length > 0) {
    const keep = new Set<string>();
    for (const path of projection.attributes) {
      const key = findKeyCaseInsensitive(resource, topLevelName(path)) ?? findKeyCaseInsensitive(resource, path);
      if (key !== undefined) keep.add(key);
    }
    const projected: JsonObject = {};
    for (const [key, value] of Object.entries(resource)) {
      if (ALWAYS_RETURNED.has(key) || keep.has(key)) projected[key] = value;
    }
    return projected;
  }
  if (projection.excludedAttributes && projection.excludedAttributes.length > 0) {
    const projected: JsonObject = { ...resource };
    for (const path of projection.excludedAttributes) {
      if (path.includes(".") && !path.startsWith("urn:")) continue;
      const key = findKeyCaseInsensitive(projected, path);
      if (key !== undefined && !ALWAYS_RETURNED.has(key)) delete projected[key];
    }
    return projected;
  }
  return resource;
}
