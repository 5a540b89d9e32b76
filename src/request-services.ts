/**
 * Builds the per-request view of the upstream systems. Construction does no I/O; the long-lived
 * parts (AwsClient signing-key cache, immutable lookups) are isolate-level and keyed by config.
 */
import { createCognitoClient } from "./cognito/cognito-client";
import { createUserDirectory, type UserDirectory } from "./cognito/user-directory";
import type { Config } from "./config";
import type { WorkerEnv } from "./env";
import type { Logger } from "./log";
import { createImmutableLookupCache, createPoolDirectory, type ImmutableLookupCache, type PoolDirectory } from "./pools/pool-directory";
import { createSidecarClient, type SidecarClient } from "./sidecar/sidecar-client";
import { createUpstreamTimer, type Clock, type FetchLike, type UpstreamTimer } from "./timing";

/** What the runtime provides; tests substitute each of them. */
export interface RuntimeDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface RequestServices {
  readonly config: Config;
  readonly timer: UpstreamTimer;
  readonly sidecar: SidecarClient;
  readonly users: UserDirectory;
  readonly pools: PoolDirectory;
  readonly logger: Logger;
}

const lookupCaches = new WeakMap<Config, ImmutableLookupCache>();

export function createRequestServices(config: Config, env: WorkerEnv, runtime: RuntimeDeps): RequestServices {
  const timer = createUpstreamTimer();
  const upstreamDeps = { fetch: runtime.fetch, clock: runtime.clock, timer };
  const sidecar = createSidecarClient(config.sidecar, upstreamDeps);
  const users = createUserDirectory(createCognitoClient(config.aws, config.cognito, upstreamDeps));
  let memory = lookupCaches.get(config);
  if (!memory) {
    memory = createImmutableLookupCache();
    lookupCaches.set(config, memory);
  }
  const pools = createPoolDirectory({
    kv: env.POOLS,
    sidecar,
    users,
    memory,
    defaultUserPoolId: config.defaultUserPoolId,
    discovery: config.poolDiscovery,
    logger: runtime.logger,
  });
  return { config, timer, sidecar, users, pools, logger: runtime.logger };
}
