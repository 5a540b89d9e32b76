/**
 * The Cognito admin API as the emulator answers it: cognito-local's targets, plus the operations it
 * lacks, plus patches where it answers differently from AWS (each listed in README.md).
 *
 * Added state lives where AWS keeps it when that is possible: linked identities in the user's
 * `identities` attribute, tags in the pool's `UserPoolTags`, so both persist with the pool file.
 * Sign-out times and the attribute name a link was made with are kept in memory only.
 * Every operation runs under one lock: cognito-local does check-then-write across awaits, and so
 * do the patches here, so concurrent calls could otherwise both pass a uniqueness check.
 */
import type {
  ClAttribute,
  ClSchemaAttribute,
  ClUser,
  ClUserPoolOptions,
  ClUserPoolService,
  CognitoLocalCore,
} from "./cognito-local-host.ts";
import type { IndexKind } from "./user-index.ts";

/** An API answer before serialisation (Dates become epoch seconds on the wire). */
export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

/** One AdminUserGlobalSignOut, as recorded by the emulator. */
export interface SignOutRecord {
  userPoolId: string;
  username: string;
  /** ISO time of the latest sign-out. */
  signedOutAt: string;
  /** How many sign-outs were recorded for this user. */
  count: number;
}

/** One identity linked with AdminLinkProviderForUser. */
export interface LinkRecord {
  userPoolId: string;
  /** The destination user's stored username. */
  username: string;
  providerName: string;
  providerAttributeName: string;
  providerAttributeValue: string;
  /** ISO time the link was made. */
  linkedAt: string;
}

export interface CognitoOperations {
  handle(operation: string, body: Record<string, unknown>): Promise<ApiResponse>;
  signOuts(): SignOutRecord[];
  links(): Promise<LinkRecord[]>;
}

/** AWS caps linked identities per user at 5 (platform-notes A8). */
const MAX_LINKED_IDENTITIES = 5;
/** ListUsers / ListGroups / ListUsersInGroup / ListUserPools page-size ceiling. */
const MAX_PAGE_SIZE = 60;
const MAX_TAGS_PER_POOL = 50;
const SOCIAL_PROVIDERS = new Set(["Google", "Facebook", "LoginWithAmazon", "SignInWithApple"]);
const STANDARD_SCHEMA = [
  "sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
  "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
  "phone_number", "phone_number_verified", "address", "updated_at",
];
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;
const PHONE_SHAPE = /^\+[0-9]+$/;
const POOL_ARN = /^arn:aws[a-z-]*:cognito-idp:[^:]+:[^:]*:userpool\/([\w-]+_[0-9a-zA-Z]+)$/;

/** Operations whose `Username` the emulator resolves (alias, case, sub) before cognito-local sees it. */
const USERNAME_OPERATIONS = new Set([
  "AdminGetUser", "AdminDisableUser", "AdminEnableUser", "AdminDeleteUser", "AdminUpdateUserAttributes",
  "AdminDeleteUserAttributes", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminListGroupsForUser",
  "AdminSetUserPassword", "AdminConfirmSignUp",
]);

/** Required members per operation, checked like AWS's model validation. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  AdminCreateUser: ["UserPoolId", "Username"],
  AdminGetUser: ["UserPoolId", "Username"],
  AdminDisableUser: ["UserPoolId", "Username"],
  AdminEnableUser: ["UserPoolId", "Username"],
  AdminDeleteUser: ["UserPoolId", "Username"],
  AdminUpdateUserAttributes: ["UserPoolId", "Username", "UserAttributes"],
  AdminUserGlobalSignOut: ["UserPoolId", "Username"],
  AdminAddUserToGroup: ["UserPoolId", "Username", "GroupName"],
  AdminRemoveUserFromGroup: ["UserPoolId", "Username", "GroupName"],
  AdminListGroupsForUser: ["UserPoolId", "Username"],
  AdminLinkProviderForUser: ["UserPoolId", "DestinationUser", "SourceUser"],
  AdminDisableProviderForUser: ["UserPoolId", "User"],
  CreateGroup: ["UserPoolId", "GroupName"],
  GetGroup: ["UserPoolId", "GroupName"],
  DeleteGroup: ["UserPoolId", "GroupName"],
  UpdateGroup: ["UserPoolId", "GroupName"],
  ListGroups: ["UserPoolId"],
  ListUsers: ["UserPoolId"],
  ListUsersInGroup: ["UserPoolId", "GroupName"],
  DescribeUserPool: ["UserPoolId"],
  DeleteUserPool: ["UserPoolId"],
  CreateUserPool: ["PoolName"],
  ListUserPools: ["MaxResults"],
  TagResource: ["ResourceArn", "Tags"],
  UntagResource: ["ResourceArn", "TagKeys"],
  ListTagsForResource: ["ResourceArn"],
};

export function awsError(errorType: string, message: string, status = 400): ApiResponse {
  return { status, body: { __type: errorType, message } };
}

function ok(body: Record<string, unknown> = {}): ApiResponse {
  return { status: 200, body };
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function validationError(detail: string): ApiResponse {
  return awsError("InvalidParameterException", `1 validation error detected: ${detail}`);
}

function attributeValue(attributes: readonly ClAttribute[] | undefined, name: string): string | undefined {
  return attributes?.find((a) => a.Name === name)?.Value;
}

function isAttributeList(value: unknown): value is ClAttribute[] {
  return (
    Array.isArray(value) &&
    value.every((a) => typeof a === "object" && a !== null && typeof (a as ClAttribute).Name === "string")
  );
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === "string" ? value : undefined;
}

function recordField(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = body[name];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

interface StoredIdentity {
  userId: string;
  providerName: string;
  providerType: string | null;
  issuer: null;
  primary: boolean;
  dateCreated: number;
}

function readIdentities(user: ClUser): StoredIdentity[] {
  const raw = attributeValue(user.Attributes, "identities");
  if (raw === undefined || raw === "") return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed)
      ? parsed.filter(
          (i): i is StoredIdentity =>
            typeof i === "object" && i !== null && typeof (i as StoredIdentity).userId === "string" &&
            typeof (i as StoredIdentity).providerName === "string",
        )
      : [];
  } catch {
    return [];
  }
}

function withAttributes(user: ClUser, changes: Record<string, string | undefined>, now: Date): ClUser {
  const attributes = user.Attributes.filter((a) => !(a.Name in changes));
  for (const [name, value] of Object.entries(changes)) {
    if (value !== undefined) attributes.push({ Name: name, Value: value });
  }
  attributes.sort((a, b) => a.Name.localeCompare(b.Name));
  return { ...user, Attributes: attributes, UserLastModifiedDate: now };
}

function encodeToken(offset: number): string {
  return btoa(JSON.stringify({ offset }));
}

function decodeToken(token: unknown): number | undefined {
  if (token === undefined || token === null) return 0;
  if (typeof token !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(atob(token));
    const offset = (parsed as { offset?: unknown }).offset;
    return typeof offset === "number" && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

type PageResult<T> = { ok: true; page: T[]; next: string | undefined } | { ok: false; response: ApiResponse };

function paginate<T>(items: readonly T[], body: Record<string, unknown>, limitField: string, tokenField: string, required: boolean): PageResult<T> {
  const raw = body[limitField];
  let limit = MAX_PAGE_SIZE;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== "number" || !Number.isInteger(raw)) {
      return { ok: false, response: awsError("SerializationException", `${limitField} must be an integer`) };
    }
    if (raw > MAX_PAGE_SIZE) {
      return {
        ok: false,
        response: validationError(`Value '${raw}' at '${lowerFirst(limitField)}' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE_SIZE}`),
      };
    }
    const min = required ? 1 : 0;
    if (raw < min) {
      return {
        ok: false,
        response: validationError(`Value '${raw}' at '${lowerFirst(limitField)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`),
      };
    }
    if (raw > 0) limit = raw;
  }
  const offset = decodeToken(body[tokenField]);
  if (offset === undefined) {
    return { ok: false, response: awsError("InvalidParameterException", `Invalid ${tokenField}.`) };
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? encodeToken(offset + limit) : undefined;
  return { ok: true, page, next };
}

/** Rewrites cognito-local's error names/messages where AWS says something else. */
function normalizeError(operation: string, errorType: string, message: string, pool: ClUserPoolOptions | undefined): { errorType: string; message: string } {
  if (operation === "AdminUpdateUserAttributes" && errorType === "NotAuthorizedException") {
    return { errorType: "UserNotFoundException", message: "User does not exist." };
  }
  if (errorType === "UserNotFoundException") return { errorType, message: "User does not exist." };
  if (errorType === "UsernameExistsException") {
    const emailPool = pool?.UsernameAttributes?.includes("email") ?? false;
    return { errorType, message: emailPool ? "An account with the given email already exists." : "User account already exists." };
  }
  if (errorType === "ResourceNotFoundException") {
    const m = /^User Pool (\S+) not found$/.exec(message);
    if (m !== null) return { errorType, message: `User pool ${m[1] ?? ""} does not exist.` };
    if (message === "Group not found") return { errorType, message: "Group not found." };
  }
  return { errorType, message };
}

export interface CognitoOperationsOptions {
  now?: () => Date;
}

/** Builds the operation layer over an in-process cognito-local. */
export function createCognitoOperations(core: CognitoLocalCore, options: CognitoOperationsOptions = {}): CognitoOperations {
  const now = options.now ?? (() => new Date());
  const ctx = core.ctx;
  const signOuts = new Map<string, SignOutRecord>();
  /** `${pool}\u0000${provider}\u0000${value}` → attribute name + time, for GET /__emulator/links. */
  const linkDetails = new Map<string, { attributeName: string; linkedAt: string }>();
  let lock: Promise<unknown> = Promise.resolve();

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = lock.then(work, work);
    lock = run.catch(() => undefined);
    return run;
  }

  async function getPool(userPoolId: string): Promise<ClUserPoolService | undefined> {
    try {
      return await core.cognito.getUserPool(ctx, userPoolId);
    } catch {
      return undefined;
    }
  }

  function poolNotFound(userPoolId: string): ApiResponse {
    return awsError("ResourceNotFoundException", `User pool ${userPoolId} does not exist.`);
  }

  const userNotFound = (): ApiResponse => awsError("UserNotFoundException", "User does not exist.");

  /** Users that may hold `value` for `kind` (via the user index; a scan if there is none). */
  async function usersBy(pool: ClUserPoolService, kind: IndexKind, value: string): Promise<ClUser[]> {
    const index = core.userIndex(pool.options.Id);
    if (index === undefined) {
      const fold = (v: string | undefined): string | undefined => (kind === "sub" || kind === "phone_number" ? v : v?.toLowerCase());
      const wanted = fold(value);
      const users = await pool.listUsers(ctx);
      return users.filter((u) => fold(kind === "username" ? u.Username : attributeValue(u.Attributes, kind)) === wanted);
    }
    const found: ClUser[] = [];
    for (const name of index.candidates(kind, value)) {
      const user = await pool.getUserByUsername(ctx, name);
      if (user !== null && user.Username === name) found.push(user);
    }
    return found;
  }

  /**
   * AWS resolves `Username` as: the username, `sub`, then any active alias (verified email or
   * phone, preferred_username), case-insensitively when the pool says so. cognito-local only does
   * exact username → sub → email/phone when they are UsernameAttributes.
   */
  async function findUser(pool: ClUserPoolService, username: string): Promise<ClUser | undefined> {
    const direct = await pool.getUserByUsername(ctx, username);
    if (direct !== null) return direct;
    const caseInsensitive = pool.options.UsernameConfiguration?.CaseSensitive === false;
    const same = (a: string | undefined): boolean =>
      a !== undefined && (caseInsensitive ? a.toLowerCase() === username.toLowerCase() : a === username);
    if (caseInsensitive) {
      for (const user of await usersBy(pool, "username", username)) if (same(user.Username)) return user;
      for (const name of pool.options.UsernameAttributes ?? []) {
        if (name !== "email" && name !== "phone_number") continue;
        for (const user of await usersBy(pool, name, username)) if (same(attributeValue(user.Attributes, name))) return user;
      }
    }
    for (const alias of pool.options.AliasAttributes ?? []) {
      if (alias !== "email" && alias !== "phone_number" && alias !== "preferred_username") continue;
      for (const user of await usersBy(pool, alias, username)) {
        if (!same(attributeValue(user.Attributes, alias))) continue;
        if (alias === "preferred_username" || attributeValue(user.Attributes, `${alias}_verified`) === "true") return user;
      }
    }
    return undefined;
  }

  /** Another user that already holds `value` as an active alias / unique username attribute. */
  async function aliasHolder(pool: ClUserPoolService, name: "email" | "phone_number", value: string, except: string | undefined): Promise<ClUser | undefined> {
    const isUsernameAttribute = pool.options.UsernameAttributes?.includes(name) ?? false;
    const isAlias = pool.options.AliasAttributes?.includes(name) ?? false;
    if (!isUsernameAttribute && !isAlias) return undefined;
    const caseInsensitive = pool.options.UsernameConfiguration?.CaseSensitive === false;
    const norm = (v: string): string => (caseInsensitive || name === "email" ? v.toLowerCase() : v);
    return (await usersBy(pool, name, value)).find(
      (user) =>
        user.Username !== except &&
        norm(attributeValue(user.Attributes, name) ?? "\u0000") === norm(value) &&
        (isUsernameAttribute || attributeValue(user.Attributes, `${name}_verified`) === "true"),
    );
  }

  function schemaNames(pool: ClUserPoolService): Set<string> {
    const schema: readonly ClSchemaAttribute[] = pool.options.SchemaAttributes ?? [];
    const names = schema.map((a) => a.Name).filter((n): n is string => typeof n === "string");
    return new Set(names.length > 0 ? names : STANDARD_SCHEMA);
  }

  async function forward(operation: string, body: Record<string, unknown>, pool?: ClUserPoolService): Promise<ApiResponse> {
    const outcome = await core.call(operation, body);
    if (outcome.ok) return ok(outcome.output);
    const { errorType, message } = normalizeError(operation, outcome.errorType, outcome.message, pool?.options);
    return awsError(errorType, message, outcome.status);
  }

  function userType(user: ClUser): Record<string, unknown> {
    return {
      Username: user.Username,
      Attributes: user.Attributes.map((a) => ({ ...a })),
      UserCreateDate: user.UserCreateDate,
      UserLastModifiedDate: user.UserLastModifiedDate,
      Enabled: user.Enabled,
      UserStatus: user.UserStatus,
    };
  }

  // ---- per-operation handlers -------------------------------------------------------------

  async function adminCreateUser(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const username = stringField(body, "Username") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const attributes = body["UserAttributes"] ?? [];
    if (!isAttributeList(attributes)) return awsError("InvalidParameterException", "UserAttributes must be a list of {Name, Value}.");

    const known = schemaNames(pool);
    for (const attribute of attributes) {
      if (attribute.Name === "sub") {
        return awsError("InvalidParameterException", "Attributes did not conform to the schema: sub: Attribute cannot be updated. (changing an immutable attribute)\n");
      }
      if (!known.has(attribute.Name)) {
        return awsError("InvalidParameterException", `Attributes did not conform to the schema: ${attribute.Name}: Attribute does not exist in the schema.\n`);
      }
    }
    const aliases = pool.options.AliasAttributes ?? [];
    if (aliases.includes("email") && EMAIL_SHAPE.test(username)) {
      return awsError("InvalidParameterException", "Username cannot be of email format, since user pool is configured for email alias.");
    }
    if (aliases.includes("phone_number") && PHONE_SHAPE.test(username)) {
      return awsError("InvalidParameterException", "Username cannot be of phone number format, since user pool is configured for phone number alias.");
    }

    const existing = await findUser(pool, username);
    if (body["MessageAction"] === "RESEND") {
      // cognito-local rejects RESEND as unsupported (existing user) or creates the user (missing).
      return existing === undefined ? userNotFound() : ok({ User: userType(existing) });
    }
    if (existing !== undefined && (pool.options.UsernameConfiguration?.CaseSensitive === false || existing.Username === username)) {
      return normalizedExists(pool);
    }

    const displaced: ClUser[] = [];
    for (const name of ["email", "phone_number"] as const) {
      const value = attributeValue(attributes, name);
      if (value === undefined) continue;
      const verified = attributeValue(attributes, `${name}_verified`) === "true";
      if (!(pool.options.AliasAttributes ?? []).includes(name) || !verified) continue;
      const holder = await aliasHolder(pool, name, value, undefined);
      if (holder === undefined) continue;
      if (body["ForceAliasCreation"] !== true) {
        return awsError("AliasExistsException", `An account with the given ${name} already exists.`);
      }
      displaced.push(withAttributes(holder, { [`${name}_verified`]: "false" }, now()));
    }

    if (body["MessageAction"] !== "SUPPRESS") {
      // cognito-local saves the user and *then* fails when no delivery medium fits; check first.
      const mediums = Array.isArray(body["DesiredDeliveryMediums"]) ? (body["DesiredDeliveryMediums"] as unknown[]) : ["SMS"];
      const deliverable =
        (mediums.includes("EMAIL") && attributeValue(attributes, "email") !== undefined) ||
        (mediums.includes("SMS") && attributeValue(attributes, "phone_number") !== undefined);
      if (!deliverable) {
        return awsError("InvalidParameterException", "User has no attribute matching desired delivery mediums");
      }
    }

    const response = await forward("AdminCreateUser", body, pool);
    if (response.status === 200) {
      for (const user of displaced) await pool.saveUser(ctx, user);
    }
    return response;
  }

  function normalizedExists(pool: ClUserPoolService): ApiResponse {
    const emailPool = pool.options.UsernameAttributes?.includes("email") ?? false;
    return awsError("UsernameExistsException", emailPool ? "An account with the given email already exists." : "User account already exists.");
  }

  async function adminUpdateUserAttributes(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const user = await findUser(pool, stringField(body, "Username") ?? "");
    if (user === undefined) return userNotFound();
    const attributes = body["UserAttributes"];
    if (!isAttributeList(attributes)) return awsError("InvalidParameterException", "UserAttributes must be a list of {Name, Value}.");
    for (const name of ["email", "phone_number"] as const) {
      const newValue = attributeValue(attributes, name);
      const verifiedFlag = attributeValue(attributes, `${name}_verified`);
      if (newValue === undefined && verifiedFlag === undefined) continue;
      const value = newValue ?? attributeValue(user.Attributes, name);
      if (value === undefined || value === "") continue;
      const changed = newValue !== undefined && newValue !== attributeValue(user.Attributes, name);
      const verified =
        verifiedFlag !== undefined ? verifiedFlag === "true" : changed ? false : attributeValue(user.Attributes, `${name}_verified`) === "true";
      const isUsernameAttribute = pool.options.UsernameAttributes?.includes(name) ?? false;
      if (!verified && !isUsernameAttribute) continue;
      if ((await aliasHolder(pool, name, value, user.Username)) !== undefined) {
        return awsError("AliasExistsException", `An account with the given ${name} already exists.`);
      }
    }
    return forward("AdminUpdateUserAttributes", { ...body, Username: user.Username }, pool);
  }

  async function adminDeleteUser(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const user = await findUser(pool, stringField(body, "Username") ?? "");
    if (user === undefined) return userNotFound();
    const response = await forward("AdminDeleteUser", { ...body, Username: user.Username }, pool);
    if (response.status === 200) {
      signOuts.delete(`${userPoolId}\u0000${user.Username}`);
      for (const identity of readIdentities(user)) {
        linkDetails.delete(`${userPoolId}\u0000${identity.providerName}\u0000${identity.userId}`);
      }
    }
    return response;
  }

  async function withResolvedUsername(operation: string, body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const user = await findUser(pool, stringField(body, "Username") ?? "");
    // Unknown users go through unchanged so cognito-local keeps its own check order (group first).
    return forward(operation, user === undefined ? body : { ...body, Username: user.Username }, pool);
  }

  async function adminListGroupsForUser(body: Record<string, unknown>): Promise<ApiResponse> {
    // cognito-local matches group members against the Username *as given*, so a sub or an alias
    // finds no groups; resolve to the stored username first.
    const response = await withResolvedUsername("AdminListGroupsForUser", body);
    if (response.status !== 200) return response;
    const groups = Array.isArray(response.body["Groups"]) ? (response.body["Groups"] as unknown[]) : [];
    const page = paginate(groups, body, "Limit", "NextToken", false);
    if (!page.ok) return page.response;
    return ok({ Groups: page.page, ...(page.next !== undefined ? { NextToken: page.next } : {}) });
  }

  async function adminUserGlobalSignOut(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const user = await findUser(pool, stringField(body, "Username") ?? "");
    if (user === undefined) return userNotFound();
    // Revoke cognito-local's refresh tokens so REFRESH_TOKEN_AUTH stops working, as on AWS.
    await pool.saveUser(ctx, { ...user, RefreshTokens: [] });
    const key = `${userPoolId}\u0000${user.Username}`;
    const previous = signOuts.get(key);
    signOuts.set(key, {
      userPoolId,
      username: user.Username,
      signedOutAt: now().toISOString(),
      count: (previous?.count ?? 0) + 1,
    });
    return ok();
  }

  async function adminLinkProviderForUser(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const destination = recordField(body, "DestinationUser");
    const source = recordField(body, "SourceUser");
    if (destination === undefined || source === undefined) {
      return awsError("InvalidParameterException", "DestinationUser and SourceUser must be objects.");
    }
    const destinationProvider = stringField(destination, "ProviderName");
    const destinationValue = stringField(destination, "ProviderAttributeValue");
    const sourceProvider = stringField(source, "ProviderName");
    const sourceAttribute = stringField(source, "ProviderAttributeName") ?? "Cognito_Subject";
    const sourceValue = stringField(source, "ProviderAttributeValue");
    if (!destinationValue || !sourceProvider || !sourceValue) {
      return awsError("InvalidParameterException", "ProviderName and ProviderAttributeValue are required for SourceUser and DestinationUser.");
    }
    if (destinationProvider !== "Cognito") {
      return awsError("InvalidParameterException", "DestinationUser must be a Cognito user: ProviderName must be Cognito.");
    }
    if (sourceProvider === "Cognito") {
      return awsError(
        "InvalidParameterException",
        "Invalid SourceUser: Cognito users with a username/password may not be passed in as a SourceUser, only as a DestinationUser",
      );
    }
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const user = await findUser(pool, destinationValue);
    if (user === undefined) return userNotFound();
    if ((await pool.getUserByUsername(ctx, `${sourceProvider}_${sourceValue}`)) !== null) {
      return awsError(
        "InvalidParameterException",
        "Merging is not currently supported, provide a SourceUser that has not been signed up in order to link",
      );
    }
    for (const other of await pool.listUsers(ctx)) {
      if (readIdentities(other).some((i) => i.providerName === sourceProvider && i.userId === sourceValue)) {
        return awsError("InvalidParameterException", "Invalid SourceUser: SourceUser is already linked to a user in this user pool.");
      }
    }
    const identities = readIdentities(user);
    if (identities.length >= MAX_LINKED_IDENTITIES) {
      return awsError("LimitExceededException", `A user can have at most ${MAX_LINKED_IDENTITIES} linked identities.`);
    }
    const linkedAt = now();
    identities.push({
      userId: sourceValue,
      providerName: sourceProvider,
      providerType: SOCIAL_PROVIDERS.has(sourceProvider) ? sourceProvider : null,
      issuer: null,
      primary: false,
      dateCreated: linkedAt.getTime(),
    });
    await pool.saveUser(ctx, withAttributes(user, { identities: JSON.stringify(identities) }, linkedAt));
    linkDetails.set(`${userPoolId}\u0000${sourceProvider}\u0000${sourceValue}`, {
      attributeName: sourceAttribute,
      linkedAt: linkedAt.toISOString(),
    });
    return ok();
  }

  async function adminDisableProviderForUser(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const target = recordField(body, "User");
    const providerName = target === undefined ? undefined : stringField(target, "ProviderName");
    const value = target === undefined ? undefined : stringField(target, "ProviderAttributeValue");
    if (!providerName || !value) {
      return awsError("InvalidParameterException", "User.ProviderName and User.ProviderAttributeValue are required.");
    }
    if (providerName === "Cognito") {
      return awsError("InvalidParameterException", "Cannot disable the Cognito provider for a native user.");
    }
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    for (const user of await pool.listUsers(ctx)) {
      const identities = readIdentities(user);
      const kept = identities.filter((i) => !(i.providerName === providerName && i.userId === value));
      if (kept.length === identities.length) continue;
      await pool.saveUser(ctx, withAttributes(user, { identities: kept.length > 0 ? JSON.stringify(kept) : undefined }, now()));
      linkDetails.delete(`${userPoolId}\u0000${providerName}\u0000${value}`);
      return ok();
    }
    return userNotFound();
  }

  async function createGroup(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const groupName = stringField(body, "GroupName") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const existing = await core.call("GetGroup", { UserPoolId: userPoolId, GroupName: groupName });
    if (existing.ok) return awsError("GroupExistsException", `A group with the name ${groupName} already exists.`);
    return forward("CreateGroup", body, pool);
  }

  async function describeUserPool(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const response = await forward("DescribeUserPool", body, pool);
    const described = response.body["UserPool"];
    if (response.status !== 200 || typeof described !== "object" || described === null) return response;
    const count = core.userIndex(userPoolId)?.size ?? (await pool.listUsers(ctx)).length;
    return ok({ UserPool: { ...described, EstimatedNumberOfUsers: count } });
  }

  async function deleteUserPool(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const response = await forward("DeleteUserPool", body);
    if (response.status === 200) {
      await core.discardPool(userPoolId);
      for (const [key, record] of signOuts) if (record.userPoolId === userPoolId) signOuts.delete(key);
      for (const key of linkDetails.keys()) if (key.startsWith(`${userPoolId}\u0000`)) linkDetails.delete(key);
    }
    return response;
  }

  async function listUserPools(body: Record<string, unknown>): Promise<ApiResponse> {
    const pools = await core.cognito.listUserPools(ctx);
    const page = paginate(pools, body, "MaxResults", "NextToken", true);
    if (!page.ok) return page.response;
    const descriptions = page.page.map((p) => ({
      Id: p.Id,
      Name: p.Name,
      LambdaConfig: p.LambdaConfig ?? {},
      Status: p.Status,
      LastModifiedDate: p.LastModifiedDate,
      CreationDate: p.CreationDate,
    }));
    return ok({ UserPools: descriptions, ...(page.next !== undefined ? { NextToken: page.next } : {}) });
  }

  async function listUsers(body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const response = await forward("ListUsers", body, pool);
    if (response.status !== 200) return response;
    const users = Array.isArray(response.body["Users"]) ? (response.body["Users"] as Record<string, unknown>[]) : [];
    const page = paginate(users, body, "Limit", "PaginationToken", false);
    if (!page.ok) return page.response;
    const wanted = body["AttributesToGet"];
    const project = Array.isArray(wanted)
      ? (u: Record<string, unknown>) => ({
          ...u,
          Attributes: ((u["Attributes"] as ClAttribute[] | undefined) ?? []).filter((a) => wanted.includes(a.Name)).map((a) => ({ ...a })),
        })
      : (u: Record<string, unknown>) => u;
    return ok({ Users: page.page.map(project), ...(page.next !== undefined ? { PaginationToken: page.next } : {}) });
  }

  async function listPaged(operation: string, key: string, body: Record<string, unknown>): Promise<ApiResponse> {
    const userPoolId = stringField(body, "UserPoolId") ?? "";
    const pool = await getPool(userPoolId);
    if (pool === undefined) return poolNotFound(userPoolId);
    const response = await forward(operation, body, pool);
    if (response.status !== 200) return response;
    const items = Array.isArray(response.body[key]) ? (response.body[key] as unknown[]) : [];
    const page = paginate(items, body, "Limit", "NextToken", false);
    if (!page.ok) return page.response;
    return ok({ [key]: page.page, ...(page.next !== undefined ? { NextToken: page.next } : {}) });
  }

  async function poolForArn(body: Record<string, unknown>): Promise<{ pool: ClUserPoolService } | { error: ApiResponse }> {
    const arn = stringField(body, "ResourceArn") ?? "";
    const match = POOL_ARN.exec(arn);
    if (match === null || match[1] === undefined) {
      return { error: awsError("InvalidParameterException", `Invalid ResourceArn: ${arn}`) };
    }
    const pool = await getPool(match[1]);
    return pool === undefined ? { error: poolNotFound(match[1]) } : { pool };
  }

  async function tagResource(body: Record<string, unknown>): Promise<ApiResponse> {
    const found = await poolForArn(body);
    if ("error" in found) return found.error;
    const tags = recordField(body, "Tags");
    if (tags === undefined || !Object.entries(tags).every(([k, v]) => typeof v === "string" && k.length >= 1 && k.length <= 128 && v.length <= 256)) {
      return awsError("InvalidParameterException", "Tags must map keys of 1–128 characters to values of at most 256 characters.");
    }
    const merged = { ...(found.pool.options.UserPoolTags ?? {}), ...(tags as Record<string, string>) };
    if (Object.keys(merged).length > MAX_TAGS_PER_POOL) {
      return awsError("InvalidParameterException", `A user pool can have at most ${MAX_TAGS_PER_POOL} tags.`);
    }
    await found.pool.updateOptions(ctx, { ...found.pool.options, UserPoolTags: merged });
    return ok();
  }

  async function untagResource(body: Record<string, unknown>): Promise<ApiResponse> {
    const found = await poolForArn(body);
    if ("error" in found) return found.error;
    const keys = body["TagKeys"];
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
      return awsError("InvalidParameterException", "TagKeys must be a list of strings.");
    }
    const remaining = { ...(found.pool.options.UserPoolTags ?? {}) };
    for (const key of keys as string[]) delete remaining[key];
    await found.pool.updateOptions(ctx, { ...found.pool.options, UserPoolTags: remaining });
    return ok();
  }

  async function listTagsForResource(body: Record<string, unknown>): Promise<ApiResponse> {
    const found = await poolForArn(body);
    if ("error" in found) return found.error;
    return ok({ Tags: { ...(found.pool.options.UserPoolTags ?? {}) } });
  }

  const handlers: Readonly<Record<string, (body: Record<string, unknown>) => Promise<ApiResponse>>> = {
    AdminCreateUser: adminCreateUser,
    AdminUpdateUserAttributes: adminUpdateUserAttributes,
    AdminDeleteUser: adminDeleteUser,
    AdminListGroupsForUser: adminListGroupsForUser,
    AdminUserGlobalSignOut: adminUserGlobalSignOut,
    AdminLinkProviderForUser: adminLinkProviderForUser,
    AdminDisableProviderForUser: adminDisableProviderForUser,
    CreateGroup: createGroup,
    DescribeUserPool: describeUserPool,
    DeleteUserPool: deleteUserPool,
    ListUserPools: listUserPools,
    ListUsers: listUsers,
    ListUsersInGroup: (body) => listPaged("ListUsersInGroup", "Users", body),
    ListGroups: (body) => listPaged("ListGroups", "Groups", body),
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
  };

  function missingRequired(operation: string, body: Record<string, unknown>): ApiResponse | undefined {
    for (const name of REQUIRED[operation] ?? []) {
      if (body[name] === undefined || body[name] === null) {
        return validationError(`Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);
      }
    }
    return undefined;
  }

  return {
    handle(operation, body) {
      return serialized(async () => {
        const invalid = missingRequired(operation, body);
        if (invalid !== undefined) return invalid;
        const handler = handlers[operation];
        if (handler !== undefined) return handler(body);
        if (USERNAME_OPERATIONS.has(operation)) return withResolvedUsername(operation, body);
        return forward(operation, body);
      });
    },
    signOuts() {
      return [...signOuts.values()].map((r) => ({ ...r }));
    },
    links() {
      return serialized(async () => {
        const out: LinkRecord[] = [];
        for (const options of await core.cognito.listUserPools(ctx)) {
          const pool = await getPool(options.Id);
          if (pool === undefined) continue;
          for (const user of await pool.listUsers(ctx)) {
            for (const identity of readIdentities(user)) {
              const detail = linkDetails.get(`${options.Id}\u0000${identity.providerName}\u0000${identity.userId}`);
              out.push({
                userPoolId: options.Id,
                username: user.Username,
                providerName: identity.providerName,
                providerAttributeName: detail?.attributeName ?? "Cognito_Subject",
                providerAttributeValue: identity.userId,
                linkedAt: detail?.linkedAt ?? new Date(identity.dateCreated).toISOString(),
              });
            }
          }
        }
        return out;
      });
    },
  };
}
