/**
 * One sidecar stand-in per test file and a fresh SCIM connection per test, with its SCIM calls and
 * user provisioning bound to that connection.
 */
import type { CreateScimConnectionResponse, JsonValue } from "@propelauth/byo-node";
import type { JsonObject } from "../../../dev/sidecar-standin/json.ts";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startStandinHarness, type StandinHarness } from "../../../dev/sidecar-standin/testing.ts";

type ScimMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface StandinConnectionFixture {
  harness(): StandinHarness;
  connection(): CreateScimConnectionResponse;
  scim(method: ScimMethod, path: string, body?: JsonValue): ReturnType<StandinHarness["scim"]>;
  provisionUser(userName: string, extra?: JsonObject, userId?: string): ReturnType<StandinHarness["provisionUser"]>;
}

export function useStandinConnectionPerTest(): StandinConnectionFixture {
  let harness: StandinHarness | undefined;
  let connection: CreateScimConnectionResponse | undefined;
  beforeAll(async () => {
    harness = await startStandinHarness();
  });
  afterAll(() => harness?.close());
  beforeEach(async () => {
    connection = await current().createConnection();
  });
  const current = (): StandinHarness => {
    if (!harness) throw new Error("the stand-in is not started yet");
    return harness;
  };
  const currentConnection = (): CreateScimConnectionResponse => {
    if (!connection) throw new Error("no connection yet");
    return connection;
  };
  return {
    harness: current,
    connection: currentConnection,
    scim: (method, path, body) => current().scim(currentConnection().scimApiKey, method, path, body),
    provisionUser: (userName, extra, userId) => current().provisionUser(currentConnection(), userName, extra, userId),
  };
}
