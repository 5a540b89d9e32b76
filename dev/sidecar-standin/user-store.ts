/**
 * Per-connection store of linked SCIM users, with the indexes that keep create and `userName eq`
 * lookups O(1) at 10,000 users (by SCIM id, by userName case-insensitively, by the app's userId,
 * by externalId).
 *
 * Only linked users live here: a POSTed user is staged (staged-changes.ts) and enters the store
 * when `LinkScimUser` succeeds, so nothing is visible before the app has accepted it.
 */
import type { JsonObject } from "./json.ts";
import { userNameKey } from "./user-attributes.ts";

export interface StoredUser {
  /** The stand-in's own SCIM id (a random UUID), never the app's `userId` (byo-contract §10.3). */
  readonly id: string;
  /** The app's id for this user, given in `LinkScimUser`. */
  readonly userId: string;
  /** The IdP's attributes after normalisation (user-attributes.ts); `active` is always a boolean. */
  attributes: JsonObject;
  readonly created: string;
  lastModified: string;
  version: number;
  /** Ids of the groups this user belongs to, kept in step with each group's member set. */
  readonly groupIds: Set<string>;
}

export interface UserStore {
  readonly size: number;
  get(id: string): StoredUser | undefined;
  getByUserName(userName: string): StoredUser | undefined;
  getByAppUserId(userId: string): StoredUser | undefined;
  getByExternalId(externalId: string): StoredUser[];
  values(): IterableIterator<StoredUser>;
  insert(user: StoredUser): void;
  /** Replaces a user's attributes, bumping `version` and `lastModified` and keeping the indexes right. */
  update(user: StoredUser, attributes: JsonObject, nowIso: string): void;
  remove(user: StoredUser): void;
  /** userName key → commitId of the LinkUser currently staged for that userName. */
  readonly pendingLinks: Map<string, string>;
}

export function createUserStore(): UserStore {
  const byId = new Map<string, StoredUser>();
  const idByUserName = new Map<string, string>();
  const idByAppUserId = new Map<string, string>();
  const idsByExternalId = new Map<string, Set<string>>();
  const pendingLinks = new Map<string, string>();

  const indexExternalId = (user: StoredUser): void => {
    const externalId = user.attributes["externalId"];
    if (typeof externalId !== "string") return;
    const ids = idsByExternalId.get(externalId) ?? new Set<string>();
    ids.add(user.id);
    idsByExternalId.set(externalId, ids);
  };
  const unindexExternalId = (user: StoredUser): void => {
    const externalId = user.attributes["externalId"];
    if (typeof externalId !== "string") return;
    const ids = idsByExternalId.get(externalId);
    ids?.delete(user.id);
    if (ids?.size === 0) idsByExternalId.delete(externalId);
  };
  const userNameOf = (user: StoredUser): string => String(user.attributes["userName"]);

  return {
    get size() {
      return byId.size;
    },
    get: (id) => byId.get(id),
    getByUserName(userName) {
      const id = idByUserName.get(userNameKey(userName));
      return id === undefined ? undefined : byId.get(id);
    },
    getByAppUserId(userId) {
      const id = idByAppUserId.get(userId);
      return id === undefined ? undefined : byId.get(id);
    },
    getByExternalId(externalId) {
      const ids = idsByExternalId.get(externalId);
      if (!ids) return [];
      return [...ids].map((id) => byId.get(id)).filter((user): user is StoredUser => user !== undefined);
    },
    values: () => byId.values(),
    insert(user) {
      byId.set(user.id, user);
      idByUserName.set(userNameKey(userNameOf(user)), user.id);
      idByAppUserId.set(user.userId, user.id);
      indexExternalId(user);
    },
    update(user, attributes, nowIso) {
      idByUserName.delete(userNameKey(userNameOf(user)));
      unindexExternalId(user);
      user.attributes = attributes;
      user.lastModified = nowIso;
      user.version += 1;
      idByUserName.set(userNameKey(userNameOf(user)), user.id);
      indexExternalId(user);
    },
    remove(user) {
      byId.delete(user.id);
      idByUserName.delete(userNameKey(userNameOf(user)));
      idByAppUserId.delete(user.userId);
      unindexExternalId(user);
    },
    pendingLinks,
  };
}
