/**
 * Which user pool serves which customer. Three lookups, each cached as far as its data allows:
 * - connectionId -> customerId: never changes, so isolate memory, then KV, then the sidecar's
 *   FetchScimConnection (written back to KV once);
 * - customerId -> pool record: KV `customer:<id>` read through the edge cache (`cacheTtl`), falling
 *   back to DEFAULT_USER_POOL_ID (a shared pool);
 * - pool -> sign-in design: fixed at pool creation, so memory, then KV, then DescribeUserPool.
 */
import { z } from "zod";
import {
  CONNECTION_KEY_PREFIX,
  CUSTOMER_KEY_PREFIX,
  IMMUTABLE_RECORD_CACHE_TTL_SECONDS,
  POOL_INFO_KEY_PREFIX,
  POOL_RECORD_CACHE_TTL_SECONDS,
} from "../constants";
import { cognitoFailureToWorkerFailure } from "../cognito/cognito-client";
import type { PoolSignInDesign, UserDirectory } from "../cognito/user-directory";
import { USER_POOL_ID_PATTERN } from "../cognito/user-pool-id";
import { fail, ok, type Result } from "../result";
import type { WorkerFailure } from "../scim/scim-error";
import type { SidecarClient, SidecarFailure } from "../sidecar/sidecar-client";

/** The KV record `customer:<customerId>`; see docs/storage.md. */
export const customerPoolRecordSchema = z.object({
  userPoolId: z.string().regex(USER_POOL_ID_PATTERN),
  /** True when several customers use this pool: users then carry the tenant attribute. */
  shared: z.boolean().default(false),
  /** Name of the Cognito identity provider (SAML/OIDC) the customer's employees sign in with. */
  identityProvider: z.string().min(1).max(32).optional(),
});
export type CustomerPoolRecord = z.infer<typeof customerPoolRecordSchema>;

export interface CustomerPool extends CustomerPoolRecord {
  readonly customerId: string;
  /** Where the mapping came from, for logs. */
  readonly source: "record" | "default";
}

export interface PoolDirectory {
  customerOfConnection(connectionId: string): Promise<Result<string, WorkerFailure>>;
  poolOfCustomer(customerId: string): Promise<Result<CustomerPool, WorkerFailure>>;
  signInDesign(userPoolId: string): Promise<Result<PoolSignInDesign, WorkerFailure>>;
}

/** Isolate-lifetime memory for facts that never change. */
export interface ImmutableLookupCache {
  readonly customerByConnection: Map<string, string>;
  readonly signInDesignByPool: Map<string, PoolSignInDesign>;
}

export const createImmutableLookupCache = (): ImmutableLookupCache => ({
  customerByConnection: new Map(),
  signInDesignByPool: new Map(),
});

const signInDesignSchema = z.object({
  usernameAttributes: z.array(z.string()),
  aliasAttributes: z.array(z.string()),
});

export interface PoolDirectoryDeps {
  readonly kv: KVNamespace;
  readonly sidecar: SidecarClient;
  readonly users: UserDirectory;
  readonly memory: ImmutableLookupCache;
  readonly defaultUserPoolId: string | undefined;
}

export function createPoolDirectory(deps: PoolDirectoryDeps): PoolDirectory {
  return {
    async customerOfConnection(connectionId) {
      const remembered = deps.memory.customerByConnection.get(connectionId);
      if (remembered !== undefined) return ok(remembered);
      const key = CONNECTION_KEY_PREFIX + connectionId;
      const stored = await deps.kv.get(key, { cacheTtl: IMMUTABLE_RECORD_CACHE_TTL_SECONDS });
      if (stored !== null && stored !== "") {
        deps.memory.customerByConnection.set(connectionId, stored);
        return ok(stored);
      }
      const fetched = await deps.sidecar.fetchScimConnection(connectionId);
      if (!fetched.ok) return fail(fetched.error satisfies SidecarFailure);
      await deps.kv.put(key, fetched.value.customerId);
      deps.memory.customerByConnection.set(connectionId, fetched.value.customerId);
      return ok(fetched.value.customerId);
    },

    async poolOfCustomer(customerId) {
      const raw = await deps.kv.get(CUSTOMER_KEY_PREFIX + customerId, { type: "json", cacheTtl: POOL_RECORD_CACHE_TTL_SECONDS });
      if (raw !== null) {
        const record = customerPoolRecordSchema.safeParse(raw);
        if (!record.success) return fail({ kind: "internal", reason: `customer record for ${customerId} is malformed` });
        return ok({ ...record.data, customerId, source: "record" });
      }
      if (deps.defaultUserPoolId !== undefined) {
        // The default pool serves every unmapped customer, so it is shared by definition.
        return ok({ userPoolId: deps.defaultUserPoolId, shared: true, customerId, source: "default" });
      }
      return fail({ kind: "customer_unmapped", customerId });
    },

    async signInDesign(userPoolId) {
      const remembered = deps.memory.signInDesignByPool.get(userPoolId);
      if (remembered) return ok(remembered);
      const key = POOL_INFO_KEY_PREFIX + userPoolId;
      const stored = signInDesignSchema.safeParse(await deps.kv.get(key, { type: "json", cacheTtl: IMMUTABLE_RECORD_CACHE_TTL_SECONDS }));
      if (stored.success) {
        deps.memory.signInDesignByPool.set(userPoolId, stored.data);
        return ok(stored.data);
      }
      const described = await deps.users.describeSignInDesign(userPoolId);
      if (!described.ok) return fail(cognitoFailureToWorkerFailure(described.error));
      await deps.kv.put(key, JSON.stringify(described.value));
      deps.memory.signInDesignByPool.set(userPoolId, described.value);
      return ok(described.value);
    },
  };
}
