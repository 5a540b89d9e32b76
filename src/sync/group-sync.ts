/**
 * Cognito group membership following the sidecar's groups of a user. Only groups inside the
 * customer's managed prefix (see group-names.ts) are ever added to, removed from, created or
 * deleted; every other group of the pool is left exactly as it is.
 */
import type { CognitoFailure } from "../cognito/cognito-client";
import type { CognitoUser, UserDirectory } from "../cognito/user-directory";
import type { Logger } from "../log";
import { fail, ok, type Result } from "../result";
import type { ScimUserRecord } from "../sidecar/sidecar-schemas";
import { cognitoGroupName, groupDescription, isManaged, type GroupScope } from "./group-names";

export interface GroupSyncContext {
  readonly users: UserDirectory;
  readonly logger: Logger;
  readonly userPoolId: string;
  readonly customerId: string;
  readonly connectionId: string;
  readonly scope: GroupScope;
  readonly deleteRemovedGroups: boolean;
  /**
   * Group creations in flight in this invocation, shared by its concurrently synced users: one
   * CreateGroup per new group, not one per lane. Per invocation, not per isolate, so no promise
   * crosses from one invocation's I/O context to another's.
   */
  readonly creations: Map<string, Promise<Result<"created" | "exists", CognitoFailure>>>;
}

export interface MembershipChange {
  readonly added: number;
  readonly removed: number;
  /** The user vanished from the pool half-way. */
  readonly userMissing: boolean;
}

/**
 * Groups known to exist, per isolate (`<pool>\0<group>`): CreateGroup is called once per group
 * and isolate, not once per member. A group deleted behind our back shows up as
 * `missing_group` on the next add, which forgets it and creates it again.
 */
const knownGroups = new Set<string>();
const KNOWN_GROUPS_CAP = 10_000;

const knownKey = (userPoolId: string, groupName: string) => `${userPoolId}\u0000${groupName}`;

/** Adds and removes memberships so the user's managed groups equal the SCIM groups. */
export async function syncMemberships(
  ctx: GroupSyncContext,
  user: CognitoUser,
  scimGroups: ScimUserRecord["groups"],
): Promise<Result<MembershipChange, CognitoFailure>> {
  const desired = new Map<string, string>();
  for (const group of scimGroups) {
    const name = cognitoGroupName(ctx.scope, group.displayName);
    if (name === null) {
      ctx.logger.log("warn", "sync_group_name_unusable", { customerId: ctx.customerId, groupId: group.groupId });
      continue;
    }
    // Two SCIM groups whose names sanitize alike share one Cognito group (docs/sync.md).
    if (!desired.has(name)) desired.set(name, group.groupId);
  }

  const current = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await ctx.users.listGroupsForUser(ctx.userPoolId, user.username, nextToken);
    if (!page.ok) return page;
    if (page.value === null) return ok({ added: 0, removed: 0, userMissing: true });
    for (const name of page.value.items) if (isManaged(ctx.scope, name)) current.add(name);
    nextToken = page.value.nextToken;
  } while (nextToken !== undefined);

  let added = 0;
  let removed = 0;
  for (const [name, groupId] of desired) {
    if (current.has(name)) continue;
    const joined = await addToGroup(ctx, user, name, groupId);
    if (!joined.ok) return joined;
    if (joined.value === "missing_user") return ok({ added, removed, userMissing: true });
    added += 1;
  }
  for (const name of current) {
    if (desired.has(name)) continue;
    const left = await ctx.users.removeUserFromGroup(ctx.userPoolId, user.username, name);
    if (!left.ok) return left;
    if (left.value === "done") removed += 1;
  }
  return ok({ added, removed, userMissing: false });
}

async function addToGroup(ctx: GroupSyncContext, user: CognitoUser, groupName: string, groupId: string): Promise<Result<"done" | "missing_user", CognitoFailure>> {
  const key = knownKey(ctx.userPoolId, groupName);
  for (let round = 0; round < 2; round++) {
    if (!knownGroups.has(key)) {
      const created = await ensureGroup(ctx, key, groupName, groupId);
      if (!created.ok) return created;
    }
    const added = await ctx.users.addUserToGroup(ctx.userPoolId, user.username, groupName);
    if (!added.ok) return added;
    if (added.value !== "missing_group") return ok(added.value);
    knownGroups.delete(key);
  }
  return fail({ kind: "unavailable", operation: "AdminAddUserToGroup", errorType: "GroupKeepsVanishing" });
}

function ensureGroup(ctx: GroupSyncContext, key: string, groupName: string, groupId: string): Promise<Result<"created" | "exists", CognitoFailure>> {
  let pending = ctx.creations.get(key);
  if (!pending) {
    pending = ctx.users.createGroup(ctx.userPoolId, groupName, groupDescription(ctx.connectionId, groupId)).then((created) => {
      ctx.creations.delete(key);
      if (created.ok) {
        if (created.value === "created") ctx.logger.log("info", "sync_group_created", { customerId: ctx.customerId, userPoolId: ctx.userPoolId, groupName });
        if (knownGroups.size >= KNOWN_GROUPS_CAP) knownGroups.clear();
        knownGroups.add(key);
      }
      return created;
    });
    ctx.creations.set(key, pending);
  }
  return pending;
}

/**
 * Deletes the Cognito groups standing for SCIM groups the IdP deleted: managed groups whose
 * description names this connection and group id (a renamed group's older Cognito groups
 * included). Deleting a Cognito group drops its memberships, so this needs no member list.
 */
export async function deleteScimGroups(ctx: GroupSyncContext, groupIds: readonly string[]): Promise<Result<number, CognitoFailure>> {
  const wanted = new Set(groupIds.map((id) => groupDescription(ctx.connectionId, id)));
  const doomed: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.users.listGroups(ctx.userPoolId, nextToken);
    if (!page.ok) return page;
    for (const group of page.value.items) {
      if (isManaged(ctx.scope, group.name) && group.description !== undefined && wanted.has(group.description)) doomed.push(group.name);
    }
    nextToken = page.value.nextToken;
  } while (nextToken !== undefined);

  let deleted = 0;
  for (const name of doomed) {
    const gone = await ctx.users.deleteGroup(ctx.userPoolId, name);
    if (!gone.ok) return gone;
    knownGroups.delete(knownKey(ctx.userPoolId, name));
    if (gone.value === "done") deleted += 1;
    ctx.logger.log("info", "sync_group_deleted", { customerId: ctx.customerId, userPoolId: ctx.userPoolId, groupName: name });
  }
  return ok(deleted);
}
