/**
 * Test helpers for code that talks to the sidecar stand-in: start one on a random port, get a
 * `@propelauth/byo-node` client for it, and narrow results without `any`. The narrowing helpers
 * throw with the whole result in the message, so a failed test shows what came back.
 * Used by test/node/sidecar-standin*.test.ts; not used by the stand-in itself.
 */
import {
  createClient,
  type CompletedScimRequestResponse,
  type CreateScimConnectionCommand,
  type CreateScimConnectionResponse,
  type JsonValue,
  type PropelAuthClient,
  type Result,
  type ScimClientFacingError,
  type ScimRequestResponse,
} from "@propelauth/byo-node";
import { startSidecarStandin, type RunningSidecarStandin, type SidecarStandinOptions } from "./index.ts";
import { isJsonObject, type JsonObject } from "./json.ts";
import { PATCH_OP_SCHEMA, USER_SCHEMA } from "./scim-resources.ts";

export const TEST_INTEGRATION_KEY = "standin-test-integration-key";
export { GROUP_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA } from "./scim-resources.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type ActionRequired = Extract<ScimRequestResponse, { status: "ActionRequired" }>;
export type ActionName = ActionRequired["action"];
export type ActionOf<A extends ActionName> = Extract<ActionRequired, { action: A }>;
export type CompletedScim = Extract<ScimRequestResponse, { status: "Completed" }>;
export type ScimResult = Result<ScimRequestResponse, ScimClientFacingError>;

export interface StandinHarness {
  readonly standin: RunningSidecarStandin;
  readonly byo: PropelAuthClient;
  close(): Promise<void>;
  createConnection(input?: Partial<CreateScimConnectionCommand>): Promise<CreateScimConnectionResponse>;
  scim(scimApiKey: string, method: HttpMethod, pathAndQueryParams: string, body?: JsonValue): Promise<ScimResult>;
  /** POSTs a user and links it; returns the SCIM id, the app id and the stored resource. */
  provisionUser(
    connection: CreateScimConnectionResponse,
    userName: string,
    extra?: JsonObject,
    userId?: string,
  ): Promise<{ scimId: string; userId: string; resource: JsonObject }>;
  /** A raw `/run-command` call, for transport tests the client cannot express. */
  rawRunCommand(body: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  commandCounts(): Promise<Record<string, number>>;
  resetCommandCounts(): Promise<void>;
}

let customerCounter = 0;
let appUserCounter = 0;

export async function startStandinHarness(options: Partial<SidecarStandinOptions> = {}): Promise<StandinHarness> {
  const standin = await startSidecarStandin({ integrationKey: TEST_INTEGRATION_KEY, ...options });
  const byo = createClient({ url: standin.url, integrationKey: options.integrationKey ?? TEST_INTEGRATION_KEY });

  const harness: StandinHarness = {
    standin,
    byo,
    close: () => standin.close(),
    async createConnection(input = {}) {
      customerCounter += 1;
      const result = await byo.scim.management.createScimConnection({ customerId: `customer-${customerCounter}`, ...input });
      if (!result.ok) throw new Error(`createScimConnection failed: ${JSON.stringify(result.error)}`);
      return result.data;
    },
    scim: (scimApiKey, method, pathAndQueryParams, body) =>
      byo.scim.scimRequest({ method, pathAndQueryParams, scimApiKey, ...(body === undefined ? {} : { body }) }),
    async provisionUser(connection, userName, extra = {}, userId) {
      appUserCounter += 1;
      const appUserId = userId ?? `app-user-${appUserCounter}`;
      const posted = await harness.scim(connection.scimApiKey, "POST", "/Users", {
        schemas: [USER_SCHEMA],
        userName,
        active: true,
        ...extra,
      });
      const link = actionOf(posted, "LinkUser");
      const linked = await byo.scim.linkScimUser({ connectionId: link.connectionId, commitId: link.commitId, userId: appUserId });
      const data = okData(linked);
      const resource = data.responseData;
      if (!resource || typeof resource["id"] !== "string") throw new Error(`link returned no resource: ${JSON.stringify(data)}`);
      return { scimId: resource["id"], userId: appUserId, resource };
    },
    async rawRunCommand(body, headers = { authorization: `Bearer ${TEST_INTEGRATION_KEY}` }) {
      const response = await fetch(`${standin.url}/run-command`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      return { status: response.status, body: await response.json() };
    },
    async commandCounts() {
      const response = await fetch(`${standin.url}/__standin/command-counts`);
      return (await response.json()) as Record<string, number>;
    },
    async resetCommandCounts() {
      await fetch(`${standin.url}/__standin/command-counts/reset`, { method: "POST" });
    },
  };
  return harness;
}

/** The data of an ok result, or a throw showing the error. */
export function okData<T, E>(result: Result<T, E>): T {
  if (!result.ok) throw new Error(`expected ok, got error ${JSON.stringify(result.error)}`);
  return result.data;
}

/** The error of a failed result, or a throw showing the data. */
export function errorOf<T, E>(result: Result<T, E>): E {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
  return result.error;
}

export function completedOf(result: ScimResult): CompletedScim {
  const data = okData(result);
  if (data.status !== "Completed") throw new Error(`expected Completed, got ${JSON.stringify(data)}`);
  return data;
}

export function actionOf<A extends ActionName>(result: ScimResult, action: A): ActionOf<A> {
  const data = okData(result);
  if (data.status !== "ActionRequired" || data.action !== action) {
    throw new Error(`expected ActionRequired ${action}, got ${JSON.stringify(data)}`);
  }
  return data as ActionOf<A>;
}

/** `responseData` of a completed response, or a throw. */
export function resourceOf(response: CompletedScimRequestResponse): JsonObject {
  if (!response.responseData) throw new Error(`expected responseData, got ${JSON.stringify(response)}`);
  return response.responseData;
}

/** `Resources` of a ListResponse. */
export function listedResources(response: CompletedScimRequestResponse): JsonObject[] {
  const resources = resourceOf(response)["Resources"];
  if (!Array.isArray(resources)) throw new Error(`expected a ListResponse, got ${JSON.stringify(response)}`);
  return resources.filter(isJsonObject);
}

export function patchBody(...operations: JsonObject[]): JsonObject {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}
