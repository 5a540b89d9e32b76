import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminHarness, failingKv, readJson, uniqueCustomer } from "./support/admin-fixtures";
import { uniquePoolId } from "./support/harness";

type Json = Record<string, unknown>;
const record = (customerId: string) => env.POOLS.get(`customer:${customerId}`, { type: "json" });

describe("PUT /admin/customers/{customerId}/pool", () => {
  it("writes the record after checking that the pool exists", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = uniquePoolId();
    h.cognito.addPool(userPoolId, {});
    const response = await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json: { userPoolId, identityProvider: "AcmeEntra" } });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ customerId, userPoolId, shared: false, identityProvider: "AcmeEntra" });
    expect(await record(customerId)).toEqual({ userPoolId, shared: false, identityProvider: "AcmeEntra" });
    expect(h.cognito.operations()).toEqual(["DescribeUserPool"]);
    expect(h.cognito.calls[0]?.region).toBe("local");
    expect(h.events("admin_action")[0]).toMatchObject({ action: "pool.put", customerId, userPoolId, shared: false, changed: ["pool mapping written"] });
  });

  it("replaces an existing record", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const [first, second] = [uniquePoolId(), uniquePoolId()];
    h.cognito.addPool(first, {});
    h.cognito.addPool(second, {});
    await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json: { userPoolId: first } });
    await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json: { userPoolId: second, shared: true } });
    expect(await record(customerId)).toEqual({ userPoolId: second, shared: true });
  });

  it.each([
    [{}, "userPoolId", "userPoolId is required."],
    [{ userPoolId: "eu-west-1" }, "userPoolId", undefined],
    [{ userPoolId: "eu west 1_abc" }, "userPoolId", undefined],
    [{ userPoolId: `eu-west-1_${"a".repeat(60)}` }, "userPoolId", undefined],
    [{ userPoolId: "local_Abc", identityProvider: "x".repeat(33) }, "identityProvider", undefined],
    [{ userPoolId: "local_Abc", extra: 1 }, "extra", "Unknown field extra."],
  ] as const)("refuses %j with 400 naming %s, before calling Cognito", async (json, field, message) => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const response = await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json });
    const body = await readJson<{ error: Json }>(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_input", field });
    if (message) expect(body.error["message"]).toBe(message);
    expect(h.cognito.calls).toEqual([]);
    expect(await record(customerId)).toBeNull();
  });

  it("refuses a pool that does not exist (400 pool_not_found) and writes nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const response = await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json: { userPoolId: "us-east-1_Missing1" } });
    expect(response.status).toBe(400);
    expect((await readJson<{ error: Json }>(response)).error).toMatchObject({ code: "pool_not_found", field: "userPoolId" });
    expect(await record(customerId)).toBeNull();
  });

  it("answers 503 with Retry-After when Cognito keeps throttling, and writes nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = uniquePoolId();
    h.cognito.addPool(userPoolId, {});
    h.cognito.failNext("DescribeUserPool", { errorType: "TooManyRequestsException", status: 400 }, 1000);
    const response = await h.api(`/admin/customers/${customerId}/pool`, { method: "PUT", json: { userPoolId } });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("cognito_throttled");
    expect(await record(customerId)).toBeNull();
  });

  it("answers 503 when KV refuses the write", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true }) });
    const userPoolId = uniquePoolId();
    h.cognito.addPool(userPoolId, {});
    const response = await h.api(`/admin/customers/${uniqueCustomer()}/pool`, { method: "PUT", json: { userPoolId } });
    expect(response.status).toBe(503);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("storage_unavailable");
  });

  it("refuses a malformed customer id in the path", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/customers/-leading-dash/pool", { method: "PUT", json: { userPoolId: "local_Abc" } });
    expect(response.status).toBe(400);
    expect((await readJson<{ error: Json }>(response)).error["field"]).toBe("customerId");
  });
});

describe("GET and DELETE /admin/customers/{customerId}/pool", () => {
  it("reads and removes the record", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId: "local_Pool9", shared: true }));
    const read = await h.api(`/admin/customers/${customerId}/pool`);
    expect(read.status).toBe(200);
    expect(await readJson(read)).toEqual({ customerId, userPoolId: "local_Pool9", shared: true });
    const removed = await h.api(`/admin/customers/${customerId}/pool`, { method: "DELETE" });
    expect(await readJson(removed)).toEqual({ customerId, mappingDeleted: true });
    expect(await record(customerId)).toBeNull();
    expect(h.events("admin_action").map((l) => l["action"])).toEqual(["pool.read", "pool.delete"]);
  });

  it("answers 404 for a customer without a record", async () => {
    const h = await createAdminHarness({ auth: "token" });
    for (const method of ["GET", "DELETE"]) {
      const response = await h.api(`/admin/customers/${uniqueCustomer()}/pool`, { method });
      expect(response.status).toBe(404);
      expect((await readJson<{ error: Json }>(response)).error).toMatchObject({ code: "mapping_not_found", field: "customerId" });
    }
  });

  it("answers 500 mapping_malformed for a hand-written record that is not valid", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    await env.POOLS.put(`customer:${customerId}`, "{not json");
    const response = await h.api(`/admin/customers/${customerId}/pool`);
    expect(response.status).toBe(500);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("mapping_malformed");
  });
});
