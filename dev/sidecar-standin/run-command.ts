/**
 * `POST /run-command`: integration-key check, body parsing and dispatch to the command handlers.
 *
 * Errors follow `IntegrationKeyError` of `@propelauth/byo-node`: no `Authorization: Bearer`
 * header → 401 `NoIntegrationKeyFoundInHeader`, wrong key → 401 `IntegrationKeyNotFound`.
 * Keys are compared as SHA-256 digests with `timingSafeEqual`, so the comparison time does not
 * depend on where the keys differ. Unknown commands and malformed bodies are 400 `UnexpectedError`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { PingResponse } from "@propelauth/byo-node";
import { success, unexpectedError, type CommandReply } from "./command-reply.ts";
import { createScimConnection, deleteScimConnection, fetchScimConnection, patchScimConnection, resetScimApiKey } from "./connections.ts";
import { isJsonObject } from "./json.ts";
import { handleScimRequest } from "./scim-request.ts";
import { nowSeconds, type StandinState } from "./standin-state.ts";
import { commitScimUserChange, linkScimUser } from "./user-commits.ts";
import { getScimUser, getScimUsers } from "./user-queries.ts";

export type CommandHandler = (state: StandinState, data: unknown) => CommandReply;

function ping(state: StandinState): CommandReply {
  const response: PingResponse = { timestamp: nowSeconds(state) };
  return success(response);
}

/** The commands the stand-in serves: Ping and the SCIM set of byo-contract §3.3. */
export const COMMAND_HANDLERS: Readonly<Record<string, CommandHandler>> = {
  Ping: ping,
  ScimRequest: handleScimRequest,
  LinkScimUser: linkScimUser,
  CommitScimUserChange: commitScimUserChange,
  GetScimUser: getScimUser,
  GetScimUsers: getScimUsers,
  CreateScimConnection: createScimConnection,
  FetchScimConnection: fetchScimConnection,
  PatchScimConnection: patchScimConnection,
  ResetScimApiKey: resetScimApiKey,
  DeleteScimConnection: deleteScimConnection,
};

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Returns a checker answering the 401 for a bad `Authorization` header, or undefined when it is right. */
export function createIntegrationKeyCheck(integrationKey: string): (authorization: string | undefined) => CommandReply | undefined {
  const expected = digest(integrationKey);
  return (authorization) => {
    const match = authorization === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(authorization.trim());
    if (!match?.[1]) return { status: 401, body: { type: "NoIntegrationKeyFoundInHeader" } };
    if (!timingSafeEqual(digest(match[1].trim()), expected)) return { status: 401, body: { type: "IntegrationKeyNotFound" } };
    return undefined;
  };
}

/** The `command` field of a body, when it can be read (for counting, even if the call fails later). */
export function commandNameOf(rawBody: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    return isJsonObject(parsed) && typeof parsed["command"] === "string" ? parsed["command"] : undefined;
  } catch {
    return undefined;
  }
}

export function runCommand(
  state: StandinState,
  request: { readonly authorization: string | undefined; readonly rawBody: string },
  checkIntegrationKey: (authorization: string | undefined) => CommandReply | undefined,
): CommandReply {
  const denied = checkIntegrationKey(request.authorization);
  if (denied) return denied;

  let parsed: unknown;
  try {
    parsed = JSON.parse(request.rawBody);
  } catch {
    return unexpectedError("The request body is not valid JSON.");
  }
  if (!isJsonObject(parsed) || typeof parsed["command"] !== "string") {
    return unexpectedError('The request body must be {"command": string, "data": object}.');
  }
  const command = parsed["command"];
  const handler = Object.hasOwn(COMMAND_HANDLERS, command) ? COMMAND_HANDLERS[command] : undefined;
  if (!handler) {
    const served = Object.keys(COMMAND_HANDLERS).join(", ");
    return unexpectedError(`Unknown or unsupported command ${JSON.stringify(command)} (the stand-in serves ${served}).`);
  }
  try {
    return handler(state, parsed["data"]);
  } catch (error) {
    // A throw here is a stand-in bug; answer 500 so it cannot pass for a command error.
    const details = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return unexpectedError(`The stand-in failed on ${command}: ${details}`, 500);
  }
}
