/**
 * The producer side: after the IdP's request completed, the affected users are handed to the
 * sync queue without holding up the answer (`waitUntil`). A failed send is logged, not retried:
 * the IdP already has its answer, and the users are re-synced on their next change.
 */
import type { Context } from "hono";
import type { Config } from "../config";
import type { Logger } from "../log";
import { fail, ok, type Result } from "../result";
import type { CompletedAnswer } from "../sidecar/sidecar-schemas";
import { MAX_MESSAGES_PER_SEND, MAX_SEND_BATCH_BYTES } from "./sync-limits";
import { messageBytes, toSyncMessages, type SyncMessage } from "./sync-message";

/** The IdP request a Completed answer belongs to. */
export interface CompletedRequest {
  readonly method: string;
  /** Path and query below the SCIM base, as forwarded to the sidecar. */
  readonly relativePath: string;
}

const GROUP_RESOURCE = /^\/Groups\/([^/?#]+)\/?(?:\?.*)?$/;

/** The messages a Completed answer calls for (none when it names no users and deletes no group). */
export function syncMessagesFor(config: Config, completed: CompletedAnswer, request: CompletedRequest): SyncMessage[] {
  const userIds = completed.affectedUserIds ?? [];
  const deletedGroupIds: string[] = [];
  const groups = config.sync.groups;
  const ok2xx = completed.responseHttpCode >= 200 && completed.responseHttpCode < 300;
  if (groups !== null && groups.deleteRemoved && ok2xx && request.method === "DELETE") {
    const match = GROUP_RESOURCE.exec(request.relativePath);
    const raw = match?.[1];
    if (raw !== undefined) deletedGroupIds.push(safeDecode(raw));
  }
  if (userIds.length === 0 && deletedGroupIds.length === 0) return [];
  return toSyncMessages(completed.connectionId, userIds, deletedGroupIds);
}

/** Enqueues after the answer is on its way. Returns how many user ids were handed over. */
export function scheduleSync(
  c: Context,
  queue: Queue<SyncMessage> | undefined,
  config: Config,
  logger: Logger,
  completed: CompletedAnswer,
  request: CompletedRequest,
): number {
  const messages = syncMessagesFor(config, completed, request);
  if (messages.length === 0) return 0;
  const users = messages.reduce((n, m) => n + m.userIds.length, 0);
  const sending = sendSyncMessages(queue, messages).then((sent) => {
    if (!sent.ok) logger.log("error", "sync_enqueue_failed", { connectionId: completed.connectionId, users, messages: messages.length, reason: sent.error });
  });
  try {
    c.executionCtx.waitUntil(sending);
  } catch {
    // No execution context (not the case in a deployed worker): the promise still runs.
  }
  return users;
}

/** `sendBatch` in chunks within Queues' limits (100 messages, 256 KB per call). */
export async function sendSyncMessages(queue: Queue<SyncMessage> | undefined, messages: readonly SyncMessage[]): Promise<Result<void, string>> {
  if (queue === undefined) return fail("SYNC_QUEUE binding missing");
  let chunk: MessageSendRequest<SyncMessage>[] = [];
  let chunkBytes = 0;
  try {
    for (const message of messages) {
      const size = messageBytes(message);
      if (chunk.length >= MAX_MESSAGES_PER_SEND || (chunk.length > 0 && chunkBytes + size > MAX_SEND_BATCH_BYTES)) {
        await queue.sendBatch(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push({ body: message, contentType: "json" });
      chunkBytes += size;
    }
    if (chunk.length > 0) await queue.sendBatch(chunk);
    return ok(undefined);
  } catch (error) {
    return fail(error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "send failed");
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
