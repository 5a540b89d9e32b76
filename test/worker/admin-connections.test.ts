import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminHarness, failingKv, readJson, uniqueCustomer, type AdminHarness } from "./support/admin-fixtures";
import { uniquePoolId } from "./support/harness";

type Json = Record<string, unknown>;

async function withPool(h: AdminHarness, pool: { usernameAttributes?: string[] } = {}): Promise<string> {
  const userPoolId = uniquePoolId();
  h.cognito.addPool(userPoolId, pool);
  return userPoolId;
}

const record = (customerId: string) => env.POOLS.get(`customer:${customerId}`, { type: "json" });

describe("POST /admin/connections", () => {
  it("creates a connection and answers the base URL and the key once", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, displayName: "Acme SCIM" } });
    const body = await readJson<Json>(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const connection = h.registry.byCustomer(customerId)!;
    expect(body).toEqual({
      connectionId: connection.connectionId,
      customerId,
      scimBaseUrl: "https://scim.example.com/api/scim",
      scimApiKey: connection.apiKey,
      keyExpiresAt: null,
      mapping: null,
    });
    expect(connection.displayName).toBe("Acme SCIM");
    expect(h.sidecar.commands().map((c) => c.command)).toEqual(["CreateScimConnection"]);
    expect(await record(customerId)).toBeNull();
  });

  it("creates the connection and the pool mapping together, validating the pool first", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = await withPool(h);
    h.cognito.addAppClient(userPoolId, { writeAttributes: ["email", "name"] });
    const keyExpiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const response = await h.api("/admin/connections", {
      method: "POST",
      json: { customerId, userPoolId, shared: true, identityProvider: "AcmeOkta", keyExpiresAt },
    });
    const body = await readJson<Json>(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body["mapping"]).toEqual({ customerId, userPoolId, shared: true, identityProvider: "AcmeOkta" });
    expect(body["keyExpiresAt"]).toBe(keyExpiresAt.replace("Z", ".000Z"));
    expect(await record(customerId)).toEqual({ userPoolId, shared: true, identityProvider: "AcmeOkta" });
    expect(await env.POOLS.get(`pool-users:${userPoolId}`, { type: "json" })).toEqual({ sharedBy: [customerId] });
    // A shared mapping also checks the pool's app clients (none may write the tenant attribute).
    expect(h.cognito.operations()).toEqual(["DescribeUserPool", "ListUserPoolClients", "DescribeUserPoolClient"]);
    expect(h.sidecar.commands("CreateScimConnection")[0]?.data).toEqual({ customerId, scimApiKeyExpiration: Date.parse(keyExpiresAt) / 1000 });
    expect(h.cognito.rejectedRequests).toEqual([]);
  });

  it("answers 409 for a customer that already has a connection, changing nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const existing = h.registry.add(customerId);
    const userPoolId = await withPool(h);
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } });
    expect(response.status).toBe(409);
    expect(await readJson(response)).toEqual({
      error: { code: "connection_exists", message: expect.stringContaining(customerId), field: "customerId" },
    });
    expect(h.registry.byCustomer(customerId)?.apiKey).toBe(existing.apiKey);
    expect(await record(customerId)).toBeNull();
  });

  it.each([
    [{}, "customerId", "customerId is required."],
    [{ customerId: "" }, "customerId", undefined],
    [{ customerId: "has space" }, "customerId", undefined],
    [{ customerId: "a/b" }, "customerId", undefined],
    [{ customerId: 42 }, "customerId", undefined],
    [{ customerId: "acme", userPoolId: "not a pool" }, "userPoolId", undefined],
    [{ customerId: "acme", userPoolId: "eu-west-1_" }, "userPoolId", undefined],
    [{ customerId: "acme", shared: true }, "userPoolId", "userPoolId is required when shared or identityProvider is given."],
    [{ customerId: "acme", userPoolId: "local_Abc", shared: "yes" }, "shared", undefined],
    [{ customerId: "acme", keyExpiresAt: "tomorrow" }, "keyExpiresAt", undefined],
    [{ customerId: "acme", keyExpiresAt: "2001-01-01T00:00:00Z" }, "keyExpiresAt", "keyExpiresAt must be in the future."],
    [{ customerId: "acme", displayName: "" }, "displayName", undefined],
    [{ customerId: "acme", userPoolID: "local_Abc" }, "userPoolID", "Unknown field userPoolID."],
    [[], "body", undefined],
  ] as const)("refuses %j with 400 naming %s, calling nothing upstream", async (json, field, message) => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/connections", { method: "POST", json });
    const body = await readJson<{ error: Json }>(response);
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error["code"]).toBe("invalid_input");
    expect(body.error["field"]).toBe(field);
    if (message) expect(body.error["message"]).toBe(message);
    expect(h.sidecar.calls).toEqual([]);
    expect(h.cognito.calls).toEqual([]);
  });

  it("refuses a body that is not JSON (400) or not declared as JSON (415)", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const broken = await h.api("/admin/connections", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(broken.status).toBe(400);
    expect((await readJson<{ error: Json }>(broken)).error).toMatchObject({ code: "invalid_json", field: "body" });
    const form = await h.api("/admin/connections", { method: "POST", body: "customerId=acme", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(h.sidecar.calls).toEqual([]);
  });

  it("refuses an oversized body with 413", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId: "acme", displayName: "x".repeat(70_000) } });
    expect(response.status).toBe(413);
    expect(h.sidecar.calls).toEqual([]);
  });

  it("refuses a pool that does not exist before creating anything", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId: "eu-west-1_DoesNotExist" } });
    expect(response.status).toBe(400);
    expect((await readJson<{ error: Json }>(response)).error).toMatchObject({ code: "pool_not_found", field: "userPoolId" });
    expect(h.sidecar.calls).toEqual([]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
  });

  it("answers 502 when Cognito refuses DescribeUserPool (IAM), creating nothing", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const userPoolId = await withPool(h);
    h.cognito.failNext("DescribeUserPool", { errorType: "AccessDeniedException", status: 400 });
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer(), userPoolId } });
    expect(response.status).toBe(502);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("cognito_rejected");
    expect(h.sidecar.calls).toEqual([]);
  });

  it("deletes the new connection again when writing the mapping fails: no orphan connection or record", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true }) });
    const customerId = uniqueCustomer();
    const userPoolId = await withPool(h);
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } });
    const body = await readJson<{ error: Json }>(response);
    expect(response.status, JSON.stringify(body)).toBe(503);
    expect(body.error["code"]).toBe("mapping_write_failed");
    expect(JSON.stringify(body)).not.toContain("scim_");
    expect(h.sidecar.commands().map((c) => c.command)).toEqual(["CreateScimConnection", "DeleteScimConnection"]);
    expect(h.registry.connections).toEqual([]);
    expect(await record(customerId)).toBeNull();
    expect(h.events("admin_action")[0]).toMatchObject({ outcome: "error:mapping_write_failed", rolledBack: true });
  });

  it("says so when the rollback fails too, naming the connection to delete", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { put: true }) });
    const customerId = uniqueCustomer();
    const userPoolId = await withPool(h);
    h.sidecar.once("DeleteScimConnection", "network-error");
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId, userPoolId } });
    const body = await readJson<{ error: Json }>(response);
    expect(response.status).toBe(503);
    const connectionId = h.registry.byCustomer(customerId)!.connectionId;
    expect(body.error["message"]).toContain(connectionId);
    expect(h.events("admin_rollback_failed")[0]).toMatchObject({ customerId, connectionId });
    expect(await record(customerId)).toBeNull();
  });

  it("maps sidecar failures: timeout 504, unreachable 502, unexpected error 502, invalid fields 400", async () => {
    const h = await createAdminHarness({ auth: "token", vars: { BYO_TIMEOUT_MS: "50" } });
    h.sidecar.once("CreateScimConnection", "hang");
    expect((await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer() } })).status).toBe(504);
    h.sidecar.once("CreateScimConnection", "network-error");
    expect((await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer() } })).status).toBe(502);
    h.sidecar.once("CreateScimConnection", { status: 500, json: { type: "UnexpectedError", details: "db password=hunter2" } });
    const unexpected = await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer() } });
    expect(unexpected.status).toBe(502);
    expect(await unexpected.text()).not.toContain("hunter2");
    h.sidecar.once("CreateScimConnection", {
      status: 400,
      json: { type: "InvalidFields", details: { fields: [{ field: "scimApiKeyExpiration", code: "past", message: "expiration is in the past" }] } },
    });
    const invalid = await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer() } });
    expect(invalid.status).toBe(400);
    expect((await readJson<{ error: Json }>(invalid)).error).toMatchObject({ field: "keyExpiresAt", message: "expiration is in the past" });
    h.sidecar.once("CreateScimConnection", { status: 200, json: { connectionId: "c" } });
    expect((await h.api("/admin/connections", { method: "POST", json: { customerId: uniqueCustomer() } })).status).toBe(502);
  });
});

describe("GET /admin/connections/{customerId}", () => {
  it("answers the connection and its mapping, never the key", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const userPoolId = await withPool(h);
    const connection = h.registry.add(customerId, { displayName: "Acme", scimApiKeyValidUntil: 1_900_000_000 });
    await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId, shared: false }));
    const response = await h.api(`/admin/connections/${customerId}`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toEqual({
      connectionId: connection.connectionId,
      customerId,
      displayName: "Acme",
      keyExpiresAt: "2030-03-17T17:46:40.000Z",
      scimBaseUrl: "https://scim.example.com/api/scim",
      mapping: { userPoolId, shared: false, source: "record" },
    });
    expect(text).not.toContain(connection.apiKey);
    expect(text).not.toContain("scimApiKey");
  });

  it("shows the default pool when the customer has no record, and null when there is none", async () => {
    const customerId = uniqueCustomer();
    const withDefault = await createAdminHarness({ auth: "token", vars: { DEFAULT_USER_POOL_ID: "local_DefaultPool" } });
    withDefault.registry.add(customerId);
    expect((await readJson(await withDefault.api(`/admin/connections/${customerId}`)))["mapping"]).toEqual({
      userPoolId: "local_DefaultPool",
      shared: true,
      source: "default",
    });
    const without = await createAdminHarness({ auth: "token" });
    without.registry.add(customerId);
    expect((await readJson(await without.api(`/admin/connections/${customerId}`)))["mapping"]).toBeNull();
  });

  it("answers 404 for a customer without a connection, 400 for a malformed id", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const missing = await h.api(`/admin/connections/${uniqueCustomer()}`);
    expect(missing.status).toBe(404);
    expect((await readJson<{ error: Json }>(missing)).error).toMatchObject({ code: "connection_not_found", field: "customerId" });
    const malformed = await h.api("/admin/connections/bad%20id");
    expect(malformed.status).toBe(400);
    expect((await readJson<{ error: Json }>(malformed)).error).toMatchObject({ code: "invalid_input", field: "customerId" });
  });

  it("answers 500 for a malformed stored mapping", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    h.registry.add(customerId);
    await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId: "nope" }));
    const response = await h.api(`/admin/connections/${customerId}`);
    expect(response.status).toBe(500);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("mapping_malformed");
  });
});

describe("POST /admin/connections/{customerId}/rotate-key", () => {
  it("issues a new key, with or without an expiry, and the old one is gone", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const connection = h.registry.add(customerId, { scimApiKeyValidUntil: 1_900_000_000 });
    const oldKey = connection.apiKey;
    const response = await h.api(`/admin/connections/${customerId}/rotate-key`, { method: "POST" });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ connectionId: connection.connectionId, customerId, scimApiKey: connection.apiKey, keyExpiresAt: null });
    expect(body["scimApiKey"]).not.toBe(oldKey);
    expect(response.headers.get("cache-control")).toBe("no-store");

    const expiry = "2031-01-01T00:00:00.000Z";
    const withExpiry = await readJson(await h.api(`/admin/connections/${customerId}/rotate-key`, { method: "POST", json: { keyExpiresAt: expiry } }));
    expect(withExpiry["keyExpiresAt"]).toBe(expiry);
    expect(h.sidecar.commands("ResetScimApiKey").map((c) => c.data)).toEqual([{ customerId }, { customerId, scimApiKeyExpiration: Date.parse(expiry) / 1000 }]);
  });

  it("answers 404 for an unknown customer and 400 for a bad expiry", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const unknown = await h.api(`/admin/connections/${uniqueCustomer()}/rotate-key`, { method: "POST" });
    expect(unknown.status).toBe(404);
    const customerId = uniqueCustomer();
    h.registry.add(customerId);
    const bad = await h.api(`/admin/connections/${customerId}/rotate-key`, { method: "POST", json: { keyExpiresAt: "2001-01-01T00:00:00Z" } });
    expect(bad.status).toBe(400);
    expect((await readJson<{ error: Json }>(bad)).error["field"]).toBe("keyExpiresAt");
    expect(h.sidecar.commands("ResetScimApiKey")).toHaveLength(1);
  });
});

describe("DELETE /admin/connections/{customerId}", () => {
  it("deletes the connection and keeps the mapping unless withMapping=true", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const [kept, removed] = [uniqueCustomer(), uniqueCustomer()];
    for (const customerId of [kept, removed]) {
      h.registry.add(customerId);
      await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId: "local_Pool1", shared: false }));
    }
    const first = await h.api(`/admin/connections/${kept}`, { method: "DELETE" });
    expect(await readJson(first)).toEqual({ customerId: kept, connectionDeleted: true, mappingDeleted: false });
    expect(await record(kept)).not.toBeNull();
    const second = await h.api(`/admin/connections/${removed}?withMapping=true`, { method: "DELETE" });
    expect(await readJson(second)).toEqual({ customerId: removed, connectionDeleted: true, mappingDeleted: true });
    expect(await record(removed)).toBeNull();
    expect(h.registry.connections).toEqual([]);
    expect(h.events("admin_action").map((l) => l["changed"])).toEqual([["connection deleted"], ["connection deleted", "pool mapping deleted"]]);
  });

  it("answers 404 without touching the mapping when there is no connection, and 400 for a bad flag", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId: "local_Pool1", shared: false }));
    expect((await h.api(`/admin/connections/${customerId}?withMapping=true`, { method: "DELETE" })).status).toBe(404);
    expect(await record(customerId)).not.toBeNull();
    const bad = await h.api(`/admin/connections/${customerId}?withMapping=yes`, { method: "DELETE" });
    expect(bad.status).toBe(400);
    expect((await readJson<{ error: Json }>(bad)).error["field"]).toBe("withMapping");
  });

  it("reports a mapping it could not remove after deleting the connection", async () => {
    const h = await createAdminHarness({ auth: "token", kv: failingKv(env.POOLS, { delete: true }) });
    const customerId = uniqueCustomer();
    h.registry.add(customerId);
    await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId: "local_Pool1", shared: false }));
    const response = await h.api(`/admin/connections/${customerId}?withMapping=true`, { method: "DELETE" });
    expect(response.status).toBe(503);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("mapping_delete_failed");
    expect(h.registry.connections).toEqual([]);
  });
});

describe("cross-site requests", () => {
  it("refuses unsafe requests from another origin or site, and lets same-origin and non-browser ones through", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    h.registry.add(customerId);
    const crossSite: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "null" }];
    for (const headers of crossSite) {
      const response = await h.api(`/admin/connections/${customerId}/rotate-key`, { method: "POST", headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("cross_site_request");
    }
    expect(h.sidecar.calls).toEqual([]);
    const sameOrigin = await h.api(`/admin/connections/${customerId}/rotate-key`, {
      method: "POST",
      headers: { origin: "https://scim.example.com", "sec-fetch-site": "same-origin" },
    });
    expect(sameOrigin.status).toBe(200);
    expect((await h.api(`/admin/connections/${customerId}`, { headers: { "sec-fetch-site": "cross-site" } })).status).toBe(200);
  });
});

describe("unknown admin routes", () => {
  it("answer a JSON 404 once authenticated", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/nope");
    expect(response.status).toBe(404);
    expect(await readJson(response)).toEqual({ error: { code: "not_found", message: "No such admin route." } });
  });
});
