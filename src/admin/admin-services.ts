/**
 * The upstreams one admin request uses, built per request without I/O (like request-services.ts):
 * the sidecar's connection management, the `customer:` record store, the provisioning path's pool
 * directory (so the admin API reports the pool provisioning would really use), and Cognito.
 * One Cognito user directory and one upstream timer serve both the admin operations and the pool
 * directory.
 */
import { createCognitoClient } from "../cognito/cognito-client";
import { createUserDirectory, type UserDirectory } from "../cognito/user-directory";
import type { Config } from "../config";
import type { WorkerEnv } from "../env";
import type { Logger } from "../log";
import { createCustomerPoolStore, type CustomerPoolStore } from "../pools/customer-pool-store";
import { createImmutableLookupCache, createPoolDirectory, type PoolDirectory } from "../pools/pool-directory";
import type { RuntimeDeps } from "../request-services";
import { createConnectionManagement, type ConnectionManagement } from "../sidecar/connection-management";
import { createSidecarClient } from "../sidecar/sidecar-client";
import { createUpstreamTimer, type Clock } from "../timing";

export interface AdminServices {
  readonly config: Config;
  readonly connections: ConnectionManagement;
  readonly pools: CustomerPoolStore;
  /** The provisioning path's own customer -> pool resolution (record, discovery, default). */
  readonly directory: PoolDirectory;
  readonly users: UserDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function createAdminServices(config: Config, env: WorkerEnv, runtime: RuntimeDeps): AdminServices {
  const upstreamDeps = { fetch: runtime.fetch, clock: runtime.clock, timer: createUpstreamTimer() };
  const users = createUserDirectory(createCognitoClient(config.aws, config.cognito, upstreamDeps));
  const directory = createPoolDirectory({
    kv: env.POOLS,
    // Only customerOfConnection uses the sidecar client, and the admin API never calls it.
    sidecar: createSidecarClient(config.sidecar, upstreamDeps),
    users,
    // poolOfCustomer (the one lookup the admin API makes) reads no isolate memory, so a fresh one is equivalent.
    memory: createImmutableLookupCache(),
    defaultUserPoolId: config.defaultUserPoolId,
    discovery: config.poolDiscovery,
    logger: runtime.logger,
  });
  return {
    config,
    connections: createConnectionManagement(config.sidecar, upstreamDeps),
    pools: createCustomerPoolStore(env.POOLS),
    directory,
    users,
    clock: runtime.clock,
    logger: runtime.logger,
  };
}
