/**
 * Discovery endpoints and routing on the BYO sidecar stand-in: /ServiceProviderConfig, /Schemas,
 * /ResourceTypes, unknown paths and unsupported methods, and concurrent provisioning at scale.
 */
import { describe, expect, it } from "vitest";
import {
  completedOf,
  errorOf,
  listedResources,
  okData,
  resourceOf,
} from "../../dev/sidecar-standin/testing.ts";
import { useStandinConnectionPerTest } from "./support/standin-connection.ts";

const fixture = useStandinConnectionPerTest();
const scim = fixture.scim;

describe("discovery", () => {
  it("describes the service provider: PATCH and filter (200) yes; bulk, sort, etag no; bearer auth", async () => {
    const result = completedOf(await scim("GET", "/ServiceProviderConfig"));
    expect(result.responseHttpCode).toBe(200);
    expect(resourceOf(result)).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [expect.objectContaining({ type: "oauthbearertoken" })],
    });
  });

  it("lists the User, EnterpriseUser and Group schemas and serves each by URN", async () => {
    const list = completedOf(await scim("GET", "/Schemas"));
    const ids = listedResources(list).map((schema) => schema["id"]);
    expect(ids).toEqual([
      "urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      "urn:ietf:params:scim:schemas:core:2.0:Group",
    ]);
    const user = resourceOf(completedOf(await scim("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")));
    expect(user["attributes"]).toEqual(expect.arrayContaining([expect.objectContaining({ name: "userName", required: true, uniqueness: "server" })]));
    expect(errorOf(await scim("GET", "/Schemas/urn:nope")).statusToReturn).toBe(404);
  });

  it("lists the User and Group resource types", async () => {
    const list = completedOf(await scim("GET", "/ResourceTypes"));
    expect(listedResources(list)).toEqual([
      expect.objectContaining({ id: "User", endpoint: "/Users", schema: "urn:ietf:params:scim:schemas:core:2.0:User" }),
      expect.objectContaining({ id: "Group", endpoint: "/Groups", schema: "urn:ietf:params:scim:schemas:core:2.0:Group" }),
    ]);
    expect(resourceOf(completedOf(await scim("GET", "/ResourceTypes/Group")))).toMatchObject({ endpoint: "/Groups" });
  });

  it("needs a valid SCIM key like every other path", async () => {
    expect(errorOf(await fixture.harness().scim("scim_nope", "GET", "/ServiceProviderConfig")).statusToReturn).toBe(401);
  });
});

describe("routing", () => {
  it("answers 404 InvalidPath for unknown paths, prefixed paths and extra segments", async () => {
    for (const path of ["/Nope", "/scim/v2/Users", "/Users/a/b", "/Bulk", "/"]) {
      expect(errorOf(await scim("GET", path)), path).toMatchObject({
        statusToReturn: 404,
        bodyToReturn: { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404" },
        underlyingError: { type: "InvalidPath" },
      });
    }
  });

  it("answers 400 for a method a path does not support", async () => {
    for (const [method, path] of [["DELETE", "/Users"], ["PUT", "/Groups"], ["POST", "/ServiceProviderConfig"]] as const) {
      expect(errorOf(await scim(method, path)), `${method} ${path}`).toMatchObject({ statusToReturn: 400, underlyingError: { type: "InvalidPath" } });
    }
  });

  it("tolerates a trailing slash and a lower-case method from the caller", async () => {
    completedOf(await scim("GET", "/Users/"));
    const raw = await fixture.harness().rawRunCommand(
      JSON.stringify({ command: "ScimRequest", data: { method: "get", pathAndQueryParams: "/Users", scimApiKey: fixture.connection().scimApiKey } }),
    );
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({ status: "Completed", responseHttpCode: 200 });
  });

  it("does not let a leading // turn the path into a host", async () => {
    completedOf(await scim("GET", "//Users"));
  });
});

describe("scale", () => {
  it("provisions 2,000 users at concurrency 32 without losing or duplicating any", async () => {
    const total = 2000;
    let next = 0;
    const linked = new Set<string>();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          const index = next;
          next += 1;
          const user = await fixture.provisionUser(`scale${index}@example.com`);
          linked.add(user.scimId);
        }
      }),
    );
    expect(linked.size).toBe(total);
    const list = completedOf(await scim("GET", "/Users?count=1"));
    expect(resourceOf(list)["totalResults"]).toBe(total);
    const lookup = completedOf(await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "scale1234@example.com"')}`));
    expect(listedResources(lookup)).toHaveLength(1);
    const page = okData(await fixture.harness().byo.scim.management.getScimUsers({ scimConnectionId: fixture.connection().connectionId, pageNumber: 19, pageSize: 100 }));
    expect(page.users).toHaveLength(100);
  }, 60_000);
});
