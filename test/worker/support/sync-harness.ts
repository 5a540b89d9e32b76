/**
 * A world for sync tests: the real worker (fetch and queue handlers) wired to the sidecar and
 * Cognito fakes, a recording fake of the SYNC_QUEUE producer, and a small queue runner that
 * delivers batches the way Cloudflare does (batch size, retries with attempts, dead-letter).
 * The fake sidecar answers GetScimUser from `directory` (the sidecar's view of each app user).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { WorkerEnv } from "../../../src/env";
import { createWorker } from "../../../src/index";
import { createConsoleLogger } from "../../../src/log";
import type { SyncMessage } from "../../../src/sync/sync-message";
import type { Clock } from "../../../src/timing";
import { createFakeCognito, FAKE_ACCOUNT_ID, type FakeCognito, type FakeCognitoUser, type FakePool } from "./fake-cognito";
import { createFakeSidecar, type FakeSidecar } from "./fake-sidecar";
import { AWS_KEYS, baseWorkerEnv, buildScimRequest, COGNITO_ORIGIN, INTEGRATION_KEY, mapCustomer, SIDECAR_ORIGIN, uniqueId, uniquePoolId } from "./harness";

export { FAKE_ACCOUNT_ID };

/** What the sidecar holds about one linked app user. */
export interface ScimState {
  connectionId: string;
  primaryEmail: string | null;
  parsedUserData: Record<string, unknown>;
  active: boolean;
  groups: { groupId: string; displayName: string }[];
}

export interface FakeQueuedMessage {
  readonly body: SyncMessage;
  readonly delaySeconds: number | undefined;
}

/** Records everything sent; `pending` is what the runner will deliver next. */
export interface FakeQueue extends Queue<SyncMessage> {
  readonly sent: FakeQueuedMessage[];
  readonly pending: { body: unknown; attempts: number }[];
  /** Make the next `sendBatch` calls throw. */
  failSends(times: number): void;
  /** Make sends wait until `release()` is called. */
  hold(): { release: () => void };
}

export interface DeliveredMessage {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  acked: boolean;
  retried: { delaySeconds: number | undefined } | null;
}

export interface Delivery {
  readonly messages: DeliveredMessage[];
  /** Outbound calls (sidecar + Cognito) this invocation made. */
  readonly outbound: number;
  readonly batchRetried: { delaySeconds: number | undefined } | null;
}

export interface DrainResult {
  readonly invocations: number;
  readonly outboundPerInvocation: number[];
  readonly deadLettered: unknown[];
  readonly retries: number;
}

export interface SyncWorld {
  readonly sidecar: FakeSidecar;
  readonly cognito: FakeCognito;
  readonly queue: FakeQueue;
  readonly env: WorkerEnv;
  readonly logs: Record<string, unknown>[];
  readonly connectionId: string;
  readonly customerId: string;
  readonly userPoolId: string;
  /** App user id (sub) -> the sidecar's state of that user. */
  readonly directory: Map<string, ScimState>;
  /** Connections the sidecar no longer knows. */
  readonly goneConnections: Set<string>;
  /** Adds a Cognito user and links it in the sidecar (its sub is the app user id). */
  linkedUser(username: string, attributes: Record<string, string>, state?: Partial<ScimState>, enabled?: boolean): { user: FakeCognitoUser; userId: string; state: ScimState };
  /** Another customer with its own connection (mapped to `pool`, shared or not). */
  addTenant(options?: { userPoolId?: string; shared?: boolean }): Promise<{ connectionId: string; customerId: string }>;
  scim(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** The response as soon as the worker returns it, plus a promise for its `waitUntil` work. */
  scimUnsettled(path: string, init?: RequestInit & { json?: unknown }): Promise<{ response: Response; settled: Promise<void> }>;
  /** One consumer invocation. */
  deliver(messages: (SyncMessage | { body: unknown; attempts?: number })[]): Promise<Delivery>;
  /** Delivers `pending` in batches until empty; retried messages come back with attempts + 1. */
  drain(options?: { batchSize?: number; maxRetries?: number; maxInvocations?: number }): Promise<DrainResult>;
  readonly sleeps: number[];
}

export interface SyncWorldOptions {
  vars?: Partial<Record<keyof WorkerEnv, string | undefined>>;
  pool?: FakePool;
  shared?: boolean;
  mapped?: boolean;
  identityProvider?: string;
  userPoolId?: string;
  /** Bind SYNC_QUEUE (default true). */
  withQueue?: boolean;
}

export async function syncWorld(options: SyncWorldOptions = {}): Promise<SyncWorld> {
  const connectionId = uniqueId("conn");
  const customerId = uniqueId("cust");
  const userPoolId = options.userPoolId ?? uniquePoolId();
  const customerByConnection: Record<string, string> = { [connectionId]: customerId };
  const sidecar = createFakeSidecar({ integrationKey: INTEGRATION_KEY, customerByConnection });
  const cognito = createFakeCognito(AWS_KEYS);
  cognito.addPool(userPoolId, options.pool ?? {});
  if (options.mapped !== false) {
    await mapCustomer(customerId, {
      userPoolId,
      shared: options.shared ?? false,
      ...(options.identityProvider === undefined ? {} : { identityProvider: options.identityProvider }),
    });
  }

  const directory = new Map<string, ScimState>();
  const goneConnections = new Set<string>();
  sidecar.always("GetScimUser", (data) => {
    const scimConnectionId = String(data["scimConnectionId"]);
    if (goneConnections.has(scimConnectionId)) return { status: 404, json: { type: "ScimConnectionNotFound" } };
    const userId = String(data["userId"]);
    const state = directory.get(userId);
    if (!state || state.connectionId !== scimConnectionId) return { status: 404, json: { type: "UserNotFound" } };
    return {
      status: 200,
      json: {
        connectionId: scimConnectionId,
        user: {
          connectionId: scimConnectionId,
          scimUser: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], id: `scim-${userId}`, active: state.active },
          primaryEmail: state.primaryEmail,
          parsedUserData: state.parsedUserData,
          active: state.active,
          userId,
        },
        groups: state.groups,
      },
    };
  });

  const queue = createFakeQueue();
  const logs: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  let virtualOffset = 0;
  let outbound = 0;
  const clock: Clock = {
    now: () => Date.now() + virtualOffset,
    sleep: async (ms) => {
      sleeps.push(ms);
      virtualOffset += ms;
    },
    random: () => 0.5,
  };

  const workerEnv = {
    ...baseWorkerEnv(),
    ...(options.withQueue === false ? {} : { SYNC_QUEUE: queue }),
    ...options.vars,
  } as WorkerEnv;

  const worker = createWorker({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const origin = new URL(request.url).origin;
      outbound += 1;
      if (origin === SIDECAR_ORIGIN) return sidecar.handle(request);
      if (origin === COGNITO_ORIGIN) return cognito.handle(request);
      throw new TypeError(`unexpected outbound request to ${request.url}`);
    },
    clock,
    logger: createConsoleLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
  });

  async function scimUnsettled(path: string, init: RequestInit & { json?: unknown } = {}) {
    const ctx = createExecutionContext();
    const response = await worker.fetch(buildScimRequest(path, init), workerEnv, ctx);
    return { response, settled: waitOnExecutionContext(ctx) };
  }

  let messageCounter = 0;
  async function deliver(messages: (SyncMessage | { body: unknown; attempts?: number })[]): Promise<Delivery> {
    const delivered: DeliveredMessage[] = messages.map((m) => {
      const wrapped = "body" in m && !("connectionId" in m) ? m : { body: m, attempts: 1 };
      messageCounter += 1;
      return { id: `msg-${messageCounter}`, body: wrapped.body, attempts: wrapped.attempts ?? 1, acked: false, retried: null };
    });
    let batchRetried: { delaySeconds: number | undefined } | null = null;
    const batch: MessageBatch<unknown> = {
      queue: "cognito-scim-edge-sync",
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
      messages: delivered.map((d) => ({
        id: d.id,
        timestamp: new Date(),
        body: d.body,
        attempts: d.attempts,
        ack: () => {
          d.acked = true;
        },
        retry: (o?: QueueRetryOptions) => {
          d.retried = { delaySeconds: o?.delaySeconds };
        },
      })),
      ackAll: () => delivered.forEach((d) => (d.acked = true)),
      retryAll: (o?: QueueRetryOptions) => {
        batchRetried = { delaySeconds: o?.delaySeconds };
      },
    };
    const before = outbound;
    const ctx = createExecutionContext();
    await worker.queue(batch, workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    for (const d of delivered) {
      if (d.acked && d.retried) throw new Error(`message ${d.id} both acked and retried`);
    }
    return { messages: delivered, outbound: outbound - before, batchRetried };
  }

  return {
    sidecar,
    cognito,
    queue,
    env: workerEnv,
    logs,
    connectionId,
    customerId,
    userPoolId,
    directory,
    goneConnections,
    sleeps,
    linkedUser(username, attributes, state = {}, enabled = true) {
      const user = cognito.addUser(userPoolId, username, attributes, enabled);
      const userId = user.attributes["sub"] as string;
      const full: ScimState = { connectionId, primaryEmail: null, parsedUserData: {}, active: true, groups: [], ...state };
      directory.set(userId, full);
      return { user, userId, state: full };
    },
    async addTenant(tenant = {}) {
      const otherConnection = uniqueId("conn");
      const otherCustomer = uniqueId("cust");
      customerByConnection[otherConnection] = otherCustomer;
      await mapCustomer(otherCustomer, { userPoolId: tenant.userPoolId ?? userPoolId, shared: tenant.shared ?? options.shared ?? false });
      return { connectionId: otherConnection, customerId: otherCustomer };
    },
    async scim(path, init = {}) {
      const { response, settled } = await scimUnsettled(path, init);
      await settled;
      return response;
    },
    scimUnsettled,
    deliver,
    async drain({ batchSize = 4, maxRetries = 10, maxInvocations = 10_000 } = {}) {
      const outboundPerInvocation: number[] = [];
      const deadLettered: unknown[] = [];
      let retries = 0;
      while (queue.pending.length > 0) {
        if (outboundPerInvocation.length >= maxInvocations) throw new Error("queue did not drain");
        const next = queue.pending.splice(0, batchSize);
        const delivery = await deliver(next.map((n) => ({ body: n.body, attempts: n.attempts })));
        outboundPerInvocation.push(delivery.outbound);
        delivery.messages.forEach((m, i) => {
          const retried = m.retried !== null || (delivery.batchRetried !== null && !m.acked);
          if (!retried) return;
          retries += 1;
          const attempts = (next[i]?.attempts ?? 1) + 1;
          if (attempts > maxRetries + 1) deadLettered.push(m.body);
          else queue.pending.push({ body: m.body, attempts });
        });
      }
      return { invocations: outboundPerInvocation.length, outboundPerInvocation, deadLettered, retries };
    },
  };
}

function createFakeQueue(): FakeQueue {
  const sent: FakeQueuedMessage[] = [];
  const pending: { body: unknown; attempts: number }[] = [];
  let failures = 0;
  let gate: Promise<void> | null = null;
  const record = async (messages: MessageSendRequest<SyncMessage>[], delay?: number) => {
    if (gate) await gate;
    if (failures > 0) {
      failures -= 1;
      throw new Error("Queue send failed: 500");
    }
    for (const m of messages) {
      if (new TextEncoder().encode(JSON.stringify(m.body)).byteLength > 128 * 1024) throw new Error("message too large");
      // A body must survive the structured clone / JSON round trip the real queue applies.
      const body = JSON.parse(JSON.stringify(m.body)) as SyncMessage;
      sent.push({ body, delaySeconds: m.delaySeconds ?? delay });
      pending.push({ body, attempts: 1 });
    }
  };
  return {
    sent,
    pending,
    failSends(times) {
      failures = times;
    },
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return { release };
    },
    async send(body, options) {
      await record([{ body }], options?.delaySeconds);
      return { metadata: { metrics: { backlogCount: pending.length, backlogBytes: 0 } } } as unknown as QueueSendResponse;
    },
    async sendBatch(messages, options) {
      const list = [...messages];
      if (list.length > 100) throw new Error("sendBatch takes at most 100 messages");
      await record(list, options?.delaySeconds);
      return { metadata: { metrics: { backlogCount: pending.length, backlogBytes: 0 } } } as unknown as QueueSendBatchResponse;
    },
    async metrics() {
      return { backlogCount: pending.length, backlogBytes: 0 };
    },
  };
}
