/**
 * Sizes and budgets of the sync queue, each named with its unit. The wrangler.toml consumer
 * settings (`max_batch_size`, `max_retries`) are chosen to match; docs/sync.md explains the sums.
 */

/** User ids per queue message: a message is the unit that is retried, so keep it small. */
export const USER_IDS_PER_MESSAGE = 25;

/** Cap on one message body (Queues allows 128 KB; ids are normally 36-character subs). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Longest user id accepted into a message (anything longer is not an id we issued). */
export const MAX_USER_ID_LENGTH = 512;

/** `sendBatch` takes at most 100 messages and 256 KB in one call. */
export const MAX_MESSAGES_PER_SEND = 100;
export const MAX_SEND_BATCH_BYTES = 200 * 1024;

/**
 * Default for SYNC_SUBREQUEST_BUDGET: outbound calls (sidecar, Cognito, KV) one consumer
 * invocation may make. 900 stays under the 1,000 subrequests of older paid-plan limits with room
 * for the carry-over `sendBatch`; on the Free plan (50) set it to 40.
 */
export const DEFAULT_SYNC_SUBREQUEST_BUDGET = 900;

/**
 * Calls a user's sync is expected to need (GetScimUser, AdminGetUser, AdminUpdateUserAttributes,
 * AdminListGroupsForUser, a membership change or two). A user is started only when this much
 * budget is left for it; one that needs more is cut off by the hard cap and carried over.
 */
export const CALLS_RESERVED_PER_USER = 6;

/** Users synced at once in one invocation (Workers allow 6 open connections per invocation). */
export const USER_SYNC_CONCURRENCY = 4;

/** Retry delay for a failed message: base * 2^(attempts-1), capped, with jitter. */
export const SYNC_RETRY_BASE_DELAY_SECONDS = 10;
export const SYNC_RETRY_MAX_DELAY_SECONDS = 900;

/** Delay before a whole batch is retried because the configuration is invalid. */
export const SYNC_CONFIG_INVALID_RETRY_SECONDS = 300;
