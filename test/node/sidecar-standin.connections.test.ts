/**
 * Connection management on the BYO sidecar stand-in: create/fetch/patch/reset/delete, customer
 * uniqueness, key format, key expiry and revocation, and the effective user mapping.
 */
import type { ScimUserMappingConfig } from "@propelauth/byo-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_USER_MAPPING } from "../../dev/sidecar-standin/user-mapping.ts";
import {
  actionOf,
  completedOf,
  errorOf,
  okData,
  startStandinHarness,
  USER_SCHEMA,
  type StandinHarness,
} from "../../dev/sidecar-standin/testing.ts";

let nowMs = Date.UTC(2030, 0, 1);
let harness: StandinHarness;
beforeAll(async () => {
  harness = await startStandinHarness({ now: () => nowMs });
});
afterAll(() => harness.close());

const management = () => harness.byo.scim.management;

describe("CreateScimConnection", () => {
  it("returns a connection id and a scim_ key of 48 hex characters", async () => {
    const created = okData(await management().createScimConnection({ customerId: "create-1", displayName: "Acme" }));
    expect(created.connectionId).toEqual(expect.any(String));
    expect(created.scimApiKey).toMatch(/^scim_[0-9a-f]{48}$/);
  });

  it("refuses a second connection for the same customerId", async () => {
    okData(await management().createScimConnection({ customerId: "create-dup" }));
    const again = await management().createScimConnection({ customerId: "create-dup" });
    expect(errorOf(again)).toEqual({ type: "ScimConnectionForCustomerIdAlreadyExists" });
  });

  it("answers InvalidFields for an empty customerId and creates nothing", async () => {
    const result = await management().createScimConnection({ customerId: "" });
    expect(errorOf(result)).toMatchObject({
      type: "InvalidFields",
      details: { fields: [expect.objectContaining({ field: "customerId" })] },
    });
  });

  it("answers InvalidFields for a malformed customMapping", async () => {
    const raw = await harness.rawRunCommand(
      JSON.stringify({ command: "CreateScimConnection", data: { customerId: "bad-map", customMapping: { userSchema: [{}] } } }),
    );
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ type: "InvalidFields" });
    expect(errorOf(await management().fetchScimConnection({ customerId: "bad-map" }))).toEqual({ type: "ScimConnectionNotFound" });
  });
});

describe("FetchScimConnection", () => {
  it("returns the connection by id or by customerId, with the default mapping when none was given", async () => {
    const created = okData(await management().createScimConnection({ customerId: "fetch-1" }));
    const byId = okData(await management().fetchScimConnection({ scimConnectionId: created.connectionId }));
    expect(byId).toEqual({
      connectionId: created.connectionId,
      customerId: "fetch-1",
      displayName: null,
      scimApiKeyValidUntil: null,
      userMapping: DEFAULT_USER_MAPPING,
    });
    expect(okData(await management().fetchScimConnection({ customerId: "fetch-1" }))).toEqual(byId);
  });

  it("returns the custom mapping instead of the default one", async () => {
    const customMapping: ScimUserMappingConfig = {
      userSchema: [
        {
          outputField: "sport",
          inputPath: "urn:example:User:favoriteSport",
          fallbackInputPaths: [],
          propertyType: { dataType: "String" },
          displayName: "Sport",
          warnIfMissing: false,
        },
      ],
    };
    okData(await management().createScimConnection({ customerId: "fetch-custom", customMapping, scimApiKeyExpiration: 2_000_000_000 }));
    const fetched = okData(await management().fetchScimConnection({ customerId: "fetch-custom" }));
    expect(fetched.userMapping).toEqual(customMapping);
    expect(fetched.scimApiKeyValidUntil).toBe(2_000_000_000);
  });

  it("answers ScimConnectionNotFound for unknown ids", async () => {
    expect(errorOf(await management().fetchScimConnection({ scimConnectionId: "nope" }))).toEqual({ type: "ScimConnectionNotFound" });
  });
});

describe("PatchScimConnection", () => {
  it("updates displayName, expiry and mapping, and returns {}", async () => {
    okData(await management().createScimConnection({ customerId: "patch-1", displayName: "Old" }));
    const mapping: ScimUserMappingConfig = { userSchema: [] };
    expect(okData(await management().patchScimConnection({ customerId: "patch-1", displayName: "New", scimApiKeyExpiration: 2_100_000_000, customMapping: mapping }))).toEqual({});
    const fetched = okData(await management().fetchScimConnection({ customerId: "patch-1" }));
    expect(fetched).toMatchObject({ displayName: "New", scimApiKeyValidUntil: 2_100_000_000, userMapping: mapping });
  });

  it("refuses a blank displayName with DisplayNameInvalid and changes nothing", async () => {
    okData(await management().createScimConnection({ customerId: "patch-2", displayName: "Keep" }));
    const result = await management().patchScimConnection({ customerId: "patch-2", displayName: "  " });
    expect(errorOf(result)).toMatchObject({ type: "DisplayNameInvalid", details: { message: expect.any(String) } });
    expect(okData(await management().fetchScimConnection({ customerId: "patch-2" })).displayName).toBe("Keep");
  });

  it("answers ScimConnectionNotFound for an unknown connection", async () => {
    expect(errorOf(await management().patchScimConnection({ scimConnectionId: "nope", displayName: "x" }))).toEqual({ type: "ScimConnectionNotFound" });
  });
});

describe("SCIM API keys", () => {
  it("answers 401 with an RFC 7644 error body for a missing, wrong or malformed key", async () => {
    const connection = await harness.createConnection();
    for (const scimApiKey of [undefined, "scim_wrong", "", "Bearer "]) {
      const result = await harness.byo.scim.scimRequest({ method: "GET", pathAndQueryParams: "/Users", ...(scimApiKey === undefined ? {} : { scimApiKey }) });
      expect(errorOf(result)).toEqual({
        statusToReturn: 401,
        bodyToReturn: {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
          status: "401",
          detail: expect.any(String),
        },
        underlyingError: { type: "InvalidApiKey" },
      });
    }
    completedOf(await harness.scim(connection.scimApiKey, "GET", "/Users"));
  });

  it("sends the SCIM status as the HTTP status of /run-command", async () => {
    const raw = await harness.rawRunCommand(
      JSON.stringify({ command: "ScimRequest", data: { method: "GET", pathAndQueryParams: "/Users", scimApiKey: "scim_nope" } }),
    );
    expect(raw.status).toBe(401);
  });

  it("accepts the key with or without the Bearer prefix", async () => {
    const connection = await harness.createConnection();
    completedOf(await harness.scim(`Bearer ${connection.scimApiKey}`, "GET", "/Users"));
    completedOf(await harness.scim(`bearer ${connection.scimApiKey}`, "GET", "/Users"));
  });

  it("refuses a key from its expiry time on", async () => {
    const expiresAt = Math.floor(nowMs / 1000) + 60;
    const connection = await harness.createConnection({ scimApiKeyExpiration: expiresAt });
    completedOf(await harness.scim(connection.scimApiKey, "GET", "/Users"));
    nowMs += 60_000;
    try {
      expect(errorOf(await harness.scim(connection.scimApiKey, "GET", "/Users")).statusToReturn).toBe(401);
    } finally {
      nowMs -= 60_000;
    }
  });

  it("revokes the old key at once on reset; the new key works and can carry its own expiry", async () => {
    const connection = await harness.createConnection();
    const reset = okData(await management().resetScimApiKey({ scimConnectionId: connection.connectionId, scimApiKeyExpiration: 2_200_000_000 }));
    expect(reset.connectionId).toBe(connection.connectionId);
    expect(reset.scimApiKey).toMatch(/^scim_[0-9a-f]{48}$/);
    expect(reset.scimApiKey).not.toBe(connection.scimApiKey);
    expect(errorOf(await harness.scim(connection.scimApiKey, "GET", "/Users")).statusToReturn).toBe(401);
    expect(completedOf(await harness.scim(reset.scimApiKey, "GET", "/Users")).connectionId).toBe(connection.connectionId);
    expect(okData(await management().fetchScimConnection({ scimConnectionId: connection.connectionId })).scimApiKeyValidUntil).toBe(2_200_000_000);
  });

  it("echoes the connection the key belongs to", async () => {
    const first = await harness.createConnection();
    const second = await harness.createConnection();
    expect(completedOf(await harness.scim(first.scimApiKey, "GET", "/Users")).connectionId).toBe(first.connectionId);
    expect(completedOf(await harness.scim(second.scimApiKey, "GET", "/Users")).connectionId).toBe(second.connectionId);
  });
});

describe("DeleteScimConnection", () => {
  it("removes the connection, its key, users, groups and staged changes", async () => {
    const connection = await harness.createConnection({ customerId: "delete-1" });
    const user = await harness.provisionUser(connection, "gone@example.com");
    completedOf(await harness.scim(connection.scimApiKey, "POST", "/Groups", { displayName: "Team", members: [{ value: user.scimId }] }));
    const staged = actionOf(
      await harness.scim(connection.scimApiKey, "POST", "/Users", { schemas: [USER_SCHEMA], userName: "pending@example.com" }),
      "LinkUser",
    );

    expect(okData(await management().deleteScimConnection({ customerId: "delete-1" }))).toEqual({});

    expect(errorOf(await harness.scim(connection.scimApiKey, "GET", "/Users")).statusToReturn).toBe(401);
    expect(errorOf(await management().fetchScimConnection({ customerId: "delete-1" }))).toEqual({ type: "ScimConnectionNotFound" });
    expect(errorOf(await harness.byo.scim.getScimUser({ scimConnectionId: connection.connectionId, userId: user.userId }))).toEqual({ type: "ScimConnectionNotFound" });
    expect(
      errorOf(await harness.byo.scim.linkScimUser({ connectionId: connection.connectionId, commitId: staged.commitId, userId: "x" })),
    ).toEqual({ type: "ScimConnectionNotFound" });
    expect(errorOf(await management().deleteScimConnection({ customerId: "delete-1" }))).toEqual({ type: "ScimConnectionNotFound" });
  });

  it("frees the customerId for a new connection that starts empty", async () => {
    const first = await harness.createConnection({ customerId: "delete-2" });
    await harness.provisionUser(first, "old@example.com");
    okData(await management().deleteScimConnection({ scimConnectionId: first.connectionId }));
    const second = await harness.createConnection({ customerId: "delete-2" });
    expect(second.connectionId).not.toBe(first.connectionId);
    const list = completedOf(await harness.scim(second.scimApiKey, "GET", "/Users"));
    expect(list.responseData).toMatchObject({ totalResults: 0, Resources: [] });
  });
});
