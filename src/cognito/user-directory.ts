/**
 * The Cognito admin operations the worker performs, typed. Users are addressed by `sub`, which
 * Admin* calls accept in both sign-in designs (platform-notes A4) and which never changes.
 */
import * as z from "zod";
import { fail, ok, type Result } from "../result";
import type { CognitoClient, CognitoFailure } from "./cognito-client";
import { regionOfUserPool } from "./user-pool-id";

export interface CognitoAttribute {
  readonly Name: string;
  readonly Value: string;
}

export interface CognitoUser {
  /** The stored username: a UUID equal to `sub` in email-as-username pools. */
  readonly username: string;
  readonly sub: string;
  readonly enabled: boolean;
  readonly status: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** How a pool identifies users; fixed when the pool is created, so cached for good. */
export interface PoolSignInDesign {
  readonly usernameAttributes: readonly string[];
  readonly aliasAttributes: readonly string[];
}

export type UserGone = "done" | "missing";

/** One page of a paginated list; `nextToken` is absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

export interface CognitoGroup {
  readonly name: string;
  readonly description: string | undefined;
}

/** The source side of AdminLinkProviderForUser: an identity of a SAML/OIDC provider of the pool. */
export interface FederatedIdentity {
  /** The identity provider's name in the pool. */
  readonly providerName: string;
  /** Its subject (SAML NameID / OIDC `sub`), matched through `Cognito_Subject`. */
  readonly subject: string;
}

/** What the admin API checks of a pool's app client (DescribeUserPoolClient). */
export interface UserPoolClientAccess {
  readonly clientId: string;
  readonly clientName: string | undefined;
  /**
   * The attributes the client lets signed-in users write to their own profile; `undefined` when
   * the client sets none (Cognito then grants its default write access, returned as no list).
   */
  readonly writeAttributes: readonly string[] | undefined;
}

/** Cognito's page-size ceiling for ListUserPools, ListGroups and AdminListGroupsForUser. */
export const COGNITO_MAX_PAGE_SIZE = 60;

export interface UserDirectory {
  describeSignInDesign(userPoolId: string): Promise<Result<PoolSignInDesign, CognitoFailure>>;
  createUser(userPoolId: string, username: string, attributes: readonly CognitoAttribute[], sendInvite: boolean): Promise<Result<CognitoUser, CognitoFailure>>;
  /** `null` when no such user exists. */
  getUser(userPoolId: string, username: string): Promise<Result<CognitoUser | null, CognitoFailure>>;
  disableUser(userPoolId: string, username: string): Promise<Result<UserGone, CognitoFailure>>;
  enableUser(userPoolId: string, username: string): Promise<Result<UserGone, CognitoFailure>>;
  deleteUser(userPoolId: string, username: string): Promise<Result<UserGone, CognitoFailure>>;
  signOutEverywhere(userPoolId: string, username: string): Promise<Result<UserGone, CognitoFailure>>;
  updateAttributes(userPoolId: string, username: string, attributes: readonly CognitoAttribute[]): Promise<Result<UserGone, CognitoFailure>>;

  /** The user's groups, one page (all groups, not only ours: callers filter by prefix). */
  listGroupsForUser(userPoolId: string, username: string, nextToken?: string): Promise<Result<Page<string> | null, CognitoFailure>>;
  /** `missing_group` lets the caller create the group and try again. */
  addUserToGroup(userPoolId: string, username: string, groupName: string): Promise<Result<"done" | "missing_user" | "missing_group", CognitoFailure>>;
  /** A missing user or group is the desired state. */
  removeUserFromGroup(userPoolId: string, username: string, groupName: string): Promise<Result<UserGone, CognitoFailure>>;
  createGroup(userPoolId: string, groupName: string, description: string): Promise<Result<"created" | "exists", CognitoFailure>>;
  deleteGroup(userPoolId: string, groupName: string): Promise<Result<UserGone, CognitoFailure>>;
  listGroups(userPoolId: string, nextToken?: string): Promise<Result<Page<CognitoGroup>, CognitoFailure>>;

  /** Links an external identity to the native user whose *stored* username is given (platform-notes A8). */
  linkProviderForUser(userPoolId: string, destinationUsername: string, source: FederatedIdentity): Promise<Result<"done", CognitoFailure>>;

  /** The pools of one region (pool discovery). */
  listUserPools(region: string, nextToken?: string): Promise<Result<Page<string>, CognitoFailure>>;
  listTagsForResource(region: string, resourceArn: string): Promise<Result<Readonly<Record<string, string>>, CognitoFailure>>;

  /** The pool's app client ids, one page (`MaxResults` 60). */
  listUserPoolClients(userPoolId: string, nextToken?: string): Promise<Result<Page<string>, CognitoFailure>>;
  describeUserPoolClient(userPoolId: string, clientId: string): Promise<Result<UserPoolClientAccess, CognitoFailure>>;
}

const groupListSchema = z.object({
  Groups: z.array(z.object({ GroupName: z.string(), Description: z.string().optional() })).optional(),
  NextToken: z.string().optional(),
});

const userPoolListSchema = z.object({
  UserPools: z.array(z.object({ Id: z.string() })).optional(),
  NextToken: z.string().optional(),
});

const tagsSchema = z.object({ Tags: z.record(z.string(), z.string()).optional() });

const isRejection = (failure: CognitoFailure, errorType: string): boolean => failure.kind === "rejected" && failure.errorType === errorType;

const attributeList = z.array(z.object({ Name: z.string(), Value: z.string().optional() })).optional();

const userSchema = z.object({
  Username: z.string(),
  Enabled: z.boolean().optional(),
  UserStatus: z.string().optional(),
});

function toCognitoUser(raw: unknown, attributeKey: "Attributes" | "UserAttributes"): CognitoUser | undefined {
  const user = userSchema.safeParse(raw);
  if (!user.success || raw === null || typeof raw !== "object") return undefined;
  const attrs = attributeList.safeParse((raw as Record<string, unknown>)[attributeKey]);
  const attributes: Record<string, string> = {};
  for (const attribute of attrs.success ? (attrs.data ?? []) : []) {
    if (attribute.Value !== undefined) attributes[attribute.Name] = attribute.Value;
  }
  const sub = attributes["sub"];
  if (sub === undefined) return undefined;
  return {
    username: user.data.Username,
    sub,
    enabled: user.data.Enabled ?? true,
    status: user.data.UserStatus ?? "UNKNOWN",
    attributes,
  };
}

const malformed = (operation: string): CognitoFailure => ({ kind: "unavailable", operation, errorType: "MalformedResponse" });

export function createUserDirectory(cognito: CognitoClient): UserDirectory {
  const call = (operation: string, userPoolId: string, input: Record<string, unknown>) =>
    cognito.call(operation, regionOfUserPool(userPoolId), { UserPoolId: userPoolId, ...input });

  /** Operations with no output where an unknown user is a normal outcome. */
  async function actOnUser(operation: string, userPoolId: string, input: Record<string, unknown>): Promise<Result<UserGone, CognitoFailure>> {
    const answer = await call(operation, userPoolId, input);
    if (answer.ok) return ok("done");
    if (answer.error.kind === "rejected" && answer.error.errorType === "UserNotFoundException") return ok("missing");
    return answer;
  }

  return {
    async describeSignInDesign(userPoolId) {
      const answer = await call("DescribeUserPool", userPoolId, {});
      if (!answer.ok) return answer;
      const pool = z
        .object({
          UserPool: z.object({
            UsernameAttributes: z.array(z.string()).optional(),
            AliasAttributes: z.array(z.string()).optional(),
          }),
        })
        .safeParse(answer.value);
      if (!pool.success) return fail(malformed("DescribeUserPool"));
      return ok({
        usernameAttributes: pool.data.UserPool.UsernameAttributes ?? [],
        aliasAttributes: pool.data.UserPool.AliasAttributes ?? [],
      });
    },

    async createUser(userPoolId, username, attributes, sendInvite) {
      const answer = await call("AdminCreateUser", userPoolId, {
        Username: username,
        UserAttributes: attributes,
        ...(sendInvite ? { DesiredDeliveryMediums: ["EMAIL"] } : { MessageAction: "SUPPRESS" }),
      });
      if (!answer.ok) return answer;
      const user = toCognitoUser(answer.value["User"], "Attributes");
      return user ? ok(user) : fail(malformed("AdminCreateUser"));
    },

    async getUser(userPoolId, username) {
      const answer = await call("AdminGetUser", userPoolId, { Username: username });
      if (!answer.ok) {
        return answer.error.kind === "rejected" && answer.error.errorType === "UserNotFoundException" ? ok(null) : answer;
      }
      const user = toCognitoUser(answer.value, "UserAttributes");
      return user ? ok(user) : fail(malformed("AdminGetUser"));
    },

    disableUser: (userPoolId, username) => actOnUser("AdminDisableUser", userPoolId, { Username: username }),
    enableUser: (userPoolId, username) => actOnUser("AdminEnableUser", userPoolId, { Username: username }),
    deleteUser: (userPoolId, username) => actOnUser("AdminDeleteUser", userPoolId, { Username: username }),
    signOutEverywhere: (userPoolId, username) => actOnUser("AdminUserGlobalSignOut", userPoolId, { Username: username }),
    updateAttributes: (userPoolId, username, attributes) =>
      actOnUser("AdminUpdateUserAttributes", userPoolId, { Username: username, UserAttributes: attributes }),

    async listGroupsForUser(userPoolId, username, nextToken) {
      const answer = await call("AdminListGroupsForUser", userPoolId, {
        Username: username,
        Limit: COGNITO_MAX_PAGE_SIZE,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      if (!answer.ok) return isRejection(answer.error, "UserNotFoundException") ? ok(null) : answer;
      const page = groupListSchema.safeParse(answer.value);
      if (!page.success) return fail(malformed("AdminListGroupsForUser"));
      return ok({ items: (page.data.Groups ?? []).map((g) => g.GroupName), nextToken: page.data.NextToken || undefined });
    },

    async addUserToGroup(userPoolId, username, groupName) {
      const answer = await call("AdminAddUserToGroup", userPoolId, { Username: username, GroupName: groupName });
      if (answer.ok) return ok("done");
      if (isRejection(answer.error, "UserNotFoundException")) return ok("missing_user");
      // The pool exists (the user was just read from it), so this is the group.
      if (isRejection(answer.error, "ResourceNotFoundException")) return ok("missing_group");
      return answer;
    },

    async removeUserFromGroup(userPoolId, username, groupName) {
      const answer = await call("AdminRemoveUserFromGroup", userPoolId, { Username: username, GroupName: groupName });
      if (answer.ok) return ok("done");
      if (isRejection(answer.error, "UserNotFoundException") || isRejection(answer.error, "ResourceNotFoundException")) return ok("missing");
      return answer;
    },

    async createGroup(userPoolId, groupName, description) {
      const answer = await call("CreateGroup", userPoolId, { GroupName: groupName, Description: description });
      if (answer.ok) return ok("created");
      return isRejection(answer.error, "GroupExistsException") ? ok("exists") : answer;
    },

    async deleteGroup(userPoolId, groupName) {
      const answer = await call("DeleteGroup", userPoolId, { GroupName: groupName });
      if (answer.ok) return ok("done");
      return isRejection(answer.error, "ResourceNotFoundException") ? ok("missing") : answer;
    },

    async listGroups(userPoolId, nextToken) {
      const answer = await call("ListGroups", userPoolId, { Limit: COGNITO_MAX_PAGE_SIZE, ...(nextToken === undefined ? {} : { NextToken: nextToken }) });
      if (!answer.ok) return answer;
      const page = groupListSchema.safeParse(answer.value);
      if (!page.success) return fail(malformed("ListGroups"));
      return ok({
        items: (page.data.Groups ?? []).map((g) => ({ name: g.GroupName, description: g.Description })),
        nextToken: page.data.NextToken || undefined,
      });
    },

    async linkProviderForUser(userPoolId, destinationUsername, source) {
      const answer = await call("AdminLinkProviderForUser", userPoolId, {
        DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: destinationUsername },
        SourceUser: { ProviderName: source.providerName, ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: source.subject },
      });
      return answer.ok ? ok("done") : answer;
    },

    async listUserPools(region, nextToken) {
      const answer = await cognito.call("ListUserPools", region, {
        MaxResults: COGNITO_MAX_PAGE_SIZE,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      if (!answer.ok) return answer;
      const page = userPoolListSchema.safeParse(answer.value);
      if (!page.success) return fail(malformed("ListUserPools"));
      return ok({ items: (page.data.UserPools ?? []).map((p) => p.Id), nextToken: page.data.NextToken || undefined });
    },

    async listTagsForResource(region, resourceArn) {
      const answer = await cognito.call("ListTagsForResource", region, { ResourceArn: resourceArn });
      if (!answer.ok) return answer;
      const tags = tagsSchema.safeParse(answer.value);
      return tags.success ? ok(tags.data.Tags ?? {}) : fail(malformed("ListTagsForResource"));
    },

    async listUserPoolClients(userPoolId, nextToken) {
      const answer = await call("ListUserPoolClients", userPoolId, {
        MaxResults: COGNITO_MAX_PAGE_SIZE,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      if (!answer.ok) return answer;
      const page = z
        .object({ UserPoolClients: z.array(z.object({ ClientId: z.string() })).optional(), NextToken: z.string().optional() })
        .safeParse(answer.value);
      if (!page.success) return fail(malformed("ListUserPoolClients"));
      return ok({ items: (page.data.UserPoolClients ?? []).map((c) => c.ClientId), nextToken: page.data.NextToken || undefined });
    },

    async describeUserPoolClient(userPoolId, clientId) {
      const answer = await call("DescribeUserPoolClient", userPoolId, { ClientId: clientId });
      if (!answer.ok) return answer;
      const described = z
        .object({
          UserPoolClient: z.object({ ClientId: z.string(), ClientName: z.string().optional(), WriteAttributes: z.array(z.string()).optional() }),
        })
        .safeParse(answer.value);
      if (!described.success) return fail(malformed("DescribeUserPoolClient"));
      const client = described.data.UserPoolClient;
      return ok({ clientId: client.ClientId, clientName: client.ClientName, writeAttributes: client.WriteAttributes });
    },
  };
}

/**
 * Whether the user's `identities` attribute (a JSON list Cognito keeps on users with linked
 * external identities) already holds this identity.
 */
export function hasLinkedIdentity(attributes: Readonly<Record<string, string>>, source: FederatedIdentity): boolean {
  const raw = attributes["identities"];
  if (raw === undefined || raw === "") return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  const identities = z.array(z.object({ providerName: z.string(), userId: z.string() }).passthrough()).safeParse(parsed);
  return identities.success && identities.data.some((i) => i.providerName === source.providerName && i.userId === source.subject);
}
