import type { SyncMessage } from "./sync/sync-message";

/**
 * The Worker's bindings and settings as Cloudflare hands them over. Only `config.ts` reads the
 * string settings; everything else receives the parsed `Config`.
 */
export interface WorkerEnv {
  /** customer -> pool records and cached lookups (docs/storage.md). */
  POOLS: KVNamespace;
  /** Producer side of the sync queue (docs/sync.md); the same worker consumes it. */
  SYNC_QUEUE?: Queue<SyncMessage>;

  SCIM_BASE_PATH?: string;
  BYO_URL?: string;
  BYO_INTEGRATION_KEY?: string;
  BYO_ACCESS_CLIENT_ID?: string;
  BYO_ACCESS_CLIENT_SECRET?: string;
  BYO_TIMEOUT_MS?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  AWS_REGION?: string;
  COGNITO_ENDPOINT?: string;
  COGNITO_RETRY_BUDGET_MS?: string;
  COGNITO_INVITE_MESSAGE?: string;
  DEFAULT_USER_POOL_ID?: string;
  EXISTING_USER_POLICY?: string;
  TENANT_ATTRIBUTE?: string;
  ATTRIBUTE_MAP?: string;
  GROUP_SYNC?: string;
  GROUP_PREFIX?: string;
  GROUP_DELETE?: string;
  SYNC_SUBREQUEST_BUDGET?: string;
  POOL_TAG_KEY?: string;
  AWS_ACCOUNT_ID?: string;
  /** Secret: bearer token for `/admin` when Cloudflare Access is not configured (docs/admin-api.md). */
  ADMIN_TOKEN?: string;
  /** Cloudflare Access team origin, e.g. `https://acme.cloudflareaccess.com`; set with ACCESS_AUD. */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's AUD tag that admin JWTs must carry. */
  ACCESS_AUD?: string;
}
