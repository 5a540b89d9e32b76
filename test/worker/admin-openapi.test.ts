import { describe, expect, it } from "vitest";
import { createAdminApp } from "../../src/admin/admin-routes";
import { createConsoleLogger } from "../../src/log";
import { systemClock } from "../../src/timing";
import { createAdminHarness, readJson } from "./support/admin-fixtures";

type Json = Record<string, unknown>;
const METHODS = ["get", "put", "post", "delete", "patch"];

/** The routes the admin app really registers, as OpenAPI `path method` strings. */
function registeredRoutes(): string[] {
  const app = createAdminApp({ fetch: async () => new Response(null), clock: systemClock, logger: createConsoleLogger(() => {}) });
  return app.routes
    .filter((route) => route.method !== "ALL")
    .map((route) => `/admin${route.path.replace(/:(\w+)/g, "{$1}")} ${route.method.toLowerCase()}`)
    .sort();
}

describe("GET /admin/openapi.json", () => {
  it("describes exactly the routes the admin app registers", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const response = await h.api("/admin/openapi.json");
    expect(response.status).toBe(200);
    const doc = await readJson<{ openapi: string; paths: Record<string, Json>; servers: Json[] }>(response);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "https://scim.example.com" }]);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${path} ${method}`))
      .sort();
    expect(documented).toEqual(registeredRoutes());
    expect(documented).toEqual(
      expect.arrayContaining([
        "/admin/connections post",
        "/admin/connections/{customerId} get",
        "/admin/connections/{customerId} delete",
        "/admin/connections/{customerId}/rotate-key post",
        "/admin/connections/{customerId}/users get",
        "/admin/customers/{customerId}/pool put",
        "/admin/customers/{customerId}/pool get",
        "/admin/customers/{customerId}/pool delete",
        "/admin/openapi.json get",
        "/admin/setup/{customerId} get",
      ]),
    );
  });

  it("resolves every $ref and generates the bodies from the request schemas", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const doc = await readJson<{ components: { schemas: Record<string, Json> } } & Json>(await h.api("/admin/openapi.json"));
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
    const create = doc.components.schemas["CreateConnectionRequest"]!;
    expect(create["required"]).toEqual(["customerId"]);
    expect(create["additionalProperties"]).toBe(false);
    expect(Object.keys(create["properties"] as Json).sort()).toEqual(["customerId", "displayName", "identityProvider", "keyExpiresAt", "shared", "userPoolId"]);
    expect(doc.components.schemas["Error"]).toMatchObject({ required: ["error"] });
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });
});
