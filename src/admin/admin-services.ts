/**
 * The upstreams one admin request uses, built per request without I/O (like request-services.ts):
 * the sidecar's connection management, the `customer:` record store, the provisioning path's pool
 * directory (so the admin API reports the pool provisioning would really use), and Cognito.
 */
import { createCognitoClient } from "../cognito/cognito-client";
import { createUserDirectory, type UserDirectory } from "../cognito/user-directory";
import type { Config } from "../config";
import type { WorkerEnv } from "../env";
import type { Logger } from "../log";
import { createCustomerPoolStore, type CustomerPoolStore } from "../pools/customer-pool-store";
import type { PoolDirectory } from "../pools/pool-directory";
import { createRequestServices, type RuntimeDeps } from "../request-services";
import { createConnectionManagement, type ConnectionManagement } from "../sidecar/connection-management";
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
  return {
    config,
    connections: createConnectionManagement(config.sidecar, upstreamDeps),
    pools: createCustomerPoolStore(env.POOLS),
    directory: createRequestServices(config, env, runtime).pools,
    users: createUserDirectory(createCognitoClient(config.aws, config.cognito, upstreamDeps)),
    clock: runtime.clock,
    logger: runtime.logger,
  };
}
