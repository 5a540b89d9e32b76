/**
 * The Cognito admin operations the worker performs, typed. Users are addressed by `sub`, which
 * Admin* calls accept in both sign-in designs (platform-notes A4) and which never changes.
 */
import { z } from "zod";
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
}

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
  };
}
