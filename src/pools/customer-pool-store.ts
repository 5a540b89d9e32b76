/**
 * Writes and reads of the `customer:<customerId>` KV record (docs/storage.md) for the admin API,
 * together with the pool-usage index `pool-users:<userPoolId>` that keeps a "dedicated" mapping
 * (where the worker skips tenancy checks) from naming a pool another customer also uses.
 * The record's shape is `customerPoolRecordSchema` from pool-directory.ts, the module that reads
 * it on the provisioning path; every write goes through that schema, so the two cannot drift.
 *
 * A write changes up to three keys, in the order that keeps every intermediate state safe: claim
 * the new pool in its index entry, write the record, release the old pool's entry (a delete:
 * remove the record, then release). If a step fails, the failed step and those before it are put
 * back, newest first; undoing stops at a key that cannot be put back, and the keys left changed
 * are named in the failure. What can be left is a claim nobody holds: over-cautious (it blocks
 * another customer's dedicated mapping), never unsafe.
 *
 * KV is eventually consistent and has no transactions: two admin writes for the same pool at
 * nearly the same moment, from different locations, can both pass the check. Admin writes are
 * rare; docs/storage.md says so. KV failures (e.g. 429 on >1 write/s per key) come back as values.
 */
import * as z from "zod";
import { CUSTOMER_KEY_PREFIX } from "../constants";
import { fail, ok, type Result } from "../result";
import { customerPoolRecordSchema, type CustomerPoolRecord } from "./pool-directory";

/** KV `pool-users:<userPoolId>`: which customers' mappings name the pool; see docs/storage.md. */
export const POOL_USERS_KEY_PREFIX = "pool-users:";

const poolUsageSchema = z.union([
  z.object({ dedicatedTo: z.string().min(1) }).strict(),
  z.object({ sharedBy: z.array(z.string().min(1)).min(1) }).strict(),
]);
/** One pool's entry: dedicated to one customer, or shared by one or more. No entry: unused. */
export type PoolUsage = z.infer<typeof poolUsageSchema>;

/** Another customer's use of a pool that forbids the mapping asked for. */
export interface PoolConflict {
  readonly userPoolId: string;
  /** The other customers named in the pool's entry. */
  readonly holders: readonly string[];
  /** True when the pool is dedicated to a holder, false when holders share it. */
  readonly dedicated: boolean;
}

export type PoolStoreFailure =
  | {
      readonly kind: "kv_failed";
      readonly operation: "get" | "put" | "delete";
      readonly reason: string;
      /** KV keys that were changed and could not be put back (absent when everything was undone). */
      readonly notRestored?: readonly string[];
    }
  | { readonly kind: "record_malformed"; readonly customerId: string }
  | { readonly kind: "usage_malformed"; readonly userPoolId: string }
  | ({ readonly kind: "pool_in_use" } & PoolConflict);

export interface CustomerPoolStore {
  /** `null` when the customer has no record. */
  get(customerId: string): Promise<Result<CustomerPoolRecord | null, PoolStoreFailure>>;
  /** Whether `put` would be allowed by the pool-usage index (`pool_in_use` when not); writes nothing. */
  checkAvailable(customerId: string, record: CustomerPoolRecord): Promise<Result<null, PoolStoreFailure>>;
  /** Writes the record and the index (claims the pool, releases a previous one), or changes nothing. */
  put(customerId: string, record: CustomerPoolRecord): Promise<Result<CustomerPoolRecord, PoolStoreFailure>>;
  /** Deletes the record and releases its pool in the index. `false` when there was no record to delete. */
  delete(customerId: string): Promise<Result<boolean, PoolStoreFailure>>;
  /** The pool's index entry; `null` when no mapping written through this store names the pool. */
  usage(userPoolId: string): Promise<Result<PoolUsage | null, PoolStoreFailure>>;
}

/**
 * The pool's entry once `customerId` maps to it, or the conflict that forbids it: a dedicated
 * mapping needs a pool no other customer uses; a shared one, a pool not dedicated to another.
 */
export function claimPool(usage: PoolUsage | null, userPoolId: string, customerId: string, shared: boolean): Result<PoolUsage, PoolConflict> {
  if (usage !== null && "dedicatedTo" in usage && usage.dedicatedTo !== customerId) {
    return fail({ userPoolId, holders: [usage.dedicatedTo], dedicated: true });
  }
  const sharers = usage !== null && "sharedBy" in usage ? usage.sharedBy.filter((id) => id !== customerId) : [];
  if (!shared) {
    return sharers.length > 0 ? fail({ userPoolId, holders: sharers, dedicated: false }) : ok({ dedicatedTo: customerId });
  }
  return ok({ sharedBy: [...sharers, customerId].sort() });
}

/** The pool's entry once `customerId` no longer maps to it (`null`: nobody left). */
export function releasePool(usage: PoolUsage | null, customerId: string): PoolUsage | null {
  if (usage === null) return null;
  if ("dedicatedTo" in usage) return usage.dedicatedTo === customerId ? null : usage;
  const sharers = usage.sharedBy.filter((id) => id !== customerId);
  return sharers.length === 0 ? null : { sharedBy: sharers };
}

/** One key's change: `value` null deletes; `previous` is the raw value to put back on failure. */
interface KeyWrite {
  readonly key: string;
  readonly value: string | null;
  readonly previous: string | null;
}

export function createCustomerPoolStore(kv: KVNamespace): CustomerPoolStore {
  const recordKey = (customerId: string) => CUSTOMER_KEY_PREFIX + customerId;
  const usageKey = (userPoolId: string) => POOL_USERS_KEY_PREFIX + userPoolId;

  async function set(key: string, value: string | null): Promise<void> {
    if (value === null) await kv.delete(key);
    else await kv.put(key, value);
  }

  /**
   * Applies the writes in order; on a failure puts back, newest first, what was (or may have been:
   * a failed write can still have landed) changed. Undoing stops at the first key that cannot be
   * put back, so what is left is always a prefix of the writes: a state that is over-cautious
   * (a claim nobody holds) but never lets a record name a pool its index entry does not list.
   */
  async function writeAll(writes: readonly KeyWrite[]): Promise<Result<null, PoolStoreFailure>> {
    const attempted: KeyWrite[] = [];
    for (const write of writes) {
      if (write.value === write.previous) continue;
      attempted.push(write);
      try {
        await set(write.key, write.value);
      } catch (error) {
        const notRestored: string[] = [];
        const undo = attempted.reverse();
        for (const [index, done] of undo.entries()) {
          try {
            await set(done.key, done.previous);
          } catch {
            notRestored.push(...undo.slice(index).map((w) => w.key));
            break;
          }
        }
        return fail({
          kind: "kv_failed",
          operation: write.value === null ? "delete" : "put",
          reason: describe(error),
          ...(notRestored.length === 0 ? {} : { notRestored }),
        });
      }
    }
    return ok(null);
  }

  /** Fresh read (no cacheTtl beyond KV's default): the raw text, to be put back byte for byte. */
  async function readRaw(key: string, operation: "get" | "put" | "delete"): Promise<Result<string | null, PoolStoreFailure>> {
    try {
      return ok(await kv.get(key));
    } catch (error) {
      return fail({ kind: "kv_failed", operation, reason: describe(error) });
    }
  }

  async function readRecord(customerId: string, operation: "get" | "put" | "delete") {
    const raw = await readRaw(recordKey(customerId), operation);
    if (!raw.ok) return raw;
    return ok({ raw: raw.value, record: raw.value === null ? null : parseRecord(raw.value) });
  }

  async function readUsage(userPoolId: string, operation: "get" | "put" | "delete"): Promise<Result<{ raw: string | null; usage: PoolUsage | null }, PoolStoreFailure>> {
    const raw = await readRaw(usageKey(userPoolId), operation);
    if (!raw.ok) return raw;
    if (raw.value === null) return ok({ raw: null, usage: null });
    const usage = poolUsageSchema.safeParse(parseJson(raw.value));
    return usage.success ? ok({ raw: raw.value, usage: usage.data }) : fail({ kind: "usage_malformed", userPoolId });
  }

  async function check(customerId: string, record: CustomerPoolRecord) {
    const target = await readUsage(record.userPoolId, "put");
    if (!target.ok) return target;
    const claimed = claimPool(target.value.usage, record.userPoolId, customerId, record.shared);
    if (!claimed.ok) return fail({ kind: "pool_in_use" as const, ...claimed.error });
    return ok({ raw: target.value.raw, usage: claimed.value });
  }

  return {
    async get(customerId) {
      const read = await readRecord(customerId, "get");
      if (!read.ok) return read;
      if (read.value.raw === null) return ok(null);
      return read.value.record ? ok(read.value.record) : fail({ kind: "record_malformed", customerId });
    },

    async checkAvailable(customerId, record) {
      const checked = await check(customerId, customerPoolRecordSchema.parse(record));
      return checked.ok ? ok(null) : checked;
    },

    async put(customerId, record) {
      const checked = customerPoolRecordSchema.parse(record);
      const previous = await readRecord(customerId, "put");
      if (!previous.ok) return previous;
      const target = await check(customerId, checked);
      if (!target.ok) return target;
      // A malformed previous record names no pool we can trust; its entry (if any) stays, over-cautious.
      const oldPoolId = previous.value.record?.userPoolId;
      const writes: KeyWrite[] = [
        { key: usageKey(checked.userPoolId), value: JSON.stringify(target.value.usage), previous: target.value.raw },
        { key: recordKey(customerId), value: JSON.stringify(checked), previous: previous.value.raw },
      ];
      if (oldPoolId !== undefined && oldPoolId !== checked.userPoolId) {
        const old = await readUsage(oldPoolId, "put");
        if (!old.ok) return old;
        const released = releasePool(old.value.usage, customerId);
        writes.push({ key: usageKey(oldPoolId), value: released === null ? null : JSON.stringify(released), previous: old.value.raw });
      }
      const written = await writeAll(writes);
      return written.ok ? ok(checked) : written;
    },

    async delete(customerId) {
      const previous = await readRecord(customerId, "delete");
      if (!previous.ok) return previous;
      if (previous.value.raw === null) return ok(false);
      const writes: KeyWrite[] = [{ key: recordKey(customerId), value: null, previous: previous.value.raw }];
      const userPoolId = previous.value.record?.userPoolId;
      if (userPoolId !== undefined) {
        const usage = await readUsage(userPoolId, "delete");
        // An entry that does not parse cannot be released; removing the mapping must still work.
        if (!usage.ok && usage.error.kind !== "usage_malformed") return usage;
        if (usage.ok) {
          const released = releasePool(usage.value.usage, customerId);
          writes.push({ key: usageKey(userPoolId), value: released === null ? null : JSON.stringify(released), previous: usage.value.raw });
        }
      }
      const written = await writeAll(writes);
      return written.ok ? ok(true) : written;
    },

    async usage(userPoolId) {
      const read = await readUsage(userPoolId, "get");
      return read.ok ? ok(read.value.usage) : read;
    },
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function parseRecord(raw: string): CustomerPoolRecord | null {
  const record = customerPoolRecordSchema.safeParse(parseJson(raw));
  return record.success ? record.data : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error";
}
