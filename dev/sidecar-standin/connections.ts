/**
 * Connection management commands: Create, Fetch, Patch, ResetScimApiKey, Delete.
 *
 * Choices where byo-contract §6 is open: `customerId` is unique; an omitted
 * `scimApiKeyExpiration` means "never expires" (also on reset, which does not carry the old
 * expiry over); reset revokes the old key at once; delete removes the connection's users,
 * groups and staged changes; `userMapping` in Fetch is the effective mapping.
 */
import type {
  CreateScimConnectionResponse,
  FetchScimConnectionResponse,
  ResetScimApiKeyResponse,
} from "@propelauth/byo-node";
import type { z } from "zod";
import { commandError, success, unexpectedError, type CommandReply } from "./command-reply.ts";
import {
  connectionIdentifierData,
  createScimConnectionData,
  describeIssues,
  patchScimConnectionData,
  resetScimApiKeyData,
} from "./command-schemas.ts";
import type { StandinState } from "./standin-state.ts";
import { effectiveMapping } from "./user-mapping.ts";

/** Longest `displayName` the stand-in accepts (the real limit is not documented). */
const MAX_DISPLAY_NAME_LENGTH = 255;

function displayNameProblem(displayName: string): string | undefined {
  if (displayName.trim() === "") return "displayName must not be blank";
  if (displayName.length > MAX_DISPLAY_NAME_LENGTH) return `displayName must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`;
  return undefined;
}

const connectionNotFound = (): CommandReply => commandError({ type: "ScimConnectionNotFound" });

export function createScimConnection(state: StandinState, data: unknown): CommandReply {
  const parsed = createScimConnectionData.safeParse(data);
  if (!parsed.success) return invalidFields(parsed.error);
  const input = parsed.data;
  const nameProblem = input.displayName === undefined ? undefined : displayNameProblem(input.displayName);
  if (nameProblem) {
    return commandError({
      type: "InvalidFields",
      details: { fields: [{ field: "displayName", code: "invalid", message: nameProblem }] },
    });
  }
  const created = state.registry.create({
    customerId: input.customerId,
    displayName: input.displayName ?? null,
    apiKeyValidUntil: input.scimApiKeyExpiration ?? null,
    customMapping: input.customMapping ?? null,
  });
  if (!created) return commandError({ type: "ScimConnectionForCustomerIdAlreadyExists" });
  const response: CreateScimConnectionResponse = {
    connectionId: created.connection.connectionId,
    scimApiKey: created.apiKey,
  };
  return success(response);
}

function invalidFields(error: z.ZodError): CommandReply {
  return commandError({
    type: "InvalidFields",
    details: {
      fields: error.issues.map((issue) => ({
        field: issue.path.join(".") || "data",
        code: issue.code,
        message: issue.message,
      })),
    },
  });
}

export function fetchScimConnection(state: StandinState, data: unknown): CommandReply {
  const parsed = connectionIdentifierData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return connectionNotFound();
  const response: FetchScimConnectionResponse = {
    connectionId: connection.connectionId,
    customerId: connection.customerId,
    displayName: connection.displayName,
    scimApiKeyValidUntil: connection.apiKeyValidUntil,
    userMapping: structuredClone(effectiveMapping(connection.customMapping)),
  };
  return success(response);
}

export function patchScimConnection(state: StandinState, data: unknown): CommandReply {
  const parsed = patchScimConnectionData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return connectionNotFound();
  const { displayName, scimApiKeyExpiration, customMapping } = parsed.data;
  if (displayName !== undefined) {
    const problem = displayNameProblem(displayName);
    if (problem) return commandError({ type: "DisplayNameInvalid", details: { message: problem } });
  }
  if (displayName !== undefined) connection.displayName = displayName;
  if (scimApiKeyExpiration !== undefined) connection.apiKeyValidUntil = scimApiKeyExpiration;
  if (customMapping !== undefined) connection.customMapping = customMapping;
  return success({});
}

export function resetScimApiKey(state: StandinState, data: unknown): CommandReply {
  const parsed = resetScimApiKeyData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return connectionNotFound();
  const scimApiKey = state.registry.resetApiKey(connection, parsed.data.scimApiKeyExpiration ?? null);
  const response: ResetScimApiKeyResponse = { connectionId: connection.connectionId, scimApiKey };
  return success(response);
}

export function deleteScimConnection(state: StandinState, data: unknown): CommandReply {
  const parsed = connectionIdentifierData.safeParse(data);
  if (!parsed.success) return unexpectedError(describeIssues(parsed.error));
  const connection = state.registry.find(parsed.data);
  if (!connection) return connectionNotFound();
  state.registry.delete(connection);
  state.staged.dropConnection(connection.connectionId);
  return success({});
}
