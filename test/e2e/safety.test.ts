/** End to end: a wrong key changes nothing; a repeated create leaves exactly one Cognito user. */
import { beforeAll, describe, expect, it } from "vitest";
import { cognitoReader, customer, scimClient, seedPoolRecords } from "./support/e2e";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

describe("Safety end to end", () => {
  const cognito = cognitoReader();
  beforeAll(seedPoolRecords);

  it("answers a wrong SCIM API key with 401 and creates nothing", async () => {
    const globex = customer("globex");
    const scim = scimClient("scim_this_key_does_not_exist");
    const response = await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "mallory@globex.test", active: true });
    expect(response.status).toBe(401);
    expect(response.contentType).toBe("application/scim+json");
    expect(response.body).toMatchObject({ status: "401" });
    expect(await cognito.getUser(globex.userPoolId, "mallory@globex.test")).toBeNull();
  });

  it("a create sent twice leaves exactly one Cognito user (the second is a 409 uniqueness)", async () => {
    const globex = customer("globex");
    const scim = scimClient(globex.scimApiKey);
    const payload = { schemas: [USER_SCHEMA], userName: "twice@globex.test", emails: [{ primary: true, value: "twice@globex.test" }], active: true };
    const first = await scim("POST", "/Users", payload);
    const second = await scim("POST", "/Users", payload);
    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ scimType: "uniqueness" });
    const users = await cognito.listUsers(globex.userPoolId, 'username = "twice@globex.test"');
    expect(users).toHaveLength(1);
  });

  it("one customer's key cannot reach another customer's users", async () => {
    const acme = customer("acme");
    const globex = customer("globex");
    const created = await scimClient(globex.scimApiKey)("POST", "/Users", { schemas: [USER_SCHEMA], userName: "private@globex.test", active: true });
    expect(created.status).toBe(201);
    const id = String(created.body?.["id"]);
    const asAcme = scimClient(acme.scimApiKey);
    expect((await asAcme("GET", `/Users/${id}`)).status).toBe(404);
    expect((await asAcme("DELETE", `/Users/${id}`)).status).toBe(404);
    expect(await cognito.getUser(globex.userPoolId, "private@globex.test")).toMatchObject({ enabled: true });
  });

  it("provisions a customer without a pool record into the shared default pool, tagged with its customer id", async () => {
    const initech = customer("initech");
    const scim = scimClient(initech.scimApiKey);
    const created = await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "peter", emails: [{ primary: true, value: "peter@initech.test" }], active: true });
    expect(created.status).toBe(201);
    const user = await cognito.getUser(initech.userPoolId, "peter");
    expect(user?.attributes["custom:scim_customer"]).toBe("initech");
  });

  it("in the shared pool, a customer cannot take over another customer's user by reusing its username", async () => {
    const initech = customer("initech");
    const victim = await cognito.call("AdminCreateUser", {
      UserPoolId: initech.userPoolId,
      Username: "milton",
      MessageAction: "SUPPRESS",
      UserAttributes: [{ Name: "custom:scim_customer", Value: "umbrella" }],
    });
    expect(victim.ok).toBe(true);
    const attempt = await scimClient(initech.scimApiKey)("POST", "/Users", { schemas: [USER_SCHEMA], userName: "milton", emails: [{ primary: true, value: "milton@initech.test" }], active: true });
    expect(attempt.status).toBe(409);
    expect(attempt.body).toMatchObject({ scimType: "uniqueness" });
    const after = await cognito.getUser(initech.userPoolId, "milton");
    expect(after?.attributes["custom:scim_customer"]).toBe("umbrella");
    expect(after?.attributes["email"]).toBeUndefined();
    expect(after?.enabled).toBe(true);
    // Nothing was linked: the sidecar still has no user called milton.
    const listed = await scimClient(initech.scimApiKey)("GET", `/Users?filter=${encodeURIComponent('userName eq "milton"')}`);
    expect(listed.body).toMatchObject({ totalResults: 0 });
  });
});
