import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminHarness, readJson, uniqueCustomer, type AdminHarness } from "./support/admin-fixtures";
import { uniquePoolId } from "./support/harness";

type Json = Record<string, unknown>;

async function mapped(h: AdminHarness, options: { shared?: boolean } = {}) {
  const customerId = uniqueCustomer();
  const userPoolId = uniquePoolId();
  h.cognito.addPool(userPoolId, {});
  await env.POOLS.put(`customer:${customerId}`, JSON.stringify({ userPoolId, shared: options.shared ?? false }));
  const connection = h.registry.add(customerId);
  return { customerId, userPoolId, connection };
}

describe("GET /admin/connections/{customerId}/users", () => {
  it("puts each SCIM user beside its Cognito state, looked up by the linked sub", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId, userPoolId, connection } = await mapped(h);
    const enabled = h.cognito.addUser(userPoolId, "ada", {});
    const disabled = h.cognito.addUser(userPoolId, "bob", {}, false);
    const stillEnabled = h.cognito.addUser(userPoolId, "cy", {});
    h.registry.addUser(customerId, { scimId: "s1", userName: "ada@acme.test", primaryEmail: "ada@acme.test", active: true, userId: enabled.attributes["sub"]! });
    h.registry.addUser(customerId, { scimId: "s2", userName: "bob@acme.test", primaryEmail: null, active: false, userId: disabled.attributes["sub"]! });
    h.registry.addUser(customerId, { scimId: "s3", userName: "cy@acme.test", primaryEmail: null, active: false, userId: stillEnabled.attributes["sub"]! });
    h.registry.addUser(customerId, { scimId: "s4", userName: "gone@acme.test", primaryEmail: null, active: true, userId: "00000000-0000-4000-8000-999999999999" });
    h.registry.addUser(customerId, { scimId: "s5", userName: "new@acme.test", primaryEmail: null, active: true, userId: null });

    const response = await h.api(`/admin/connections/${customerId}/users`);
    const body = await readJson<Json & { users: Json[] }>(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ customerId, connectionId: connection.connectionId, userPoolId, page: 0, pageSize: 25, totalResults: 5 });
    expect(body.users).toEqual([
      {
        scimId: "s1",
        userName: "ada@acme.test",
        primaryEmail: "ada@acme.test",
        active: true,
        userId: enabled.attributes["sub"],
        cognito: { state: "enabled", username: "ada", status: "FORCE_CHANGE_PASSWORD" },
        inSync: true,
      },
      expect.objectContaining({ scimId: "s2", cognito: expect.objectContaining({ state: "disabled" }), inSync: true }),
      expect.objectContaining({ scimId: "s3", cognito: expect.objectContaining({ state: "enabled" }), inSync: false }),
      expect.objectContaining({ scimId: "s4", cognito: { state: "missing" }, inSync: false }),
      expect.objectContaining({ scimId: "s5", userId: null, cognito: { state: "not_linked" }, inSync: false }),
    ]);
    expect(h.cognito.calls.map((c) => [c.operation, c.input["Username"]])).toEqual(
      [enabled, disabled, stillEnabled].map((u) => ["AdminGetUser", u.attributes["sub"]]).concat([["AdminGetUser", "00000000-0000-4000-8000-999999999999"]]),
    );
    expect(h.sidecar.commands("GetScimUsers")[0]?.data).toEqual({ customerId, pageNumber: 0, pageSize: 25 });
    expect(h.cognito.rejectedRequests).toEqual([]);
  });

  it("pages with page and pageSize", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId } = await mapped(h);
    for (let i = 0; i < 5; i++) h.registry.addUser(customerId, { scimId: `s${i}`, userName: `u${i}`, primaryEmail: null, active: true, userId: null });
    const body = await readJson<Json & { users: Json[] }>(await h.api(`/admin/connections/${customerId}/users?page=1&pageSize=2`));
    expect(body).toMatchObject({ page: 1, pageSize: 2, totalResults: 5 });
    expect(body.users.map((u) => u["scimId"])).toEqual(["s2", "s3"]);
  });

  it("flags users of another customer in a shared pool", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId, userPoolId } = await mapped(h, { shared: true });
    const own = h.cognito.addUser(userPoolId, "own", { "custom:scim_customer": customerId });
    const foreign = h.cognito.addUser(userPoolId, "foreign", { "custom:scim_customer": "someone-else" });
    h.registry.addUser(customerId, { userName: "own", primaryEmail: null, active: true, userId: own.attributes["sub"]! });
    h.registry.addUser(customerId, { userName: "foreign", primaryEmail: null, active: true, userId: foreign.attributes["sub"]! });
    const body = await readJson<{ users: Json[] }>(await h.api(`/admin/connections/${customerId}/users`));
    expect(body.users.map((u) => (u["cognito"] as Json)["state"])).toEqual(["enabled", "other_customer"]);
    expect(JSON.stringify(body)).not.toContain("someone-else");
  });

  it("reports unknown states without calling Cognito when no pool serves the customer", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    h.registry.addUser(customerId, { userName: "ada", primaryEmail: null, active: true, userId: "00000000-0000-4000-8000-000000000001" });
    const body = await readJson<Json & { users: Json[] }>(await h.api(`/admin/connections/${customerId}/users`));
    expect(body["userPoolId"]).toBeNull();
    expect(body.users[0]).toMatchObject({ cognito: { state: "unknown" }, inSync: null });
    expect(h.cognito.calls).toEqual([]);
  });

  it("stops asking Cognito after a failure and marks the rest unknown", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId, userPoolId } = await mapped(h);
    for (let i = 0; i < 12; i++) {
      const user = h.cognito.addUser(userPoolId, `u${i}`, {});
      h.registry.addUser(customerId, { userName: `u${i}`, primaryEmail: null, active: true, userId: user.attributes["sub"]! });
    }
    h.cognito.failNext("AdminGetUser", { errorType: "TooManyRequestsException", status: 400 }, 10_000);
    const response = await h.api(`/admin/connections/${customerId}/users`);
    expect(response.status).toBe(200);
    const body = await readJson<{ users: Json[] }>(response);
    expect(body.users.every((u) => (u["cognito"] as Json)["state"] === "unknown")).toBe(true);
    const calledFor = new Set(h.cognito.calls.map((c) => c.input["Username"]));
    expect(calledFor.size).toBe(5);
    expect(h.events("admin_action")[0]?.["reason"]).toContain("AdminGetUser");
  });

  it.each([
    ["page=-1", "page"],
    ["page=abc", "page"],
    ["pageSize=0", "pageSize"],
    ["pageSize=51", "pageSize"],
    ["pageSize=1.5", "pageSize"],
  ])("refuses ?%s with 400 naming %s", async (query, field) => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId } = await mapped(h);
    const response = await h.api(`/admin/connections/${customerId}/users?${query}`);
    expect(response.status).toBe(400);
    expect((await readJson<{ error: Json }>(response)).error).toMatchObject({ code: "invalid_input", field });
    expect(h.sidecar.calls).toEqual([]);
  });

  it("answers 404 for a customer without a connection", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api(`/admin/connections/${uniqueCustomer()}/users`);
    expect(response.status).toBe(404);
    expect((await readJson<{ error: Json }>(response)).error["code"]).toBe("connection_not_found");
  });

  it("treats a GetScimUsers answer that breaks the contract as a sidecar failure", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { customerId } = await mapped(h);
    h.sidecar.once("GetScimUsers", { status: 200, json: { users: "nope" } });
    expect((await h.api(`/admin/connections/${customerId}/users`)).status).toBe(502);
  });
});
