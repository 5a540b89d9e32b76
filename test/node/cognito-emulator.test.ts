// The emulator's Cognito behaviour: both pool kinds, custom attributes, user lifecycle, groups,
// the operations cognito-local lacks, and the places where the front patches cognito-local to
// answer like AWS. Every call is SigV4-signed with aws4fetch, as the Worker signs them.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCognitoTestClient, type CognitoCallResult } from "../../dev/cognito-emulator/client.ts";
import { startCognitoEmulator, type LinkRecord, type RunningCognitoEmulator, type SignOutRecord } from "../../dev/cognito-emulator/index.ts";

const CREDS = { accessKeyId: "AKIDTESTEMULATOR", secretAccessKey: "test-secret-emulator" };
const CUSTOM_SCHEMA = [{ Name: "scim_customer", AttributeDataType: "String", Mutable: true }];

interface Attribute {
  Name: string;
  Value?: string;
}

let emulator: RunningCognitoEmulator;
let dataDir: string;
let call: (operation: string, input: unknown) => Promise<CognitoCallResult>;
let emailPool: string; // UsernameAttributes: ["email"]
let aliasPool: string; // AliasAttributes: ["email"], plain usernames
let counter = 0;

function attr(attributes: unknown, name: string): string | undefined {
  return (attributes as Attribute[] | undefined)?.find((a) => a.Name === name)?.Value;
}

async function ok(operation: string, input: unknown): Promise<Record<string, unknown>> {
  const res = await call(operation, input);
  expect(res.status, `${operation}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

async function fails(operation: string, input: unknown, errorType: string, message?: RegExp | string): Promise<CognitoCallResult> {
  const res = await call(operation, input);
  expect(res.status, `${operation}: ${JSON.stringify(res.body)}`).toBe(400);
  expect(res.errorType).toBe(errorType);
  expect(res.headers.get("x-amzn-errortype")).toBe(`${errorType}:`);
  if (message !== undefined) expect(String(res.body["message"])).toMatch(message);
  return res;
}

async function createUser(poolId: string, username: string, attributes: Attribute[] = []): Promise<{ username: string; sub: string }> {
  const body = await ok("AdminCreateUser", { UserPoolId: poolId, Username: username, MessageAction: "SUPPRESS", UserAttributes: attributes });
  const user = body["User"] as { Username: string; Attributes: Attribute[] };
  return { username: user.Username, sub: attr(user.Attributes, "sub") ?? "" };
}

const unique = (prefix: string): string => `${prefix}${++counter}`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cognito-emulator-"));
  emulator = await startCognitoEmulator({ dataDir, credentials: [CREDS] });
  const client = createCognitoTestClient({ url: emulator.url, credentials: CREDS });
  call = (operation, input) => client.call(operation, input);
  const a = await ok("CreateUserPool", { PoolName: "email-as-username", UsernameAttributes: ["email"], Schema: CUSTOM_SCHEMA, UserPoolTags: { team: "idp" } });
  emailPool = (a["UserPool"] as { Id: string }).Id;
  const b = await ok("CreateUserPool", { PoolName: "email-as-alias", AliasAttributes: ["email"], Schema: CUSTOM_SCHEMA });
  aliasPool = (b["UserPool"] as { Id: string }).Id;
});

afterAll(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("pools", () => {
  it("DescribeUserPool returns UsernameAttributes / AliasAttributes exactly as created", async () => {
    const email = (await ok("DescribeUserPool", { UserPoolId: emailPool }))["UserPool"] as Record<string, unknown>;
    expect(email["UsernameAttributes"]).toEqual(["email"]);
    expect(email["AliasAttributes"]).toBeUndefined();
    expect(email["Arn"]).toBe(`arn:aws:cognito-idp:local:local:userpool/${emailPool}`);
    const alias = (await ok("DescribeUserPool", { UserPoolId: aliasPool }))["UserPool"] as Record<string, unknown>;
    expect(alias["AliasAttributes"]).toEqual(["email"]);
    expect(alias["UsernameAttributes"]).toBeUndefined();
    const schema = alias["SchemaAttributes"] as { Name: string }[];
    expect(schema.map((s) => s.Name)).toContain("custom:scim_customer");
    expect(typeof alias["EstimatedNumberOfUsers"]).toBe("number");
  });

  it("a missing pool is ResourceNotFoundException", async () => {
    await fails("DescribeUserPool", { UserPoolId: "local_missing" }, "ResourceNotFoundException", "User pool local_missing does not exist.");
    await fails("AdminGetUser", { UserPoolId: "local_missing", Username: "x" }, "ResourceNotFoundException");
  });

  it("ListUserPools requires MaxResults and paginates with NextToken", async () => {
    await fails("ListUserPools", {}, "InvalidParameterException", /maxResults/);
    await fails("ListUserPools", { MaxResults: 61 }, "InvalidParameterException", /less than or equal to 60/);
    const first = await ok("ListUserPools", { MaxResults: 1 });
    expect(first["UserPools"]).toHaveLength(1);
    expect(typeof first["NextToken"]).toBe("string");
    const ids = new Set<string>();
    let token: unknown;
    do {
      const page = await ok("ListUserPools", { MaxResults: 1, ...(token !== undefined ? { NextToken: token } : {}) });
      for (const p of page["UserPools"] as { Id: string; Name: string }[]) ids.add(p.Id);
      token = page["NextToken"];
    } while (token !== undefined);
    expect(ids).toContain(emailPool);
    expect(ids).toContain(aliasPool);
  });

  it("DeleteUserPool removes the pool and its file for good", async () => {
    const { Id: doomed } = (await ok("CreateUserPool", { PoolName: "doomed" }))["UserPool"] as { Id: string };
    await createUser(doomed, "soon-gone");
    await ok("DeleteUserPool", { UserPoolId: doomed });
    await fails("DescribeUserPool", { UserPoolId: doomed }, "ResourceNotFoundException");
    await new Promise((resolve) => setTimeout(resolve, 250)); // longer than the first flush window
    expect(existsSync(join(dataDir, ".cognito", "db", `${doomed}.json`))).toBe(false);
    expect(existsSync(join(dataDir, ".cognito", "db", `${aliasPool}.json`))).toBe(true);
  });

  it("missing required members fail validation like AWS", async () => {
    await fails("AdminGetUser", { UserPoolId: aliasPool }, "InvalidParameterException", "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null");
  });
});

describe("users", () => {
  it("email-as-username: stored username is the sub; get by email and by sub", async () => {
    const email = `${unique("e")}@example.com`;
    const { username, sub } = await createUser(emailPool, email, [{ Name: "custom:scim_customer", Value: "cust-1" }]);
    expect(username).toBe(sub);
    const byEmail = await ok("AdminGetUser", { UserPoolId: emailPool, Username: email });
    const bySub = await ok("AdminGetUser", { UserPoolId: emailPool, Username: sub });
    expect(byEmail["Username"]).toBe(sub);
    expect(bySub["Username"]).toBe(sub);
    expect(attr(bySub["UserAttributes"], "email")).toBe(email);
    expect(attr(bySub["UserAttributes"], "custom:scim_customer")).toBe("cust-1");
    expect(bySub["UserStatus"]).toBe("FORCE_CHANGE_PASSWORD");
    await fails("AdminCreateUser", { UserPoolId: emailPool, Username: "not-an-email", MessageAction: "SUPPRESS" }, "InvalidParameterException", "Username should be an email.");
    await fails("AdminCreateUser", { UserPoolId: emailPool, Username: email, MessageAction: "SUPPRESS" }, "UsernameExistsException", "An account with the given email already exists.");
  });

  it("email-as-alias: plain username; get by sub and by verified email only", async () => {
    const name = unique("alice");
    const email = `${name}@example.com`;
    const { username, sub } = await createUser(aliasPool, name, [
      { Name: "email", Value: email },
      { Name: "email_verified", Value: "true" },
    ]);
    expect(username).toBe(name);
    expect((await ok("AdminGetUser", { UserPoolId: aliasPool, Username: sub }))["Username"]).toBe(name);
    expect((await ok("AdminGetUser", { UserPoolId: aliasPool, Username: email }))["Username"]).toBe(name);

    const unverified = unique("carol");
    await createUser(aliasPool, unverified, [{ Name: "email", Value: `${unverified}@example.com` }]);
    await fails("AdminGetUser", { UserPoolId: aliasPool, Username: `${unverified}@example.com` }, "UserNotFoundException", "User does not exist.");
    await fails("AdminCreateUser", { UserPoolId: aliasPool, Username: "x@example.com", MessageAction: "SUPPRESS" }, "InvalidParameterException", /cannot be of email format/);
    await fails("AdminCreateUser", { UserPoolId: aliasPool, Username: name, MessageAction: "SUPPRESS" }, "UsernameExistsException", "User account already exists.");
  });

  it("a verified email alias is unique unless ForceAliasCreation moves it", async () => {
    const email = `${unique("shared")}@example.com`;
    const first = unique("first");
    await createUser(aliasPool, first, [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }]);
    const second = unique("second");
    const verified = [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }];
    await fails("AdminCreateUser", { UserPoolId: aliasPool, Username: second, MessageAction: "SUPPRESS", UserAttributes: verified }, "AliasExistsException");
    await fails("AdminGetUser", { UserPoolId: aliasPool, Username: second }, "UserNotFoundException");
    await ok("AdminCreateUser", { UserPoolId: aliasPool, Username: second, MessageAction: "SUPPRESS", UserAttributes: verified, ForceAliasCreation: true });
    expect((await ok("AdminGetUser", { UserPoolId: aliasPool, Username: email }))["Username"]).toBe(second);
    expect(attr((await ok("AdminGetUser", { UserPoolId: aliasPool, Username: first }))["UserAttributes"], "email_verified")).toBe("false");
    const third = unique("third");
    await createUser(aliasPool, third);
    await fails("AdminUpdateUserAttributes", { UserPoolId: aliasPool, Username: third, UserAttributes: verified }, "AliasExistsException");
  });

  it("custom attributes must be in the schema", async () => {
    const name = unique("schema");
    await fails(
      "AdminCreateUser",
      { UserPoolId: aliasPool, Username: name, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "custom:not_in_schema", Value: "x" }] },
      "InvalidParameterException",
      /custom:not_in_schema: Attribute does not exist in the schema/,
    );
    await fails("AdminGetUser", { UserPoolId: aliasPool, Username: name }, "UserNotFoundException");
    await createUser(aliasPool, name, [{ Name: "custom:scim_customer", Value: "c" }]);
    await ok("AdminUpdateUserAttributes", { UserPoolId: aliasPool, Username: name, UserAttributes: [{ Name: "custom:scim_customer", Value: "d" }] });
    expect(attr((await ok("AdminGetUser", { UserPoolId: aliasPool, Username: name }))["UserAttributes"], "custom:scim_customer")).toBe("d");
  });

  it("disable, enable and delete, addressed by sub", async () => {
    const { sub } = await createUser(emailPool, `${unique("life")}@example.com`);
    await ok("AdminDisableUser", { UserPoolId: emailPool, Username: sub });
    expect((await ok("AdminGetUser", { UserPoolId: emailPool, Username: sub }))["Enabled"]).toBe(false);
    await ok("AdminEnableUser", { UserPoolId: emailPool, Username: sub });
    expect((await ok("AdminGetUser", { UserPoolId: emailPool, Username: sub }))["Enabled"]).toBe(true);
    await ok("AdminDeleteUser", { UserPoolId: emailPool, Username: sub });
    await fails("AdminGetUser", { UserPoolId: emailPool, Username: sub }, "UserNotFoundException");
  });

  it.each(["AdminDisableUser", "AdminEnableUser", "AdminDeleteUser", "AdminGetUser", "AdminUserGlobalSignOut"])(
    "%s on a missing user is UserNotFoundException (400)",
    async (operation) => {
      await fails(operation, { UserPoolId: emailPool, Username: "ghost@example.com" }, "UserNotFoundException", "User does not exist.");
    },
  );

  it("AdminUpdateUserAttributes on a missing user is UserNotFoundException (cognito-local says NotAuthorized)", async () => {
    await fails("AdminUpdateUserAttributes", { UserPoolId: aliasPool, Username: "ghost", UserAttributes: [{ Name: "name", Value: "x" }] }, "UserNotFoundException");
  });

  it("MessageAction RESEND needs an existing user; no SUPPRESS without a delivery medium creates nothing", async () => {
    await fails("AdminCreateUser", { UserPoolId: aliasPool, Username: "resend-ghost", MessageAction: "RESEND" }, "UserNotFoundException");
    const name = unique("nomedium");
    await fails("AdminCreateUser", { UserPoolId: aliasPool, Username: name }, "InvalidParameterException", /delivery mediums/);
    await fails("AdminGetUser", { UserPoolId: aliasPool, Username: name }, "UserNotFoundException");
    await createUser(aliasPool, name);
    const resent = await ok("AdminCreateUser", { UserPoolId: aliasPool, Username: name, MessageAction: "RESEND" });
    expect((resent["User"] as { Username: string }).Username).toBe(name);
  });

  it("ListUsers pages at Limit with PaginationToken and honours AttributesToGet", async () => {
    const { Id: poolId } = (await ok("CreateUserPool", { PoolName: "paging" }))["UserPool"] as { Id: string };
    for (let i = 0; i < 5; i++) await createUser(poolId, `page${i}`, [{ Name: "name", Value: `N${i}` }, { Name: "given_name", Value: "G" }]);
    const seen: string[] = [];
    let token: unknown;
    let pages = 0;
    do {
      const page = await ok("ListUsers", { UserPoolId: poolId, Limit: 2, AttributesToGet: ["name"], ...(token !== undefined ? { PaginationToken: token } : {}) });
      const users = page["Users"] as { Username: string; Attributes: Attribute[] }[];
      expect(users.length).toBeLessThanOrEqual(2);
      for (const u of users) {
        seen.push(u.Username);
        expect(u.Attributes.map((a) => a.Name)).toEqual(["name"]);
      }
      token = page["PaginationToken"];
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(["page0", "page1", "page2", "page3", "page4"]);
    await fails("ListUsers", { UserPoolId: poolId, Limit: 61 }, "InvalidParameterException", /less than or equal to 60/);
    const filtered = await ok("ListUsers", { UserPoolId: poolId, Filter: 'username = "page3"' });
    expect((filtered["Users"] as unknown[]).length).toBe(1);
  });
});

describe("groups", () => {
  it("CreateGroup on an existing name is GroupExistsException", async () => {
    await ok("CreateGroup", { UserPoolId: aliasPool, GroupName: "admins" });
    await fails("CreateGroup", { UserPoolId: aliasPool, GroupName: "admins" }, "GroupExistsException", /already exists/);
  });

  it("membership by sub: add, list, remove; missing group is ResourceNotFoundException", async () => {
    await ok("CreateGroup", { UserPoolId: emailPool, GroupName: "staff" });
    const { sub } = await createUser(emailPool, `${unique("member")}@example.com`);
    await ok("AdminAddUserToGroup", { UserPoolId: emailPool, GroupName: "staff", Username: sub });
    const listed = await ok("AdminListGroupsForUser", { UserPoolId: emailPool, Username: sub });
    expect((listed["Groups"] as { GroupName: string }[]).map((g) => g.GroupName)).toEqual(["staff"]);
    const members = await ok("ListUsersInGroup", { UserPoolId: emailPool, GroupName: "staff" });
    expect((members["Users"] as { Username: string }[]).map((u) => u.Username)).toContain(sub);
    await ok("AdminRemoveUserFromGroup", { UserPoolId: emailPool, GroupName: "staff", Username: sub });
    expect((await ok("AdminListGroupsForUser", { UserPoolId: emailPool, Username: sub }))["Groups"]).toEqual([]);
    await fails("AdminAddUserToGroup", { UserPoolId: emailPool, GroupName: "nope", Username: sub }, "ResourceNotFoundException");
    await fails("AdminAddUserToGroup", { UserPoolId: emailPool, GroupName: "staff", Username: "ghost@example.com" }, "UserNotFoundException");
  });
});

describe("operations cognito-local lacks", () => {
  it("AdminUserGlobalSignOut answers {} and records the time", async () => {
    const { sub } = await createUser(emailPool, `${unique("signout")}@example.com`);
    expect(await ok("AdminUserGlobalSignOut", { UserPoolId: emailPool, Username: sub })).toEqual({});
    const recorded = emulator.signOuts().find((r) => r.username === sub);
    expect(recorded).toMatchObject({ userPoolId: emailPool, count: 1 });
    const overHttp = (await (await fetch(`${emulator.url}/__emulator/signouts`)).json()) as SignOutRecord[];
    expect(overHttp.find((r) => r.username === sub)?.signedOutAt).toBe(recorded?.signedOutAt);
  });

  it("AdminLinkProviderForUser links, shows identities, refuses duplicates and a 6th link", async () => {
    const name = unique("linked");
    await createUser(aliasPool, name);
    const link = (value: string, provider = "AcmeSAML") => ({
      UserPoolId: aliasPool,
      DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: name },
      SourceUser: { ProviderName: provider, ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: value },
    });
    expect(await ok("AdminLinkProviderForUser", link(`${name}-idp-1`))).toEqual({});
    const got = await ok("AdminGetUser", { UserPoolId: aliasPool, Username: name });
    const identities = JSON.parse(attr(got["UserAttributes"], "identities") ?? "[]") as { userId: string; providerName: string }[];
    expect(identities).toMatchObject([{ userId: `${name}-idp-1`, providerName: "AcmeSAML" }]);

    await fails("AdminLinkProviderForUser", link(`${name}-idp-1`), "InvalidParameterException", /already linked/);
    const other = unique("other");
    await createUser(aliasPool, other);
    await fails(
      "AdminLinkProviderForUser",
      { ...link(`${name}-idp-1`), DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: other } },
      "InvalidParameterException",
      /already linked/,
    );
    for (let i = 2; i <= 5; i++) await ok("AdminLinkProviderForUser", link(`${name}-idp-${i}`));
    await fails("AdminLinkProviderForUser", link(`${name}-idp-6`), "LimitExceededException");

    const links = (await (await fetch(`${emulator.url}/__emulator/links`)).json()) as LinkRecord[];
    expect(links.filter((l) => l.username === name)).toHaveLength(5);
    expect(links.find((l) => l.providerAttributeValue === `${name}-idp-1`)).toMatchObject({
      userPoolId: aliasPool,
      providerName: "AcmeSAML",
      providerAttributeName: "Cognito_Subject",
    });
  });

  it("AdminLinkProviderForUser validates users and pools like AWS", async () => {
    const source = { ProviderName: "AcmeSAML", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: unique("src") };
    await fails(
      "AdminLinkProviderForUser",
      { UserPoolId: aliasPool, DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: "ghost" }, SourceUser: source },
      "UserNotFoundException",
    );
    await fails(
      "AdminLinkProviderForUser",
      { UserPoolId: "local_missing", DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: "ghost" }, SourceUser: source },
      "ResourceNotFoundException",
    );
    await fails(
      "AdminLinkProviderForUser",
      { UserPoolId: aliasPool, DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: "x" }, SourceUser: { ...source, ProviderName: "Cognito" } },
      "InvalidParameterException",
    );
  });

  it("AdminDisableProviderForUser removes the link", async () => {
    const { sub } = await createUser(emailPool, `${unique("unlink")}@example.com`);
    const value = unique("okta-");
    await ok("AdminLinkProviderForUser", {
      UserPoolId: emailPool,
      DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: sub },
      SourceUser: { ProviderName: "Okta", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: value },
    });
    await ok("AdminDisableProviderForUser", { UserPoolId: emailPool, User: { ProviderName: "Okta", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: value } });
    expect(attr((await ok("AdminGetUser", { UserPoolId: emailPool, Username: sub }))["UserAttributes"], "identities")).toBeUndefined();
    expect((await emulator.links()).some((l) => l.providerAttributeValue === value)).toBe(false);
    await fails("AdminDisableProviderForUser", { UserPoolId: emailPool, User: { ProviderName: "Okta", ProviderAttributeValue: value } }, "UserNotFoundException");
  });

  it("tags: UserPoolTags from CreateUserPool, TagResource, UntagResource, ListTagsForResource", async () => {
    const arn = `arn:aws:cognito-idp:local:local:userpool/${emailPool}`;
    expect(await ok("ListTagsForResource", { ResourceArn: arn })).toEqual({ Tags: { team: "idp" } });
    await ok("TagResource", { ResourceArn: arn, Tags: { env: "test", owner: "scim" } });
    await ok("UntagResource", { ResourceArn: arn, TagKeys: ["owner"] });
    expect(await ok("ListTagsForResource", { ResourceArn: arn })).toEqual({ Tags: { team: "idp", env: "test" } });
    const described = (await ok("DescribeUserPool", { UserPoolId: emailPool }))["UserPool"] as Record<string, unknown>;
    expect(described["UserPoolTags"]).toEqual({ team: "idp", env: "test" });
    // The Worker builds ARNs from its own account id; the emulator matches on the pool id.
    expect(await ok("ListTagsForResource", { ResourceArn: `arn:aws:cognito-idp:us-east-1:123456789012:userpool/${emailPool}` })).toEqual({
      Tags: { team: "idp", env: "test" },
    });
    await fails("ListTagsForResource", { ResourceArn: "arn:aws:cognito-idp:local:local:userpool/local_missing" }, "ResourceNotFoundException");
    await fails("ListTagsForResource", { ResourceArn: "not-an-arn" }, "InvalidParameterException");
  });
});
