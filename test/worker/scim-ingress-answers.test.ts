import { describe, expect, it } from "vitest";
import { clientFacing, completed, scimUser, SCIM_ERROR_SCHEMA } from "./support/answers";
import { createHarness, SCIM_KEY, uniqueId } from "./support/harness";

describe("SCIM ingress: the sidecar's answers reach the IdP unchanged", () => {
  it("forwards a list request with the raw query and returns the Completed answer exactly", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    const listResponse = { schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] };
    h.sidecar.once("ScimRequest", completed(connectionId, 200, listResponse));

    const rawQuery = "filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=10";
    const response = await h.scim(`/Users?${rawQuery}`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/scim+json");
    expect(await response.json()).toEqual(listResponse);
    const [call] = h.sidecar.commands("ScimRequest");
    expect(call?.data).toEqual({ method: "GET", pathAndQueryParams: `/Users?${rawQuery}`, scimApiKey: SCIM_KEY });
    expect(h.cognito.calls).toEqual([]);
    expect(h.sidecar.authFailures).toEqual([]);
  });

  it("forwards a POST body exactly and accepts application/json as well as application/scim+json", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    const group = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Engineering", members: [] };
    h.sidecar.always("ScimRequest", completed(connectionId, 201, { ...group, id: "g1", meta: { resourceType: "Group", location: "/Groups/g1" } }));

    const viaScimJson = await h.scim("/Groups", { method: "POST", json: group });
    const viaJson = await h.scim("/Groups", { method: "POST", body: JSON.stringify(group), headers: { "content-type": "application/json" } });

    for (const response of [viaScimJson, viaJson]) {
      expect(response.status).toBe(201);
      expect(response.headers.get("location")).toBe("https://scim.example.com/api/scim/Groups/g1");
    }
    for (const call of h.sidecar.commands("ScimRequest")) {
      expect(call.data).toEqual({ method: "POST", pathAndQueryParams: "/Groups", body: group, scimApiKey: SCIM_KEY });
    }
  });

  it("returns 204 with no body", async () => {
    const h = createHarness();
    h.sidecar.once("ScimRequest", completed(uniqueId("conn"), 204));
    const response = await h.scim("/Groups/g1", { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  it("passes a PATCH body through untouched", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "displayName", value: "Ada L." }] };
    h.sidecar.once("ScimRequest", completed(connectionId, 200, scimUser("u1", "ada@example.com"), ["app-user-1"]));
    const response = await h.scim("/Users/u1", { method: "PATCH", json: patch });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(scimUser("u1", "ada@example.com"));
    expect(h.sidecar.commands("ScimRequest")[0]?.data).toEqual({ method: "PATCH", pathAndQueryParams: "/Users/u1", body: patch, scimApiKey: SCIM_KEY });
  });

  it("returns a client-facing error's status and body as given", async () => {
    const h = createHarness();
    const answer = clientFacing(404, "User not found", "UserNotFound");
    h.sidecar.once("ScimRequest", answer);
    const response = await h.scim("/Users/nope");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/scim+json");
    expect(await response.json()).toEqual({ schemas: [SCIM_ERROR_SCHEMA], status: "404", detail: "User not found" });
    expect(h.cognito.calls).toEqual([]);
  });

  it("passes a wrong SCIM key's 401 through and changes nothing", async () => {
    const h = createHarness();
    h.sidecar.once("ScimRequest", clientFacing(401, "Invalid API key", "InvalidApiKey"));
    const response = await h.scim("/Users", { method: "POST", json: { userName: "eve@example.com" }, headers: { authorization: "Bearer scim_wrong" } });
    expect(response.status).toBe(401);
    expect(h.sidecar.commands("ScimRequest")[0]?.data["scimApiKey"]).toBe("scim_wrong");
    expect(h.sidecar.commands().map((c) => c.command)).toEqual(["ScimRequest"]);
    expect(h.cognito.calls).toEqual([]);
  });

  it("serves a custom SCIM_BASE_PATH and strips only that prefix", async () => {
    const h = createHarness({ vars: { SCIM_BASE_PATH: "/scim/v2/" } });
    h.sidecar.once("ScimRequest", completed(uniqueId("conn"), 200, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"] }));
    const response = await h.request("https://scim.example.com/scim/v2/ServiceProviderConfig", { headers: { authorization: `Bearer ${SCIM_KEY}` } });
    expect(response.status).toBe(200);
    expect(h.sidecar.commands("ScimRequest")[0]?.data["pathAndQueryParams"]).toBe("/ServiceProviderConfig");
    const outside = await h.request("https://scim.example.com/api/scim/Users", { headers: { authorization: `Bearer ${SCIM_KEY}` } });
    expect(outside.status).toBe(404);
    expect(h.sidecar.commands("ScimRequest")).toHaveLength(1);
  });

  it("writes one structured log line per request with the outcome and timings", async () => {
    const h = createHarness();
    const connectionId = uniqueId("conn");
    h.sidecar.once("ScimRequest", completed(connectionId, 200, scimUser("u1", "ada@example.com")));
    await h.scim("/Users/u1");
    const lines = h.logs.filter((l) => l["event"] === "scim_request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", connectionId, method: "GET", resourceType: "Users", outcome: "completed", status: 200 });
    expect(typeof lines[0]?.["sidecarMs"]).toBe("number");
    expect(lines[0]?.["cognitoMs"]).toBe(0);
  });
});
