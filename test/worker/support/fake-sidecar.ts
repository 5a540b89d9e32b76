/**
 * An in-process fake of the BYO sidecar's `/run-command` for worker tests. It checks the
 * integration key and Access headers on every call, records every command, and answers from
 * per-command scripts.
 */
export interface RecordedCommand {
  readonly command: string;
  readonly data: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

export type ScriptedAnswer =
  | { status: number; json: unknown }
  | { status: number; text: string }
  | "hang"
  | "network-error";

export type CommandScript = (data: Record<string, unknown>) => ScriptedAnswer;

export interface FakeSidecar {
  readonly calls: RecordedCommand[];
  /** Answers the next call of `command` (queued, first in first out), then falls back to `always`. */
  once(command: string, script: CommandScript | ScriptedAnswer): void;
  always(command: string, script: CommandScript | ScriptedAnswer): void;
  commands(name?: string): RecordedCommand[];
  /** Calls whose integration key or Access headers were wrong (must stay empty). */
  readonly authFailures: RecordedCommand[];
  handle(request: Request): Promise<Response>;
}

export function createFakeSidecar(options: {
  integrationKey: string;
  accessClientId?: string;
  accessClientSecret?: string;
  customerByConnection: Record<string, string>;
}): FakeSidecar {
  const calls: RecordedCommand[] = [];
  const authFailures: RecordedCommand[] = [];
  const queued = new Map<string, (CommandScript | ScriptedAnswer)[]>();
  const fallback = new Map<string, CommandScript | ScriptedAnswer>();

  fallback.set("Ping", () => ({ status: 200, json: { timestamp: 1_700_000_000 } }));
  // No SCIM user is linked to an app user id unless a test says otherwise.
  fallback.set("GetScimUser", () => ({ status: 404, json: { type: "UserNotFound" } }));
  fallback.set("FetchScimConnection", (data) => {
    const connectionId = String(data["scimConnectionId"]);
    const customerId = options.customerByConnection[connectionId];
    return customerId === undefined
      ? { status: 404, json: { type: "ScimConnectionNotFound" } }
      : { status: 200, json: { connectionId, customerId, displayName: null, scimApiKeyValidUntil: null, userMapping: { userSchema: [] } } };
  });

  function resolve(script: CommandScript | ScriptedAnswer, data: Record<string, unknown>): ScriptedAnswer {
    return typeof script === "function" ? script(data) : script;
  }

  return {
    calls,
    authFailures,
    once(command, script) {
      const list = queued.get(command) ?? [];
      list.push(script);
      queued.set(command, list);
    },
    always(command, script) {
      fallback.set(command, script);
    },
    commands(name) {
      return name === undefined ? calls : calls.filter((call) => call.command === name);
    },
    async handle(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || !url.pathname.endsWith("/run-command")) {
        throw new Error(`fake sidecar: unexpected ${request.method} ${url.pathname}`);
      }
      const headers = Object.fromEntries(request.headers);
      const parsed = (await request.json()) as { command: string; data: Record<string, unknown> };
      const recorded: RecordedCommand = { command: parsed.command, data: parsed.data, headers };
      calls.push(recorded);
      const authOk =
        headers["authorization"] === `Bearer ${options.integrationKey}` &&
        headers["content-type"] === "application/json" &&
        (options.accessClientId === undefined ||
          (headers["cf-access-client-id"] === options.accessClientId && headers["cf-access-client-secret"] === options.accessClientSecret));
      if (!authOk) {
        authFailures.push(recorded);
        return Response.json({ type: "IntegrationKeyNotFound" }, { status: 401 });
      }
      const script = queued.get(parsed.command)?.shift() ?? fallback.get(parsed.command);
      if (script === undefined) throw new Error(`fake sidecar: no script for ${parsed.command}`);
      const answer = resolve(script, parsed.data);
      if (answer === "hang") {
        return new Promise<Response>((_, reject) => {
          request.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        });
      }
      if (answer === "network-error") throw new TypeError("Network connection lost.");
      if ("json" in answer) return Response.json(answer.json, { status: answer.status });
      return new Response(answer.text, { status: answer.status });
    },
  };
}

/** A SCIM user the fake sidecar holds for a connection (what GetScimUsers returns). */
export interface FakeScimUser {
  readonly scimId: string;
  readonly userName: string;
  readonly primaryEmail: string | null;
  readonly active: boolean;
  /** The linked app user id (the Cognito sub), or null when never linked. */
  readonly userId: string | null;
}

export interface FakeConnection {
  readonly connectionId: string;
  readonly customerId: string;
  displayName: string | null;
  scimApiKeyValidUntil: number | null;
  apiKey: string;
  readonly users: FakeScimUser[];
}

/** The connection-management half of the fake: a registry the management commands act on. */
export interface FakeConnectionRegistry {
  readonly connections: FakeConnection[];
  byCustomer(customerId: string): FakeConnection | undefined;
  add(customerId: string, fields?: { displayName?: string; scimApiKeyValidUntil?: number }): FakeConnection;
  addUser(customerId: string, user: Omit<FakeScimUser, "scimId"> & { scimId?: string }): FakeScimUser;
}

/**
 * Makes the fake answer CreateScimConnection, FetchScimConnection (by connection or customer id;
 * connection ids from `customerByConnection` still resolve), PatchScimConnection, ResetScimApiKey,
 * DeleteScimConnection and GetScimUsers from an in-memory registry, following the project's
 * stand-in: one connection per customer, 0-based pages of 50 by default (at most 100), and error
 * bodies `{type, details?}` with HTTP 400/404. Scripts queued with `once` still take precedence.
 */
export function installConnectionManagement(sidecar: FakeSidecar, customerByConnection: Record<string, string> = {}): FakeConnectionRegistry {
  const connections: FakeConnection[] = [];
  let counter = 0;
  const newKey = () => `scim_${crypto.randomUUID().replace(/-/g, "")}${crypto.randomUUID().replace(/-/g, "")}`;
  const notFound: ScriptedAnswer = { status: 404, json: { type: "ScimConnectionNotFound" } };

  const registry: FakeConnectionRegistry = {
    connections,
    byCustomer: (customerId) => connections.find((c) => c.customerId === customerId),
    add(customerId, fields = {}) {
      counter += 1;
      const connection: FakeConnection = {
        connectionId: `conn_${counter}_${crypto.randomUUID().slice(0, 8)}`,
        customerId,
        displayName: fields.displayName ?? null,
        scimApiKeyValidUntil: fields.scimApiKeyValidUntil ?? null,
        apiKey: newKey(),
        users: [],
      };
      connections.push(connection);
      return connection;
    },
    addUser(customerId, user) {
      const connection = registry.byCustomer(customerId) ?? registry.add(customerId);
      const stored: FakeScimUser = { ...user, scimId: user.scimId ?? `scim-${crypto.randomUUID().slice(0, 12)}` };
      connection.users.push(stored);
      return stored;
    },
  };

  function find(data: Record<string, unknown>): FakeConnection | undefined {
    if (typeof data["scimConnectionId"] === "string") return connections.find((c) => c.connectionId === data["scimConnectionId"]);
    if (typeof data["customerId"] === "string") return registry.byCustomer(data["customerId"]);
    return undefined;
  }

  sidecar.always("CreateScimConnection", (data) => {
    const customerId = typeof data["customerId"] === "string" ? data["customerId"].trim() : "";
    if (customerId === "") {
      return { status: 400, json: { type: "InvalidFields", details: { fields: [{ field: "customerId", code: "required", message: "customerId is required" }] } } };
    }
    if (typeof data["displayName"] === "string" && data["displayName"].trim() === "") {
      return { status: 400, json: { type: "InvalidFields", details: { fields: [{ field: "displayName", code: "invalid", message: "displayName must not be blank" }] } } };
    }
    if (registry.byCustomer(customerId)) return { status: 400, json: { type: "ScimConnectionForCustomerIdAlreadyExists" } };
    const connection = registry.add(customerId, {
      ...(typeof data["displayName"] === "string" ? { displayName: data["displayName"] } : {}),
      ...(typeof data["scimApiKeyExpiration"] === "number" ? { scimApiKeyValidUntil: data["scimApiKeyExpiration"] } : {}),
    });
    return { status: 200, json: { connectionId: connection.connectionId, scimApiKey: connection.apiKey } };
  });

  sidecar.always("FetchScimConnection", (data) => {
    const connection = find(data);
    if (connection) {
      return {
        status: 200,
        json: {
          connectionId: connection.connectionId,
          customerId: connection.customerId,
          displayName: connection.displayName,
          scimApiKeyValidUntil: connection.scimApiKeyValidUntil,
          userMapping: { userSchema: [] },
        },
      };
    }
    const connectionId = String(data["scimConnectionId"]);
    const customerId = customerByConnection[connectionId];
    return customerId === undefined
      ? notFound
      : { status: 200, json: { connectionId, customerId, displayName: null, scimApiKeyValidUntil: null, userMapping: { userSchema: [] } } };
  });

  sidecar.always("PatchScimConnection", (data) => {
    const connection = find(data);
    if (!connection) return notFound;
    if (typeof data["displayName"] === "string") connection.displayName = data["displayName"];
    if (typeof data["scimApiKeyExpiration"] === "number") connection.scimApiKeyValidUntil = data["scimApiKeyExpiration"];
    return { status: 200, json: {} };
  });

  sidecar.always("ResetScimApiKey", (data) => {
    const connection = find(data);
    if (!connection) return notFound;
    connection.apiKey = newKey();
    connection.scimApiKeyValidUntil = typeof data["scimApiKeyExpiration"] === "number" ? data["scimApiKeyExpiration"] : null;
    return { status: 200, json: { connectionId: connection.connectionId, scimApiKey: connection.apiKey } };
  });

  sidecar.always("DeleteScimConnection", (data) => {
    const connection = find(data);
    if (!connection) return notFound;
    connections.splice(connections.indexOf(connection), 1);
    return { status: 200, json: {} };
  });

  sidecar.always("GetScimUsers", (data) => {
    const connection = find(data);
    if (!connection) return notFound;
    const pageNumber = typeof data["pageNumber"] === "number" ? data["pageNumber"] : 0;
    const pageSize = Math.min(typeof data["pageSize"] === "number" ? data["pageSize"] : 50, 100);
    if (pageNumber < 0) return { status: 400, json: { type: "InvalidQueryField", details: { field: "pageNumber", message: "pageNumber must be 0 or more" } } };
    if (pageSize < 1) return { status: 400, json: { type: "InvalidQueryField", details: { field: "pageSize", message: "pageSize must be at least 1" } } };
    const start = pageNumber * pageSize;
    return {
      status: 200,
      json: {
        connectionId: connection.connectionId,
        users: connection.users.slice(start, start + pageSize).map((user) => ({
          connectionId: connection.connectionId,
          scimUser: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], id: user.scimId, userName: user.userName, active: user.active },
          primaryEmail: user.primaryEmail,
          parsedUserData: {},
          active: user.active,
          userId: user.userId,
        })),
        pageNumber,
        pageSize,
        totalResults: connection.users.length,
      },
    };
  });

  return registry;
}
