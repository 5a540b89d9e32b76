import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ACCESS_AUD,
  ACCESS_TEAM,
  ADMIN_TOKEN,
  createAccessSigner,
  createAdminHarness,
  OPERATOR_EMAIL,
  readJson,
  uniqueCustomer,
} from "./support/admin-fixtures";
import { createHarness, INTEGRATION_KEY } from "./support/harness";

const ADMIN_PATHS: [string, string][] = [
  ["GET", "/admin/openapi.json"],
  ["POST", "/admin/connections"],
  ["GET", "/admin/connections/acme"],
  ["POST", "/admin/connections/acme/rotate-key"],
  ["DELETE", "/admin/connections/acme"],
  ["GET", "/admin/connections/acme/users"],
  ["PUT", "/admin/customers/acme/pool"],
  ["GET", "/admin/customers/acme/pool"],
  ["DELETE", "/admin/customers/acme/pool"],
  ["GET", "/admin/setup/acme"],
  ["POST", "/admin/setup/acme/connection"],
  ["POST", "/admin/setup/acme/rotate-key"],
  ["GET", "/admin"],
  ["GET", "/admin/anything/else"],
];

describe("admin API with no auth configured", () => {
  it("answers every /admin path exactly like an unknown path, and calls nothing upstream", async () => {
    const h = createHarness();
    const unknown = await h.request("https://scim.example.com/no-such-route");
    const unknownBody = await unknown.text();
    for (const [method, path] of ADMIN_PATHS) {
      const response = await h.request(`https://scim.example.com${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(method === "GET" || method === "DELETE" ? {} : { body: JSON.stringify({ customerId: "acme" }) }),
      });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.text(), `${method} ${path}`).toBe(unknownBody);
    }
    expect(h.sidecar.calls).toEqual([]);
    expect(h.cognito.calls).toEqual([]);
  });

  it("stays off with an empty ADMIN_TOKEN", async () => {
    const h = createHarness({ vars: { ADMIN_TOKEN: "  " } });
    expect((await h.request("https://scim.example.com/admin/openapi.json", { headers: { authorization: "Bearer  " } })).status).toBe(404);
  });
});

describe("admin settings", () => {
  it("refuses ACCESS_TEAM_DOMAIN without ACCESS_AUD (and the reverse), naming both", async () => {
    for (const vars of [{ ACCESS_TEAM_DOMAIN: ACCESS_TEAM }, { ACCESS_AUD }]) {
      const h = createHarness({ vars });
      const response = await h.request("https://scim.example.com/admin/openapi.json");
      expect(response.status).toBe(500);
      expect(h.logs.find((l) => l["event"] === "config_invalid")?.["variables"]).toEqual(["ACCESS_AUD", "ACCESS_TEAM_DOMAIN"]);
    }
  });

  it("refuses a team domain with a path or plain http, and a short ADMIN_TOKEN", async () => {
    for (const [vars, variable] of [
      [{ ACCESS_TEAM_DOMAIN: `${ACCESS_TEAM}/cdn-cgi`, ACCESS_AUD }, "ACCESS_TEAM_DOMAIN"],
      [{ ACCESS_TEAM_DOMAIN: "http://test-team.cloudflareaccess.com", ACCESS_AUD }, "ACCESS_TEAM_DOMAIN"],
      [{ ADMIN_TOKEN: "short-token" }, "ADMIN_TOKEN"],
    ] as const) {
      const h = createHarness({ vars });
      expect((await h.request("https://scim.example.com/admin/openapi.json")).status).toBe(500);
      const line = h.logs.find((l) => l["event"] === "config_invalid");
      expect(line?.["variables"]).toEqual([variable]);
      expect(JSON.stringify(h.logs)).not.toContain("short-token");
    }
  });

  it("accepts a team domain with a trailing slash", async () => {
    const h = await createAdminHarness({ auth: "access", vars: { ACCESS_TEAM_DOMAIN: `${ACCESS_TEAM}/` } });
    expect((await h.api("/admin/openapi.json")).status).toBe(200);
  });
});

describe("ADMIN_TOKEN bearer auth", () => {
  it("lets the right token in and logs the actor as admin-token", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/openapi.json");
    expect(response.status).toBe(200);
    const [line] = h.events("admin_action");
    expect(line).toMatchObject({ actor: "admin-token", via: "admin-token", action: "openapi.read", status: 200, outcome: "ok" });
  });

  it.each([
    ["a wrong token", { header: "authorization", value: `Bearer ${ADMIN_TOKEN}x` }],
    ["a prefix of the token", { header: "authorization", value: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["another scheme", { header: "authorization", value: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
    ["the token without a scheme", { header: "authorization", value: ADMIN_TOKEN }],
    ["an Access JWT header instead", { header: "cf-access-jwt-assertion", value: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" }],
  ] as const)("refuses %s with 401 and runs nothing", async (_label, credentials) => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const response = await h.api("/admin/connections", { method: "POST", json: { customerId }, credentials });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect(await readJson(response)).toEqual({ error: { code: "unauthorized", message: "Valid admin credentials are required." } });
    expect(h.sidecar.calls).toEqual([]);
    expect(h.events("admin_action")).toEqual([]);
    expect(h.events("admin_auth_failed")).toHaveLength(1);
    expect(h.rawLogs.join("\n")).not.toContain(ADMIN_TOKEN.slice(0, 20));
  });

  it("refuses a request without credentials", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/connections/acme", { credentials: "none" });
    expect(response.status).toBe(401);
    expect(h.events("admin_auth_failed")[0]).toMatchObject({ failure: "unauthorized", reason: "missing_credentials" });
  });
});

describe("Cloudflare Access JWT auth", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets a valid JWT in, logs its email, and fetches the JWKS once through the injected fetch", async () => {
    const h = await createAdminHarness({ auth: "access" });
    expect((await h.api("/admin/openapi.json")).status).toBe(200);
    expect((await h.api("/admin/openapi.json")).status).toBe(200);
    expect(h.jwksRequests).toEqual([`${ACCESS_TEAM}/cdn-cgi/access/certs`]);
    expect(h.unexpectedOutbound).toEqual([]);
    expect(h.events("admin_action").map((l) => [l["actor"], l["via"]])).toEqual([
      [OPERATOR_EMAIL, "access-jwt"],
      [OPERATOR_EMAIL, "access-jwt"],
    ]);
  });

  it("names a service token by its common_name", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const jwt = await h.signer!.sign({ email: undefined, sub: "", common_name: "ops-bot.access" });
    const response = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value: jwt } });
    expect(response.status).toBe(200);
    expect(h.events("admin_action")[0]).toMatchObject({ actor: "ops-bot.access", via: "access-jwt" });
  });

  it.each([
    ["wrong audience", { aud: ["some-other-application-aud"] }, "jwt_audience"],
    ["wrong issuer", { iss: "https://evil-team.cloudflareaccess.com" }, "jwt_issuer"],
    ["expired", { exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 400, nbf: Math.floor(Date.now() / 1000) - 400 }, "jwt_expired"],
    ["not yet valid", { nbf: Math.floor(Date.now() / 1000) + 600 }, "jwt_not_yet_valid"],
  ] as const)("refuses a JWT with %s", async (_label, overrides, reason) => {
    const h = await createAdminHarness({ auth: "access" });
    const jwt = await h.signer!.sign(overrides);
    const response = await h.api("/admin/connections", {
      method: "POST",
      json: { customerId: uniqueCustomer() },
      credentials: { header: "cf-access-jwt-assertion", value: jwt },
    });
    expect(response.status).toBe(401);
    expect(h.events("admin_auth_failed")[0]).toMatchObject({ reason });
    expect(h.sidecar.calls).toEqual([]);
    expect(h.rawLogs.join("\n")).not.toContain(jwt);
  });

  it("refuses a tampered JWT (payload changed after signing)", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const [header, , signature] = (await h.signer!.sign()).split(".");
    const forged = btoa(JSON.stringify({ iss: ACCESS_TEAM, aud: [ACCESS_AUD], email: "attacker@example.com", exp: Math.floor(Date.now() / 1000) + 300 }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const response = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value: `${header}.${forged}.${signature}` } });
    expect(response.status).toBe(401);
    expect(h.events("admin_auth_failed")[0]).toMatchObject({ reason: "jwt_signature" });
  });

  it("refuses a JWT signed by a key the team does not publish", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const stranger = await createAccessSigner("access-key-1");
    const response = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value: await stranger.sign() } });
    expect(response.status).toBe(401);
    expect(h.events("admin_auth_failed")[0]).toMatchObject({ reason: "jwt_signature" });
  });

  it("refuses an unsigned (alg none) token and garbage", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const unsigned = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ iss: ACCESS_TEAM, aud: ACCESS_AUD })).replace(/=+$/, "")}.`;
    for (const value of [unsigned, "not-a-jwt"]) {
      const response = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value } });
      expect(response.status).toBe(401);
    }
    expect(h.events("admin_auth_failed").map((l) => l["reason"])).toEqual(["jwt_algorithm", "jwt_malformed"]);
  });

  it("refuses a missing JWT, and ignores ADMIN_TOKEN when Access is configured", async () => {
    const h = await createAdminHarness({ auth: "access", vars: { ADMIN_TOKEN } });
    const missing = await h.api("/admin/openapi.json", { credentials: "none" });
    expect(missing.status).toBe(401);
    const token = await h.api("/admin/openapi.json", { credentials: { header: "authorization", value: `Bearer ${ADMIN_TOKEN}` } });
    expect(token.status).toBe(401);
    expect(h.jwksRequests).toEqual([]);
  });

  it("picks up a rotated key: an unknown kid triggers a new JWKS fetch", async () => {
    const h = await createAdminHarness({ auth: "access" });
    expect((await h.api("/admin/openapi.json")).status).toBe(200);
    const next = await createAccessSigner("access-key-2");
    h.jwks = { keys: [h.signer!.publicJwk, next.publicJwk] };
    // jose waits out a 30 s cooldown after a fetch before refetching for an unknown kid.
    const early = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value: await next.sign() } });
    expect(early.status).toBe(401);
    expect(h.events("admin_auth_failed")[0]).toMatchObject({ reason: "jwt_unknown_key" });
    expect(h.jwksRequests).toHaveLength(1);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 31_000 });
    const later = await h.api("/admin/openapi.json", { credentials: { header: "cf-access-jwt-assertion", value: await next.sign() } });
    expect(later.status).toBe(200);
    expect(h.jwksRequests).toHaveLength(2);
  });

  it("answers 503 (not 401) when the JWKS cannot be fetched, and retries on the next request", async () => {
    const h = await createAdminHarness({ auth: "access" });
    h.jwksAnswer = 500;
    const down = await h.api("/admin/openapi.json");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect((await readJson(down))["error"]).toMatchObject({ code: "auth_unavailable" });
    h.jwksAnswer = "network-error";
    expect((await h.api("/admin/openapi.json")).status).toBe(503);
    h.jwksAnswer = "ok";
    expect((await h.api("/admin/openapi.json")).status).toBe(200);
    expect(h.jwksRequests).toHaveLength(3);
  });
});

describe("audit log lines", () => {
  it("record who changed what, and never a key, token or JWT", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const customerId = uniqueCustomer();
    const jwt = await h.signer!.sign();
    const created = await readJson(
      await h.api("/admin/connections", { method: "POST", json: { customerId }, credentials: { header: "cf-access-jwt-assertion", value: jwt } }),
    );
    const rotated = await readJson(await h.api(`/admin/connections/${customerId}/rotate-key`, { method: "POST" }));
    const lines = h.events("admin_action");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      actor: OPERATOR_EMAIL,
      action: "connection.create",
      customerId,
      connectionId: created["connectionId"],
      changed: ["connection created"],
      status: 201,
      outcome: "ok",
    });
    expect(lines[1]).toMatchObject({ actor: OPERATOR_EMAIL, action: "connection.rotate_key", changed: ["api key rotated"], status: 200 });
    const everything = h.rawLogs.join("\n");
    for (const secret of [created["scimApiKey"], rotated["scimApiKey"], jwt, INTEGRATION_KEY]) {
      expect(typeof secret).toBe("string");
      expect(everything).not.toContain(secret as string);
    }
  });
});
