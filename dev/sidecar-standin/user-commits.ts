/**
 * `LinkScimUser` and `CommitScimUserChange`: the app's answer to an `ActionRequired`.
 *
 * byo-contract §10.5: each commitId works once, and not after the TTL; both misses are
 * `StagedChangeNotFound` (for LinkScimUser too, although its declared error union lacks it).
 * An unknown `connectionId` is `ScimConnectionNotFound`; a commitId staged on another connection
 * is `StagedChangeNotFound`. Neither consumes the change. A commitId used with the wrong command
 * is refused as an `UnexpectedError` saying which command to use, also without consuming it.
 */
import type { CompletedScimRequestResponse } from "@propelauth/byo-node";
import { commandError, success, unexpectedError, type CommandReply } from "./command-reply.ts";
import { commitScimUserChangeData, describeIssues, linkScimUserData } from "./command-schemas.ts";
import { jsonEqual } from "./json.ts";
import { renderUser } from "./scim-resources.ts";
import type { ScimContext } from "./scim-outcome.ts";
import { describeUser, removeUserEverywhere, userNameConflict } from "./scim-users.ts";
import { nowIso, type StandinState } from "./standin-state.ts";
import type { StagedChange } from "./staged-changes.ts";
import type { StoredUser } from "./user-store.ts";

const stagedChangeNotFound = (): CommandReply => commandError({ type: "StagedChangeNotFound" });

/** The connection and its live staged change, or the command error to answer with. */
function findStaged(
  state: StandinState,
  connectionId: string,
  commitId: string,
): { ctx: ScimContext; change: StagedChange } | CommandReply {
  const connection = state.registry.get(connectionId);
  if (!connection) return commandError({ type: "ScimConnectionNotFound" });
  const found = state.staged.find(commitId, connectionId);
  if (!found.ok) return stagedChangeNotFound();
  return { ctx: { connection, staged: state.staged, nowIso: () => nowIso(state) }, change: found.value };
}

export function linkScimUser(state: StandinState, data: unknown): CommandReply {
  const parsed = linkScimUserData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const { connectionId, commitId, userId } = parsed.data;
  const found = findStaged(state, connectionId, commitId);
  if ("status" in found) return found;
  const { ctx, change } = found;
  if (change.kind !== "LinkUser") {
    return unexpectedError(`commitId ${commitId} is a ${stagedAction(change)} change; commit it with CommitScimUserChange.`);
  }

  const { users } = ctx.connection;
  const holder = users.getByAppUserId(userId);
  if (holder) {
    return unexpectedError(`userId ${userId} is already linked to SCIM user ${holder.id} on this connection.`);
  }
  const userName = String(change.attributes["userName"]);
  if (users.getByUserName(userName)) {
    state.staged.consume(commitId);
    return unexpectedError(`userName ${JSON.stringify(userName)} was linked to another user after this LinkUser was staged.`);
  }

  const now = ctx.nowIso();
  const user: StoredUser = {
    id: change.scimId,
    userId,
    attributes: change.attributes,
    created: now,
    lastModified: now,
    version: 1,
    groupIds: new Set(),
  };
  users.insert(user);
  state.staged.consume(commitId);
  if (users.pendingLinks.get(change.userNameKey) === commitId) users.pendingLinks.delete(change.userNameKey);
  const response: CompletedScimRequestResponse = {
    connectionId,
    responseHttpCode: 201,
    responseData: renderUser(user, ctx.connection.groups),
  };
  return success(response);
}

function stagedAction(change: StagedChange): string {
  return change.kind === "UpdateUser" ? change.action : change.kind;
}

export function commitScimUserChange(state: StandinState, data: unknown): CommandReply {
  const parsed = commitScimUserChangeData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const { connectionId, commitId } = parsed.data;
  const found = findStaged(state, connectionId, commitId);
  if ("status" in found) return found;
  const { ctx, change } = found;
  if (change.kind === "LinkUser") {
    return unexpectedError(`commitId ${commitId} is a LinkUser change; link it with LinkScimUser.`);
  }

  const { users } = ctx.connection;
  const user = users.get(change.scimId);
  state.staged.consume(commitId);
  // The user was deleted (a DeleteUser committed) after this change was staged.
  if (!user) return stagedChangeNotFound();

  if (change.kind === "DeleteUser") {
    removeUserEverywhere(ctx, user);
    const response: CompletedScimRequestResponse = { connectionId, responseHttpCode: 204 };
    return success(response);
  }

  const next = change.reapply(user.attributes);
  if (!next.ok) return unexpectedError(`The staged ${change.action} no longer applies: ${next.error.detail}`);
  const conflict = userNameConflict(ctx, user, next.value);
  if (conflict) return unexpectedError(`The staged ${change.action} no longer applies: ${conflict.detail}`);
  if (!jsonEqual(user.attributes, next.value)) users.update(user, next.value, ctx.nowIso());

  // The action already carried the post-change primaryEmail and parsedUserData; only report the
  // user as affected if what is stored now differs from what was announced.
  const drifted = !jsonEqual(describeUser(ctx, user.attributes), change.announced);
  const response: CompletedScimRequestResponse = {
    connectionId,
    responseHttpCode: 200,
    responseData: renderUser(user, ctx.connection.groups),
    ...(drifted ? { affectedUserIds: [user.userId] } : {}),
  };
  return success(response);
}
