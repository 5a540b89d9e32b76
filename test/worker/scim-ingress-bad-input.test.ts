import { describe, expect, it } from "vitest";
import { SCIM_ERROR_SCHEMA } from "./support/answers";
import { createHarness, SCIM_KEY } from "./support/harness";

async function expectScimError(response: Response, status: number, scimType?: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/scim+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body["schemas"]).toEqual([SCIM_ERROR_SCHEMA]);
  expect(body["status"]).toBe(String(status));
  expect(typeof body["detail"]).toBe("string");
  if (scimType) expect(body["scimType"]).toBe(scimType);
  return body;
}

describe("SCIM ingress: bad input never reaches the sidecar", () => {
  it("answers invalid JSON with 400 invalidSyntax", async () => {
    const h = createHarness();
    const response = await h.scim("/Users", { method: "POST", body: '{"userName": "ada"', headers: { "content-type": "application/scim+json" } });
    await expectScimError(response, 400, "invalidSyntax");
    expect(h.sidecar.calls).toEqual([]);
  });

  it("answers an empty POST body with 400 invalidSyntax", async () => {
    const h = createHarness();
    await expectScimError(await h.scim("/Users", { method: "POST", body: "" }), 400, "invalidSyntax");
    expect(h.sidecar.calls).toEqual([]);
  });

  it("answers a body over 1 MiB with 413, with or without Content-Length", async () => {
    const h = createHarness();
    const big = JSON.stringify({ userName: "x".repeat(1024 * 1024) });
    await expectScimError(await h.scim("/Users", { method: "POST", body: big, headers: { "content-type": "application/scim+json" } }), 413);
    const stream = new Blob([big]).stream();
    const chunked = await h.scim("/Users", { method: "POST", body: stream, headers: { "content-type": "application/scim+json" }, duplex: "half" } as RequestInit);
    await expectScimError(chunked, 413);
    expect(h.sidecar.calls).toEqual([]);
  });

  it("accepts a body of exactly 1 MiB", async () => {
    const h = createHarness();
    h.sidecar.once("ScimRequest", { status: 200, json: { status: "Completed", connectionId: "c", responseHttpCode: 200, responseData: {} } });
    const padding = 1024 * 1024 - JSON.stringify({ note: "" }).length;
    const body = JSON.stringify({ note: "y".repeat(padding) });
    expect(body.length).toBe(1024 * 1024);
    const response = await h.scim("/Users/u1", { method: "PUT", body, headers: { "content-type": "application/scim+json" } });
    expect(response.status).toBe(200);
  });

  it("answers other methods with 405 and an Allow header", async () => {
    const h = createHarness();
    const response = await h.scim("/Users", { method: "OPTIONS" });
    await expectScimError(response, 405);
    expect(response.headers.get("allow")).toBe("GET, POST, PUT, PATCH, DELETE");
    expect(h.sidecar.calls).toEqual([]);
  });

  it("answers a missing or malformed bearer token with 401 without asking the sidecar", async () => {
    const h = createHarness();
    const missing = await h.request("https://scim.example.com/api/scim/Users");
    await expectScimError(missing, 401);
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    await expectScimError(await h.scim("/Users", { headers: { authorization: `Basic ${btoa("a:b")}` } }), 401);
    expect(h.sidecar.calls).toEqual([]);
  });

  it("answers paths outside the SCIM base with a SCIM 404", async () => {
    const h = createHarness();
    await expectScimError(await h.request("https://scim.example.com/elsewhere", { headers: { authorization: `Bearer ${SCIM_KEY}` } }), 404);
    expect(h.sidecar.calls).toEqual([]);
  });

  it.each([
    ["BYO_URL", { BYO_URL: undefined }],
    ["BYO_URL", { BYO_URL: "not a url" }],
    ["BYO_INTEGRATION_KEY", { BYO_INTEGRATION_KEY: undefined }],
    ["AWS_SECRET_ACCESS_KEY", { AWS_SECRET_ACCESS_KEY: "" }],
    ["BYO_TIMEOUT_MS", { BYO_TIMEOUT_MS: "soon" }],
    ["EXISTING_USER_POLICY", { EXISTING_USER_POLICY: "merge" }],
    ["DEFAULT_USER_POOL_ID", { DEFAULT_USER_POOL_ID: "not a pool" }],
    ["ATTRIBUTE_MAP", { ATTRIBUTE_MAP: "{not json" }],
    ["BYO_ACCESS_CLIENT_SECRET", { BYO_ACCESS_CLIENT_ID: "only-the-id.access" }],
  ] as const)("answers a missing or invalid %s with a SCIM 500 and a log line naming it, not its value", async (variable, vars) => {
    const h = createHarness({ vars });
    const response = await h.scim("/Users");
    const body = await expectScimError(response, 500);
    expect(JSON.stringify(body)).not.toContain(variable);
    expect(h.sidecar.calls).toEqual([]);
    const line = h.logs.find((l) => l["event"] === "config_invalid");
    expect(line?.["variables"]).toContain(variable);
    for (const value of Object.values(vars)) {
      if (value) expect(h.rawLogs.join("\n")).not.toContain(value);
    }
  });
});

describe("ATTRIBUTE_MAP cannot hand IdP data the worker's own attributes", () => {
  it.each([
    ['{"firstName":"email"}'],
    ['{"x":"email_verified"}'],
    ['{"x":"sub"}'],
    ['{"x":"cognito:user_status"}'],
    ['{"customer":"custom:scim_customer"}'],
  ])("refuses %s as a config error", async (map) => {
    const h = createHarness({ vars: { ATTRIBUTE_MAP: map } });
    expect((await h.scim("/Users")).status).toBe(500);
    expect(h.logs.find((l) => l["event"] === "config_invalid")?.["variables"]).toContain("ATTRIBUTE_MAP");
    expect(h.sidecar.calls).toEqual([]);
  });
});
