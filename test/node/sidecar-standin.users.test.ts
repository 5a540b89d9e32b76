/**
 * The /Users lifecycle on the BYO sidecar stand-in (byo-contract §10.2–§10.5): LinkUser → link,
 * 409 on duplicates, Disable/Enable/Delete staged until commit, plain updates completing with
 * affectedUserIds, single-use and expiring commitIds, GetScimUser(s), mapping, paging and errors.
 */
import type { CreateScimConnectionResponse, JsonValue } from "@propelauth/byo-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  actionOf,
  completedOf,
  errorOf,
  listedResources,
  okData,
  patchBody,
  resourceOf,
  startStandinHarness,
  USER_SCHEMA,
  type StandinHarness,
} from "../../dev/sidecar-standin/testing.ts";

const TTL_MS = 600_000;
let nowMs = Date.UTC(2030, 0, 1);
let harness: StandinHarness;
let connection: CreateScimConnectionResponse;

beforeAll(async () => {
  harness = await startStandinHarness({ now: () => nowMs, stagedChangeTtlMs: TTL_MS });
});
afterAll(() => harness.close());
beforeEach(async () => {
  connection = await harness.createConnection();
});

const scim = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: JsonValue) =>
  harness.scim(connection.scimApiKey, method, path, body);
const link = (commitId: string, userId: string, connectionId = connection.connectionId) =>
  harness.byo.scim.linkScimUser({ connectionId, commitId, userId });
const commit = (commitId: string, connectionId = connection.connectionId) =>
  harness.byo.scim.commitScimUserChange({ connectionId, commitId });
const totalUsers = async (): Promise<unknown> => resourceOf(completedOf(await scim("GET", "/Users")))["totalResults"];

const ada = {
  schemas: [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  externalId: "ext-ada",
  userName: "ada@example.com",
  name: { givenName: "Ada", familyName: "Lovelace", formatted: "Ada Lovelace" },
  displayName: "Ada L.",
  title: "Analyst",
  emails: [
    { value: "ada.home@example.com", type: "home" },
    { value: "ada@example.com", type: "work", primary: true },
  ],
  phoneNumbers: [{ value: "+1 555 0100", type: "work" }],
  active: true,
  password: "never-stored",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Engineering" },
};

describe("POST /Users → LinkUser → LinkScimUser", () => {
  it("stages a LinkUser carrying the parsed data, and shows nothing before the link", async () => {
    const action = actionOf(await scim("POST", "/Users", ada), "LinkUser");
    expect(action).toEqual({
      status: "ActionRequired",
      connectionId: connection.connectionId,
      action: "LinkUser",
      commitId: expect.any(String),
      userName: "ada@example.com",
      primaryEmail: "ada@example.com",
      parsedUserData: {
        firstName: "Ada",
        lastName: "Lovelace",
        displayName: "Ada L.",
        externalId: "ext-ada",
        department: "Engineering",
        title: "Analyst",
        phoneNumber: "+1 555 0100",
      },
      active: true,
      ssoUserSubject: "ada@example.com",
    });
    expect(await totalUsers()).toBe(0);
    const filtered = completedOf(await scim("GET", "/Users?filter=userName%20eq%20%22ada%40example.com%22"));
    expect(listedResources(filtered)).toEqual([]);
    expect(okData(await harness.byo.scim.management.getScimUsers({ scimConnectionId: connection.connectionId })).totalResults).toBe(0);
  });

  it("stores the user at link time under its own SCIM id, different from the app userId", async () => {
    const action = actionOf(await scim("POST", "/Users", ada), "LinkUser");
    const linked = okData(await link(action.commitId, "cognito-sub-ada"));
    expect(linked.connectionId).toBe(connection.connectionId);
    expect(linked.responseHttpCode).toBe(201);
    expect(linked.affectedUserIds).toBeUndefined();
    const resource = resourceOf(linked);
    expect(resource).toMatchObject({
      schemas: [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      id: expect.any(String),
      externalId: "ext-ada",
      userName: "ada@example.com",
      name: ada.name,
      displayName: "Ada L.",
      emails: ada.emails,
      active: true,
      groups: [],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Engineering" },
      meta: {
        resourceType: "User",
        created: new Date(nowMs).toISOString(),
        lastModified: new Date(nowMs).toISOString(),
        location: `/Users/${String(resource["id"])}`,
        version: expect.any(String),
      },
    });
    expect(resource["id"]).not.toBe("cognito-sub-ada");
    expect(resource).not.toHaveProperty("password");

    const fetched = completedOf(await scim("GET", `/Users/${String(resource["id"])}`));
    expect(fetched.responseHttpCode).toBe(200);
    expect(resourceOf(fetched)).toEqual(resource);
  });

  it("finds the linked user by userName (any case), externalId, work email, email value and id", async () => {
    const user = await harness.provisionUser(connection, "ada@example.com", ada);
    await harness.provisionUser(connection, "bob@example.com", { emails: [{ value: "bob@example.com", type: "work" }] });
    const filters = [
      'userName eq "ADA@Example.com"',
      'externalId eq "ext-ada"',
      'emails[type eq "work"].value eq "ada@example.com"',
      'emails.value eq "ada.home@example.com"',
      `id eq "${user.scimId}"`,
    ];
    for (const filter of filters) {
      const result = completedOf(await scim("GET", `/Users?filter=${encodeURIComponent(filter)}`));
      expect(listedResources(result).map((resource) => resource["id"]), filter).toEqual([user.scimId]);
      expect(resourceOf(result)).toMatchObject({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        totalResults: 1,
        startIndex: 1,
        itemsPerPage: 1,
      });
    }
    const none = completedOf(await scim("GET", `/Users?filter=${encodeURIComponent('externalId eq "EXT-ADA"')}`));
    expect(listedResources(none)).toEqual([]);
  });

  it("answers 409 uniqueness for a userName already linked, and stages nothing", async () => {
    await harness.provisionUser(connection, "dup@example.com");
    const again = errorOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "DUP@example.com" }));
    expect(again).toEqual({
      statusToReturn: 409,
      bodyToReturn: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: "409",
        scimType: "uniqueness",
        detail: expect.any(String),
      },
      underlyingError: { type: "ScimUserIdAlreadyTaken", details: { field: "userName" } },
    });
    expect(await totalUsers()).toBe(1);
  });

  it("gives a retried POST a fresh LinkUser and drops the older one", async () => {
    const first = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "retry@example.com" }), "LinkUser");
    const second = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "retry@example.com" }), "LinkUser");
    expect(second.commitId).not.toBe(first.commitId);
    expect(errorOf(await link(first.commitId, "app-retry"))).toEqual({ type: "StagedChangeNotFound" });
    okData(await link(second.commitId, "app-retry"));
    expect(await totalUsers()).toBe(1);
  });

  it("links a LinkUser only once", async () => {
    const action = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "once@example.com" }), "LinkUser");
    okData(await link(action.commitId, "app-once"));
    expect(errorOf(await link(action.commitId, "app-once-again"))).toEqual({ type: "StagedChangeNotFound" });
    expect(await totalUsers()).toBe(1);
  });

  it("expires an unlinked LinkUser after the TTL", async () => {
    const action = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "late@example.com" }), "LinkUser");
    nowMs += TTL_MS;
    expect(errorOf(await link(action.commitId, "app-late"))).toEqual({ type: "StagedChangeNotFound" });
    expect(await totalUsers()).toBe(0);
    // The IdP's retry then gets a new LinkUser that works.
    const retry = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "late@example.com" }), "LinkUser");
    okData(await link(retry.commitId, "app-late"));
  });

  it("answers ScimConnectionNotFound for an unknown connection and StagedChangeNotFound for another one, without consuming", async () => {
    const other = await harness.createConnection();
    const action = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "where@example.com" }), "LinkUser");
    expect(errorOf(await link(action.commitId, "app-where", "no-such-connection"))).toEqual({ type: "ScimConnectionNotFound" });
    expect(errorOf(await link(action.commitId, "app-where", other.connectionId))).toEqual({ type: "StagedChangeNotFound" });
    okData(await link(action.commitId, "app-where"));
  });

  it("refuses to link an app userId already linked to another SCIM user", async () => {
    await harness.provisionUser(connection, "first@example.com", {}, "shared-app-id");
    const action = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "second@example.com" }), "LinkUser");
    const refused = errorOf(await link(action.commitId, "shared-app-id"));
    expect(refused).toMatchObject({ type: "UnexpectedError" });
    expect(await totalUsers()).toBe(1);
    okData(await link(action.commitId, "another-app-id"));
  });

  it("defaults active to true, keeps active:false, and reads Entra's string booleans", async () => {
    const implicit = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "a1@example.com" }), "LinkUser");
    expect(implicit.active).toBe(true);
    const inactive = actionOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], userName: "a2@example.com", active: "False" }), "LinkUser");
    expect(inactive.active).toBe(false);
    const linked = resourceOf(okData(await link(inactive.commitId, "app-a2")));
    expect(linked["active"]).toBe(false);
  });

  it("uses the first email when none is primary, else the userName when it looks like an email, else null", async () => {
    const firstEmail = actionOf(await scim("POST", "/Users", { userName: "u1", emails: [{ value: "one@example.com" }, { value: "two@example.com" }] }), "LinkUser");
    expect(firstEmail.primaryEmail).toBe("one@example.com");
    const fromUserName = actionOf(await scim("POST", "/Users", { userName: "u2@example.com" }), "LinkUser");
    expect(fromUserName.primaryEmail).toBe("u2@example.com");
    const none = actionOf(await scim("POST", "/Users", { userName: "plain-name" }), "LinkUser");
    expect(none.primaryEmail).toBeNull();
    expect(none.parsedUserData).toEqual({});
  });

  it("answers 400 invalidValue for a missing userName and 400 invalidSyntax for a non-object body", async () => {
    const missing = errorOf(await scim("POST", "/Users", { schemas: [USER_SCHEMA], name: { givenName: "X" } }));
    expect(missing).toMatchObject({
      statusToReturn: 400,
      bodyToReturn: { status: "400", scimType: "invalidValue" },
      underlyingError: { type: "MissingRequiredField", details: { field: "userName" } },
    });
    const notObject = errorOf(await scim("POST", "/Users", ["nope"]));
    expect(notObject).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidSyntax" }, underlyingError: { type: "InvalidBody" } });
    const badActive = errorOf(await scim("POST", "/Users", { userName: "x@example.com", active: "maybe" }));
    expect(badActive).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidValue" } });
    expect(await totalUsers()).toBe(0);
  });
});

describe("custom mapping", () => {
  it("resolves inputPath, then fallbacks, then defaultValue, and omits what resolves to nothing", async () => {
    const custom = await harness.createConnection({
      customMapping: {
        userSchema: [
          { outputField: "manager", inputPath: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", fallbackInputPaths: ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:managerId"], propertyType: { dataType: "String" }, displayName: "Manager", warnIfMissing: true },
          { outputField: "sport", inputPath: "favoriteSport", fallbackInputPaths: ["preferences.sport"], propertyType: { dataType: "String" }, displayName: "Sport", warnIfMissing: false, defaultValue: "none" },
          { outputField: "level", inputPath: "level", fallbackInputPaths: [], propertyType: { dataType: "Integer" }, displayName: "Level", warnIfMissing: false },
          { outputField: "missing", inputPath: "nothing.here", fallbackInputPaths: [], propertyType: { dataType: "String" }, displayName: "Missing", warnIfMissing: false },
        ],
      },
    });
    const first = actionOf(
      await harness.scim(custom.scimApiKey, "POST", "/Users", {
        userName: "m1@example.com",
        name: { givenName: "Not mapped" },
        level: "7",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: { value: "boss-1", displayName: "Boss" } },
      }),
      "LinkUser",
    );
    expect(first.parsedUserData).toEqual({ manager: "boss-1", sport: "none", level: 7 });
    const second = actionOf(
      await harness.scim(custom.scimApiKey, "POST", "/Users", {
        userName: "m2@example.com",
        preferences: { sport: "chess" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { managerId: "boss-2" },
      }),
      "LinkUser",
    );
    expect(second.parsedUserData).toEqual({ manager: "boss-2", sport: "chess" });
  });
});

describe("PUT and PATCH", () => {
  it("completes a plain attribute change at once with affectedUserIds = the app id", async () => {
    const user = await harness.provisionUser(connection, "plain@example.com", { name: { givenName: "Old" } });
    const result = completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "name.givenName", value: "New" })));
    expect(result.responseHttpCode).toBe(200);
    expect(result.affectedUserIds).toEqual([user.userId]);
    expect(resourceOf(result)).toMatchObject({ name: { givenName: "New" }, meta: { version: 'W/"2"' } });
    const stored = okData(await harness.byo.scim.getScimUser({ scimConnectionId: connection.connectionId, userId: user.userId }));
    expect(stored.user.parsedUserData).toMatchObject({ firstName: "New" });
  });

  it("omits affectedUserIds when nothing actually changed", async () => {
    const user = await harness.provisionUser(connection, "same@example.com", { name: { givenName: "Same" } });
    const patched = completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "name.givenName", value: "Same" })));
    expect(patched.affectedUserIds).toBeUndefined();
    expect(resourceOf(patched)).toMatchObject({ meta: { version: 'W/"1"' } });
    const put = completedOf(await scim("PUT", `/Users/${user.scimId}`, { schemas: [USER_SCHEMA], active: true, name: { givenName: "Same" }, userName: "same@example.com" }));
    expect(put.affectedUserIds).toBeUndefined();
  });

  it("PUT replaces the attributes (keeping active when omitted) and answers 409 when taking another user's userName", async () => {
    const user = await harness.provisionUser(connection, "put@example.com", { title: "Old title", name: { givenName: "P" } });
    await harness.provisionUser(connection, "taken@example.com");
    const replaced = completedOf(await scim("PUT", `/Users/${user.scimId}`, { schemas: [USER_SCHEMA], id: "ignored", userName: "put2@example.com", displayName: "Put" }));
    expect(replaced.affectedUserIds).toEqual([user.userId]);
    const resource = resourceOf(replaced);
    expect(resource).toMatchObject({ id: user.scimId, userName: "put2@example.com", displayName: "Put", active: true });
    expect(resource).not.toHaveProperty("title");
    const conflict = errorOf(await scim("PUT", `/Users/${user.scimId}`, { userName: "TAKEN@example.com" }));
    expect(conflict).toMatchObject({ statusToReturn: 409, bodyToReturn: { scimType: "uniqueness" } });
  });

  it("stages DisableUser for active true→false and applies the whole change only at commit", async () => {
    const user = await harness.provisionUser(connection, "dis@example.com", { title: "Before" });
    const action = actionOf(
      await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false }, { op: "replace", path: "title", value: "After" })),
      "DisableUser",
    );
    expect(action).toEqual({
      status: "ActionRequired",
      connectionId: connection.connectionId,
      action: "DisableUser",
      commitId: expect.any(String),
      userId: user.userId,
      primaryEmail: "dis@example.com",
      parsedUserData: { title: "After" },
    });
    // Nothing applied yet.
    expect(resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}`)))).toMatchObject({ active: true, title: "Before" });

    const committed = okData(await commit(action.commitId));
    expect(committed).toMatchObject({ connectionId: connection.connectionId, responseHttpCode: 200 });
    expect(committed.affectedUserIds).toBeUndefined();
    expect(resourceOf(committed)).toMatchObject({ id: user.scimId, active: false, title: "After" });
    expect(resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}`)))).toMatchObject({ active: false, title: "After" });
    expect(errorOf(await commit(action.commitId))).toEqual({ type: "StagedChangeNotFound" });
  });

  it("stages EnableUser for active false→true via PUT", async () => {
    const user = await harness.provisionUser(connection, "en@example.com", { active: false });
    const action = actionOf(await scim("PUT", `/Users/${user.scimId}`, { schemas: [USER_SCHEMA], userName: "en@example.com", active: true }), "EnableUser");
    expect(action.userId).toBe(user.userId);
    expect(resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}`)))["active"]).toBe(false);
    expect(resourceOf(okData(await commit(action.commitId)))["active"]).toBe(true);
  });

  it("does not stage anything when active stays as it is", async () => {
    const user = await harness.provisionUser(connection, "stay@example.com", { active: false });
    const result = completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })));
    expect(result.affectedUserIds).toBeUndefined();
  });

  it("keeps a commitId usable once and not after the TTL", async () => {
    const user = await harness.provisionUser(connection, "ttl@example.com");
    const action = actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })), "DisableUser");
    nowMs += TTL_MS - 1;
    const stillStaged = actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })), "DisableUser");
    nowMs += 1;
    expect(errorOf(await commit(action.commitId))).toEqual({ type: "StagedChangeNotFound" });
    expect(resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}`)))["active"]).toBe(true);
    okData(await commit(stillStaged.commitId));
    expect(resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}`)))["active"]).toBe(false);
  });

  it("re-applies a staged change on top of an attribute change completed in between", async () => {
    const user = await harness.provisionUser(connection, "between@example.com", { title: "T0" });
    const action = actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })), "DisableUser");
    completedOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "title", value: "T1" })));
    const committed = okData(await commit(action.commitId));
    expect(resourceOf(committed)).toMatchObject({ active: false, title: "T1" });
    // The app was told parsedUserData {title: "T0"}; what is stored now differs, so it is told to refresh.
    expect(committed.affectedUserIds).toEqual([user.userId]);
  });

  it("refuses to commit a LinkUser and to link a DisableUser, without consuming either", async () => {
    const user = await harness.provisionUser(connection, "mix@example.com");
    const disable = actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })), "DisableUser");
    const linkAction = actionOf(await scim("POST", "/Users", { userName: "mix2@example.com" }), "LinkUser");
    expect(errorOf(await link(disable.commitId, "x"))).toMatchObject({ type: "UnexpectedError" });
    expect(errorOf(await commit(linkAction.commitId))).toMatchObject({ type: "UnexpectedError" });
    okData(await commit(disable.commitId));
    okData(await link(linkAction.commitId, "app-mix2"));
  });

  it("answers 404 for unknown users on GET, PUT, PATCH and DELETE", async () => {
    for (const method of ["GET", "PUT", "PATCH", "DELETE"] as const) {
      const body = method === "PUT" ? { userName: "x@example.com" } : method === "PATCH" ? patchBody({ op: "replace", path: "title", value: "x" }) : undefined;
      const failure = errorOf(await scim(method, "/Users/00000000-0000-0000-0000-000000000000", body));
      expect(failure, method).toMatchObject({ statusToReturn: 404, bodyToReturn: { status: "404" }, underlyingError: { type: "UserNotFound" } });
    }
  });

  it("does not find a user by its app userId as SCIM id", async () => {
    const user = await harness.provisionUser(connection, "appid@example.com");
    expect(errorOf(await scim("GET", `/Users/${user.userId}`)).statusToReturn).toBe(404);
  });
});

describe("DELETE /Users/{id}", () => {
  it("stages DeleteUser, keeps the user until commit, then removes it and its memberships", async () => {
    const user = await harness.provisionUser(connection, "del@example.com", { name: { givenName: "Del" } });
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "G", members: [{ value: user.scimId }] })));
    const action = actionOf(await scim("DELETE", `/Users/${user.scimId}`), "DeleteUser");
    expect(action).toEqual({
      status: "ActionRequired",
      connectionId: connection.connectionId,
      action: "DeleteUser",
      commitId: expect.any(String),
      userId: user.userId,
      primaryEmail: "del@example.com",
      parsedUserData: { firstName: "Del" },
    });
    completedOf(await scim("GET", `/Users/${user.scimId}`));

    const committed = okData(await commit(action.commitId));
    expect(committed).toEqual({ connectionId: connection.connectionId, responseHttpCode: 204 });
    expect(errorOf(await scim("GET", `/Users/${user.scimId}`)).statusToReturn).toBe(404);
    expect(errorOf(await harness.byo.scim.getScimUser({ scimConnectionId: connection.connectionId, userId: user.userId }))).toEqual({ type: "UserNotFound" });
    const groupAfter = resourceOf(completedOf(await scim("GET", `/Groups/${String(group["id"])}`)));
    expect(groupAfter["members"]).toEqual([]);
    // The userName is free again.
    actionOf(await scim("POST", "/Users", { userName: "del@example.com" }), "LinkUser");
  });

  it("makes a Disable staged before the delete fail once the delete is committed", async () => {
    const user = await harness.provisionUser(connection, "gone@example.com");
    const disable = actionOf(await scim("PATCH", `/Users/${user.scimId}`, patchBody({ op: "replace", path: "active", value: false })), "DisableUser");
    okData(await commit(actionOf(await scim("DELETE", `/Users/${user.scimId}`), "DeleteUser").commitId));
    expect(errorOf(await commit(disable.commitId))).toEqual({ type: "StagedChangeNotFound" });
  });
});

describe("GET /Users paging", () => {
  it("pages with 1-based startIndex and count, clamping count to 200", async () => {
    for (let index = 0; index < 5; index += 1) await harness.provisionUser(connection, `page${index}@example.com`);
    const page = completedOf(await scim("GET", "/Users?startIndex=2&count=2"));
    expect(resourceOf(page)).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(listedResources(page).map((resource) => resource["userName"])).toEqual(["page1@example.com", "page2@example.com"]);
    const beyond = completedOf(await scim("GET", "/Users?startIndex=10"));
    expect(resourceOf(beyond)).toMatchObject({ totalResults: 5, startIndex: 10, itemsPerPage: 0, Resources: [] });
    const zero = completedOf(await scim("GET", "/Users?count=0"));
    expect(resourceOf(zero)).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
    const lowIndex = completedOf(await scim("GET", "/Users?startIndex=0&count=1"));
    expect(resourceOf(lowIndex)).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
  });

  it("caps a page at 200 and defaults to 100", async () => {
    await Promise.all(Array.from({ length: 210 }, (_, index) => harness.provisionUser(connection, `bulk${index}@example.com`)));
    expect(resourceOf(completedOf(await scim("GET", "/Users")))).toMatchObject({ totalResults: 210, itemsPerPage: 100 });
    expect(resourceOf(completedOf(await scim("GET", "/Users?count=500")))).toMatchObject({ totalResults: 210, itemsPerPage: 200 });
  });

  it("answers 400 invalidFilter for a bad filter and 400 invalidValue for a non-numeric count", async () => {
    const badFilter = errorOf(await scim("GET", `/Users?filter=${encodeURIComponent("userName eq")}`));
    expect(badFilter).toMatchObject({
      statusToReturn: 400,
      bodyToReturn: { scimType: "invalidFilter" },
      underlyingError: { type: "InvalidQueryField", details: { field: "filter" } },
    });
    const badCount = errorOf(await scim("GET", "/Users?count=ten"));
    expect(badCount).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidValue" } });
  });

  it("honours top-level attributes and excludedAttributes", async () => {
    const user = await harness.provisionUser(connection, "proj@example.com", { title: "T", name: { givenName: "P" } });
    const only = resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}?attributes=userName,name.givenName`)));
    expect(Object.keys(only).sort()).toEqual(["id", "name", "schemas", "userName"]);
    const without = resourceOf(completedOf(await scim("GET", `/Users/${user.scimId}?excludedAttributes=groups,title`)));
    expect(without).not.toHaveProperty("groups");
    expect(without).not.toHaveProperty("title");
    expect(without).toHaveProperty("userName");
  });
});

describe("GetScimUser / GetScimUsers", () => {
  it("returns the complete user and its groups by app userId, by connection id or customer id", async () => {
    const customerId = `get-user-${Math.random()}`;
    const own = await harness.createConnection({ customerId });
    const user = await harness.provisionUser(own, "get@example.com", { externalId: "ext-get", name: { givenName: "G" } });
    const group = resourceOf(completedOf(await harness.scim(own.scimApiKey, "POST", "/Groups", { displayName: "Readers", externalId: "grp-ext", members: [{ value: user.scimId }] })));
    const byId = okData(await harness.byo.scim.getScimUser({ scimConnectionId: own.connectionId, userId: user.userId }));
    expect(byId).toEqual({
      connectionId: own.connectionId,
      user: {
        connectionId: own.connectionId,
        scimUser: expect.objectContaining({ id: user.scimId, userName: "get@example.com", groups: [{ value: group["id"], display: "Readers" }] }),
        primaryEmail: "get@example.com",
        parsedUserData: { firstName: "G", externalId: "ext-get" },
        active: true,
        userId: user.userId,
      },
      groups: [{ groupId: group["id"], displayName: "Readers", externalId: "grp-ext" }],
    });
    expect(okData(await harness.byo.scim.getScimUser({ customerId, userId: user.userId }))).toEqual(byId);
    expect(errorOf(await harness.byo.scim.getScimUser({ customerId, userId: user.scimId }))).toEqual({ type: "UserNotFound" });
    expect(errorOf(await harness.byo.scim.getScimUser({ customerId: "nobody", userId: user.userId }))).toEqual({ type: "ScimConnectionNotFound" });
  });

  it("filters by userName, externalId, primaryEmail or userId and pages from 0", async () => {
    const users = [];
    for (let index = 0; index < 3; index += 1) {
      users.push(await harness.provisionUser(connection, `gu${index}@example.com`, { externalId: `gx${index}` }));
    }
    const management = harness.byo.scim.management;
    const ids = async (filter: Parameters<typeof management.getScimUsers>[0]["filter"]) =>
      okData(await management.getScimUsers({ scimConnectionId: connection.connectionId, ...(filter ? { filter } : {}) })).users.map((user) => user.userId);
    expect(await ids({ userName: "GU1@example.com" })).toEqual([users[1]?.userId]);
    expect(await ids({ externalId: "gx2" })).toEqual([users[2]?.userId]);
    expect(await ids({ primaryEmail: "gu0@example.com" })).toEqual([users[0]?.userId]);
    expect(await ids({ userId: users[1]?.userId ?? "" })).toEqual([users[1]?.userId]);
    expect(await ids({ userName: "nobody@example.com" })).toEqual([]);

    const all = okData(await management.getScimUsers({ scimConnectionId: connection.connectionId }));
    expect(all).toMatchObject({ connectionId: connection.connectionId, pageNumber: 0, pageSize: 50, totalResults: 3 });
    const second = okData(await management.getScimUsers({ scimConnectionId: connection.connectionId, pageNumber: 1, pageSize: 2 }));
    expect(second).toMatchObject({ pageNumber: 1, pageSize: 2, totalResults: 3 });
    expect(second.users.map((user) => user.userId)).toEqual([users[2]?.userId]);
    const clamped = okData(await management.getScimUsers({ scimConnectionId: connection.connectionId, pageSize: 1000 }));
    expect(clamped.pageSize).toBe(100);
  });

  it("answers InvalidQueryField for a filter that is not exactly one known field", async () => {
    for (const filter of [{}, { userName: "a", externalId: "b" }, { email: "a@example.com" }, { userName: 5 }]) {
      const raw = await harness.rawRunCommand(
        JSON.stringify({ command: "GetScimUsers", data: { scimConnectionId: connection.connectionId, filter } }),
      );
      expect(raw.status, JSON.stringify(filter)).toBe(400);
      expect(raw.body).toMatchObject({ type: "InvalidQueryField", details: { field: expect.any(String), message: expect.any(String) } });
    }
  });
});
