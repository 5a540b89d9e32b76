/**
 * An in-process fake of the Cognito admin API for worker tests. Every request's SigV4 signature
 * is verified independently of aws4fetch (with @smithy/signature-v4, via the emulator's verifier),
 * as are the target header and content type. Calls are recorded; faults can be scripted.
 */
import { verifySigV4, type EmulatorCredentials } from "../../../dev/cognito-emulator/sigv4-verify";

export interface RecordedCognitoCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly region: string;
}

export interface FakePool {
  readonly usernameAttributes?: string[];
  readonly aliasAttributes?: string[];
}

export interface FakeCognitoUser {
  username: string;
  enabled: boolean;
  attributes: Record<string, string>;
  signedOutAt: number | null;
}

export interface ScriptedFault {
  readonly errorType: string;
  readonly status: number;
  /** Put the type only in the x-amzn-errortype header, as Cognito throttling sometimes does. */
  readonly headerOnly?: boolean;
  /** The error message (default "scripted fault"). */
  readonly message?: string;
  /** Carry the call out, then answer with the fault: a response lost after the change was made. */
  readonly applyFirst?: boolean;
}

/** A group of a fake pool; members are the user objects themselves. */
export interface FakeGroup {
  readonly name: string;
  readonly description: string | undefined;
  readonly members: Set<FakeCognitoUser>;
}

/** An app client of a fake pool (ListUserPoolClients, DescribeUserPoolClient). */
export interface FakeAppClient {
  readonly clientId: string;
  readonly clientName: string;
  /** Absent: the client sets none (AWS then omits WriteAttributes from DescribeUserPoolClient). */
  readonly writeAttributes?: string[];
}

/** Account id the fake accepts in pool ARNs (ListTagsForResource). */
export const FAKE_ACCOUNT_ID = "123456789012";

/** Cognito's GroupName rule: 1–128 characters of `[\p{L}\p{M}\p{S}\p{N}\p{P}]`. */
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
const MAX_PAGE = 60;

export interface FakeCognito {
  readonly calls: RecordedCognitoCall[];
  /** Requests refused for a bad signature, target or content type (must stay empty). */
  readonly rejectedRequests: { reason: string }[];
  addPool(userPoolId: string, pool: FakePool): void;
  users(userPoolId: string): FakeCognitoUser[];
  addUser(userPoolId: string, username: string, attributes: Record<string, string>, enabled?: boolean): FakeCognitoUser;
  failNext(operation: string, fault: ScriptedFault, times?: number): void;
  /** Drops the faults still scripted for an operation (the outage ends). */
  clearFaults(operation: string): void;
  operations(): string[];
  /** How many calls of one operation were recorded. */
  count(operation: string): number;
  /** The pool's groups by name (live objects). */
  groups(userPoolId: string): Map<string, FakeGroup>;
  addGroup(userPoolId: string, name: string, members?: FakeCognitoUser[], description?: string): FakeGroup;
  /** Group names of one user, sorted. */
  groupsOf(userPoolId: string, user: FakeCognitoUser): string[];
  tagPool(userPoolId: string, tags: Record<string, string>): void;
  /** Adds an app client to a pool; the id is generated unless given. */
  addAppClient(userPoolId: string, client?: { clientId?: string; clientName?: string; writeAttributes?: string[] }): FakeAppClient;
  handle(request: Request): Promise<Response>;
}

export function createFakeCognito(credentials: EmulatorCredentials): FakeCognito {
  const calls: RecordedCognitoCall[] = [];
  const rejectedRequests: { reason: string }[] = [];
  const pools = new Map<string, { design: FakePool; users: FakeCognitoUser[]; groups: Map<string, FakeGroup>; tags: Record<string, string> }>();
  const faults = new Map<string, ScriptedFault[]>();
  let subCounter = 0;
  const appClients = new Map<string, FakeAppClient[]>();
  let clientCounter = 0;

  const error = (status: number, type: string, message = type) =>
    new Response(JSON.stringify({ __type: type, message }), {
      status,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": `${type}:` },
    });
  const okJson = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/x-amz-json-1.1" } });

  function newUser(userPoolId: string, username: string, attributes: Record<string, string>, enabled = true): FakeCognitoUser {
    const pool = pools.get(userPoolId);
    if (!pool) throw new Error(`no pool ${userPoolId}`);
    subCounter += 1;
    const sub = `00000000-0000-4000-8000-${String(subCounter).padStart(12, "0")}`;
    const emailUsername = pool.design.usernameAttributes?.includes("email") ?? false;
    const user: FakeCognitoUser = {
      username: emailUsername ? sub : username,
      enabled,
      attributes: { sub, ...(emailUsername ? { email: username } : {}), ...attributes },
      signedOutAt: null,
    };
    pool.users.push(user);
    return user;
  }

  function find(userPoolId: string, username: string): FakeCognitoUser | undefined {
    const pool = pools.get(userPoolId);
    if (!pool) return undefined;
    const emailUsername = pool.design.usernameAttributes?.includes("email") ?? false;
    return pool.users.find(
      (u) => u.username === username || u.attributes["sub"] === username || (emailUsername && u.attributes["email"] === username),
    );
  }

  const userView = (user: FakeCognitoUser, key: "Attributes" | "UserAttributes") => ({
    Username: user.username,
    Enabled: user.enabled,
    UserStatus: "FORCE_CHANGE_PASSWORD",
    [key]: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
  });

  return {
    calls,
    rejectedRequests,
    addPool(userPoolId, design) {
      pools.set(userPoolId, { design, users: [], groups: new Map(), tags: {} });
    },
    users(userPoolId) {
      return pools.get(userPoolId)?.users ?? [];
    },
    addUser: newUser,
    failNext(operation, fault, times = 1) {
      const list = faults.get(operation) ?? [];
      for (let i = 0; i < times; i++) list.push(fault);
      faults.set(operation, list);
    },
    clearFaults(operation) {
      faults.delete(operation);
    },
    operations() {
      return calls.map((c) => c.operation);
    },
    count(operation) {
      return calls.filter((c) => c.operation === operation).length;
    },
    groups(userPoolId) {
      return pools.get(userPoolId)?.groups ?? new Map();
    },
    addGroup(userPoolId, name, members = [], description) {
      const pool = pools.get(userPoolId);
      if (!pool) throw new Error(`no pool ${userPoolId}`);
      const group: FakeGroup = { name, description, members: new Set(members) };
      pool.groups.set(name, group);
      return group;
    },
    groupsOf(userPoolId, user) {
      return [...(pools.get(userPoolId)?.groups.values() ?? [])].filter((g) => g.members.has(user)).map((g) => g.name).sort();
    },
    tagPool(userPoolId, tags) {
      const pool = pools.get(userPoolId);
      if (!pool) throw new Error(`no pool ${userPoolId}`);
      Object.assign(pool.tags, tags);
    },
    addAppClient(userPoolId, client = {}) {
      if (!pools.has(userPoolId)) throw new Error(`no pool ${userPoolId}`);
      clientCounter += 1;
      const added: FakeAppClient = {
        clientId: client.clientId ?? `client${String(clientCounter).padStart(6, "0")}abcdefghijklmn`,
        clientName: client.clientName ?? `app-${clientCounter}`,
        ...(client.writeAttributes === undefined ? {} : { writeAttributes: [...client.writeAttributes] }),
      };
      appClients.set(userPoolId, [...(appClients.get(userPoolId) ?? []), added]);
      return added;
    },
    async handle(request) {
      const url = new URL(request.url);
      const body = await request.text();
      // On the wire the Host header is always present; a Request object built in-process has none.
      const headers: Record<string, string> = { host: url.host, ...Object.fromEntries(request.headers) };
      const verdict = await verifySigV4({ method: request.method, path: url.pathname + url.search, headers, body }, [credentials]);
      if (!verdict.ok) {
        rejectedRequests.push({ reason: `${verdict.errorType}: ${verdict.message}` });
        return error(400, verdict.errorType, verdict.message);
      }
      const target = headers["x-amz-target"] ?? "";
      if (!target.startsWith("AWSCognitoIdentityProviderService.") || headers["content-type"] !== "application/x-amz-json-1.1") {
        rejectedRequests.push({ reason: `bad target or content type: ${target} ${headers["content-type"]}` });
        return error(400, "UnknownOperationException");
      }
      const operation = target.slice("AWSCognitoIdentityProviderService.".length);
      const input = JSON.parse(body) as Record<string, unknown>;
      calls.push({ operation, input, region: verdict.region });

      const fault = faults.get(operation)?.shift();
      const faultResponse = (f: ScriptedFault) =>
        f.headerOnly
          ? new Response(JSON.stringify({ message: "Rate exceeded" }), { status: f.status, headers: { "x-amzn-errortype": `${f.errorType}:http://internal.amazon.com/` } })
          : error(f.status, `aws.cognito#${f.errorType}`, f.message ?? "scripted fault");
      if (fault && !fault.applyFirst) return faultResponse(fault);
      const response = perform(operation, input);
      return fault ? faultResponse(fault) : response;
    },
  };

  function perform(operation: string, input: Record<string, unknown>): Response {
    // Operations that are not about one pool's contents.
    if (operation === "ListUserPools") {
      const max = input["MaxResults"];
      if (typeof max !== "number" || max < 1 || max > MAX_PAGE) return error(400, "InvalidParameterException", "MaxResults must be 1-60.");
      const ids = [...pools.keys()];
      const offset = Number(input["NextToken"] ?? 0);
      const page = ids.slice(offset, offset + max);
      const next = offset + max < ids.length ? String(offset + max) : undefined;
      return okJson({ UserPools: page.map((Id) => ({ Id, Name: Id })), ...(next ? { NextToken: next } : {}) });
    }
    if (operation === "ListTagsForResource") {
      const arn = String(input["ResourceArn"] ?? "");
      const match = /^arn:aws:cognito-idp:([a-z0-9-]+):(\d{12}):userpool\/([\w-]+_[0-9a-zA-Z]+)$/.exec(arn);
      if (!match || match[2] !== FAKE_ACCOUNT_ID || !match[3]?.startsWith(`${match[1]}_`)) return error(400, "InvalidParameterException", `Invalid ResourceArn: ${arn}`);
      const tagged = pools.get(match[3]);
      return tagged ? okJson({ Tags: { ...tagged.tags } }) : error(400, "ResourceNotFoundException", "User pool does not exist.");
    }

    const poolId = String(input["UserPoolId"]);
    const pool = pools.get(poolId);
    if (!pool) return error(400, "ResourceNotFoundException", "User pool does not exist.");
    const username = String(input["Username"] ?? "");
    switch (operation) {
      case "DescribeUserPool":
        return okJson({ UserPool: { Id: poolId, UsernameAttributes: pool.design.usernameAttributes ?? [], AliasAttributes: pool.design.aliasAttributes ?? [] } });
      case "AdminCreateUser": {
        const emailUsername = pool.design.usernameAttributes?.includes("email") ?? false;
        if (emailUsername && !username.includes("@")) return error(400, "InvalidParameterException", "Username should be an email.");
        if (!emailUsername && (pool.design.aliasAttributes?.includes("email") ?? false) && username.includes("@")) {
          return error(400, "InvalidParameterException", "Username cannot be of email format, since user pool is configured for email alias.");
        }
        if (find(poolId, username)) return error(400, "UsernameExistsException", "User account already exists");
        const attributes = Object.fromEntries(((input["UserAttributes"] as { Name: string; Value: string }[]) ?? []).map((a) => [a.Name, a.Value]));
        const user = newUser(poolId, username, attributes);
        return okJson({ User: userView(user, "Attributes") });
      }
      case "AdminGetUser": {
        const user = find(poolId, username);
        return user ? okJson(userView(user, "UserAttributes")) : error(400, "UserNotFoundException", "User does not exist.");
      }
      case "AdminDisableUser":
      case "AdminEnableUser":
      case "AdminUserGlobalSignOut":
      case "AdminDeleteUser":
      case "AdminUpdateUserAttributes": {
        const user = find(poolId, username);
        if (!user) return error(400, "UserNotFoundException", "User does not exist.");
        if (operation === "AdminDisableUser") user.enabled = false;
        if (operation === "AdminEnableUser") user.enabled = true;
        if (operation === "AdminUserGlobalSignOut") user.signedOutAt = Date.now();
        if (operation === "AdminDeleteUser") pool.users.splice(pool.users.indexOf(user), 1);
        if (operation === "AdminUpdateUserAttributes") {
          const updates = (input["UserAttributes"] as { Name: string; Value: string }[]) ?? [];
          const names = new Set(updates.map((a) => a.Name));
          // Like AWS: a changed email is unverified unless the same call verifies it.
          const emailChanges = updates.some((a) => a.Name === "email" && a.Value !== user.attributes["email"]);
          if (emailChanges && !names.has("email_verified")) user.attributes["email_verified"] = "false";
          for (const a of updates) user.attributes[a.Name] = a.Value;
        }
        return okJson({});
      }
      case "AdminListGroupsForUser": {
        const user = find(poolId, username);
        if (!user) return error(400, "UserNotFoundException", "User does not exist.");
        const limit = input["Limit"] === undefined ? MAX_PAGE : Number(input["Limit"]);
        if (limit > MAX_PAGE) return error(400, "InvalidParameterException", "Limit must be at most 60.");
        const mine = [...pool.groups.values()].filter((g) => g.members.has(user));
        const offset = Number(input["NextToken"] ?? 0);
        const page = mine.slice(offset, offset + limit);
        const next = offset + limit < mine.length ? String(offset + limit) : undefined;
        return okJson({
          Groups: page.map((g) => ({ GroupName: g.name, UserPoolId: poolId, ...(g.description === undefined ? {} : { Description: g.description }) })),
          ...(next ? { NextToken: next } : {}),
        });
      }
      case "AdminAddUserToGroup":
      case "AdminRemoveUserFromGroup": {
        const user = find(poolId, username);
        if (!user) return error(400, "UserNotFoundException", "User does not exist.");
        const group = pool.groups.get(String(input["GroupName"]));
        if (!group) return error(400, "ResourceNotFoundException", "Group not found.");
        if (operation === "AdminAddUserToGroup") group.members.add(user);
        else group.members.delete(user);
        return okJson({});
      }
      case "CreateGroup": {
        const name = String(input["GroupName"] ?? "");
        if (!GROUP_NAME.test(name)) return error(400, "InvalidParameterException", "1 validation error detected: Value at 'groupName' failed to satisfy constraint");
        if (pool.groups.has(name)) return error(400, "GroupExistsException", "A group with the name already exists.");
        const description = typeof input["Description"] === "string" ? input["Description"] : undefined;
        pool.groups.set(name, { name, description, members: new Set() });
        return okJson({ Group: { GroupName: name, UserPoolId: poolId, ...(description === undefined ? {} : { Description: description }) } });
      }
      case "DeleteGroup": {
        const name = String(input["GroupName"] ?? "");
        if (!pool.groups.delete(name)) return error(400, "ResourceNotFoundException", "Group not found.");
        return okJson({});
      }
      case "ListGroups": {
        const limit = input["Limit"] === undefined ? MAX_PAGE : Number(input["Limit"]);
        if (limit > MAX_PAGE) return error(400, "InvalidParameterException", "Limit must be at most 60.");
        const all = [...pool.groups.values()];
        const offset = Number(input["NextToken"] ?? 0);
        const page = all.slice(offset, offset + limit);
        const next = offset + limit < all.length ? String(offset + limit) : undefined;
        return okJson({
          Groups: page.map((g) => ({ GroupName: g.name, UserPoolId: poolId, ...(g.description === undefined ? {} : { Description: g.description }) })),
          ...(next ? { NextToken: next } : {}),
        });
      }
      case "AdminLinkProviderForUser": {
        // As AWS: the destination by its stored username; a source that already signed in
        // (`<Provider>_<subject>` user) or is linked anywhere in the pool is refused.
        const destination = (input["DestinationUser"] ?? {}) as Record<string, unknown>;
        const source = (input["SourceUser"] ?? {}) as Record<string, unknown>;
        if (destination["ProviderName"] !== "Cognito") return error(400, "InvalidParameterException", "DestinationUser must be a Cognito user.");
        const provider = String(source["ProviderName"] ?? "");
        const subject = String(source["ProviderAttributeValue"] ?? "");
        if (provider === "" || subject === "" || source["ProviderAttributeName"] !== "Cognito_Subject") {
          return error(400, "InvalidParameterException", "SourceUser needs ProviderName, ProviderAttributeName and ProviderAttributeValue.");
        }
        const user = pool.users.find((u) => u.username === destination["ProviderAttributeValue"]);
        if (!user) return error(400, "UserNotFoundException", "User does not exist.");
        if (pool.users.some((u) => u.username === `${provider}_${subject}`)) {
          return error(400, "InvalidParameterException", "Merging is not currently supported, provide a SourceUser that has not been signed up in order to link");
        }
        const linkedOf = (u: FakeCognitoUser) => JSON.parse(u.attributes["identities"] ?? "[]") as { providerName: string; userId: string }[];
        if (pool.users.some((u) => linkedOf(u).some((i) => i.providerName === provider && i.userId === subject))) {
          return error(400, "InvalidParameterException", "Invalid SourceUser: SourceUser is already linked to a user in this user pool.");
        }
        const identities = linkedOf(user);
        if (identities.length >= 5) return error(400, "LimitExceededException", "A user can have at most 5 linked identities.");
        identities.push({ providerName: provider, userId: subject });
        user.attributes["identities"] = JSON.stringify(identities);
        return okJson({});
      }
      case "ListUserPoolClients": {
        const max = input["MaxResults"] === undefined ? MAX_PAGE : Number(input["MaxResults"]);
        if (!(max >= 1 && max <= MAX_PAGE)) return error(400, "InvalidParameterException", "MaxResults must be 1-60.");
        const all = appClients.get(poolId) ?? [];
        const offset = Number(input["NextToken"] ?? 0);
        const page = all.slice(offset, offset + max);
        const next = offset + max < all.length ? String(offset + max) : undefined;
        return okJson({
          UserPoolClients: page.map((c) => ({ ClientId: c.clientId, ClientName: c.clientName, UserPoolId: poolId })),
          ...(next ? { NextToken: next } : {}),
        });
      }
      case "DescribeUserPoolClient": {
        const client = (appClients.get(poolId) ?? []).find((c) => c.clientId === input["ClientId"]);
        if (!client) return error(400, "ResourceNotFoundException", "User pool client does not exist.");
        return okJson({
          UserPoolClient: {
            UserPoolId: poolId,
            ClientId: client.clientId,
            ClientName: client.clientName,
            // Like AWS: only a client's own explicit list is returned.
            ...(client.writeAttributes === undefined ? {} : { WriteAttributes: client.writeAttributes }),
          },
        });
      }
      default:
        return error(400, "UnknownOperationException", operation);
    }
  }
}
