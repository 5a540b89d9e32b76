import { describe, expect, it } from "vitest";
import { completed, linkUser, scimUser, userAction } from "./support/answers";
import { createHarness, mapCustomer, SHARED_POOL_ID, uniqueId, uniquePoolId } from "./support/harness";
import { scenario } from "./support/scenario";

const createBody = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada" };

describe("LinkUser: the user is created in the customer's pool, then linked by sub", () => {
  it("creates the user with SUPPRESS, email and name attributes, links it, and returns the link answer", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    h.sidecar.once("ScimRequest", linkUser(connectionId, {
      commitId: "commit-ada",
      userName: "ada",
      primaryEmail: "ada@example.com",
      parsedUserData: { firstName: "Ada", lastName: "Lovelace", displayName: "Ada Lovelace", department: "R&D" },
    }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("scim-ada", "ada")));

    const response = await h.scim("/Users", { method: "POST", json: createBody });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual(scimUser("scim-ada", "ada"));
    expect(response.headers.get("location")).toBe("https://scim.example.com/api/scim/Users/scim-ada");
    expect(h.cognito.operations()).toEqual(["DescribeUserPool", "AdminCreateUser"]);
    const create = h.cognito.calls[1]?.input;
    expect(create).toEqual({
      UserPoolId: userPoolId,
      Username: "ada",
      MessageAction: "SUPPRESS",
      UserAttributes: [
        { Name: "email", Value: "ada@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "given_name", Value: "Ada" },
        { Name: "family_name", Value: "Lovelace" },
        { Name: "name", Value: "Ada Lovelace" },
      ],
    });
    const [user] = h.cognito.users(userPoolId);
    expect(h.sidecar.commands("LinkScimUser")[0]?.data).toEqual({ connectionId, commitId: "commit-ada", userId: user?.attributes["sub"] });
    expect(h.cognito.rejectedRequests).toEqual([]);
    expect(h.logs.find((l) => l["event"] === "scim_request")).toMatchObject({ outcome: "action:LinkUser", status: 201 });
  });

  it("sends the invitation when COGNITO_INVITE_MESSAGE=email", async () => {
    const { h, connectionId } = await scenario({ vars: { COGNITO_INVITE_MESSAGE: "email" } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: "ada@example.com" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    await h.scim("/Users", { method: "POST", json: createBody });
    const create = h.cognito.calls.find((c) => c.operation === "AdminCreateUser")?.input;
    expect(create?.["MessageAction"]).toBeUndefined();
    expect(create?.["DesiredDeliveryMediums"]).toEqual(["EMAIL"]);
  });

  it("disables a user provisioned as inactive before linking it", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "bob", active: false }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "bob", false)));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(h.cognito.operations()).toEqual(["DescribeUserPool", "AdminCreateUser", "AdminDisableUser"]);
    expect(h.cognito.users(userPoolId)[0]?.enabled).toBe(false);
  });

  it("uses the email as username in an email-as-username pool (Cognito stores the sub)", async () => {
    const { h, connectionId, userPoolId } = await scenario({ pool: { usernameAttributes: ["email"] } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ADA-1", primaryEmail: "ada@example.com" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ADA-1")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(h.cognito.calls.find((c) => c.operation === "AdminCreateUser")?.input["Username"]).toBe("ada@example.com");
    const [user] = h.cognito.users(userPoolId);
    expect(user?.username).toBe(user?.attributes["sub"]);
    expect(h.sidecar.commands("LinkScimUser")[0]?.data["userId"]).toBe(user?.attributes["sub"]);
  });

  it("refuses (400 invalidValue, nothing created, nothing linked) a user without email in an email-as-username pool", async () => {
    const { h, connectionId, userPoolId } = await scenario({ pool: { usernameAttributes: ["email"] } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "no-email", primaryEmail: null }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Record<string, unknown>)["scimType"]).toBe("invalidValue");
    expect(h.cognito.users(userPoolId)).toEqual([]);
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
  });

  it("derives a stable non-email username in a pool with an email alias", async () => {
    const { h, connectionId, userPoolId } = await scenario({ pool: { aliasAttributes: ["email"] } });
    h.sidecar.always("ScimRequest", linkUser(connectionId, { userName: "ada@example.com" }));
    h.sidecar.always("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada@example.com")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    const usernames = h.cognito.calls.filter((c) => c.operation === "AdminCreateUser").map((c) => c.input["Username"]);
    expect(usernames[0]).toMatch(/^scim_[0-9a-f]{40}$/);
    expect(usernames[1]).toBe(usernames[0]);
    expect(h.cognito.users(userPoolId)).toHaveLength(1);
  });

  it("maps custom attributes with ATTRIBUTE_MAP", async () => {
    const { h, connectionId } = await scenario({ vars: { ATTRIBUTE_MAP: '{"department":"custom:department","lastName":"family_name"}' } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: null, parsedUserData: { department: "R&D", lastName: "Lovelace", firstName: "Ada" } }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    await h.scim("/Users", { method: "POST", json: createBody });
    expect(h.cognito.calls.find((c) => c.operation === "AdminCreateUser")?.input["UserAttributes"]).toEqual([
      { Name: "custom:department", Value: "R&D" },
      { Name: "family_name", Value: "Lovelace" },
    ]);
  });
});

describe("LinkUser when the username already exists", () => {
  it("links the existing user in a pool dedicated to this customer (a retried create converges)", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    h.sidecar.always("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: "ada@example.com" }));
    h.sidecar.once("LinkScimUser", "network-error");
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));

    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(502);
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);

    const users = h.cognito.users(userPoolId);
    expect(users).toHaveLength(1);
    const links = h.sidecar.commands("LinkScimUser").map((c) => c.data["userId"]);
    expect(links).toEqual([users[0]?.attributes["sub"], users[0]?.attributes["sub"]]);
    expect(h.cognito.operations().filter((o) => o === "AdminUpdateUserAttributes")).toEqual([]);
  });

  it("updates differing attributes of the adopted user", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const existing = h.cognito.addUser(userPoolId, "ada", { email: "old@example.com" });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: "ada@example.com" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(existing.attributes["email"]).toBe("ada@example.com");
    expect(h.cognito.calls.find((c) => c.operation === "AdminUpdateUserAttributes")?.input["UserAttributes"]).toEqual([
      { Name: "email", Value: "ada@example.com" },
      { Name: "email_verified", Value: "true" },
    ]);
  });

  it("in a shared pool under EXISTING_USER_POLICY=reject answers 409 uniqueness and links nothing", async () => {
    const { h, connectionId, userPoolId } = await scenario({ shared: true, });
    h.cognito.addUser(userPoolId, "ada", {});
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ status: "409", scimType: "uniqueness" });
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(h.cognito.users(userPoolId)).toHaveLength(1);
    expect(h.cognito.operations()).not.toContain("AdminUpdateUserAttributes");
  });

  it("in a shared pool tags new users with the tenant attribute, and a retry adopts its own user", async () => {
    const { h, connectionId, customerId, userPoolId } = await scenario({ shared: true, });
    h.sidecar.always("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    h.sidecar.once("LinkScimUser", { status: 500, json: { type: "UnexpectedError", details: "db" } });
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(502);
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    const users = h.cognito.users(userPoolId);
    expect(users).toHaveLength(1);
    expect(users[0]?.attributes["custom:scim_customer"]).toBe(customerId);
  });

  it("in a shared pool under EXISTING_USER_POLICY=link claims an untagged user and links it", async () => {
    const { h, connectionId, customerId, userPoolId } = await scenario({ shared: true, vars: { EXISTING_USER_POLICY: "link" } });
    const existing = h.cognito.addUser(userPoolId, "ada", { email: "ada@example.com", email_verified: "true" });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: "ada@example.com" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(existing.attributes["custom:scim_customer"]).toBe(customerId);
    expect(h.sidecar.commands("LinkScimUser")[0]?.data["userId"]).toBe(existing.attributes["sub"]);
  });

  it("in a shared pool under EXISTING_USER_POLICY=link never links another customer's user", async () => {
    const { h, connectionId, userPoolId } = await scenario({ shared: true, vars: { EXISTING_USER_POLICY: "link" } });
    const foreign = h.cognito.addUser(userPoolId, "ada", { "custom:scim_customer": "someone-else" });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(409);
    expect(foreign.attributes["custom:scim_customer"]).toBe("someone-else");
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(h.logs.find((l) => l["event"] === "tenancy_violation")).toMatchObject({ attempted: "link", ownerCustomerId: "someone-else" });
  });
});

describe("DisableUser, EnableUser, DeleteUser", () => {
  it("disables and signs out, then commits and returns the commit's answer", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    const sub = user.attributes["sub"] as string;
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", sub, "commit-1"));
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 200, scimUser("scim-ada", "ada", false)));
    const response = await h.scim("/Users/scim-ada", { method: "PATCH", json: { Operations: [{ op: "replace", value: { active: false } }] } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(scimUser("scim-ada", "ada", false));
    expect(h.cognito.operations()).toEqual(["AdminDisableUser", "AdminUserGlobalSignOut"]);
    expect(h.cognito.calls[0]?.input).toEqual({ UserPoolId: userPoolId, Username: sub });
    expect(user.enabled).toBe(false);
    expect(user.signedOutAt).not.toBeNull();
    expect(h.sidecar.commands("CommitScimUserChange")[0]?.data).toEqual({ connectionId, commitId: "commit-1" });
  });

  it("is idempotent: disabling twice leaves the user disabled and commits twice", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    h.sidecar.always("ScimRequest", userAction(connectionId, "DisableUser", user.attributes["sub"] as string));
    h.sidecar.always("CommitScimUserChange", completed(connectionId, 200, scimUser("s", "ada", false)));
    expect((await h.scim("/Users/s", { method: "PUT", json: { userName: "ada", active: false } })).status).toBe(200);
    expect((await h.scim("/Users/s", { method: "PUT", json: { userName: "ada", active: false } })).status).toBe(200);
    expect(user.enabled).toBe(false);
  });

  it("commits a disable of a user that is already gone from the pool", async () => {
    const { h, connectionId } = await scenario();
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", "00000000-dead-4000-8000-000000000000"));
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 200, scimUser("s", "gone", false)));
    expect((await h.scim("/Users/s", { method: "PUT", json: { userName: "gone", active: false } })).status).toBe(200);
    expect(h.cognito.operations()).toEqual(["AdminDisableUser"]);
  });

  it("enables, then commits", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {}, false);
    h.sidecar.once("ScimRequest", userAction(connectionId, "EnableUser", user.attributes["sub"] as string));
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 200, scimUser("s", "ada", true)));
    expect((await h.scim("/Users/s", { method: "PATCH", json: { Operations: [{ op: "Replace", path: "active", value: "True" }] } })).status).toBe(200);
    expect(user.enabled).toBe(true);
    expect(h.sidecar.commands("CommitScimUserChange")).toHaveLength(1);
  });

  it("does not commit an enable of a user missing from the pool (404)", async () => {
    const { h, connectionId } = await scenario();
    h.sidecar.once("ScimRequest", userAction(connectionId, "EnableUser", "00000000-dead-4000-8000-000000000001"));
    const response = await h.scim("/Users/s", { method: "PATCH", json: { Operations: [{ op: "replace", path: "active", value: true }] } });
    expect(response.status).toBe(404);
    expect(h.sidecar.commands("CommitScimUserChange")).toEqual([]);
  });

  it("deletes, then commits; deleting again counts as done", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    h.sidecar.always("ScimRequest", userAction(connectionId, "DeleteUser", user.attributes["sub"] as string));
    h.sidecar.always("CommitScimUserChange", completed(connectionId, 204));
    const first = await h.scim("/Users/s", { method: "DELETE" });
    expect(first.status).toBe(204);
    expect(await first.text()).toBe("");
    expect(h.cognito.users(userPoolId)).toEqual([]);
    expect((await h.scim("/Users/s", { method: "DELETE" })).status).toBe(204);
    expect(h.sidecar.commands("CommitScimUserChange")).toHaveLength(2);
  });
});

describe("Cognito throttling and failures", () => {
  it("retries a throttled call with backoff and then succeeds", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    h.cognito.failNext("AdminDisableUser", { errorType: "TooManyRequestsException", status: 400 });
    h.cognito.failNext("AdminUserGlobalSignOut", { errorType: "TooManyRequestsException", status: 400, headerOnly: true });
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", user.attributes["sub"] as string));
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 200, scimUser("s", "ada", false)));
    expect((await h.scim("/Users/s", { method: "PATCH", json: {} })).status).toBe(200);
    expect(h.cognito.operations()).toEqual(["AdminDisableUser", "AdminDisableUser", "AdminUserGlobalSignOut", "AdminUserGlobalSignOut"]);
    expect(h.sleeps).toHaveLength(2);
    expect(user.enabled).toBe(false);
  });

  it("answers 429 with Retry-After and commits nothing when Cognito keeps throttling", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    h.cognito.failNext("AdminDisableUser", { errorType: "TooManyRequestsException", status: 400 }, 1000);
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", user.attributes["sub"] as string));
    const response = await h.scim("/Users/s", { method: "PATCH", json: {} });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ status: "429" });
    expect(h.sidecar.commands("CommitScimUserChange")).toEqual([]);
    // Bounded: the virtual clock stops retries once the 4 s budget is spent.
    expect(h.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4_000);
    expect(h.sleeps.length).toBeGreaterThan(2);
  });

  it("answers 503 with Retry-After and links nothing when Cognito keeps failing", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    h.cognito.failNext("AdminCreateUser", { errorType: "InternalErrorException", status: 500 }, 1000);
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(h.cognito.users(userPoolId)).toEqual([]);
  });

  it("answers 502 without retrying a non-retryable rejection (bad IAM permissions)", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const user = h.cognito.addUser(userPoolId, "ada", {});
    h.cognito.failNext("AdminDeleteUser", { errorType: "NotAuthorizedException", status: 400 });
    h.sidecar.once("ScimRequest", userAction(connectionId, "DeleteUser", user.attributes["sub"] as string));
    const response = await h.scim("/Users/s", { method: "DELETE" });
    expect(response.status).toBe(502);
    expect(h.cognito.operations()).toEqual(["AdminDeleteUser"]);
    expect(h.sidecar.commands("CommitScimUserChange")).toEqual([]);
    expect(h.cognito.users(userPoolId)).toHaveLength(1);
  });
});

describe("Pool resolution and tenancy", () => {
  it("answers 500 and logs the unmapped customer when no record and no default pool exist", async () => {
    const { h, connectionId, customerId } = await scenario({ mapped: false });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(500);
    expect(h.cognito.calls).toEqual([]);
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(h.logs.find((l) => l["event"] === "customer_unmapped")).toMatchObject({ customerId });
  });

  it("uses DEFAULT_USER_POOL_ID as a shared pool for unmapped customers", async () => {
    const { h, connectionId, customerId } = await scenario({ mapped: false, userPoolId: SHARED_POOL_ID, vars: { DEFAULT_USER_POOL_ID: SHARED_POOL_ID } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(h.cognito.users(SHARED_POOL_ID)[0]?.attributes["custom:scim_customer"]).toBe(customerId);
  });

  it("refuses (404, logged, nothing changed, nothing committed) to disable another customer's user in a shared pool", async () => {
    const { h, connectionId, customerId, userPoolId } = await scenario({ shared: true, });
    const victim = h.cognito.addUser(userPoolId, "victim", { "custom:scim_customer": "other-customer" });
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", victim.attributes["sub"] as string));
    const response = await h.scim("/Users/x", { method: "PATCH", json: {} });
    expect(response.status).toBe(404);
    expect(victim.enabled).toBe(true);
    expect(h.cognito.operations()).toEqual(["AdminGetUser"]);
    expect(h.sidecar.commands("CommitScimUserChange")).toEqual([]);
    expect(h.logs.find((l) => l["event"] === "tenancy_violation")).toMatchObject({ customerId, ownerCustomerId: "other-customer", attempted: "DisableUser" });
  });

  it("refuses to delete an untagged user in a shared pool", async () => {
    const { h, connectionId, userPoolId } = await scenario({ shared: true, });
    const untagged = h.cognito.addUser(userPoolId, "admin", {});
    h.sidecar.once("ScimRequest", userAction(connectionId, "DeleteUser", untagged.attributes["sub"] as string));
    expect((await h.scim("/Users/x", { method: "DELETE" })).status).toBe(404);
    expect(h.cognito.users(userPoolId)).toHaveLength(1);
  });

  it("acts on the customer's own user in a shared pool", async () => {
    const { h, connectionId, customerId, userPoolId } = await scenario({ shared: true, });
    const own = h.cognito.addUser(userPoolId, "ada", { "custom:scim_customer": customerId });
    h.sidecar.once("ScimRequest", userAction(connectionId, "DeleteUser", own.attributes["sub"] as string));
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 204));
    expect((await h.scim("/Users/x", { method: "DELETE" })).status).toBe(204);
    expect(h.cognito.users(userPoolId)).toEqual([]);
  });

  it("asks the sidecar for a connection's customer once, then uses the cache (memory, then KV)", async () => {
    const { h, connectionId, customerId, userPoolId } = await scenario();
    h.sidecar.always("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    h.sidecar.always("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    await h.scim("/Users", { method: "POST", json: createBody });
    await h.scim("/Users", { method: "POST", json: createBody });
    expect(h.sidecar.commands("FetchScimConnection")).toHaveLength(1);
    expect(h.cognito.operations().filter((o) => o === "DescribeUserPool")).toHaveLength(1);

    // A fresh isolate (new config object) still skips the sidecar: the mapping is in KV.
    const fresh = createHarness({ customerByConnection: { [connectionId]: customerId } });
    fresh.cognito.addPool(userPoolId, {});
    fresh.sidecar.always("ScimRequest", linkUser(connectionId, { userName: "bob" }));
    fresh.sidecar.always("LinkScimUser", completed(connectionId, 201, scimUser("s2", "bob")));
    expect((await fresh.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(fresh.sidecar.commands("FetchScimConnection")).toEqual([]);
    expect(fresh.cognito.operations()).toEqual(["AdminCreateUser"]);
  });

  it("answers 502 when the sidecar does not know the connection", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    await mapCustomer("nobody", { userPoolId: "local_X1" });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(502);
    expect(h.cognito.calls).toEqual([]);
  });
});

describe("attribute updates keep a changed email verified", () => {
  it("sends email_verified with a changed email even when it is already true", async () => {
    const { h, connectionId, userPoolId } = await scenario();
    const existing = h.cognito.addUser(userPoolId, "ada", { email: "old@example.com", email_verified: "true" });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada", primaryEmail: "new@example.com" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(existing.attributes).toMatchObject({ email: "new@example.com", email_verified: "true" });
  });
});

describe("pool records and KV faults", () => {
  it("treats the default pool as shared even when a record calls it dedicated", async () => {
    const userPoolId = uniquePoolId();
    const { h, connectionId } = await scenario({ userPoolId, shared: false, vars: { DEFAULT_USER_POOL_ID: userPoolId } });
    const other = h.cognito.addUser(userPoolId, "someone", { "custom:scim_customer": "another-customer" });
    h.sidecar.once("ScimRequest", userAction(connectionId, "DeleteUser", other.attributes["sub"] as string));
    expect((await h.scim("/Users/x", { method: "DELETE" })).status).toBe(404);
    expect(h.cognito.users(userPoolId)).toHaveLength(1);
    expect(h.cognito.operations()).toEqual(["AdminGetUser"]);
    expect(h.sidecar.commands("CommitScimUserChange")).toEqual([]);
  });

  it("answers the IdP normally when a cache write to KV is refused (1 write/s per key)", async () => {
    const connectionId = uniqueId("conn");
    const customerId = uniqueId("cust");
    await mapCustomer(customerId, { userPoolId: SHARED_POOL_ID, shared: true });
    const realKv = (await import("cloudflare:workers")).env.POOLS;
    const refusingKv = {
      get: realKv.get.bind(realKv),
      put: async () => {
        throw new Error("KV PUT failed: 429 Too Many Requests");
      },
    } as unknown as KVNamespace;
    const h = createHarness({ kv: refusingKv, customerByConnection: { [connectionId]: customerId } });
    h.cognito.addPool(SHARED_POOL_ID, {});
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "kvfault" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "kvfault")));
    expect((await h.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(h.logs.filter((l) => l["event"] === "kv_write_failed").length).toBeGreaterThan(0);
    expect(h.logs.find((l) => l["event"] === "scim_request")).toMatchObject({ status: 201 });
  });

  it("answers 503 (retry) when the customer record cannot be read", async () => {
    const connectionId = uniqueId("conn");
    const failingKv = {
      get: async () => {
        throw new Error("KV GET failed: 500");
      },
      put: async () => undefined,
    } as unknown as KVNamespace;
    const h = createHarness({ kv: failingKv, customerByConnection: { [connectionId]: "cust-kv" } });
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).not.toBeNull();
    expect(h.cognito.calls).toEqual([]);
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
  });
});

describe("adopting an existing Cognito user", () => {
  it("refuses (409) to adopt a user already linked to another SCIM user, and links nothing", async () => {
    const { h, connectionId, userPoolId } = await scenario({ pool: { usernameAttributes: ["email"] } });
    const employee = h.cognito.addUser(userPoolId, "jdoe@example.com", {});
    const sub = employee.attributes["sub"] as string;
    h.sidecar.always("GetScimUser", (data) =>
      data["userId"] === sub
        ? { status: 200, json: { connectionId, user: { connectionId, scimUser: {}, primaryEmail: "jdoe@example.com", parsedUserData: {}, active: true, userId: sub }, groups: [] } }
        : { status: 404, json: { type: "UserNotFound" } },
    );
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "jdoe-contractor", primaryEmail: "jdoe@example.com" }));
    const response = await h.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ scimType: "uniqueness" });
    expect(h.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(h.sidecar.commands("GetScimUser")[0]?.data).toMatchObject({ scimConnectionId: connectionId, userId: sub });
    expect(h.logs.some((l) => l["event"] === "existing_user_already_linked")).toBe(true);
  });
});
