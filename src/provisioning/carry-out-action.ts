/**
 * Performs what the sidecar asked for on the customer's user pool, then confirms it to the
 * sidecar. Nothing is committed or linked unless Cognito reached the desired state, and every step
 * is safe to repeat: a retried IdP request converges on the same Cognito state.
 */
import type { Config } from "../config";
import { cognitoFailureToWorkerFailure, type CognitoFailure } from "../cognito/cognito-client";
import { hasLinkedIdentity, type CognitoUser, type FederatedIdentity, type UserDirectory } from "../cognito/user-directory";
import type { Logger } from "../log";
import type { CustomerPool, PoolDirectory } from "../pools/pool-directory";
import { fail, ok, type Result } from "../result";
import type { WorkerFailure } from "../scim/scim-error";
import type { SidecarClient } from "../sidecar/sidecar-client";
import type { ActionRequiredAnswer, CompletedAnswer, ExistingUserAction, LinkUserAction } from "../sidecar/sidecar-schemas";
import { attributesToChange, chooseUsername, desiredAttributes } from "./cognito-user-shape";

export interface ProvisioningDeps {
  readonly config: Config;
  readonly sidecar: SidecarClient;
  readonly users: UserDirectory;
  readonly pools: PoolDirectory;
  readonly logger: Logger;
}

/** Facts gathered while acting, for the request's log line. */
export interface ActionTrace {
  customerId?: string;
  userPoolId?: string;
}

type Outcome<T> = Result<T, WorkerFailure>;

const fromCognito = <T>(result: Result<T, CognitoFailure>): Outcome<T> =>
  result.ok ? result : fail(cognitoFailureToWorkerFailure(result.error));

export async function carryOutAction(action: ActionRequiredAnswer, deps: ProvisioningDeps, trace: ActionTrace): Promise<Outcome<CompletedAnswer>> {
  const customerId = await deps.pools.customerOfConnection(action.connectionId);
  if (!customerId.ok) return customerId;
  trace.customerId = customerId.value;
  const pool = await deps.pools.poolOfCustomer(customerId.value);
  if (!pool.ok) return pool;
  trace.userPoolId = pool.value.userPoolId;

  if (action.action === "LinkUser") return provisionAndLink(action, pool.value, deps);
  return changeAndCommit(action, pool.value, deps);
}

async function provisionAndLink(action: LinkUserAction, pool: CustomerPool, deps: ProvisioningDeps): Promise<Outcome<CompletedAnswer>> {
  const { config, users } = deps;
  const design = await deps.pools.signInDesign(pool.userPoolId);
  if (!design.ok) return design;
  const username = await chooseUsername(design.value, pool.customerId, action.userName, action.primaryEmail);
  if (!username.ok) return fail({ kind: "cognito_invalid_value", operation: "AdminCreateUser", errorType: "NoEmailForEmailUsernamePool" });

  const attributes = desiredAttributes(config.cognito, action.primaryEmail, action.parsedUserData);
  const tenantAttribute = { Name: config.cognito.tenantAttribute, Value: pool.customerId };
  const created = await users.createUser(
    pool.userPoolId,
    username.username,
    pool.shared ? [...attributes, tenantAttribute] : attributes,
    config.cognito.inviteMessage === "email",
  );

  let user: CognitoUser;
  if (created.ok) {
    user = created.value;
  } else if (created.error.kind === "rejected" && created.error.errorType === "UsernameExistsException") {
    // Either our own earlier attempt (a retry after a failed link) or someone else's user.
    const adopted = await adoptExistingUser(action.connectionId, pool, username.username, attributes, deps);
    if (!adopted.ok) return adopted;
    user = adopted.value;
  } else if (created.error.kind === "rejected" && created.error.errorType === "AliasExistsException") {
    // The verified email already belongs to a different user.
    return fail({ kind: "user_exists", policy: "alias" });
  } else {
    return fromCognito(created);
  }

  // A user the IdP provisions as inactive must not be able to sign in before we link it.
  if (!action.active && user.enabled) {
    const disabled = fromCognito(await users.disableUser(pool.userPoolId, user.sub));
    if (!disabled.ok) return disabled;
  } else if (action.active && !user.enabled) {
    const enabled = fromCognito(await users.enableUser(pool.userPoolId, user.sub));
    if (!enabled.ok) return enabled;
  }

  // Before the sidecar learns the user exists: its first SSO sign-in must land on this user.
  if (pool.identityProvider !== undefined && action.ssoUserSubject !== null && action.ssoUserSubject !== "") {
    const federated = await linkFederatedIdentity(pool, user, { providerName: pool.identityProvider, subject: action.ssoUserSubject }, deps);
    if (!federated.ok) return federated;
  }

  // The app-side id is the immutable `sub`: usernames can be emails that change or derived values.
  const linked = await deps.sidecar.linkScimUser({ connectionId: action.connectionId, commitId: action.commitId, userId: user.sub });
  return linked.ok ? linked : fail(linked.error);
}

/** Cognito's wording when the source identity is already linked, or already signed in on its own. */
const ALREADY_LINKED_MESSAGE = /already linked|merging is not currently supported/i;

/**
 * AdminLinkProviderForUser, idempotently: an identity already listed in the user's `identities`
 * needs no call, and an "already linked" refusal counts as done once a fresh read shows the link
 * on this very user (Cognito does not say *which* user holds it; aws-sdk-net#1000 reports the
 * link can be applied even when the call fails). A link held by another user, or an IdP user who
 * signed in before being provisioned, is refused: that user could otherwise keep signing in
 * through SSO after SCIM deprovisions the native user (docs/federation.md).
 */
async function linkFederatedIdentity(pool: CustomerPool, user: CognitoUser, source: FederatedIdentity, deps: ProvisioningDeps): Promise<Outcome<void>> {
  const { users, logger } = deps;
  if (hasLinkedIdentity(user.attributes, source)) return ok(undefined);
  const linked = await users.linkProviderForUser(pool.userPoolId, user.username, source);
  if (linked.ok) return ok(undefined);
  const failure = linked.error;
  if (failure.kind === "rejected" && failure.errorType === "InvalidParameterException" && ALREADY_LINKED_MESSAGE.test(failure.message ?? "")) {
    const reread = fromCognito(await users.getUser(pool.userPoolId, user.sub));
    if (!reread.ok) return reread;
    if (reread.value !== null && hasLinkedIdentity(reread.value.attributes, source)) return ok(undefined);
    logger.log("warn", "federation_link_refused", {
      customerId: pool.customerId,
      userPoolId: pool.userPoolId,
      identityProvider: source.providerName,
      userId: user.sub,
      reason: /merging/i.test(failure.message ?? "") ? "identity_signed_in_before_provisioning" : "identity_linked_to_another_user",
    });
  } else if (failure.kind === "rejected") {
    logger.log("warn", "federation_link_refused", {
      customerId: pool.customerId,
      userPoolId: pool.userPoolId,
      identityProvider: source.providerName,
      userId: user.sub,
      reason: failure.errorType,
    });
  }
  return fail(cognitoFailureToWorkerFailure(failure));
}

async function adoptExistingUser(
  connectionId: string,
  pool: CustomerPool,
  username: string,
  desired: ReturnType<typeof desiredAttributes>,
  deps: ProvisioningDeps,
): Promise<Outcome<CognitoUser>> {
  const { config, users } = deps;
  const found = fromCognito(await users.getUser(pool.userPoolId, username));
  if (!found.ok) return found;
  if (found.value === null) {
    // Deleted between our create and get: let the IdP retry rather than guess.
    return fail({ kind: "cognito_unavailable", operation: "AdminGetUser", errorType: "UserVanished" });
  }
  const existing = found.value;
  // Adopt only a user no SCIM user is linked to yet (our own failed link). A user already linked
  // belongs to another SCIM identity (e.g. two accounts with one email): linking it twice would let
  // one account's deprovisioning remove the other.
  const linkedScimUser = await deps.sidecar.getScimUser(connectionId, existing.sub);
  if (!linkedScimUser.ok) return linkedScimUser;
  if (linkedScimUser.value !== null) {
    deps.logger.log("warn", "existing_user_already_linked", { customerId: pool.customerId, userPoolId: pool.userPoolId, connectionId });
    return fail({ kind: "user_exists", policy: "already_linked" });
  }
  const toChange = attributesToChange(desired, existing.attributes);
  if (pool.shared) {
    const owner = existing.attributes[config.cognito.tenantAttribute];
    if (owner === undefined && config.existingUserPolicy === "link") {
      toChange.push({ Name: config.cognito.tenantAttribute, Value: pool.customerId });
    } else if (owner !== pool.customerId) {
      // Another customer's user, or an unclaimed one under the `reject` policy: never link it.
      if (owner !== undefined) {
        deps.logger.log("warn", "tenancy_violation", { customerId: pool.customerId, userPoolId: pool.userPoolId, attempted: "link", ownerCustomerId: owner });
      }
      return fail({ kind: "user_exists", policy: config.existingUserPolicy });
    }
  }
  if (toChange.length > 0) {
    const updated = fromCognito(await users.updateAttributes(pool.userPoolId, existing.sub, toChange));
    if (!updated.ok) return updated;
  }
  return ok(existing);
}

async function changeAndCommit(action: ExistingUserAction, pool: CustomerPool, deps: ProvisioningDeps): Promise<Outcome<CompletedAnswer>> {
  const { users } = deps;
  const userPoolId = pool.userPoolId;

  if (pool.shared) {
    const owned = await checkOwnership(action, pool, deps);
    if (!owned.ok) return owned;
    if (owned.value === "missing") {
      if (action.action === "EnableUser") return fail({ kind: "user_missing_in_pool", userId: action.userId });
      return commit(action, deps);
    }
  }

  switch (action.action) {
    case "DisableUser": {
      const disabled = fromCognito(await users.disableUser(userPoolId, action.userId));
      if (!disabled.ok) return disabled;
      if (disabled.value === "done") {
        // Disabling stops new sign-ins; signing out revokes the refresh tokens already issued.
        const signedOut = fromCognito(await users.signOutEverywhere(userPoolId, action.userId));
        if (!signedOut.ok) return signedOut;
      }
      return commit(action, deps);
    }
    case "EnableUser": {
      const enabled = fromCognito(await users.enableUser(userPoolId, action.userId));
      if (!enabled.ok) return enabled;
      if (enabled.value === "missing") return fail({ kind: "user_missing_in_pool", userId: action.userId });
      return commit(action, deps);
    }
    case "DeleteUser": {
      // An already deleted user is the desired state.
      const deleted = fromCognito(await users.deleteUser(userPoolId, action.userId));
      if (!deleted.ok) return deleted;
      return commit(action, deps);
    }
  }
}

/** In a shared pool a user belongs to the customer named in its tenant attribute, and only then. */
async function checkOwnership(action: ExistingUserAction, pool: CustomerPool, deps: ProvisioningDeps): Promise<Outcome<"owned" | "missing">> {
  const found = fromCognito(await deps.users.getUser(pool.userPoolId, action.userId));
  if (!found.ok) return found;
  if (found.value === null) return ok("missing");
  const owner = found.value.attributes[deps.config.cognito.tenantAttribute] ?? null;
  if (owner !== pool.customerId) {
    deps.logger.log("warn", "tenancy_violation", {
      customerId: pool.customerId,
      userPoolId: pool.userPoolId,
      attempted: action.action,
      userId: action.userId,
      ownerCustomerId: owner,
    });
    return fail({ kind: "tenancy_violation", userId: action.userId, ownerCustomerId: owner });
  }
  return ok("owned");
}

async function commit(action: ExistingUserAction, deps: ProvisioningDeps): Promise<Outcome<CompletedAnswer>> {
  const committed = await deps.sidecar.commitScimUserChange({ connectionId: action.connectionId, commitId: action.commitId });
  return committed.ok ? committed : fail(committed.error);
}
