/**
 * `GetScimUser` and `GetScimUsers`: the app reading what the stand-in holds about its users, by
 * the app's own `userId`. Paging is 0-based `pageNumber` with `pageSize` 50 by default, at most
 * 100 (larger sizes are clamped). Users come back in the order they were linked.
 */
import type { CompleteScimUserResponse, GetScimUserResponse, GetScimUsersResponse } from "@propelauth/byo-node";
import { commandError, success, unexpectedError, type CommandReply } from "./command-reply.ts";
import { describeIssues, getScimUserData, getScimUsersData } from "./command-schemas.ts";
import type { ScimConnection } from "./connection-registry.ts";
import { groupMembershipsOf } from "./scim-groups.ts";
import { renderUser } from "./scim-resources.ts";
import { describeUser } from "./scim-users.ts";
import type { StandinState } from "./standin-state.ts";
import { primaryEmailOf } from "./user-mapping.ts";
import type { StoredUser } from "./user-store.ts";

/** Page size of GetScimUsers when none is given. */
export const DEFAULT_GET_SCIM_USERS_PAGE_SIZE = 50;
/** Largest page GetScimUsers returns. */
export const MAX_GET_SCIM_USERS_PAGE_SIZE = 100;

const FILTER_FIELDS = ["userName", "externalId", "primaryEmail", "userId"] as const;
type FilterField = (typeof FILTER_FIELDS)[number];

function completeUser(connection: ScimConnection, user: StoredUser): CompleteScimUserResponse {
  const { primaryEmail, parsedUserData } = describeUser({ connection }, user.attributes);
  return {
    connectionId: connection.connectionId,
    scimUser: renderUser(user, connection.groups),
    primaryEmail,
    parsedUserData,
    active: user.attributes["active"] === true,
    userId: user.userId,
  };
}

export function getScimUser(state: StandinState, data: unknown): CommandReply {
  const parsed = getScimUserData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return commandError({ type: "ScimConnectionNotFound" });
  const user = connection.users.getByAppUserId(parsed.data.userId);
  if (!user) return commandError({ type: "UserNotFound" });
  const response: GetScimUserResponse = {
    connectionId: connection.connectionId,
    user: completeUser(connection, user),
    groups: groupMembershipsOf({ connection }, user.groupIds),
  };
  return success(response);
}

function invalidQueryField(field: string, message: string): CommandReply {
  return commandError({ type: "InvalidQueryField", details: { field, message } });
}

export function getScimUsers(state: StandinState, data: unknown): CommandReply {
  const parsed = getScimUsersData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return commandError({ type: "ScimConnectionNotFound" });

  const pageNumber = parsed.data.pageNumber ?? 0;
  if (pageNumber < 0) return invalidQueryField("pageNumber", "pageNumber must be 0 or more");
  const requestedSize = parsed.data.pageSize ?? DEFAULT_GET_SCIM_USERS_PAGE_SIZE;
  if (requestedSize < 1) return invalidQueryField("pageSize", "pageSize must be at least 1");
  const pageSize = Math.min(requestedSize, MAX_GET_SCIM_USERS_PAGE_SIZE);

  let matches: StoredUser[];
  const filter = parsed.data.filter;
  if (filter) {
    const entries = Object.entries(filter);
    const [entry] = entries;
    if (entries.length !== 1 || !entry || !FILTER_FIELDS.includes(entry[0] as FilterField)) {
      return invalidQueryField("filter", `filter must have exactly one of ${FILTER_FIELDS.join(", ")}`);
    }
    const [field, value] = entry;
    if (typeof value !== "string") return invalidQueryField(field, `${field} must be a string`);
    matches = usersMatching(connection, field as FilterField, value);
  } else {
    matches = [...connection.users.values()];
  }

  const start = pageNumber * pageSize;
  const response: GetScimUsersResponse = {
    connectionId: connection.connectionId,
    users: matches.slice(start, start + pageSize).map((user) => completeUser(connection, user)),
    pageNumber,
    pageSize,
    totalResults: matches.length,
  };
  return success(response);
}

/** userName and primaryEmail compare case-insensitively (as SCIM does); externalId and userId exactly. */
function usersMatching(connection: ScimConnection, field: FilterField, value: string): StoredUser[] {
  const { users } = connection;
  switch (field) {
    case "userName": {
      const user = users.getByUserName(value);
      return user ? [user] : [];
    }
    case "userId": {
      const user = users.getByAppUserId(value);
      return user ? [user] : [];
    }
    case "externalId":
      return users.getByExternalId(value);
    case "primaryEmail": {
      const wanted = value.toLowerCase();
      return [...users.values()].filter(
        (user) => primaryEmailOf(user.attributes)?.toLowerCase() === wanted,
      );
    }
  }
}
