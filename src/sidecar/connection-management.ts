/**
 * The sidecar's SCIM connection management (byo-contract §6): Create / Fetch / Patch /
 * ResetScimApiKey / Delete ScimConnection and GetScimUsers, through `@propelauth/byo-node`'s
 * `ScimClient.management` driven by our run-command transport (timeout + Access headers).
 * Every answer is validated; every failure is a `ManagementFailure` value. The API key in a
 * create/reset answer is handed to the caller once and never logged or stored here.
 */
import { ScimClient, type ScimUsersPageEqualityFilter } from "@propelauth/byo-node";
import * as z from "zod";
import type { Config } from "../config";
import { fail, ok, type Result } from "../result";
import type { Clock, FetchLike, UpstreamTimer } from "../timing";
import { createRunCommandTransport } from "./run-command-transport";
import { transportFailureOf, validatedAnswer, type SidecarFailure } from "./sidecar-answers";
import { completeScimUserSchema, fetchScimConnectionSchema } from "./sidecar-schemas";

/** Which connection: the sidecar accepts either identifier on every command but create. */
export type ConnectionRef = { readonly customerId: string } | { readonly connectionId: string };

export interface InvalidField {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** What can go wrong, as data. Transport and contract failures reuse the worker's sidecar kinds. */
export type ManagementFailure =
  | SidecarFailure
  | { readonly kind: "connection_not_found" }
  | { readonly kind: "connection_exists" }
  | { readonly kind: "invalid_fields"; readonly fields: readonly InvalidField[] }
  | { readonly kind: "display_name_invalid"; readonly message: string }
  | { readonly kind: "invalid_query_field"; readonly field: string; readonly message: string };

const newKeySchema = z.object({ connectionId: z.string().min(1), scimApiKey: z.string().min(1) });

const usersPageSchema = z.object({
  connectionId: z.string().min(1),
  users: z.array(completeScimUserSchema),
  pageNumber: z.number().int(),
  pageSize: z.number().int(),
  totalResults: z.number().int().min(0),
});

const errorSchema = z.object({ type: z.string(), details: z.unknown().optional() }).passthrough();
const invalidFieldsSchema = z.object({
  fields: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })),
});
const messageSchema = z.object({ message: z.string() });
const queryFieldSchema = z.object({ field: z.string(), message: z.string() });

export interface NewScimKey {
  readonly connectionId: string;
  /** Shown to the operator once; never logged. */
  readonly scimApiKey: string;
}

export interface ScimConnectionInfo {
  readonly connectionId: string;
  readonly customerId: string;
  readonly displayName: string | null;
  /** UNIX seconds, or null when the key does not expire. */
  readonly scimApiKeyValidUntil: number | null;
}

export type ScimUserRecord = z.infer<typeof completeScimUserSchema>;

export interface ScimUsersPage {
  readonly connectionId: string;
  readonly users: readonly ScimUserRecord[];
  readonly pageNumber: number;
  readonly pageSize: number;
  readonly totalResults: number;
}

export interface ConnectionManagement {
  create(input: { customerId: string; displayName?: string; scimApiKeyExpiration?: number }): Promise<Result<NewScimKey, ManagementFailure>>;
  fetch(ref: ConnectionRef): Promise<Result<ScimConnectionInfo, ManagementFailure>>;
  patch(ref: ConnectionRef, changes: { displayName?: string; scimApiKeyExpiration?: number }): Promise<Result<null, ManagementFailure>>;
  resetKey(ref: ConnectionRef, options: { scimApiKeyExpiration?: number }): Promise<Result<NewScimKey, ManagementFailure>>;
  delete(ref: ConnectionRef): Promise<Result<null, ManagementFailure>>;
  listUsers(
    ref: ConnectionRef,
    query: { pageNumber?: number; pageSize?: number; filter?: ScimUsersPageEqualityFilter },
  ): Promise<Result<ScimUsersPage, ManagementFailure>>;
}

export interface ConnectionManagementDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timer: UpstreamTimer;
}

type ByoRef = { scimConnectionId: string } | { customerId: string };

const toByoRef = (ref: ConnectionRef): ByoRef => ("connectionId" in ref ? { scimConnectionId: ref.connectionId } : { customerId: ref.customerId });

/** Adds only the optional fields that are set: the sidecar reads a missing field as "not given". */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function createConnectionManagement(config: Config["sidecar"], deps: ConnectionManagementDeps): ConnectionManagement {
  const management = new ScimClient(createRunCommandTransport({ ...config, ...deps })).management;

  return {
    async create(input) {
      const answer = await management.createScimConnection({
        customerId: input.customerId,
        ...defined({ displayName: input.displayName, scimApiKeyExpiration: input.scimApiKeyExpiration }),
      });
      return answer.ok ? validatedAnswer("CreateScimConnection", answer.data, newKeySchema) : fail(commandFailure("CreateScimConnection", answer.error));
    },
    async fetch(ref) {
      const answer = await management.fetchScimConnection(toByoRef(ref));
      if (!answer.ok) return fail(commandFailure("FetchScimConnection", answer.error));
      const parsed = validatedAnswer("FetchScimConnection", answer.data, fetchScimConnectionSchema);
      if (!parsed.ok) return parsed;
      return ok({
        connectionId: parsed.value.connectionId,
        customerId: parsed.value.customerId,
        displayName: parsed.value.displayName ?? null,
        scimApiKeyValidUntil: parsed.value.scimApiKeyValidUntil ?? null,
      });
    },
    async patch(ref, changes) {
      const answer = await management.patchScimConnection({
        ...toByoRef(ref),
        ...defined({ displayName: changes.displayName, scimApiKeyExpiration: changes.scimApiKeyExpiration }),
      });
      return answer.ok ? ok(null) : fail(commandFailure("PatchScimConnection", answer.error));
    },
    async resetKey(ref, options) {
      const answer = await management.resetScimApiKey({ ...toByoRef(ref), ...defined({ scimApiKeyExpiration: options.scimApiKeyExpiration }) });
      return answer.ok ? validatedAnswer("ResetScimApiKey", answer.data, newKeySchema) : fail(commandFailure("ResetScimApiKey", answer.error));
    },
    async delete(ref) {
      const answer = await management.deleteScimConnection(toByoRef(ref));
      return answer.ok ? ok(null) : fail(commandFailure("DeleteScimConnection", answer.error));
    },
    async listUsers(ref, query) {
      const answer = await management.getScimUsers({
        ...toByoRef(ref),
        ...defined({ pageNumber: query.pageNumber, pageSize: query.pageSize, filter: query.filter }),
      });
      return answer.ok ? validatedAnswer("GetScimUsers", answer.data, usersPageSchema) : fail(commandFailure("GetScimUsers", answer.error));
    },
  };
}


/** Known command errors become their own kinds; anything else is the sidecar's problem. */
function commandFailure(command: string, error: unknown): ManagementFailure {
  const transport = transportFailureOf(error);
  if (transport) return transport;
  const parsed = errorSchema.safeParse(error);
  if (!parsed.success) return { kind: "sidecar_rejected", command, errorType: "unrecognised error body" };
  const { type, details } = parsed.data;
  switch (type) {
    case "ScimConnectionNotFound":
      return { kind: "connection_not_found" };
    case "ScimConnectionForCustomerIdAlreadyExists":
      return { kind: "connection_exists" };
    case "InvalidFields": {
      const fields = invalidFieldsSchema.safeParse(details);
      return { kind: "invalid_fields", fields: fields.success ? fields.data.fields : [] };
    }
    case "DisplayNameInvalid": {
      const message = messageSchema.safeParse(details);
      return { kind: "display_name_invalid", message: message.success ? message.data.message : "displayName is invalid" };
    }
    case "InvalidQueryField": {
      const field = queryFieldSchema.safeParse(details);
      return field.success
        ? { kind: "invalid_query_field", field: field.data.field, message: field.data.message }
        : { kind: "invalid_query_field", field: "query", message: "the sidecar refused the query" };
    }
    default:
      // UnexpectedError, integration-key and licence errors: details may hold internals, drop them.
      return { kind: "sidecar_rejected", command, errorType: type };
  }
}
