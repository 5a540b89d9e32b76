/**
 * What the admin API and the setup page do, independent of HTTP: each operation takes the
 * request's services and returns a `Result` whose failure is an `AdminFailure`.
 * Nothing is left half-done: a create with a pool mapping validates the pool first, then creates
 * the connection, then writes the mapping, and deletes the connection again if that write fails.
 * Deleting a connection with its mapping removes the connection first (the step that stops
 * provisioning); a mapping left behind by a failure there is reported and harmless.
 *
 * Every mapping is checked before anything is written (`checkMapping`): a dedicated mapping
 * (where provisioning skips tenancy checks) may not name DEFAULT_USER_POOL_ID or a pool another
 * customer uses, and a shared one needs a pool whose app clients cannot write the tenant attribute.
 */
import type { CognitoUser } from "../cognito/user-directory";
import type { PoolStoreFailure } from "../pools/customer-pool-store";
import type { CustomerPool, CustomerPoolRecord } from "../pools/pool-directory";
import { fail, ok, type Result } from "../result";
import type { NewScimKey, ScimConnectionInfo, ScimUserRecord } from "../sidecar/connection-management";
import {
  cognitoFailureToAdminFailure,
  managementFailureToAdminFailure,
  poolStoreFailureToAdminFailure,
  workerFailureToAdminFailure,
  type AdminFailure,
} from "./admin-errors";
import type { CognitoState } from "./admin-schemas";
import type { AdminServices } from "./admin-services";

/** Cognito lookups in flight at once for the users listing (Workers allow 6 open connections). */
const USER_LOOKUP_CONCURRENCY = 5;
/** DescribeUserPoolClient calls in flight at once when checking a shared pool's app clients. */
const CLIENT_LOOKUP_CONCURRENCY = 5;

export interface EffectiveMapping extends CustomerPoolRecord {
  readonly source: CustomerPool["source"];
}

export interface CreateConnectionInput {
  readonly customerId: string;
  readonly displayName?: string;
  readonly mapping?: CustomerPoolRecord;
  /** UNIX seconds. */
  readonly keyExpiresAt?: number;
}

export interface CreatedConnection extends NewScimKey {
  readonly mapping: CustomerPoolRecord | null;
}

/** A pool id can be well-formed and still not exist (or not be visible to our IAM credentials). */
export async function verifyPoolExists(services: AdminServices, userPoolId: string): Promise<Result<null, AdminFailure>> {
  const described = await services.users.describeSignInDesign(userPoolId);
  return described.ok ? ok(null) : fail(cognitoFailureToAdminFailure(described.error, userPoolId));
}

/**
 * In a shared pool, tenancy rests on the tenant attribute, so no app client may let a signed-in
 * user write it: a user could untag themselves (escaping deprovisioning) or claim another customer.
 * A client without WriteAttributes gets Cognito's default write access, which we do not rely on.
 */
export async function verifyTenantAttributeProtected(services: AdminServices, userPoolId: string): Promise<Result<null, AdminFailure>> {
  const tenantAttribute = services.config.cognito.tenantAttribute;
  const clientIds: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await services.users.listUserPoolClients(userPoolId, nextToken);
    if (!page.ok) return fail(cognitoFailureToAdminFailure(page.error, userPoolId));
    clientIds.push(...page.value.items);
    nextToken = page.value.nextToken;
  } while (nextToken !== undefined);

  const writable: { clientId: string; writeAttributes: "unset" | "includes_tenant_attribute" }[] = [];
  for (let start = 0; start < clientIds.length; start += CLIENT_LOOKUP_CONCURRENCY) {
    const described = await Promise.all(clientIds.slice(start, start + CLIENT_LOOKUP_CONCURRENCY).map((id) => services.users.describeUserPoolClient(userPoolId, id)));
    for (const client of described) {
      if (!client.ok) return fail(cognitoFailureToAdminFailure(client.error, userPoolId));
      const { clientId, writeAttributes } = client.value;
      if (writeAttributes === undefined || writeAttributes.length === 0) writable.push({ clientId, writeAttributes: "unset" });
      else if (writeAttributes.includes(tenantAttribute)) writable.push({ clientId, writeAttributes: "includes_tenant_attribute" });
    }
  }
  return writable.length === 0 ? ok(null) : fail({ kind: "tenant_attribute_writable", userPoolId, tenantAttribute, clients: writable });
}

/**
 * Everything a mapping must satisfy, checked before any write: DEFAULT_USER_POOL_ID only as
 * shared; no conflict in the pool-usage index; the pool exists; a shared pool's app clients cannot
 * write the tenant attribute.
 */
export async function checkMapping(services: AdminServices, customerId: string, record: CustomerPoolRecord): Promise<Result<null, AdminFailure>> {
  if (!record.shared && record.userPoolId === services.config.defaultUserPoolId) {
    return fail({
      kind: "invalid_input",
      field: "shared",
      message: `User pool ${record.userPoolId} is DEFAULT_USER_POOL_ID, which serves every unmapped customer; map it with shared: true.`,
    });
  }
  const available = await services.pools.checkAvailable(customerId, record);
  if (!available.ok) return fail(poolStoreFailureToAdminFailure(available.error));
  const pool = await verifyPoolExists(services, record.userPoolId);
  if (!pool.ok) return pool;
  return record.shared ? verifyTenantAttributeProtected(services, record.userPoolId) : ok(null);
}

/** Logs the KV keys a failed mapping write could not put back (the operator repairs them by hand). */
function logStoreLeftovers(services: AdminServices, customerId: string, failure: PoolStoreFailure): void {
  if (failure.kind === "kv_failed" && failure.notRestored !== undefined) {
    services.logger.log("error", "admin_rollback_failed", { customerId, notRestored: failure.notRestored, failure: failure.reason });
  }
}

export async function createConnection(services: AdminServices, input: CreateConnectionInput): Promise<Result<CreatedConnection, AdminFailure>> {
  if (input.mapping) {
    const checked = await checkMapping(services, input.customerId, input.mapping);
    if (!checked.ok) return checked;
  }
  const created = await services.connections.create({
    customerId: input.customerId,
    ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
    ...(input.keyExpiresAt === undefined ? {} : { scimApiKeyExpiration: input.keyExpiresAt }),
  });
  if (!created.ok) return fail(managementFailureToAdminFailure(created.error, input.customerId));
  if (!input.mapping) return ok({ ...created.value, mapping: null });

  const stored = await services.pools.put(input.customerId, input.mapping);
  if (stored.ok) return ok({ ...created.value, mapping: stored.value });

  logStoreLeftovers(services, input.customerId, stored.error);
  const reason = stored.error.kind === "kv_failed" ? stored.error.reason : stored.error.kind;
  const removed = await services.connections.delete({ connectionId: created.value.connectionId });
  if (!removed.ok) {
    services.logger.log("error", "admin_rollback_failed", {
      customerId: input.customerId,
      connectionId: created.value.connectionId,
      failure: removed.error.kind,
    });
  }
  // Another admin write claimed the pool since the check: refuse as the check would have.
  if (stored.error.kind === "pool_in_use" && removed.ok) return fail(poolStoreFailureToAdminFailure(stored.error));
  return fail({ kind: "mapping_write_failed", reason, connectionId: created.value.connectionId, connectionRemoved: removed.ok });
}

/**
 * The pool provisioning uses for this customer: its own record (read fresh, so a malformed one is
 * named as such), else whatever the pool directory resolves (tag discovery, DEFAULT_USER_POOL_ID),
 * else null (provisioning would fail).
 */
export async function effectiveMapping(services: AdminServices, customerId: string): Promise<Result<EffectiveMapping | null, AdminFailure>> {
  const stored = await services.pools.get(customerId);
  if (!stored.ok) return fail(poolStoreFailureToAdminFailure(stored.error));
  if (stored.value) return ok({ ...stored.value, source: "record" });
  const resolved = await services.directory.poolOfCustomer(customerId);
  if (!resolved.ok) return resolved.error.kind === "customer_unmapped" ? ok(null) : fail(workerFailureToAdminFailure(resolved.error));
  const { userPoolId, shared, identityProvider, source } = resolved.value;
  return ok({ userPoolId, shared, source, ...(identityProvider === undefined ? {} : { identityProvider }) });
}

export async function readConnection(
  services: AdminServices,
  customerId: string,
): Promise<Result<{ connection: ScimConnectionInfo; mapping: EffectiveMapping | null }, AdminFailure>> {
  const fetched = await services.connections.fetch({ customerId });
  if (!fetched.ok) return fail(managementFailureToAdminFailure(fetched.error, customerId));
  const mapping = await effectiveMapping(services, customerId);
  if (!mapping.ok) return mapping;
  return ok({ connection: fetched.value, mapping: mapping.value });
}

export async function rotateKey(services: AdminServices, customerId: string, keyExpiresAt?: number): Promise<Result<NewScimKey, AdminFailure>> {
  const reset = await services.connections.resetKey({ customerId }, keyExpiresAt === undefined ? {} : { scimApiKeyExpiration: keyExpiresAt });
  return reset.ok ? reset : fail(managementFailureToAdminFailure(reset.error, customerId));
}

export async function deleteConnection(
  services: AdminServices,
  customerId: string,
  withMapping: boolean,
): Promise<Result<{ mappingDeleted: boolean }, AdminFailure>> {
  const deleted = await services.connections.delete({ customerId });
  if (!deleted.ok) return fail(managementFailureToAdminFailure(deleted.error, customerId));
  if (!withMapping) return ok({ mappingDeleted: false });
  const removed = await services.pools.delete(customerId);
  if (!removed.ok) {
    logStoreLeftovers(services, customerId, removed.error);
    const reason = removed.error.kind === "kv_failed" ? removed.error.reason : removed.error.kind;
    return fail({ kind: "mapping_delete_failed", reason });
  }
  return ok({ mappingDeleted: removed.value });
}

export async function putPool(services: AdminServices, customerId: string, record: CustomerPoolRecord): Promise<Result<CustomerPoolRecord, AdminFailure>> {
  const checked = await checkMapping(services, customerId, record);
  if (!checked.ok) return checked;
  const stored = await services.pools.put(customerId, record);
  if (stored.ok) return stored;
  logStoreLeftovers(services, customerId, stored.error);
  return fail(poolStoreFailureToAdminFailure(stored.error));
}

export async function getPool(services: AdminServices, customerId: string): Promise<Result<CustomerPoolRecord, AdminFailure>> {
  const stored = await services.pools.get(customerId);
  if (!stored.ok) return fail(poolStoreFailureToAdminFailure(stored.error));
  return stored.value ? ok(stored.value) : fail({ kind: "mapping_not_found", customerId });
}

export async function deletePool(services: AdminServices, customerId: string): Promise<Result<null, AdminFailure>> {
  const removed = await services.pools.delete(customerId);
  if (!removed.ok) {
    logStoreLeftovers(services, customerId, removed.error);
    return fail(poolStoreFailureToAdminFailure(removed.error));
  }
  return removed.value ? ok(null) : fail({ kind: "mapping_not_found", customerId });
}

export interface UserRow {
  readonly scimId: string | null;
  readonly userName: string | null;
  readonly primaryEmail: string | null;
  readonly active: boolean;
  readonly userId: string | null;
  readonly cognito: { readonly state: CognitoState; readonly username?: string; readonly status?: string };
  readonly inSync: boolean | null;
}

export interface UsersPage {
  readonly connectionId: string;
  readonly userPoolId: string | null;
  readonly page: number;
  readonly pageSize: number;
  readonly totalResults: number;
  readonly users: readonly UserRow[];
  /** Set when some Cognito lookups failed (their rows say `unknown`). */
  readonly cognitoFailure?: AdminFailure;
}

/**
 * One page of the connection's SCIM users (GetScimUsers), each beside its Cognito state, looked
 * up with AdminGetUser by the linked userId (= the Cognito `sub`). After the first Cognito
 * failure (throttling, outage) the remaining rows are `unknown` rather than adding load.
 */
export async function listUsers(services: AdminServices, customerId: string, page: number, pageSize: number): Promise<Result<UsersPage, AdminFailure>> {
  const listed = await services.connections.listUsers({ customerId }, { pageNumber: page, pageSize });
  if (!listed.ok) return fail(managementFailureToAdminFailure(listed.error, customerId));
  const mapping = await effectiveMapping(services, customerId);
  if (!mapping.ok) return mapping;
  const pool = mapping.value;

  const rows: UserRow[] = [];
  let cognitoFailure: AdminFailure | undefined;
  const users = listed.value.users;
  for (let start = 0; start < users.length; start += USER_LOOKUP_CONCURRENCY) {
    const batch = users.slice(start, start + USER_LOOKUP_CONCURRENCY);
    const states = await Promise.all(
      batch.map(async (user): Promise<UserRow["cognito"]> => {
        if (user.userId === null) return { state: "not_linked" };
        if (pool === null || cognitoFailure) return { state: "unknown" };
        const found = await services.users.getUser(pool.userPoolId, user.userId);
        if (!found.ok) {
          cognitoFailure ??= cognitoFailureToAdminFailure(found.error);
          return { state: "unknown" };
        }
        return cognitoState(found.value, pool, customerId, services.config.cognito.tenantAttribute);
      }),
    );
    batch.forEach((user, index) => rows.push(row(user, states[index] ?? { state: "unknown" })));
  }
  return ok({
    connectionId: listed.value.connectionId,
    userPoolId: pool?.userPoolId ?? null,
    page: listed.value.pageNumber,
    pageSize: listed.value.pageSize,
    totalResults: listed.value.totalResults,
    users: rows,
    ...(cognitoFailure ? { cognitoFailure } : {}),
  });
}

function cognitoState(user: CognitoUser | null, pool: EffectiveMapping, customerId: string, tenantAttribute: string): UserRow["cognito"] {
  if (user === null) return { state: "missing" };
  if (pool.shared && user.attributes[tenantAttribute] !== customerId) return { state: "other_customer" };
  return { state: user.enabled ? "enabled" : "disabled", username: user.username, status: user.status };
}

function row(user: ScimUserRecord, cognito: UserRow["cognito"]): UserRow {
  const scimId = user.scimUser["id"];
  const userName = user.scimUser["userName"];
  return {
    scimId: typeof scimId === "string" ? scimId : null,
    userName: typeof userName === "string" ? userName : null,
    primaryEmail: user.primaryEmail,
    active: user.active,
    userId: user.userId,
    cognito,
    inSync: inSync(user.active, cognito.state),
  };
}

/** Active users should be enabled in Cognito; inactive ones disabled or gone. */
function inSync(active: boolean, state: CognitoState): boolean | null {
  switch (state) {
    case "enabled":
      return active;
    case "disabled":
    case "missing":
      return !active;
    case "other_customer":
      return false;
    case "not_linked":
      return active ? false : null;
    case "unknown":
      return null;
  }
}
