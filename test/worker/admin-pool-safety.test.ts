/**
 * The admin API must never create a mapping under which one customer could act on another's users:
 * a "dedicated" mapping (no tenancy checks) only for a pool nobody else uses and never for
 * DEFAULT_USER_POOL_ID, kept honest by the `pool-users:<userPoolId>` index; a "shared" mapping only
 * for a pool whose app clients cannot let users write the tenant attribute.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminHarness, failingKv, readJson, uniqueCustomer, type AdminHarness } from "./support/admin-fixtures";
import { FAKE_ACCOUNT_ID } from "./support/fake-cognito";
import { uniquePoolId } from "./support/harness";

type Json = Record<string, unknown>;
type ErrorBody = { error: Json };

const record = (customerId: string) => env.POOLS.get(`customer:${customerId}`, { type: "json" });
const usage = (userPoolId: string) => env.POOLS.get(`pool-users:${userPoolId}`, { type: "json" });

/** A pool with app clients; each entry is a client's WriteAttributes (undefined: not set). */
function pool(h: AdminHarness, clients: (string[] | undefined)[] = []): string {
  const userPoolId = uniquePoolId();
  h.cognito.addPool(userPoolId, {});
  for (const writeAttributes of clients) h.cognito.addAppClient(userPoolId, writeAttributes === undefined ? {} : { writeAttributes });
  return userPoolId;
}

const putPool = (h: AdminHarness, customerId: string, json: Json) => h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json });
const SAFE = ["email", "given_name", "family_name"];

describe("DEFAULT_USER_POOL_ID is never dedicated", () => {
  it.each([
    ["shared: false", { shared: false }],
    ["shared omitted (defaults to false)", {}],
  ])("PUT with %s answers 400 naming shared, calling nothing and writing nothing", async (_label, extra) => {
    const defaultPool = uniquePoolId();
    const h = await createAdminHarness({ auth: "token", vars: { DEFAULT_USER_POOL_ID: defaultPool } });
    h.cognito.addPool(defaultPool, {});
    const customerId = uniqueCustomer();
    const response = await putPool(h, customerId, { userPoolId: defaultPool, ...extra });
    const body = await readJson<ErrorBody>(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_input", field: "shared" });
    expect(body.error["message"]).toContain(defaultPool);
    expect(h.cognito.calls).toEqual([]);
    expect(await record(customerId)).toBeNull();
    expect(await usage(defaultPool)).toBeNull();
  });

  it("POST /admin/connections with the default pool and no shared: true creates no connection", async () => {
    const defaultPool = uniquePoolId();
    const h = await createAdminHarness({ auth: "token", vars: { DEFAULT_USER_POOL_ID: defaultPool } });
    h.cognito.addPool(defaultPool, {});
    const customerId = uniqueCustomer();
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId: defaultPool } });
    expect(response.status).toBe(400);
    expect((await readJson<ErrorBody>(response)).error).toMatchObject({ code: "invalid_input", field: "shared" });
    expect(h.sidecar.calls).toEqual([]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
  });

  it("accepts the default pool as shared", async () => {
    const defaultPool = uniquePoolId();
    const h = await createAdminHarness({ auth: "token", vars: { DEFAULT_USER_POOL_ID: defaultPool } });
    h.cognito.addPool(defaultPool, {});
    h.cognito.addAppClient(defaultPool, { writeAttributes: SAFE });
    const customerId = uniqueCustomer();
    const response = await putPool(h, customerId, { userPoolId: defaultPool, shared: true });
    expect(response.status).toBe(200);
    expect(await record(customerId)).toEqual({ userPoolId: defaultPool, shared: true });
    expect(await usage(defaultPool)).toEqual({ sharedBy: [customerId] });
  });
});

describe("pool-users index: one dedicated customer per pool", () => {
  it("records a dedicated mapping and refuses a second customer's dedicated mapping (409), writing nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [owner, intruder] = [uniqueCustomer("owner"), uniqueCustomer("intruder")];
    const userPoolId = pool(h);
    expect((await putPool(h, owner, { userPoolId })).status).toBe(200);
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: owner });
    const callsBefore = h.cognito.calls.length;

    const response = await putPool(h, intruder, { userPoolId, shared: false });
    const body = await readJson<ErrorBody>(response);
    expect(response.status, JSON.stringify(body)).toBe(409);
    expect(body.error).toMatchObject({ code: "pool_in_use", field: "userPoolId" });
    expect(body.error["message"]).toContain(owner);
    expect(await record(intruder)).toBeNull();
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: owner });
    expect(h.cognito.calls.length).toBe(callsBefore);
    expect(h.events("admin_action").at(-1)).toMatchObject({ action: "pool.put", customerId: intruder, status: 409, outcome: "error:pool_in_use" });
  });

  it("refuses a shared mapping to a pool dedicated to another customer", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [owner, other] = [uniqueCustomer(), uniqueCustomer()];
    const userPoolId = pool(h, [SAFE]);
    await putPool(h, owner, { userPoolId });
    const response = await putPool(h, other, { userPoolId, shared: true });
    expect(response.status).toBe(409);
    expect((await readJson<ErrorBody>(response)).error).toMatchObject({ code: "pool_in_use", field: "userPoolId" });
    expect(await record(other)).toBeNull();
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: owner });
  });

  it("lets customers share a pool, and refuses a dedicated mapping to it while they do", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [a, b, c] = [uniqueCustomer("a"), uniqueCustomer("b"), uniqueCustomer("c")];
    const userPoolId = pool(h, [SAFE]);
    expect((await putPool(h, a, { userPoolId, shared: true })).status).toBe(200);
    expect((await putPool(h, b, { userPoolId, shared: true })).status).toBe(200);
    expect(await usage(userPoolId)).toEqual({ sharedBy: [a, b].sort() });

    const response = await putPool(h, c, { userPoolId });
    const body = await readJson<ErrorBody>(response);
    expect(response.status).toBe(409);
    expect(body.error["message"]).toContain(a);
    expect(body.error["message"]).toContain(b);
    expect(await record(c)).toBeNull();
    // Not even one of the sharers may turn the pool into its own while the other uses it.
    expect((await putPool(h, a, { userPoolId, shared: false })).status).toBe(409);
    expect(await record(a)).toEqual({ userPoolId, shared: true });
    expect(await usage(userPoolId)).toEqual({ sharedBy: [a, b].sort() });
  });

  it("lets the only user of a pool re-put its mapping and switch it between dedicated and shared", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h, [SAFE]);
    expect((await putPool(h, customerId, { userPoolId })).status).toBe(200);
    expect((await putPool(h, customerId, { userPoolId, identityProvider: "AcmeOkta" })).status).toBe(200);
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: customerId });
    expect((await putPool(h, customerId, { userPoolId, shared: true })).status).toBe(200);
    expect(await usage(userPoolId)).toEqual({ sharedBy: [customerId] });
    expect((await putPool(h, customerId, { userPoolId, shared: false })).status).toBe(200);
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: customerId });
  });

  it("releases the old pool when a mapping moves, so another customer can then have it", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [mover, next, stayer] = [uniqueCustomer("mover"), uniqueCustomer("next"), uniqueCustomer("stayer")];
    const [first, second, shared, sharedTarget] = [pool(h), pool(h), pool(h, [SAFE]), pool(h, [SAFE])];

    await putPool(h, mover, { userPoolId: first });
    expect((await putPool(h, mover, { userPoolId: second })).status).toBe(200);
    expect(await usage(first)).toBeNull();
    expect(await usage(second)).toEqual({ dedicatedTo: mover });
    expect((await putPool(h, next, { userPoolId: first })).status).toBe(200);
    expect(await usage(first)).toEqual({ dedicatedTo: next });

    // Leaving a shared pool removes only the mover.
    await putPool(h, stayer, { userPoolId: shared, shared: true });
    await putPool(h, mover, { userPoolId: shared, shared: true });
    expect(await usage(second)).toBeNull();
    expect(await usage(shared)).toEqual({ sharedBy: [mover, stayer].sort() });
    expect((await putPool(h, mover, { userPoolId: sharedTarget, shared: true })).status).toBe(200);
    expect(await usage(shared)).toEqual({ sharedBy: [stayer] });
    expect(await usage(sharedTarget)).toEqual({ sharedBy: [mover] });
  });

  it("DELETE /admin/customers/{id}/pool releases the pool in the index", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [owner, later, sharer] = [uniqueCustomer(), uniqueCustomer(), uniqueCustomer()];
    const [dedicated, shared] = [pool(h), pool(h, [SAFE])];
    await putPool(h, owner, { userPoolId: dedicated });
    expect((await h.api(`/admin/customers/${owner}/pool`, { method: "DELETE" })).status).toBe(200);
    expect(await usage(dedicated)).toBeNull();
    expect((await putPool(h, later, { userPoolId: dedicated })).status).toBe(200);

    await putPool(h, owner, { userPoolId: shared, shared: true });
    await putPool(h, sharer, { userPoolId: shared, shared: true });
    expect((await h.api(`/admin/customers/${owner}/pool`, { method: "DELETE" })).status).toBe(200);
    expect(await usage(shared)).toEqual({ sharedBy: [sharer] });
  });

  it("DELETE /admin/connections/{id}?withMapping=true releases the pool; without the flag the claim stays", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [kept, removed] = [uniqueCustomer(), uniqueCustomer()];
    const [keptPool, removedPool] = [pool(h), pool(h)];
    for (const [customerId, userPoolId] of [[kept, keptPool], [removed, removedPool]] as const) {
      h.registry.add(customerId);
      await putPool(h, customerId, { userPoolId });
    }
    expect((await h.api(`/admin/connections/${kept}`, { method: "DELETE" })).status).toBe(200);
    expect(await usage(keptPool)).toEqual({ dedicatedTo: kept });
    expect((await h.api(`/admin/connections/${removed}?withMapping=true`, { method: "DELETE" })).status).toBe(200);
    expect(await record(removed)).toBeNull();
    expect(await usage(removedPool)).toBeNull();
  });

  it("POST /admin/connections refuses a pool another customer has, before creating the connection", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [owner, sharerA, newcomer] = [uniqueCustomer(), uniqueCustomer(), uniqueCustomer()];
    const [dedicated, shared] = [pool(h, [SAFE]), pool(h, [SAFE])];
    await putPool(h, owner, { userPoolId: dedicated });
    await putPool(h, sharerA, { userPoolId: shared, shared: true });

    for (const json of [
      { customerId: newcomer, userPoolId: dedicated },
      { customerId: newcomer, userPoolId: dedicated, shared: true },
      { customerId: newcomer, userPoolId: shared },
    ]) {
      const response = await h.api("/admin/connections", { method: "POST", json });
      expect(response.status, JSON.stringify(json)).toBe(409);
      expect((await readJson<ErrorBody>(response)).error).toMatchObject({ code: "pool_in_use", field: "userPoolId" });
    }
    expect(h.sidecar.commands("CreateScimConnection")).toEqual([]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(newcomer)).toBeNull();
    expect(await usage(dedicated)).toEqual({ dedicatedTo: owner });
    expect(await usage(shared)).toEqual({ sharedBy: [sharerA] });

    const joined = await h.api("/admin/connections", { method: "POST", json: { customerId: newcomer, userPoolId: shared, shared: true } });
    expect(joined.status).toBe(201);
    expect(await usage(shared)).toEqual({ sharedBy: [newcomer, sharerA].sort() });
  });

  it("POST /admin/connections claims the pool in the index", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h);
    expect((await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } })).status).toBe(201);
    expect(await usage(userPoolId)).toEqual({ dedicatedTo: customerId });
  });
});

describe("nothing half-done when KV fails part-way", () => {
  it("create: the record write fails after the pool was claimed → claim undone, connection deleted", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true, keyPrefix: "customer:" }) });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h);
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } });
    expect(response.status).toBe(503);
    expect((await readJson<ErrorBody>(response)).error["code"]).toBe("mapping_write_failed");
    expect(h.sidecar.commands().map((c) => c.command)).toEqual(["CreateScimConnection", "DeleteScimConnection"]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toBeNull();
    expect(h.events("admin_rollback_failed")).toEqual([]);
  });

  it("create: the index write fails → no record, connection deleted", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true, keyPrefix: "pool-users:" }) });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h);
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } });
    expect(response.status).toBe(503);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toBeNull();
  });

  it("put: the record write fails → the new claim is undone and the old mapping stays", async () => {
    const kv = failingKv(env.POOLS, { put: true, keyPrefix: "customer:", times: 1 });
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const [first, second] = [pool(h), pool(h)];
    await putPool(h, customerId, { userPoolId: first });
    const broken = await createAdminHarness({ auth: "token", kv });
    broken.cognito.addPool(second, {});
    const response = await putPool(broken, customerId, { userPoolId: second });
    expect(response.status).toBe(503);
    expect((await readJson<ErrorBody>(response)).error["code"]).toBe("storage_unavailable");
    expect(await record(customerId)).toEqual({ userPoolId: first, shared: false });
    expect(await usage(first)).toEqual({ dedicatedTo: customerId });
    expect(await usage(second)).toBeNull();
    expect(broken.events("admin_rollback_failed")).toEqual([]);
  });

  it("put: releasing the old pool fails → record put back; a claim that cannot be undone is logged, never lost", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const [first, second] = [pool(h), pool(h)];
    await putPool(h, customerId, { userPoolId: first });
    // Claiming `second` is a put (works); releasing `first` is a delete (fails); so is undoing the claim.
    const broken = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { delete: true, keyPrefix: "pool-users:" }) });
    broken.cognito.addPool(second, {});
    const response = await putPool(broken, customerId, { userPoolId: second });
    expect(response.status).toBe(503);
    expect(await record(customerId)).toEqual({ userPoolId: first, shared: false });
    expect(await usage(first)).toEqual({ dedicatedTo: customerId });
    // Left over: an over-cautious claim on `second` by the same customer, named in the log.
    expect(await usage(second)).toEqual({ dedicatedTo: customerId });
    expect(broken.events("admin_rollback_failed")[0]).toMatchObject({ customerId, notRestored: [`pool-users:${second}`] });
    // Re-putting then deleting through a healthy store clears it.
    expect((await putPool(h, customerId, { userPoolId: second })).status).toBe(200);
    expect(await usage(first)).toBeNull();
  });

  it("delete: releasing the pool fails once → the record is put back, and the DELETE can be retried", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [customerId, sharer] = [uniqueCustomer(), uniqueCustomer()];
    const userPoolId = pool(h, [SAFE]);
    await putPool(h, customerId, { userPoolId, shared: true });
    await putPool(h, sharer, { userPoolId, shared: true });
    const broken = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true, keyPrefix: "pool-users:", times: 1 }) });
    broken.registry.add(customerId);

    const first = await broken.api(`/admin/connections/${customerId}?withMapping=true`, { method: "DELETE" });
    expect(first.status).toBe(503);
    expect((await readJson<ErrorBody>(first)).error["code"]).toBe("mapping_delete_failed");
    expect(broken.registry.connections).toEqual([]);
    expect(await record(customerId)).toEqual({ userPoolId, shared: true });
    expect(await usage(userPoolId)).toEqual({ sharedBy: [customerId, sharer].sort() });
    expect(broken.events("admin_rollback_failed")).toEqual([]);

    // As the error message says: retry with DELETE /admin/customers/{customerId}/pool.
    expect((await broken.api(`/admin/customers/${customerId}/pool`, { method: "DELETE" })).status).toBe(200);
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toEqual({ sharedBy: [sharer] });
  });

  it("delete: when undoing fails too, it stops there: the claim stays (over-cautious), is logged, and can be cleared", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [customerId, sharer, hopeful] = [uniqueCustomer(), uniqueCustomer(), uniqueCustomer()];
    const userPoolId = pool(h, [SAFE]);
    await putPool(h, customerId, { userPoolId, shared: true });
    await putPool(h, sharer, { userPoolId, shared: true });
    const broken = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true, keyPrefix: "pool-users:" }) });

    const response = await broken.api(`/admin/customers/${customerId}/pool`, { method: "DELETE" });
    expect(response.status).toBe(503);
    expect(await record(customerId)).toBeNull();
    // Never the other way round (a record naming a pool whose entry lacks the customer).
    expect(await usage(userPoolId)).toEqual({ sharedBy: [customerId, sharer].sort() });
    expect(broken.events("admin_rollback_failed")[0]).toMatchObject({ customerId, notRestored: [`pool-users:${userPoolId}`, `customer:${customerId}`] });

    await putPool(h, sharer, { userPoolId: pool(h, [SAFE]), shared: true });
    expect((await putPool(h, hopeful, { userPoolId })).status).toBe(409);
    expect((await putPool(h, customerId, { userPoolId, shared: true })).status).toBe(200);
    expect((await h.api(`/admin/customers/${customerId}/pool`, { method: "DELETE" })).status).toBe(200);
    expect(await usage(userPoolId)).toBeNull();
    expect((await putPool(h, hopeful, { userPoolId })).status).toBe(200);
  });
});

describe("shared pools: app clients must not write the tenant attribute", () => {
  it.each([
    ["WriteAttributes not set", undefined, "WriteAttributes not set"],
    ["WriteAttributes empty", [], "WriteAttributes not set"],
    ["WriteAttributes with the tenant attribute", ["email", "custom:scim_customer"], "includes custom:scim_customer"],
  ] as const)("PUT refuses a client with %s (400 naming userPoolId and the client), writing nothing", async (_label, writeAttributes, reason) => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h, [SAFE]);
    const unsafe = h.cognito.addAppClient(userPoolId, writeAttributes === undefined ? {} : { writeAttributes: [...writeAttributes] });
    const safe = h.cognito.addAppClient(userPoolId, { writeAttributes: SAFE });
    const response = await putPool(h, customerId, { userPoolId, shared: true });
    const body = await readJson<ErrorBody>(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: "tenant_attribute_writable", field: "userPoolId" });
    const message = String(body.error["message"]);
    expect(message).toContain(unsafe.clientId);
    expect(message).toContain(reason);
    expect(message).not.toContain(safe.clientId);
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toBeNull();
  });

  it("checks every page of clients (MaxResults 60, NextToken) and names all unsafe ones", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h, Array.from({ length: 61 }, () => SAFE));
    const lastOnPage2 = h.cognito.addAppClient(userPoolId, { writeAttributes: ["custom:scim_customer"] });
    const alsoUnsafe = h.cognito.addAppClient(userPoolId);
    const response = await putPool(h, customerId, { userPoolId, shared: true });
    expect(response.status).toBe(400);
    const message = String((await readJson<ErrorBody>(response)).error["message"]);
    expect(message).toContain(lastOnPage2.clientId);
    expect(message).toContain(alsoUnsafe.clientId);
    const lists = h.cognito.calls.filter((c) => c.operation === "ListUserPoolClients").map((c) => c.input);
    expect(lists).toEqual([
      { UserPoolId: userPoolId, MaxResults: 60 },
      { UserPoolId: userPoolId, MaxResults: 60, NextToken: "60" },
    ]);
    expect(h.cognito.count("DescribeUserPoolClient")).toBe(63);
    expect(h.cognito.rejectedRequests).toEqual([]);
  });

  it("accepts clients with explicit WriteAttributes without the tenant attribute, and follows TENANT_ATTRIBUTE", async () => {
    const h = await createAdminHarness({ auth: "token", vars: { TENANT_ATTRIBUTE: "custom:tenant" } });
    const [accepted, refused] = [uniqueCustomer(), uniqueCustomer()];
    const safePool = pool(h, [SAFE, ["email", "custom:scim_customer"]]);
    expect((await putPool(h, accepted, { userPoolId: safePool, shared: true })).status).toBe(200);
    expect(await record(accepted)).toEqual({ userPoolId: safePool, shared: true });
    const unsafePool = pool(h, [["email", "custom:tenant"]]);
    const response = await putPool(h, refused, { userPoolId: unsafePool, shared: true });
    expect(response.status).toBe(400);
    expect(String((await readJson<ErrorBody>(response)).error["message"])).toContain("custom:tenant");
  });

  it("does not list app clients for a dedicated mapping", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const userPoolId = pool(h, [undefined]);
    expect((await putPool(h, uniqueCustomer(), { userPoolId })).status).toBe(200);
    expect(h.cognito.operations()).toEqual(["DescribeUserPool"]);
  });

  it("POST /admin/connections with shared: true refuses an unsafe pool before creating the connection", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h, [undefined]);
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId, shared: true } });
    expect(response.status).toBe(400);
    expect((await readJson<ErrorBody>(response)).error).toMatchObject({ code: "tenant_attribute_writable", field: "userPoolId" });
    expect(h.sidecar.calls).toEqual([]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toBeNull();
  });

  it("answers 502 when the credentials may not list app clients (IAM), writing nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h, [SAFE]);
    h.cognito.failNext("ListUserPoolClients", { errorType: "AccessDeniedException", status: 400 });
    const response = await putPool(h, customerId, { userPoolId, shared: true });
    expect(response.status).toBe(502);
    expect((await readJson<ErrorBody>(response)).error["code"]).toBe("cognito_rejected");
    expect(await record(customerId)).toBeNull();
    expect(await usage(userPoolId)).toBeNull();
  });
});

describe("admin services", () => {
  it("resolve a customer's pool the way provisioning does, tag discovery included", async () => {
    const h = await createAdminHarness({ auth: "token", vars: { POOL_TAG_KEY: "scim:customer-id", AWS_ACCOUNT_ID: FAKE_ACCOUNT_ID } });
    const customerId = uniqueCustomer();
    const userPoolId = pool(h);
    h.cognito.tagPool(userPoolId, { "scim:customer-id": customerId });
    h.registry.add(customerId);
    const response = await h.api(`/admin/connections/${customerId}`);
    expect(response.status).toBe(200);
    expect((await readJson(response))["mapping"]).toEqual({ userPoolId, shared: false, source: "discovered" });
    expect(h.sidecar.commands("FetchScimConnection")).toHaveLength(1);
    expect(h.unexpectedOutbound).toEqual([]);
  });
});
