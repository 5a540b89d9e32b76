/**
 * Which user pool serves which customer. Three lookups, each cached as far as its data allows:
 * - connectionId -> customerId: never changes, so isolate memory, then KV, then the sidecar's
 *   FetchScimConnection (written back to KV once);
 * - customerId -> pool record: KV `customer:<id>` read through the edge cache (`cacheTtl`), then,
 *   when POOL_TAG_KEY is set, the pool tagged `<POOL_TAG_KEY>=<customerId>` (ListUserPools +
 *   ListTagsForResource, answer cached in KV `pool-discovery:<id>` with a TTL, misses included),
 *   falling back to DEFAULT_USER_POOL_ID (a shared pool);
 * - pool -> sign-in design: fixed at pool creation, so memory, then KV, then DescribeUserPool.
 */
import * as z from "zod";
import {
  CONNECTION_KEY_PREFIX,
  CUSTOMER_KEY_PREFIX,
  IMMUTABLE_RECORD_CACHE_TTL_SECONDS,
  POOL_INFO_KEY_PREFIX,
  POOL_RECORD_CACHE_TTL_SECONDS,
} from "../constants";
import { cognitoFailureToWorkerFailure } from "../cognito/cognito-client";
import type { PoolSignInDesign, UserDirectory } from "../cognito/user-directory";
import { regionOfUserPool, USER_POOL_ID_PATTERN } from "../cognito/user-pool-id";
import { fail, ok, type Result } from "../result";
import type { Logger } from "../log";
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
  readonly source: "record" | "discovered" | "default";
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

/** KV `pool-discovery:<customerId>` -> `{ "userPoolId": "<id>" | null }` (null: no pool carries the tag). */
export const POOL_DISCOVERY_KEY_PREFIX = "pool-discovery:";
/** How long a found pool is trusted before the tags are read again (a re-tag takes this long to show). */
export const DISCOVERY_HIT_TTL_SECONDS = 3_600;
/** How long "no pool is tagged for this customer" is trusted (a newly tagged pool takes this long to show). */
export const DISCOVERY_MISS_TTL_SECONDS = 300;

const discoveryEntrySchema = z.object({ userPoolId: z.string().regex(USER_POOL_ID_PATTERN).nullable(), failed: z.boolean().optional() });

/** Tag-based pool discovery, on when POOL_TAG_KEY is set. */
export interface PoolDiscoverySettings {
  readonly tagKey: string;
  /** For the pool ARNs ListTagsForResource needs. */
  readonly accountId: string;
  /** The region whose pools are listed (AWS_REGION). */
  readonly region: string;
}

export const userPoolArn = (region: string, accountId: string, userPoolId: string): string =>
  `arn:aws:cognito-idp:${region}:${accountId}:userpool/${userPoolId}`;

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
  readonly discovery?: PoolDiscoverySettings | null;
  readonly logger: Logger;
}

/** Most pools one discovery scan reads tags for: each costs a subrequest on the IdP's request. */
export const MAX_DISCOVERY_POOLS = 200;
/** Tag reads in flight at once (ListTagsForResource shares UserPoolResourceRead's 20 RPS). */
const DISCOVERY_TAG_CONCURRENCY = 5;
/** A failed scan is remembered this long, so a broken account is not rescanned on every request. */
export const DISCOVERY_FAILURE_TTL_SECONDS = 60;
/** Per-pool answers that mean "not this pool", not "the scan failed" (e.g. a policy narrowed to some pools). */
const NOT_THIS_POOL_ERRORS = new Set(["AccessDeniedException", "ResourceNotFoundException", "NotAuthorizedException"]);

export function createPoolDirectory(deps: PoolDirectoryDeps): PoolDirectory {
  /** KV is a cache here: a failed read is a miss. */
  async function cachedJson(key: string, cacheTtl: number): Promise<unknown> {
    try {
      return await deps.kv.get(key, { type: "json", cacheTtl });
    } catch (error) {
      deps.logger.log("warn", "kv_read_failed", { key: keyKind(key), errorName: errorName(error) });
      return null;
    }
  }

  /** Cache write-backs are best effort: KV allows one write per key per second, and a lost write only costs a later lookup. */
  async function remember(key: string, value: string, options?: KVNamespacePutOptions): Promise<void> {
    try {
      await deps.kv.put(key, value, options);
    } catch (error) {
      deps.logger.log("warn", "kv_write_failed", { key: keyKind(key), errorName: errorName(error) });
    }
  }

  /** The pool tagged for this customer, or null; both answers cached in KV for their TTL. */
  async function discoverPool(customerId: string, settings: PoolDiscoverySettings): Promise<Result<string | null, WorkerFailure>> {
    const key = POOL_DISCOVERY_KEY_PREFIX + customerId;
    const cached = discoveryEntrySchema.safeParse(await cachedJson(key, POOL_RECORD_CACHE_TTL_SECONDS));
    if (cached.success) {
      if (cached.data.failed) return fail({ kind: "cognito_unavailable", operation: "ListUserPools", errorType: "RecentDiscoveryFailure" });
      return ok(cached.data.userPoolId);
    }

    const scanned = await scanForTaggedPools(customerId, settings);
    if (!scanned.ok) {
      await remember(key, JSON.stringify({ userPoolId: null, failed: true }), { expirationTtl: DISCOVERY_FAILURE_TTL_SECONDS });
      return scanned;
    }
    const matches = scanned.value;
    if (matches.length > 1) {
      // Never guess between two pools: users would be split across them. Not cached, so fixing the tags takes effect at once.
      return fail({ kind: "internal", reason: `${matches.length} pools carry ${settings.tagKey}=${customerId}` });
    }
    const found = matches[0] ?? null;
    await remember(key, JSON.stringify({ userPoolId: found }), {
      expirationTtl: found === null ? DISCOVERY_MISS_TTL_SECONDS : DISCOVERY_HIT_TTL_SECONDS,
    });
    return ok(found);
  }

  async function scanForTaggedPools(customerId: string, settings: PoolDiscoverySettings): Promise<Result<string[], WorkerFailure>> {
    const pools: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await deps.users.listUserPools(settings.region, nextToken);
      if (!page.ok) return fail(cognitoFailureToWorkerFailure(page.error));
      pools.push(...page.value.items);
      nextToken = page.value.nextToken;
    } while (nextToken !== undefined && pools.length <= MAX_DISCOVERY_POOLS);
    if (pools.length > MAX_DISCOVERY_POOLS) {
      return fail({ kind: "internal", reason: `more than ${MAX_DISCOVERY_POOLS} pools to scan for ${settings.tagKey}; map customers explicitly` });
    }

    const matches: string[] = [];
    let failure: WorkerFailure | undefined;
    let next = 0;
    const readTags = async (): Promise<void> => {
      while (next < pools.length && failure === undefined) {
        const userPoolId = pools[next++] as string;
        const region = regionOfUserPool(userPoolId);
        const tags = await deps.users.listTagsForResource(region, userPoolArn(region, settings.accountId, userPoolId));
        if (tags.ok) {
          if (tags.value[settings.tagKey] === customerId) matches.push(userPoolId);
        } else if (tags.error.kind === "rejected" && NOT_THIS_POOL_ERRORS.has(tags.error.errorType)) {
          deps.logger.log("warn", "pool_discovery_skipped_pool", { userPoolId, errorType: tags.error.errorType });
        } else {
          failure = cognitoFailureToWorkerFailure(tags.error);
        }
      }
    };
    await Promise.all(Array.from({ length: DISCOVERY_TAG_CONCURRENCY }, readTags));
    return failure === undefined ? ok(matches) : fail(failure);
  }

  return {
    async customerOfConnection(connectionId) {
      const remembered = deps.memory.customerByConnection.get(connectionId);
      if (remembered !== undefined) return ok(remembered);
      const key = CONNECTION_KEY_PREFIX + connectionId;
      const stored = await cachedJson(key, IMMUTABLE_RECORD_CACHE_TTL_SECONDS);
      if (typeof stored === "string" && stored !== "") {
        deps.memory.customerByConnection.set(connectionId, stored);
        return ok(stored);
      }
      const fetched = await deps.sidecar.fetchScimConnection(connectionId);
      if (!fetched.ok) return fail(fetched.error satisfies SidecarFailure);
      await remember(key, JSON.stringify(fetched.value.customerId));
      deps.memory.customerByConnection.set(connectionId, fetched.value.customerId);
      return ok(fetched.value.customerId);
    },

    async poolOfCustomer(customerId) {
      let raw: unknown;
      try {
        raw = await deps.kv.get(CUSTOMER_KEY_PREFIX + customerId, { type: "json", cacheTtl: POOL_RECORD_CACHE_TTL_SECONDS });
      } catch (error) {
        // Not a cache: without the record we cannot know the customer's pool, so the IdP must retry.
        return fail({ kind: "storage_unavailable", reason: errorName(error) });
      }
      if (raw !== null) {
        const record = customerPoolRecordSchema.safeParse(raw);
        if (!record.success) return fail({ kind: "internal", reason: `customer record for ${customerId} is malformed` });
        // The default pool serves every unmapped customer: it is shared whatever a record says.
        const shared = record.data.shared || record.data.userPoolId === deps.defaultUserPoolId;
        return ok({ ...record.data, shared, customerId, source: "record" });
      }
      if (deps.discovery) {
        const discovered = await discoverPool(customerId, deps.discovery);
        if (!discovered.ok) return discovered;
        // A pool tagged for one customer is that customer's alone.
        if (discovered.value !== null) {
          return ok({ userPoolId: discovered.value, shared: discovered.value === deps.defaultUserPoolId, customerId, source: "discovered" });
        }
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
      const stored = signInDesignSchema.safeParse(await cachedJson(key, IMMUTABLE_RECORD_CACHE_TTL_SECONDS));
      if (stored.success) {
        deps.memory.signInDesignByPool.set(userPoolId, stored.data);
        return ok(stored.data);
      }
      const described = await deps.users.describeSignInDesign(userPoolId);
      if (!described.ok) return fail(cognitoFailureToWorkerFailure(described.error));
      await remember(key, JSON.stringify(described.value));
      deps.memory.signInDesignByPool.set(userPoolId, described.value);
      return ok(described.value);
    },
  };
}

/** The record kind only: keys carry customer and connection ids, which logs name elsewhere anyway. */
const keyKind = (key: string): string => key.slice(0, key.indexOf(":") + 1);
const errorName = (error: unknown): string => (error instanceof Error ? error.message.slice(0, 120) : "unknown");
