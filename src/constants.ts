/** Limits, timeouts and key prefixes, each named with its unit. */

/** Largest SCIM request body the worker forwards (RFC 7644 leaves it to the server). */
export const MAX_SCIM_BODY_BYTES = 1024 * 1024;

/** Default for BYO_TIMEOUT_MS: how long one sidecar command may take. */
export const DEFAULT_SIDECAR_TIMEOUT_MS = 10_000;

/** Total time the worker may spend retrying one throttled or failing Cognito call. */
export const DEFAULT_COGNITO_RETRY_BUDGET_MS = 4_000;

/** First backoff step for Cognito retries; doubles each attempt (full jitter). */
export const COGNITO_RETRY_BASE_DELAY_MS = 100;

/** Cap on one backoff step. */
export const COGNITO_RETRY_MAX_DELAY_MS = 1_000;

/** Per-call timeout for one Cognito request (a hung connection must not eat the whole budget). */
export const COGNITO_CALL_TIMEOUT_MS = 5_000;

/** `Retry-After` sent to the IdP when Cognito is still throttling after the retry budget. */
export const THROTTLED_RETRY_AFTER_SECONDS = 5;

/** `Retry-After` sent with 503 when Cognito keeps failing. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

/** KV edge-cache lifetime for customer -> pool records (KV's minimum is 30 s). */
export const POOL_RECORD_CACHE_TTL_SECONDS = 60;

/**
 * KV edge-cache lifetime for records that never change once written (connection -> customer, pool
 * sign-in design). Kept short because KV caches a miss for this long too; isolate memory holds hits.
 */
export const IMMUTABLE_RECORD_CACHE_TTL_SECONDS = 300;


/** KV key prefixes; see docs/storage.md for the value shapes. */
export const CUSTOMER_KEY_PREFIX = "customer:";
export const CONNECTION_KEY_PREFIX = "connection:";
export const POOL_INFO_KEY_PREFIX = "pool-info:";

/** Media type of every SCIM answer (RFC 7644 §3.1). */
export const SCIM_CONTENT_TYPE = "application/scim+json";

/** RFC 7644 §3.12 error schema URN. */
export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
