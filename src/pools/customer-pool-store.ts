/**
 * Writes and reads of the `customer:<customerId>` KV record (docs/storage.md) for the admin API.
 * The record's shape is `customerPoolRecordSchema` from pool-directory.ts, the module that reads
 * it on the provisioning path; every write goes through that schema, so the two cannot drift.
 * KV is eventually consistent: a change can take the reader's cacheTtl plus propagation (~60 s
 * each) to be seen everywhere. KV failures (e.g. 429 on >1 write/s per key) come back as values.
 */
import { CUSTOMER_KEY_PREFIX } from "../constants";
import { fail, ok, type Result } from "../result";
import { customerPoolRecordSchema, type CustomerPoolRecord } from "./pool-directory";

export type PoolStoreFailure =
  | { readonly kind: "kv_failed"; readonly operation: "get" | "put" | "delete"; readonly reason: string }
  | { readonly kind: "record_malformed"; readonly customerId: string };

export interface CustomerPoolStore {
  /** `null` when the customer has no record. */
  get(customerId: string): Promise<Result<CustomerPoolRecord | null, PoolStoreFailure>>;
  put(customerId: string, record: CustomerPoolRecord): Promise<Result<CustomerPoolRecord, PoolStoreFailure>>;
  /** `false` when there was no record to delete. */
  delete(customerId: string): Promise<Result<boolean, PoolStoreFailure>>;
}

export function createCustomerPoolStore(kv: KVNamespace): CustomerPoolStore {
  const keyOf = (customerId: string) => CUSTOMER_KEY_PREFIX + customerId;

  async function read(customerId: string): Promise<Result<CustomerPoolRecord | null, PoolStoreFailure>> {
    let raw: unknown;
    try {
      raw = await kv.get(keyOf(customerId), { type: "json" });
    } catch (error) {
      // A hand-edited value that is not JSON lands here too.
      if (error instanceof SyntaxError) return fail({ kind: "record_malformed", customerId });
      return fail({ kind: "kv_failed", operation: "get", reason: describe(error) });
    }
    if (raw === null) return ok(null);
    const record = customerPoolRecordSchema.safeParse(raw);
    return record.success ? ok(record.data) : fail({ kind: "record_malformed", customerId });
  }

  return {
    get: read,

    async put(customerId, record) {
      const checked = customerPoolRecordSchema.parse(record);
      try {
        await kv.put(keyOf(customerId), JSON.stringify(checked));
      } catch (error) {
        return fail({ kind: "kv_failed", operation: "put", reason: describe(error) });
      }
      return ok(checked);
    },

    async delete(customerId) {
      let existed: boolean;
      try {
        existed = (await kv.get(keyOf(customerId))) !== null;
        if (existed) await kv.delete(keyOf(customerId));
      } catch (error) {
        return fail({ kind: "kv_failed", operation: "delete", reason: describe(error) });
      }
      return ok(existed);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error";
}
