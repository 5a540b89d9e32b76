/**
 * The `queue()` handler: one invocation takes a batch of sync messages and brings each listed
 * user in line (user-sync.ts), within SYNC_SUBREQUEST_BUDGET outbound calls.
 *
 * Per message, exactly one of:
 * - ack: every user synced or permanently skipped (gone from the sidecar or the pool, not
 *   linked, another customer's), the connection is gone, or the body is unreadable;
 * - retry with backoff (`message.retry({ delaySeconds })`, from `message.attempts`): a user hit
 *   throttling, an outage or a refusal that a retry may fix; after max_retries Cloudflare moves
 *   the message to the dead-letter queue;
 * - carry-over: the budget ran out first; the users not yet synced are sent again as a new
 *   message (no attempt is used up) and the original is acked. Work that cannot fit into any
 *   invocation (a pool-discovery scan or group deletion longer than the budget, one user needing
 *   more than all of it) makes no progress, so it is retried instead: attempts run out and the
 *   message reaches the dead-letter queue rather than circling for ever.
 */
import { loadConfig } from "../config";
import type { WorkerEnv } from "../env";
import type { CustomerPool } from "../pools/pool-directory";
import { createRequestServices, type RequestServices, type RuntimeDeps } from "../request-services";
import { ok, type Result } from "../result";
import type { WorkerFailure } from "../scim/scim-error";
import { groupScope } from "./group-names";
import { deleteScimGroups, type GroupSyncContext } from "./group-sync";
import { createSubrequestBudget, type SubrequestBudget } from "./subrequest-budget";
import {
  CALLS_RESERVED_PER_USER,
  SYNC_CONFIG_INVALID_RETRY_SECONDS,
  SYNC_RETRY_BASE_DELAY_SECONDS,
  SYNC_RETRY_MAX_DELAY_SECONDS,
  USER_SYNC_CONCURRENCY,
} from "./sync-limits";
import { syncMessageSchema, type SyncMessage } from "./sync-message";
import { sendSyncMessages } from "./sync-producer";
import { syncUser, type SkipReason, type UserSyncContext } from "./user-sync";
import { isSidecarError } from "../sidecar/sidecar-answers";

/** What one invocation did, for its log line (and tests). */
export interface SyncBatchReport {
  messages: number;
  acked: number;
  retried: number;
  carriedOver: number;
  usersSynced: number;
  usersWritten: number;
  usersSkipped: number;
  usersCarried: number;
  subrequests: number;
}

/** Full jitter on top of half the exponential step: retries of many messages spread out. */
export function retryDelaySeconds(attempts: number, random: number): number {
  const ceiling = Math.min(SYNC_RETRY_MAX_DELAY_SECONDS, SYNC_RETRY_BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.ceil(ceiling / 2 + (random * ceiling) / 2));
}

type PoolLookup = Result<CustomerPool, WorkerFailure>;

type MessageVerdict =
  | { kind: "ack" }
  | { kind: "retry"; reason: string }
  | { kind: "carry"; rest: SyncMessage };

export async function consumeSyncBatch(batch: MessageBatch<unknown>, env: WorkerEnv, runtime: RuntimeDeps): Promise<SyncBatchReport> {
  const report: SyncBatchReport = { messages: batch.messages.length, acked: 0, retried: 0, carriedOver: 0, usersSynced: 0, usersWritten: 0, usersSkipped: 0, usersCarried: 0, subrequests: 0 };
  const { logger } = runtime;
  const config = loadConfig(env);
  if (!config.ok) {
    logger.log("error", "config_invalid", { variables: config.error.variables, path: "queue" });
    batch.retryAll({ delaySeconds: SYNC_CONFIG_INVALID_RETRY_SECONDS });
    report.retried = batch.messages.length;
    return report;
  }

  const budget = createSubrequestBudget(config.value.sync.subrequestBudget, runtime.fetch);
  const services = createRequestServices(config.value, { ...env, POOLS: budget.countKv(env.POOLS) }, { ...runtime, fetch: budget.fetch });
  const pools = new Map<string, Promise<PoolLookup>>();
  const groupCreations: GroupSyncContext["creations"] = new Map();
  const carried: { message: Message<unknown>; rest: SyncMessage }[] = [];

  for (const message of batch.messages) {
    const body = syncMessageSchema.safeParse(message.body);
    if (!body.success) {
      logger.log("error", "sync_message_invalid", { messageId: message.id });
      message.ack();
      report.acked += 1;
      continue;
    }
    const verdict = await syncMessage(body.data, services, budget, pools, groupCreations, report);
    switch (verdict.kind) {
      case "ack":
        message.ack();
        report.acked += 1;
        break;
      case "retry": {
        const delaySeconds = retryDelaySeconds(message.attempts, runtime.clock.random());
        logger.log("warn", "sync_message_retried", { connectionId: body.data.connectionId, attempts: message.attempts, delaySeconds, reason: verdict.reason });
        message.retry({ delaySeconds });
        report.retried += 1;
        break;
      }
      case "carry":
        carried.push({ message, rest: verdict.rest });
        report.usersCarried += verdict.rest.userIds.length;
        break;
    }
  }

  if (carried.length > 0) {
    // Sent before the originals are acked: at least once, never zero times.
    const sent = await sendSyncMessages(env.SYNC_QUEUE, carried.map((c) => c.rest));
    for (const { message } of carried) {
      if (sent.ok) message.ack();
      else message.retry({ delaySeconds: SYNC_RETRY_BASE_DELAY_SECONDS });
    }
    if (sent.ok) report.carriedOver += carried.length;
    else {
      logger.log("error", "sync_carry_over_failed", { messages: carried.length, reason: sent.error });
      report.retried += carried.length;
    }
  }

  report.subrequests = budget.used();
  logger.log("info", "sync_batch", { ...report, budget: budget.limit });
  return report;
}

async function syncMessage(
  message: SyncMessage,
  services: RequestServices,
  budget: SubrequestBudget,
  pools: Map<string, Promise<PoolLookup>>,
  groupCreations: GroupSyncContext["creations"],
  report: SyncBatchReport,
): Promise<MessageVerdict> {
  const { config, logger } = services;
  const whole: MessageVerdict = { kind: "carry", rest: message };
  if (!budget.canStart(CALLS_RESERVED_PER_USER * 2)) return whole;

  let lookup = pools.get(message.connectionId);
  if (!lookup) {
    lookup = resolvePool(message.connectionId, services);
    pools.set(message.connectionId, lookup);
  }
  const pool = await lookup;
  if (!pool.ok) {
    if (budget.exhausted()) {
      pools.delete(message.connectionId);
      return { kind: "retry", reason: "subrequest budget spent while resolving the pool" };
    }
    if (isSidecarError(pool.error, "ScimConnectionNotFound")) {
      logger.log("info", "sync_connection_gone", { connectionId: message.connectionId, users: message.userIds.length });
      return { kind: "ack" };
    }
    return { kind: "retry", reason: pool.error.kind };
  }

  const groupSettings = config.sync.groups;
  const groups: GroupSyncContext | null =
    groupSettings === null
      ? null
      : {
          users: services.users,
          logger,
          userPoolId: pool.value.userPoolId,
          customerId: pool.value.customerId,
          connectionId: message.connectionId,
          scope: groupScope(groupSettings.prefix, pool.value.customerId, pool.value.shared),
          deleteRemovedGroups: groupSettings.deleteRemoved,
          creations: groupCreations,
        };

  if (groups !== null && groups.deleteRemovedGroups && (message.deletedGroupIds?.length ?? 0) > 0) {
    const deleted = await deleteScimGroups(groups, message.deletedGroupIds ?? []);
    if (!deleted.ok) {
      return { kind: "retry", reason: budget.exhausted() ? "subrequest budget spent while deleting groups" : `${deleted.error.operation}: ${deleted.error.kind}` };
    }
  }

  const ctx: UserSyncContext = {
    config,
    sidecar: services.sidecar,
    users: services.users,
    logger,
    connectionId: message.connectionId,
    pool: pool.value,
    groups,
  };
  const waiting = [...new Set(message.userIds)];
  const leftover: string[] = [];
  let failure: string | undefined;
  let connectionGone = false;
  let inFlight = 0;
  let finished = 0;

  const lane = async () => {
    while (waiting.length > 0 && failure === undefined && !connectionGone) {
      if (!budget.canStart(CALLS_RESERVED_PER_USER * (inFlight + 1))) return;
      const userId = waiting.shift() as string;
      inFlight += 1;
      const outcome = await syncUser(ctx, userId).finally(() => {
        inFlight -= 1;
      });
      if (outcome.kind === "synced" || outcome.kind === "skipped") finished += 1;
      switch (outcome.kind) {
        case "synced":
          report.usersSynced += 1;
          if (outcome.wrote) report.usersWritten += 1;
          break;
        case "skipped":
          report.usersSkipped += 1;
          logSkip(services, message.connectionId, pool.value, userId, outcome.reason);
          break;
        case "connection_gone":
          connectionGone = true;
          break;
        case "failed":
          if (budget.exhausted()) leftover.push(userId);
          else failure ??= describe(outcome.failure);
          break;
      }
    }
  };
  await Promise.all(Array.from({ length: USER_SYNC_CONCURRENCY }, lane));

  if (connectionGone) {
    logger.log("info", "sync_connection_gone", { connectionId: message.connectionId, users: message.userIds.length });
    return { kind: "ack" };
  }
  if (failure !== undefined) return { kind: "retry", reason: failure };
  // Started, but not one user fit: carrying over would repeat this for ever.
  if (leftover.length > 0 && finished === 0) return { kind: "retry", reason: "subrequest budget spent before any user finished" };
  leftover.push(...waiting);
  return leftover.length > 0 ? { kind: "carry", rest: { connectionId: message.connectionId, userIds: leftover } } : { kind: "ack" };
}

async function resolvePool(connectionId: string, services: RequestServices): Promise<PoolLookup> {
  const customerId = await services.pools.customerOfConnection(connectionId);
  if (!customerId.ok) return customerId;
  const pool = await services.pools.poolOfCustomer(customerId.value);
  if (!pool.ok && pool.error.kind === "customer_unmapped") {
    services.logger.log("error", "customer_unmapped", { customerId: customerId.value, connectionId });
  }
  return pool.ok ? ok(pool.value) : pool;
}

function logSkip(services: RequestServices, connectionId: string, pool: CustomerPool, userId: string, reason: SkipReason): void {
  // Tenancy violations already have their own warning.
  if (reason === "tenancy_violation") return;
  services.logger.log("info", "sync_user_skipped", { connectionId, customerId: pool.customerId, userPoolId: pool.userPoolId, userId, reason });
}

function describe(failure: WorkerFailure): string {
  switch (failure.kind) {
    case "cognito_throttled":
      return `cognito_throttled: ${failure.operation}`;
    case "cognito_unavailable":
    case "cognito_rejected":
    case "cognito_invalid_value":
      return `${failure.kind}: ${failure.operation} ${failure.errorType}`;
    case "sidecar_rejected":
      return `sidecar_rejected: ${failure.command} ${failure.errorType}`;
    default:
      return failure.kind;
  }
}
