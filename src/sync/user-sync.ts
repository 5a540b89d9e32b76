/**
 * Brings one Cognito user in line with what the sidecar holds for it now: attributes (email and
 * ATTRIBUTE_MAP), group memberships (GROUP_SYNC) and enabled/disabled (`active`). Reads first and
 * writes only what differs, so a repeated or duplicated message changes nothing. In a shared pool
 * nothing is written unless the user's tenant attribute names this connection's customer.
 */
import type { Config } from "../config";
import { cognitoFailureToWorkerFailure, type CognitoFailure } from "../cognito/cognito-client";
import type { UserDirectory } from "../cognito/user-directory";
import type { Logger } from "../log";
import type { CustomerPool } from "../pools/pool-directory";
import { attributesToChange, attributesToClear, desiredAttributes } from "../provisioning/cognito-user-shape";
import type { WorkerFailure } from "../scim/scim-error";
import { isSidecarError } from "../sidecar/sidecar-answers";
import type { SidecarClient } from "../sidecar/sidecar-client";
import { syncMemberships, type GroupSyncContext } from "./group-sync";

export interface UserSyncContext {
  readonly config: Config;
  readonly sidecar: SidecarClient;
  readonly users: UserDirectory;
  readonly logger: Logger;
  readonly connectionId: string;
  readonly pool: CustomerPool;
  /** Null when GROUP_SYNC is off. */
  readonly groups: GroupSyncContext | null;
}

export type SkipReason = "not_in_sidecar" | "not_linked" | "not_in_pool" | "tenancy_violation";

export type UserSyncOutcome =
  /** `wrote`: at least one Cognito write was needed. */
  | { readonly kind: "synced"; readonly wrote: boolean }
  /** Nothing to do now or ever for this id: acknowledged, never retried. */
  | { readonly kind: "skipped"; readonly reason: SkipReason }
  /** The sidecar no longer knows the connection: the whole message is moot. */
  | { readonly kind: "connection_gone" }
  /** Throttling, outages, refused permissions: the message is retried with backoff. */
  | { readonly kind: "failed"; readonly failure: WorkerFailure };

/** Rejections that are about this user's data, not about us: logged, the rest of the sync goes on. */
const VALUE_REJECTIONS = new Set(["InvalidParameterException", "AliasExistsException"]);

export async function syncUser(ctx: UserSyncContext, userId: string): Promise<UserSyncOutcome> {
  const { config, users, logger, pool } = ctx;
  const scim = await ctx.sidecar.getScimUser(ctx.connectionId, userId);
  if (!scim.ok) {
    if (isSidecarError(scim.error, "ScimConnectionNotFound")) return { kind: "connection_gone" };
    return { kind: "failed", failure: scim.error };
  }
  if (scim.value === null) return { kind: "skipped", reason: "not_in_sidecar" };
  const { user: desired, groups } = scim.value;
  // Asked by app id within this connection, so anything else is not (or no longer) our link.
  if (desired.userId !== userId || scim.value.connectionId !== ctx.connectionId) return { kind: "skipped", reason: "not_linked" };

  const found = await users.getUser(pool.userPoolId, userId);
  if (!found.ok) return failed(found.error);
  const current = found.value;
  if (current === null) return { kind: "skipped", reason: "not_in_pool" };

  if (pool.shared) {
    const owner = current.attributes[config.cognito.tenantAttribute] ?? null;
    if (owner !== pool.customerId) {
      logger.log("warn", "tenancy_violation", {
        customerId: pool.customerId,
        userPoolId: pool.userPoolId,
        attempted: "sync",
        userId,
        ownerCustomerId: owner,
      });
      return { kind: "skipped", reason: "tenancy_violation" };
    }
  }

  let wrote = false;
  // Access is taken away first and given back last, so a half-done sync never grants more.
  if (!desired.active && current.enabled) {
    const disabled = await users.disableUser(pool.userPoolId, userId);
    if (!disabled.ok) return failed(disabled.error);
    if (disabled.value === "missing") return { kind: "skipped", reason: "not_in_pool" };
    // Disabling stops new sign-ins; signing out revokes the refresh tokens already issued.
    const signedOut = await users.signOutEverywhere(pool.userPoolId, userId);
    if (!signedOut.ok) return failed(signedOut.error);
    wrote = true;
  }

  const wanted = desiredAttributes(config.cognito, desired.primaryEmail, desired.parsedUserData);
  const changes = [
    ...attributesToChange(wanted, current.attributes),
    ...attributesToClear(config.cognito, desired.parsedUserData, current.attributes).filter((c) => !wanted.some((w) => w.Name === c.Name)),
  ];
  if (changes.length > 0) {
    const updated = await users.updateAttributes(pool.userPoolId, userId, changes);
    if (!updated.ok) {
      const failure = updated.error;
      if (failure.kind !== "rejected" || !VALUE_REJECTIONS.has(failure.errorType)) return failed(failure);
      // An attribute Cognito will not take (not in the pool's schema, alias owned by someone else)
      // will not be taken on a retry either.
      logger.log("error", "sync_attributes_rejected", {
        customerId: pool.customerId,
        userPoolId: pool.userPoolId,
        userId,
        errorType: failure.errorType,
        attributes: changes.map((c) => c.Name),
      });
    } else if (updated.value === "missing") {
      return { kind: "skipped", reason: "not_in_pool" };
    } else {
      wrote = true;
    }
  }

  if (ctx.groups !== null) {
    const memberships = await syncMemberships(ctx.groups, current, groups);
    if (!memberships.ok) {
      const failure = memberships.error;
      if (failure.kind !== "rejected" || failure.errorType !== "LimitExceededException") return failed(failure);
      // Cognito's per-user (100) or per-pool (10,000) group limits: retrying cannot fix it.
      logger.log("error", "sync_groups_rejected", { customerId: pool.customerId, userPoolId: pool.userPoolId, userId, errorType: failure.errorType });
    } else {
      if (memberships.value.userMissing) return { kind: "skipped", reason: "not_in_pool" };
      wrote ||= memberships.value.added + memberships.value.removed > 0;
    }
  }

  // Sync only ever takes access away. Access is given (back) by the sidecar's LinkUser/EnableUser
  // actions alone: a Disable whose commit failed leaves the sidecar saying "active", and a later
  // membership change must not re-enable a deprovisioned user.
  return { kind: "synced", wrote };
}

function failed(failure: CognitoFailure): UserSyncOutcome {
  // Deleted between our read and this write: nothing left to sync.
  if (failure.kind === "rejected" && failure.errorType === "UserNotFoundException") return { kind: "skipped", reason: "not_in_pool" };
  return { kind: "failed", failure: cognitoFailureToWorkerFailure(failure) };
}
