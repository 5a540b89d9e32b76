import { describe, expect, it } from "vitest";
import { completed, linkUser, SCIM_ERROR_SCHEMA, userAction } from "./support/answers";
import { createHarness, mapCustomer, POOL_ID, uniqueId } from "./support/harness";

async function expectUpstreamError(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/scim+json");
  const text = await response.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body["schemas"]).toEqual([SCIM_ERROR_SCHEMA]);
  expect(body["status"]).toBe(String(status));
  return text;
}

describe("SCIM ingress: a failing sidecar never yields a success", () => {
  it("answers 502 when the sidecar cannot be reached", async () => {
    const h = createHarness();
    h.sidecar.once("ScimRequest", "network-error");
    const text = await expectUpstreamError(await h.scim("/Users"), 502);
    expect(text).not.toContain("Network connection lost");
    expect(h.logs.find((l) => l["event"] === "scim_request")).toMatchObject({ outcome: "error:sidecar_unreachable", status: 502 });
  });

  it("answers 504 when the sidecar does not answer within BYO_TIMEOUT_MS", async () => {
    const h = createHarness({ vars: { BYO_TIMEOUT_MS: "50" } });
    h.sidecar.once("ScimRequest", "hang");
    const started = Date.now();
    await expectUpstreamError(await h.scim("/Users"), 504);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.logs.find((l) => l["event"] === "scim_request")).toMatchObject({ outcome: "error:sidecar_timeout" });
  });

  it.each([
    ["an HTML error page", { status: 502, text: "<html>Bad gateway</html>" }],
    ["an empty 200", { status: 200, text: "" }],
    ["a 200 that breaks the contract", { status: 200, json: { status: "Completed" } }],
    ["an unknown action", { status: 200, json: { status: "ActionRequired", action: "MergeUser", connectionId: "c", commitId: "x" } }],
    ["an integration-key error", { status: 401, json: { type: "IntegrationKeyNotFound" } }],
    ["a licence error", { status: 403, json: { type: "InvalidLicense" } }],
  ] as const)("answers 502 for %s", async (_, answer) => {
    const h = createHarness();
    h.sidecar.once("ScimRequest", answer);
    const text = await expectUpstreamError(await h.scim("/Users"), 502);
    expect(text).not.toContain("IntegrationKey");
    expect(text).not.toContain("Licen");
    expect(h.cognito.calls).toEqual([]);
  });

  it("answers 502 when the commit fails, after Cognito already converged (the IdP's retry re-applies it)", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    const customerId = uniqueId("cust");
    h.sidecar.always("FetchScimConnection", { status: 200, json: { connectionId, customerId, displayName: null, scimApiKeyValidUntil: null, userMapping: { userSchema: [] } } });
    await mapCustomer(customerId, { userPoolId: POOL_ID });
    h.cognito.addPool(POOL_ID, {});
    const user = h.cognito.addUser(POOL_ID, "ada", {});
    const sub = user.attributes["sub"] as string;
    h.sidecar.always("ScimRequest", userAction(connectionId, "DisableUser", sub));
    h.sidecar.once("CommitScimUserChange", { status: 400, json: { type: "StagedChangeNotFound" } });
    h.sidecar.once("CommitScimUserChange", completed(connectionId, 200, { id: "scim-1", active: false }));

    await expectUpstreamError(await h.scim("/Users/scim-1", { method: "PATCH", json: { Operations: [{ op: "replace", value: { active: false } }] } }), 502);
    expect(user.enabled).toBe(false);
    const retried = await h.scim("/Users/scim-1", { method: "PATCH", json: { Operations: [{ op: "replace", value: { active: false } }] } });
    expect(retried.status).toBe(200);
    expect(user.enabled).toBe(false);
    expect(h.sidecar.commands("CommitScimUserChange")).toHaveLength(2);
  });

  it("sends the Access service-token headers when configured", async () => {
    const accessServiceToken = { clientId: "abc123.access", clientSecret: "access-secret-value-0123456789" };
    const h = createHarness({ vars: { BYO_ACCESS_CLIENT_ID: accessServiceToken.clientId, BYO_ACCESS_CLIENT_SECRET: accessServiceToken.clientSecret }, accessServiceToken });
    h.sidecar.once("ScimRequest", completed(uniqueId("conn"), 200, {}));
    expect((await h.scim("/Users")).status).toBe(200);
    expect(h.sidecar.authFailures).toEqual([]);
    expect(h.sidecar.calls[0]?.headers["cf-access-client-id"]).toBe(accessServiceToken.clientId);
  });

  it("never links when the sidecar fails the LinkUser follow-up, and says 502", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    const customerId = uniqueId("cust");
    h.sidecar.always("FetchScimConnection", { status: 200, json: { connectionId, customerId, displayName: null, scimApiKeyValidUntil: null, userMapping: { userSchema: [] } } });
    await mapCustomer(customerId, { userPoolId: POOL_ID });
    h.cognito.addPool(POOL_ID, {});
    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "grace" }));
    h.sidecar.once("LinkScimUser", "network-error");
    await expectUpstreamError(await h.scim("/Users", { method: "POST", json: { userName: "grace" } }), 502);
  });
});
