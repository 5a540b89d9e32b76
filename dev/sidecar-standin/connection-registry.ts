/**
 * The stand-in's SCIM connections and their API keys.
 *
 * Keys are `scim_` + 48 random hex characters and are stored only as SHA-256 digests, looked up by
 * digest. Resetting a key revokes the old one at once (the project's choice; byo-contract §6
 * leaves any grace period open). Deleting a connection drops its users and groups with it; the
 * caller drops its staged changes.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ScimUserMappingConfig } from "@propelauth/byo-node";
import { createGroupStore, type GroupStore } from "./group-store.ts";
import { createUserStore, type UserStore } from "./user-store.ts";

/** Prefix of every SCIM API key the stand-in mints (the real sidecar's keys start the same way). */
export const SCIM_API_KEY_PREFIX = "scim_";
/** Random bytes after the prefix (48 hex characters). */
const SCIM_API_KEY_RANDOM_BYTES = 24;

export interface ScimConnection {
  readonly connectionId: string;
  readonly customerId: string;
  displayName: string | null;
  apiKeyDigest: string;
  /** UNIX seconds after which the key is refused, or null for no expiry. */
  apiKeyValidUntil: number | null;
  customMapping: ScimUserMappingConfig | null;
  readonly users: UserStore;
  readonly groups: GroupStore;
}

/** How management commands name a connection: by id or by customer id. */
export interface ConnectionIdentifier {
  readonly scimConnectionId?: string | undefined;
  readonly customerId?: string | undefined;
}

export interface NewConnection {
  readonly customerId: string;
  readonly displayName: string | null;
  readonly apiKeyValidUntil: number | null;
  readonly customMapping: ScimUserMappingConfig | null;
}

export interface ConnectionRegistry {
  /** Creates a connection and returns it with its key, or undefined when the customer already has one. */
  create(input: NewConnection): { connection: ScimConnection; apiKey: string } | undefined;
  get(connectionId: string): ScimConnection | undefined;
  find(identifier: ConnectionIdentifier): ScimConnection | undefined;
  /** The connection whose current, unexpired key is `apiKey`. */
  authenticate(apiKey: string, nowSeconds: number): ScimConnection | undefined;
  resetApiKey(connection: ScimConnection, validUntil: number | null): string;
  delete(connection: ScimConnection): void;
}

function digestOf(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

function mintApiKey(): string {
  return SCIM_API_KEY_PREFIX + randomBytes(SCIM_API_KEY_RANDOM_BYTES).toString("hex");
}

export function createConnectionRegistry(): ConnectionRegistry {
  const byId = new Map<string, ScimConnection>();
  const idByCustomerId = new Map<string, string>();
  const idByKeyDigest = new Map<string, string>();

  return {
    create(input) {
      if (idByCustomerId.has(input.customerId)) return undefined;
      const apiKey = mintApiKey();
      const connection: ScimConnection = {
        connectionId: randomUUID(),
        customerId: input.customerId,
        displayName: input.displayName,
        apiKeyDigest: digestOf(apiKey),
        apiKeyValidUntil: input.apiKeyValidUntil,
        customMapping: input.customMapping,
        users: createUserStore(),
        groups: createGroupStore(),
      };
      byId.set(connection.connectionId, connection);
      idByCustomerId.set(connection.customerId, connection.connectionId);
      idByKeyDigest.set(connection.apiKeyDigest, connection.connectionId);
      return { connection, apiKey };
    },
    get: (connectionId) => byId.get(connectionId),
    find(identifier) {
      if (identifier.scimConnectionId !== undefined) return byId.get(identifier.scimConnectionId);
      if (identifier.customerId !== undefined) {
        const id = idByCustomerId.get(identifier.customerId);
        return id === undefined ? undefined : byId.get(id);
      }
      return undefined;
    },
    authenticate(apiKey, nowSeconds) {
      const id = idByKeyDigest.get(digestOf(apiKey));
      const connection = id === undefined ? undefined : byId.get(id);
      if (!connection) return undefined;
      if (connection.apiKeyValidUntil !== null && nowSeconds >= connection.apiKeyValidUntil) return undefined;
      return connection;
    },
    resetApiKey(connection, validUntil) {
      idByKeyDigest.delete(connection.apiKeyDigest);
      const apiKey = mintApiKey();
      connection.apiKeyDigest = digestOf(apiKey);
      connection.apiKeyValidUntil = validUntil;
      idByKeyDigest.set(connection.apiKeyDigest, connection.connectionId);
      return apiKey;
    },
    delete(connection) {
      byId.delete(connection.connectionId);
      idByCustomerId.delete(connection.customerId);
      idByKeyDigest.delete(connection.apiKeyDigest);
    },
  };
}
