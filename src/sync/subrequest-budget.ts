/**
 * Counts what one queue invocation sends out (sidecar and Cognito fetches, KV operations) against
 * SYNC_SUBREQUEST_BUDGET. The consumer asks `canStart` before each user; past the cap the fetch
 * refuses with `CallBudgetExhausted` instead of letting the platform's own limit fail the call.
 */
import { CallBudgetExhausted } from "../cognito/cognito-client";
import type { FetchLike } from "../timing";

export interface SubrequestBudget {
  readonly limit: number;
  /** Calls made so far (refused ones not included). */
  used(): number;
  /** True once a call was refused: the rest of the work must be carried over, not retried. */
  exhausted(): boolean;
  /** Whether `reserved` more calls (on top of those already promised) still fit. */
  canStart(reserved: number): boolean;
  fetch: FetchLike;
  /** KV with every operation counted. */
  countKv(kv: KVNamespace): KVNamespace;
}

export function createSubrequestBudget(limit: number, fetch: FetchLike): SubrequestBudget {
  let used = 0;
  let refused = false;
  return {
    limit,
    used: () => used,
    exhausted: () => refused,
    canStart: (reserved) => !refused && used + reserved <= limit,
    fetch: async (input, init) => {
      if (used >= limit) {
        refused = true;
        throw new CallBudgetExhausted();
      }
      used += 1;
      return fetch(input, init);
    },
    countKv(kv) {
      // KV operations count as subrequests too; they are few (lookups are cached), so they are
      // counted but never refused.
      return new Proxy(kv, {
        get(target, property) {
          const value: unknown = Reflect.get(target, property);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            used += 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
}
