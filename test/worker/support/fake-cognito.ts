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
}

export interface FakeCognito {
  readonly calls: RecordedCognitoCall[];
  /** Requests refused for a bad signature, target or content type (must stay empty). */
  readonly rejectedRequests: { reason: string }[];
  addPool(userPoolId: string, pool: FakePool): void;
  users(userPoolId: string): FakeCognitoUser[];
  addUser(userPoolId: string, username: string, attributes: Record<string, string>, enabled?: boolean): FakeCognitoUser;
  failNext(operation: string, fault: ScriptedFault, times?: number): void;
  operations(): string[];
  handle(request: Request): Promise<Response>;
}

export function createFakeCognito(credentials: EmulatorCredentials): FakeCognito {
  const calls: RecordedCognitoCall[] = [];
  const rejectedRequests: { reason: string }[] = [];
  const pools = new Map<string, { design: FakePool; users: FakeCognitoUser[] }>();
  const faults = new Map<string, ScriptedFault[]>();
  let subCounter = 0;

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
      pools.set(userPoolId, { design, users: [] });
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
    operations() {
      return calls.map((c) => c.operation);
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
      if (fault) {
        if (fault.headerOnly) {
          return new Response(JSON.stringify({ message: "Rate exceeded" }), { status: fault.status, headers: { "x-amzn-errortype": `${fault.errorType}:http://internal.amazon.com/` } });
        }
        return error(fault.status, `aws.cognito#${fault.errorType}`, "scripted fault");
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
            for (const a of (input["UserAttributes"] as { Name: string; Value: string }[]) ?? []) user.attributes[a.Name] = a.Value;
          }
          return okJson({});
        }
        default:
          return error(400, "UnknownOperationException", operation);
      }
    },
  };
}
