/**
 * A Microsoft Entra ID-style lifecycle, end to end: capitalised PATCH ops, string booleans,
 * multi-operation PATCH, deactivation via PATCH, delete. Plain-username pool.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cognitoReader, customer, scimClient, seedPoolRecords } from "./support/e2e";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("Entra-style lifecycle (globex: plain-username pool)", () => {
  const globex = customer("globex");
  const scim = scimClient(globex.scimApiKey);
  const cognito = cognitoReader();
  const userName = "grace.entra@globex.test";
  let scimId = "";

  beforeAll(seedPoolRecords);

  it("checks for the user, then creates it with Entra's payload", async () => {
    const probe = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(probe.body).toMatchObject({ totalResults: 0 });
    const created = await scim("POST", "/Users", {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: "c0ffee00-1111-2222-3333-444455556666",
      userName,
      active: "True",
      displayName: "Grace Hopper",
      emails: [{ primary: true, type: "work", value: userName }],
      name: { formatted: "Grace Hopper", familyName: "Hopper", givenName: "Grace" },
      [ENTERPRISE]: { department: "Navy" },
    });
    expect(created.status).toBe(201);
    expect(created.location).toContain("/api/scim/Users/");
    scimId = String(created.body?.["id"]);
    const user = await cognito.getUser(globex.userPoolId, userName);
    expect(user).toMatchObject({ username: userName, enabled: true });
    expect(user?.attributes).toMatchObject({ email: userName, given_name: "Grace", family_name: "Hopper" });
  });

  it("applies a multi-operation PATCH with capitalised ops and value-filtered paths", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: "Replace", path: "displayName", value: "Rear Admiral Grace Hopper" },
        { op: "Replace", path: 'emails[type eq "work"].value', value: userName },
        { op: "Add", path: `${ENTERPRISE}:department`, value: "Computing" },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: "Rear Admiral Grace Hopper", active: true });
    expect((await cognito.getUser(globex.userPoolId, userName))?.enabled).toBe(true);
  });

  it("deactivates with Entra's string boolean: Cognito user disabled", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false });
    expect((await cognito.getUser(globex.userPoolId, userName))?.enabled).toBe(false);
  });

  it("reactivates with a string boolean, then deletes", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "Replace", path: "active", value: "True" }] });
    expect(patched.status).toBe(200);
    expect((await cognito.getUser(globex.userPoolId, userName))?.enabled).toBe(true);
    const deleted = await scim("DELETE", `/Users/${scimId}`);
    expect(deleted.status).toBe(204);
    expect(await cognito.getUser(globex.userPoolId, userName)).toBeNull();
  });
});
