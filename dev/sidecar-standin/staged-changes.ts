/**
 * Changes the stand-in has announced with `ActionRequired` but not yet applied.
 *
 * byo-contract §10.5: a `commitId` can be linked or committed once; a second use, or a use after
 * the TTL (10 minutes by default), is `StagedChangeNotFound`. Nothing staged is visible through
 * SCIM until it is linked or committed. Entries are kept in insertion order, so expired ones are
 * pruned from the front as new ones arrive; lookups check expiry themselves, so pruning is only
 * about memory.
 */
import { randomUUID } from "node:crypto";
import type { JsonObject } from "./json.ts";
import type { Result } from "./result.ts";
import { err, ok } from "./result.ts";
import type { ScimFailure } from "./scim-errors.ts";

/** What the app was told in the `ActionRequired` answer, to spot drift at commit time. */
export interface AnnouncedUserData {
  readonly primaryEmail: string | null;
  readonly parsedUserData: JsonObject;
}

export type StagedChangeBody =
  | {
      readonly kind: "LinkUser";
      /** SCIM id the user will have once linked. */
      readonly scimId: string;
      readonly userNameKey: string;
      readonly attributes: JsonObject;
    }
  | {
      readonly kind: "UpdateUser";
      readonly action: "DisableUser" | "EnableUser";
      readonly scimId: string;
      /**
       * Re-applies the IdP's PUT/PATCH to the user's attributes as they are at commit time, so an
       * attribute change that completed in between is not overwritten by a stale snapshot.
       */
      readonly reapply: (current: JsonObject) => Result<JsonObject, ScimFailure>;
      readonly announced: AnnouncedUserData;
    }
  | { readonly kind: "DeleteUser"; readonly scimId: string };

export type StagedChange = StagedChangeBody & {
  readonly commitId: string;
  readonly connectionId: string;
  readonly expiresAtMs: number;
};

export interface StagedChanges {
  readonly size: number;
  stage(connectionId: string, body: StagedChangeBody): StagedChange;
  /** The live staged change `commitId` on `connectionId`; does not consume it. */
  find(commitId: string, connectionId: string): Result<StagedChange, "StagedChangeNotFound">;
  /** Marks `commitId` used. */
  consume(commitId: string): void;
  dropConnection(connectionId: string): void;
}

export function createStagedChanges(options: { readonly ttlMs: number; readonly now: () => number }): StagedChanges {
  const byCommitId = new Map<string, StagedChange>();

  const pruneExpired = (nowMs: number): void => {
    for (const [commitId, change] of byCommitId) {
      if (change.expiresAtMs > nowMs) break;
      byCommitId.delete(commitId);
    }
  };

  return {
    get size() {
      return byCommitId.size;
    },
    stage(connectionId, body) {
      const nowMs = options.now();
      pruneExpired(nowMs);
      const change: StagedChange = { ...body, commitId: randomUUID(), connectionId, expiresAtMs: nowMs + options.ttlMs };
      byCommitId.set(change.commitId, change);
      return change;
    },
    find(commitId, connectionId) {
      const change = byCommitId.get(commitId);
      if (!change || change.connectionId !== connectionId) return err("StagedChangeNotFound");
      if (options.now() >= change.expiresAtMs) {
        byCommitId.delete(commitId);
        return err("StagedChangeNotFound");
      }
      return ok(change);
    },
    consume: (commitId) => void byCommitId.delete(commitId),
    dropConnection(connectionId) {
      for (const [commitId, change] of byCommitId) {
        if (change.connectionId === connectionId) byCommitId.delete(commitId);
      }
    },
  };
}
