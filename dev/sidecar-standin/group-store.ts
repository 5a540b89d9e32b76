/**
 * Per-connection store of SCIM groups. Membership is a `Set` of SCIM user ids on the group,
 * mirrored by `StoredUser.groupIds`, so adding or removing one member is O(1) and a PATCH costs
 * O(members it changes), not O(group size).
 */
import type { JsonObject } from "./json.ts";

export interface StoredGroup {
  readonly id: string;
  /** `displayName`, `externalId` and any other attributes the IdP sent, minus `members` and server-managed ones. */
  attributes: JsonObject;
  /** SCIM ids of member users, in the order they were added. */
  readonly members: Set<string>;
  readonly created: string;
  lastModified: string;
  version: number;
}

export interface GroupStore {
  readonly size: number;
  get(id: string): StoredGroup | undefined;
  values(): IterableIterator<StoredGroup>;
  insert(group: StoredGroup): void;
  remove(group: StoredGroup): void;
}

export function createGroupStore(): GroupStore {
  const byId = new Map<string, StoredGroup>();
  return {
    get size() {
      return byId.size;
    },
    get: (id) => byId.get(id),
    values: () => byId.values(),
    insert: (group) => void byId.set(group.id, group),
    remove: (group) => void byId.delete(group.id),
  };
}

/** A group's `displayName` (always a non-empty string once stored). */
export function groupDisplayName(group: StoredGroup): string {
  const displayName = group.attributes["displayName"];
  return typeof displayName === "string" ? displayName : "";
}

/** A group's `externalId`, when it has a string one. */
export function groupExternalId(group: StoredGroup): string | undefined {
  const externalId = group.attributes["externalId"];
  return typeof externalId === "string" ? externalId : undefined;
}
