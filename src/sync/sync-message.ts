/**
 * The body of one sync queue message, and how a long list of user ids is cut into messages.
 * Producer and consumer are the same worker, but messages outlive deployments, so the consumer
 * still validates every body.
 */
import * as z from "zod";
import { MAX_MESSAGE_BYTES, MAX_USER_ID_LENGTH, USER_IDS_PER_MESSAGE } from "./sync-limits";

export const syncMessageSchema = z.object({
  /** The SCIM connection whose users changed (connection -> customer -> pool). */
  connectionId: z.string().min(1).max(256),
  /** App user ids (= Cognito `sub`) to bring in line with the sidecar. */
  userIds: z.array(z.string().min(1).max(MAX_USER_ID_LENGTH)),
  /**
   * SCIM group ids the IdP deleted (`DELETE /Groups/{id}`), only sent when GROUP_SYNC and
   * GROUP_DELETE are on: their Cognito groups are deleted before the members are re-synced.
   */
  deletedGroupIds: z.array(z.string().min(1).max(MAX_USER_ID_LENGTH)).optional(),
});

export type SyncMessage = z.infer<typeof syncMessageSchema>;

export const messageBytes = (message: SyncMessage): number => new TextEncoder().encode(JSON.stringify(message)).byteLength;

/**
 * Cuts the ids into messages of at most USER_IDS_PER_MESSAGE ids and MAX_MESSAGE_BYTES each,
 * dropping duplicates. Group deletions ride on the first message.
 */
export function toSyncMessages(connectionId: string, userIds: readonly string[], deletedGroupIds: readonly string[] = []): SyncMessage[] {
  const unique = [...new Set(userIds.filter((id) => id.length > 0 && id.length <= MAX_USER_ID_LENGTH))];
  const messages: SyncMessage[] = [];
  let current: string[] = [];
  let currentBytes = 0;
  const overhead = messageBytes({ connectionId, userIds: [], deletedGroupIds: [...deletedGroupIds] });
  const flush = () => {
    const withDeletions = messages.length === 0 && deletedGroupIds.length > 0;
    messages.push({ connectionId, userIds: current, ...(withDeletions ? { deletedGroupIds: [...deletedGroupIds] } : {}) });
    current = [];
    currentBytes = 0;
  };
  for (const id of unique) {
    const idBytes = new TextEncoder().encode(JSON.stringify(id)).byteLength + 1;
    if (current.length >= USER_IDS_PER_MESSAGE || (current.length > 0 && overhead + currentBytes + idBytes > MAX_MESSAGE_BYTES)) flush();
    current.push(id);
    currentBytes += idBytes;
  }
  if (current.length > 0 || (messages.length === 0 && deletedGroupIds.length > 0)) flush();
  return messages;
}
