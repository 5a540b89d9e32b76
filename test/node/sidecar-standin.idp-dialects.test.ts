/**
 * IdP request shapes the stand-in must absorb (byo-contract §8, §10.2): Entra's capitalised ops,
 * string booleans, value-filtered paths and multi-operation PATCHes; Okta's pathless replace and
 * PUT; plus the PatchOp errors (invalidSyntax / invalidPath / invalidValue / noTarget).
 */
import type { JsonValue } from "@propelauth/byo-node";
import { describe, expect, it } from "vitest";
import {
  actionOf,
  completedOf,
  errorOf,
  okData,
  patchBody,
  resourceOf,
  USER_SCHEMA,
} from "../../dev/sidecar-standin/testing.ts";
import { useStandinConnectionPerTest } from "./support/standin-connection.ts";

const fixture = useStandinConnectionPerTest();
const scim = fixture.scim;
const commit = (commitId: string) => fixture.harness().byo.scim.commitScimUserChange({ connectionId: fixture.connection().connectionId, commitId });
const getUser = async (scimId: string) => resourceOf(completedOf(await scim("GET", `/Users/${scimId}`)));

/** The user Entra provisions in its documented test flow. */
const entraUser = {
  schemas: [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  userName: "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
  active: true,
  displayName: "Test User",
  emails: [{ primary: true, type: "work", value: "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" }],
  meta: { resourceType: "User" },
  name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
  roles: [],
};

describe("Entra", () => {
  it("provisions its test user with the enterprise schema listed but absent", async () => {
    const link = actionOf(await scim("POST", "/Users", entraUser), "LinkUser");
    expect(link.primaryEmail).toBe("Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com");
    expect(link.parsedUserData).toMatchObject({ firstName: "givenName", lastName: "familyName", displayName: "Test User" });
  });

  it("disables with {op: Replace, path: active, value: 'False'} and re-enables with 'True'", async () => {
    const user = await fixture.provisionUser("entra1@contoso.com", entraUser);
    const disable = actionOf(
      await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Replace", path: "active", value: "False" })),
      "DisableUser",
    );
    expect((await getUser(user.scimId))["active"]).toBe(true);
    expect(resourceOf(okData(await commit(disable.commitId)))["active"]).toBe(false);

    const enable = actionOf(
      await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Replace", path: "active", value: "True" })),
      "EnableUser",
    );
    okData(await commit(enable.commitId));
    expect((await getUser(user.scimId))["active"]).toBe(true);
  });

  it("applies several operations in one PATCH, with filtered paths and sub-attributes", async () => {
    const user = await fixture.provisionUser("entra2@contoso.com", entraUser);
    const result = completedOf(
      await scim(
        "PATCH",
        `/Users/${user.scimId}`,
        patchBody(
          { op: "Replace", path: 'emails[type eq "work"].value', value: "updated@contoso.com" },
          { op: "Replace", path: "name.givenName", value: "Grace" },
          { op: "Add", path: "name.familyName", value: "Hopper" },
          { op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 555 0199" },
          { op: "Replace", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value: "Navy" },
          { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", value: { value: "mgr-1" } },
          { op: "Replace", path: "displayName", value: "Grace Hopper" },
        ),
      ),
    );
    expect(result.affectedUserIds).toEqual([user.userId]);
    const stored = await getUser(user.scimId);
    expect(stored).toMatchObject({
      emails: [{ primary: true, type: "work", value: "updated@contoso.com" }],
      name: { givenName: "Grace", familyName: "Hopper" },
      phoneNumbers: [{ type: "mobile", value: "+1 555 0199" }],
      displayName: "Grace Hopper",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Navy", manager: { value: "mgr-1" } },
    });
    expect(stored["schemas"]).toContain("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    const profile = okData(await fixture.harness().byo.scim.getScimUser({ scimConnectionId: fixture.connection().connectionId, userId: user.userId }));
    expect(profile.user.primaryEmail).toBe("updated@contoso.com");
    expect(profile.user.parsedUserData).toMatchObject({ firstName: "Grace", lastName: "Hopper", department: "Navy", phoneNumber: "+1 555 0199" });
  });

  it("adds the element when Replace targets a filtered path that matches nothing", async () => {
    const user = await fixture.provisionUser("entra3@contoso.com", { emails: [{ type: "home", value: "h@contoso.com" }] });
    completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Replace", path: 'emails[type eq "work"].value', value: "w@contoso.com" })));
    expect((await getUser(user.scimId))["emails"]).toEqual([
      { type: "home", value: "h@contoso.com" },
      { type: "work", value: "w@contoso.com" },
    ]);
  });

  it("treats a string 'True' for primary as a boolean", async () => {
    const user = await fixture.provisionUser("entra4@contoso.com", {
      emails: [{ type: "work", value: "a@contoso.com" }, { type: "home", value: "b@contoso.com" }],
    });
    completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Replace", path: 'emails[type eq "home"].primary', value: "True" })));
    expect((await getUser(user.scimId))["emails"]).toEqual([
      { type: "work", value: "a@contoso.com" },
      { type: "home", value: "b@contoso.com", primary: true },
    ]);
    const profile = okData(await fixture.harness().byo.scim.getScimUser({ scimConnectionId: fixture.connection().connectionId, userId: user.userId }));
    expect(profile.user.primaryEmail).toBe("b@contoso.com");
  });

  it("stages the whole PATCH when it mixes a disable with attribute changes", async () => {
    const user = await fixture.provisionUser("entra5@contoso.com", { displayName: "Before" });
    const disable = actionOf(
      await scim(
        "PATCH",
        `/Users/${user.scimId}`,
        patchBody({ op: "Replace", path: "displayName", value: "After" }, { op: "Replace", path: "active", value: "False" }),
      ),
      "DisableUser",
    );
    expect(disable.parsedUserData).toMatchObject({ displayName: "After" });
    expect(await getUser(user.scimId)).toMatchObject({ displayName: "Before", active: true });
    okData(await commit(disable.commitId));
    expect(await getUser(user.scimId)).toMatchObject({ displayName: "After", active: false });
  });

  it("removes an attribute with Remove and treats removing something absent as a no-op", async () => {
    const user = await fixture.provisionUser("entra6@contoso.com", { title: "Boss" });
    const removed = completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Remove", path: "title" })));
    expect(resourceOf(removed)).not.toHaveProperty("title");
    const again = completedOf(
      await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Remove", path: "title" }, { op: "Remove", path: 'emails[type eq "work"]' })),
    );
    expect(again.affectedUserIds).toBeUndefined();
  });

  it("accepts core attributes written with their schema URN", async () => {
    const user = await fixture.provisionUser("entra8@contoso.com");
    completedOf(
      await scim(
        "PATCH",
        `/Users/${user.scimId}`,
        patchBody({ op: "Replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:displayName", value: "Qualified" }),
      ),
    );
    const stored = await getUser(user.scimId);
    expect(stored["displayName"]).toBe("Qualified");
    expect(stored).not.toHaveProperty("urn:ietf:params:scim:schemas:core:2.0:User");
  });

  it("accepts Active with a capital A as the active attribute", async () => {
    const user = await fixture.provisionUser("entra7@contoso.com");
    actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "Replace", path: "Active", value: "false" })), "DisableUser");
  });
});

describe("Okta", () => {
  it("disables with a pathless replace {active: false} and ignores an echoed id", async () => {
    const user = await fixture.provisionUser("okta1@example.com");
    const disable = actionOf(
      await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", value: { id: user.scimId, active: false } })),
      "DisableUser",
    );
    okData(await commit(disable.commitId));
    expect((await getUser(user.scimId))["active"]).toBe(false);
  });

  it("updates a profile with a full PUT and reactivates with PUT active:true", async () => {
    const user = await fixture.provisionUser("okta2@example.com", { name: { givenName: "O", familyName: "K" }, active: false });
    const profile = {
      schemas: [USER_SCHEMA],
      id: user.scimId,
      userName: "okta2@example.com",
      name: { givenName: "Olga", familyName: "K" },
      emails: [{ primary: true, value: "okta2@example.com", type: "work" }],
      active: false,
      password: "secret",
      groups: [],
    };
    const updated = completedOf(await scim("PUT", `/Users/${user.scimId}`, profile));
    expect(updated.affectedUserIds).toEqual([user.userId]);
    expect(resourceOf(updated)).not.toHaveProperty("password");
    const enable = actionOf(await scim("PUT", `/Users/${user.scimId}`, { ...profile, active: true }), "EnableUser");
    expect(enable.parsedUserData).toMatchObject({ firstName: "Olga" });
  });

  it("looks a user up with userName eq before creating, percent-encoded as Okta sends it", async () => {
    await fixture.provisionUser("okta3@example.com");
    const found = completedOf(await scim("GET", "/Users?filter=userName%20eq%20%22okta3%40example.com%22&startIndex=1&count=100"));
    expect(resourceOf(found)).toMatchObject({ totalResults: 1 });
  });
});

describe("PatchOp errors", () => {
  const cases: { name: string; body: JsonValue; scimType: string; type: string }[] = [
    { name: "not an object", body: "nope", scimType: "invalidSyntax", type: "InvalidBody" },
    { name: "missing PatchOp schema", body: { Operations: [{ op: "replace", path: "title", value: "x" }] }, scimType: "invalidSyntax", type: "InvalidBody" },
    { name: "missing Operations", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"] }, scimType: "invalidSyntax", type: "InvalidBody" },
    { name: "unknown op", body: patchBody({ op: "merge", path: "title", value: "x" }), scimType: "invalidSyntax", type: "InvalidPatchOperation" },
    { name: "remove without path", body: patchBody({ op: "remove" }), scimType: "noTarget", type: "InvalidPatchPath" },
    { name: "add without value", body: patchBody({ op: "add", path: "title" }), scimType: "invalidValue", type: "InvalidPatchValue" },
    { name: "broken filter in path", body: patchBody({ op: "replace", path: "emails[type eq ].value", value: "x" }), scimType: "invalidPath", type: "InvalidPatchPath" },
    { name: "read-only id", body: patchBody({ op: "replace", path: "id", value: "x" }), scimType: "invalidPath", type: "InvalidPatchPath" },
    { name: "non-boolean active", body: patchBody({ op: "replace", path: "active", value: "sometimes" }), scimType: "invalidValue", type: "InvalidPatchValue" },
    { name: "removing userName", body: patchBody({ op: "remove", path: "userName" }), scimType: "invalidValue", type: "CantRemoveRequiredField" },
    { name: "pathless non-object value", body: patchBody({ op: "replace", value: "x" }), scimType: "invalidValue", type: "InvalidPatchValue" },
  ];

  for (const testCase of cases) {
    it(`answers 400 ${testCase.scimType} for ${testCase.name} and changes nothing`, async () => {
      const user = await fixture.provisionUser("err@example.com", { title: "Kept" });
      const failure = errorOf(await scim("PATCH", `/Users/${user.scimId}`, testCase.body));
      expect(failure).toMatchObject({
        statusToReturn: 400,
        bodyToReturn: { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "400", scimType: testCase.scimType },
        underlyingError: { type: testCase.type },
      });
      expect(await getUser(user.scimId)).toMatchObject({ title: "Kept", userName: "err@example.com", meta: { version: 'W/"1"' } });
    });
  }

  it("treats an empty Operations list as a no-op", async () => {
    const user = await fixture.provisionUser("noop@example.com");
    const result = completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody()));
    expect(result.responseHttpCode).toBe(200);
    expect(result.affectedUserIds).toBeUndefined();
  });
});
