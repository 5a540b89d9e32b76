/**
 * An Okta-style provisioning lifecycle, end to end: real HTTP from the worker (in workerd) to the
 * sidecar stand-in and the SigV4-checking Cognito emulator. After every step both the IdP-visible
 * answer and the Cognito state are asserted. Okta sends pathless PATCH `replace` for (de)activation.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cognitoReader, customer, scimClient, seedPoolRecords } from "./support/e2e";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";

describe("Okta-style lifecycle (acme: email-as-username pool)", () => {
  const acme = customer("acme");
  const scim = scimClient(acme.scimApiKey);
  const cognito = cognitoReader();
  const email = "ada.okta@acme.test";
  let scimId = "";

  beforeAll(seedPoolRecords);

  it("filter by userName finds nothing before provisioning", async () => {
    const found = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`);
    expect(found.status).toBe(200);
    expect(found.contentType).toBe(SCIM_JSON);
    expect(found.body).toMatchObject({ totalResults: 0, Resources: [] });
    expect(await cognito.getUser(acme.userPoolId, email)).toBeNull();
  });

  it("creates the user: 201 with Location, and Cognito holds an enabled user with the mapped attributes", async () => {
    const created = await scim("POST", "/Users", {
      schemas: [USER_SCHEMA],
      userName: email,
      name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ primary: true, value: email, type: "work" }],
      displayName: "Ada Lovelace",
      active: true,
    });
    expect(created.status).toBe(201);
    expect(created.contentType).toBe(SCIM_JSON);
    scimId = String(created.body?.["id"]);
    expect(created.location).toBe(`https://scim.local.test/api/scim/Users/${scimId}`);
    expect(created.body).toMatchObject({ userName: email, active: true });

    const user = await cognito.getUser(acme.userPoolId, email);
    expect(user).not.toBeNull();
    expect(user?.enabled).toBe(true);
    expect(user?.attributes).toMatchObject({ email, email_verified: "true", given_name: "Ada", family_name: "Lovelace", name: "Ada Lovelace" });
    // The SCIM id the IdP sees is the sidecar's, not the Cognito sub.
    expect(scimId).not.toBe(user?.attributes["sub"]);
  });

  it("gets the user by id and finds it by filter", async () => {
    const got = await scim("GET", `/Users/${scimId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: scimId, userName: email });
    const found = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect(found.body).toMatchObject({ totalResults: 1 });
  });

  it("replaces the user with PUT", async () => {
    const replaced = await scim("PUT", `/Users/${scimId}`, {
      schemas: [USER_SCHEMA],
      id: scimId,
      userName: email,
      name: { givenName: "Ada", familyName: "King" },
      emails: [{ primary: true, value: email, type: "work" }],
      active: true,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: scimId, name: { familyName: "King" } });
    expect((await cognito.getUser(acme.userPoolId, email))?.enabled).toBe(true);
  });

  it("deactivates (pathless replace): Cognito user disabled", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active: false } }] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false });
    expect((await cognito.getUser(acme.userPoolId, email))?.enabled).toBe(false);
  });

  it("reactivates: Cognito user enabled again", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "replace", value: { active: true } }] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: true });
    expect((await cognito.getUser(acme.userPoolId, email))?.enabled).toBe(true);
  });

  it("pushes a group: create with a member, remove and add members, delete the group", async () => {
    const bob = await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "bob.okta@acme.test", emails: [{ primary: true, value: "bob.okta@acme.test" }], active: true });
    expect(bob.status).toBe(201);
    const bobId = String(bob.body?.["id"]);

    const group = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Engineering", members: [{ value: scimId }] });
    expect(group.status).toBe(201);
    expect(group.location).toMatch(/\/api\/scim\/Groups\/.+/);
    const groupId = String(group.body?.["id"]);

    const added = await scim("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "add", path: "members", value: [{ value: bobId }] }] });
    expect([200, 204]).toContain(added.status);
    const removed = await scim("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: "remove", path: `members[value eq "${scimId}"]` }] });
    expect([200, 204]).toContain(removed.status);
    const afterChanges = await scim("GET", `/Groups/${groupId}`);
    expect((afterChanges.body?.["members"] as { value: string }[]).map((m) => m.value)).toEqual([bobId]);

    const deleted = await scim("DELETE", `/Groups/${groupId}`);
    expect(deleted.status).toBe(204);
    expect((await scim("GET", `/Groups/${groupId}`)).status).toBe(404);
    // Group changes never remove users from Cognito.
    expect(await cognito.getUser(acme.userPoolId, "bob.okta@acme.test")).not.toBeNull();
  });

  it("deletes the user: 204, and the Cognito user is gone", async () => {
    const deleted = await scim("DELETE", `/Users/${scimId}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect(await cognito.getUser(acme.userPoolId, email)).toBeNull();
    expect((await scim("GET", `/Users/${scimId}`)).status).toBe(404);
  });
});
