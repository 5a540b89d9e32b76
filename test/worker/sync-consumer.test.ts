/** The queue consumer: attributes follow the sidecar and inactive users are disabled; reads first, writes only differences. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WorkerEnv } from "../../src/env";
import { createWorker } from "../../src/index";
import { createConsoleLogger } from "../../src/log";
import { retryDelaySeconds } from "../../src/sync/sync-consumer";
import { completed, scimUser } from "./support/answers";
import { syncWorld } from "./support/sync-harness";

const WRITES = ["AdminUpdateUserAttributes", "AdminDisableUser", "AdminEnableUser", "AdminUserGlobalSignOut", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "CreateGroup", "DeleteGroup"];
const writesIn = (operations: string[]) => operations.filter((o) => WRITES.includes(o));

const ada = { email: "ada@example.com", email_verified: "true", given_name: "Ada", family_name: "Lovelace", name: "Ada Lovelace" };
const adaData = { firstName: "Ada", lastName: "Lovelace", displayName: "Ada Lovelace" };

describe("attribute sync", () => {
  it("a rename writes exactly the changed attributes, once, and acks", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", ada, { primaryEmail: "ada@example.com", parsedUserData: { firstName: "Ada", lastName: "King", displayName: "Ada King" } });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]).toMatchObject({ acked: true, retried: null });
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminUpdateUserAttributes"]);
    expect(w.cognito.calls[1]?.input).toEqual({
      UserPoolId: w.userPoolId,
      Username: userId,
      UserAttributes: [
        { Name: "family_name", Value: "King" },
        { Name: "name", Value: "Ada King" },
      ],
    });
    expect(user.attributes).toMatchObject({ family_name: "King", name: "Ada King", given_name: "Ada" });
    expect(w.sidecar.commands("GetScimUser").map((c) => c.data)).toEqual([{ scimConnectionId: w.connectionId, userId }]);
    expect(w.cognito.rejectedRequests).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "sync_batch")).toMatchObject({ messages: 1, acked: 1, usersSynced: 1, usersWritten: 1, retried: 0 });
  });

  it("an email change writes the email, verified", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", ada, { primaryEmail: "ada.king@example.com", parsedUserData: adaData });
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    // email_verified goes along: Cognito unverifies a changed email unless the same call verifies it.
    expect(w.cognito.calls.find((c) => c.operation === "AdminUpdateUserAttributes")?.input["UserAttributes"]).toEqual([
      { Name: "email", Value: "ada.king@example.com" },
      { Name: "email_verified", Value: "true" },
    ]);
    expect(user.attributes).toMatchObject({ email: "ada.king@example.com", email_verified: "true" });

    const unverified = await syncWorld();
    const other = unverified.linkedUser("bob", { email: "bob@example.com", email_verified: "false" }, { primaryEmail: "bob@example.com" });
    await unverified.deliver([{ connectionId: unverified.connectionId, userIds: [other.userId] }]);
    expect(unverified.cognito.calls.find((c) => c.operation === "AdminUpdateUserAttributes")?.input["UserAttributes"]).toEqual([{ Name: "email_verified", Value: "true" }]);
  });

  it("a custom attribute from ATTRIBUTE_MAP is written, and an explicitly emptied field clears it", async () => {
    const w = await syncWorld({ vars: { ATTRIBUTE_MAP: '{"department":"custom:department","costCenter":"custom:cost_center"}' } });
    const { user, userId, state } = w.linkedUser("ada", { "custom:cost_center": "CC-1" }, { parsedUserData: { department: "R&D", costCenter: null } });
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.calls.find((c) => c.operation === "AdminUpdateUserAttributes")?.input["UserAttributes"]).toEqual([
      { Name: "custom:department", Value: "R&D" },
      { Name: "custom:cost_center", Value: "" },
    ]);
    expect(user.attributes["custom:department"]).toBe("R&D");

    // A field the data does not mention at all is left alone.
    state.parsedUserData = { department: "R&D" };
    user.attributes["custom:cost_center"] = "CC-2";
    const before = w.cognito.calls.length;
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(writesIn(w.cognito.operations().slice(before))).toEqual([]);
  });

  it("writes nothing when nothing differs, and a duplicate delivery changes nothing", async () => {
    const w = await syncWorld();
    const { userId } = w.linkedUser("ada", ada, { primaryEmail: "ada@example.com", parsedUserData: adaData });
    const first = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    const second = await w.deliver([{ connectionId: w.connectionId, userIds: [userId, userId] }]);
    expect(first.messages[0]?.acked).toBe(true);
    expect(second.messages[0]?.acked).toBe(true);
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminGetUser"]);
    expect(w.logs.filter((l) => l["event"] === "sync_batch").map((l) => l["usersWritten"])).toEqual([0, 0]);
  });
});

describe("enabled state follows `active`", () => {
  it("deactivate-by-PUT: the IdP's PUT completes, the queued sync disables the user and signs it out", async () => {
    const w = await syncWorld();
    const { user, userId, state } = w.linkedUser("ada", ada, { primaryEmail: "ada@example.com", parsedUserData: adaData });
    w.sidecar.once("ScimRequest", () => {
      state.active = false; // what the sidecar stores for the PUT
      return completed(w.connectionId, 200, scimUser("scim-ada", "ada", false), [userId]);
    });
    const response = await w.scim("/Users/scim-ada", { method: "PUT", json: { userName: "ada", active: false } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(scimUser("scim-ada", "ada", false));
    expect(user.enabled).toBe(true); // not before the queue runs

    const drained = await w.drain();
    expect(drained).toMatchObject({ invocations: 1, retries: 0, deadLettered: [] });
    expect(user.enabled).toBe(false);
    expect(user.signedOutAt).not.toBeNull();
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminDisableUser", "AdminUserGlobalSignOut"]);
  });

  it("never re-enables a user the sidecar holds as active (a failed Disable commit must not be undone)", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", { given_name: "A" }, { parsedUserData: { firstName: "Ada" } }, false);
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(user.enabled).toBe(false);
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminUpdateUserAttributes"]);
    expect(w.cognito.operations()).not.toContain("AdminEnableUser");
  });
});

describe("users that are gone are acknowledged, never retried", () => {
  it("acks a user unknown to the sidecar without touching Cognito", async () => {
    const w = await syncWorld();
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: ["00000000-dead-4000-8000-000000000000"] }]);
    expect(delivery.messages[0]).toMatchObject({ acked: true, retried: null });
    expect(w.cognito.calls).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "sync_user_skipped")).toMatchObject({ reason: "not_in_sidecar" });
  });

  it("acks a user another connection holds (the sidecar answers UserNotFound for this connection)", async () => {
    const w = await syncWorld();
    const other = await w.addTenant();
    const { userId } = w.linkedUser("ada", {}, { connectionId: other.connectionId, parsedUserData: { firstName: "X" } });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(w.cognito.calls).toEqual([]);
  });

  it("acks a user deleted from the pool, writing nothing", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    w.cognito.users(w.userPoolId).splice(w.cognito.users(w.userPoolId).indexOf(user), 1);
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(w.cognito.operations()).toEqual(["AdminGetUser"]);
    expect(w.logs.find((l) => l["event"] === "sync_user_skipped")).toMatchObject({ reason: "not_in_pool", userId });
  });

  it("acks every message of a connection the sidecar no longer knows", async () => {
    const w = await syncWorld();
    const { userId } = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    w.goneConnections.add(w.connectionId);
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(writesIn(w.cognito.operations())).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "sync_connection_gone")).toMatchObject({ connectionId: w.connectionId });
  });

  it("acks an unreadable message body", async () => {
    const w = await syncWorld();
    const delivery = await w.deliver([{ body: { userIds: "nope" } }, { body: "garbage" }]);
    expect(delivery.messages.map((m) => m.acked)).toEqual([true, true]);
    expect(w.sidecar.calls).toEqual([]);
    expect(w.logs.filter((l) => l["event"] === "sync_message_invalid")).toHaveLength(2);
  });
});

describe("retries with backoff", () => {
  it("retries the message after throttling outlasts the call's retry budget, then succeeds on redelivery", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", { given_name: "A" }, { parsedUserData: { firstName: "Ada" } });
    w.cognito.failNext("AdminUpdateUserAttributes", { errorType: "TooManyRequestsException", status: 400 }, 1_000);
    const first = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(first.messages[0]).toMatchObject({ acked: false, retried: { delaySeconds: retryDelaySeconds(1, 0.5) } });
    expect(user.attributes["given_name"]).toBe("A");
    expect(w.logs.find((l) => l["event"] === "sync_message_retried")).toMatchObject({ attempts: 1, reason: "cognito_throttled: AdminUpdateUserAttributes" });
    // In-call backoff stayed within the 4 s call budget before giving the message back.
    expect(w.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4_000);

    w.cognito.clearFaults("AdminUpdateUserAttributes");
    const second = await w.deliver([{ body: { connectionId: w.connectionId, userIds: [userId] }, attempts: 2 }]);
    expect(second.messages[0]).toMatchObject({ acked: true, retried: null });
    expect(user.attributes["given_name"]).toBe("Ada");
  });

  it("retries after an injected 5xx outage, then succeeds once it ends; the delay grows with attempts", async () => {
    const w = await syncWorld();
    const { user, userId } = w.linkedUser("ada", {}, { active: false });
    w.cognito.failNext("AdminDisableUser", { errorType: "InternalErrorException", status: 500 }, 1_000);
    const body = { connectionId: w.connectionId, userIds: [userId] };
    const first = await w.deliver([{ body, attempts: 1 }]);
    const third = await w.deliver([{ body, attempts: 3 }]);
    expect(first.messages[0]?.retried?.delaySeconds).toBe(retryDelaySeconds(1, 0.5));
    expect(third.messages[0]?.retried?.delaySeconds).toBe(retryDelaySeconds(3, 0.5));
    expect(retryDelaySeconds(3, 0.5)).toBeGreaterThan(retryDelaySeconds(1, 0.5));
    expect(user.enabled).toBe(true);

    w.cognito.clearFaults("AdminDisableUser");
    const fourth = await w.deliver([{ body, attempts: 4 }]);
    expect(fourth.messages[0]?.acked).toBe(true);
    expect(user.enabled).toBe(false);
    expect(w.cognito.count("AdminUserGlobalSignOut")).toBe(1);
  });

  it("grows the delay with attempts, capped at 15 minutes", () => {
    expect(retryDelaySeconds(1, 0)).toBe(5);
    expect(retryDelaySeconds(1, 1)).toBe(10);
    expect(retryDelaySeconds(3, 1)).toBe(40);
    expect(retryDelaySeconds(8, 1)).toBe(900);
    expect(retryDelaySeconds(30, 0)).toBe(450);
  });

  it("retries (towards the dead-letter queue) on a refusal such as missing IAM permissions, writes nothing", async () => {
    const w = await syncWorld();
    const { userId } = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    w.cognito.failNext("AdminGetUser", { errorType: "NotAuthorizedException", status: 400 }, 100);
    w.queue.pending.push({ body: { connectionId: w.connectionId, userIds: [userId] }, attempts: 1 });
    const drained = await w.drain({ maxRetries: 3 });
    expect(drained.deadLettered).toEqual([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(drained.invocations).toBe(4);
    expect(writesIn(w.cognito.operations())).toEqual([]);
  });

  it("acks (and logs) an attribute Cognito refuses as invalid, still syncing the rest", async () => {
    const w = await syncWorld({ vars: { ATTRIBUTE_MAP: '{"department":"custom:department"}' } });
    const { user, userId } = w.linkedUser("ada", {}, { parsedUserData: { department: "R&D" }, active: false });
    w.cognito.failNext("AdminUpdateUserAttributes", { errorType: "InvalidParameterException", status: 400 });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(user.enabled).toBe(false);
    expect(w.logs.find((l) => l["event"] === "sync_attributes_rejected")).toMatchObject({ userId, errorType: "InvalidParameterException", attributes: ["custom:department"] });
  });

  it("retries the whole batch when the configuration is invalid", async () => {
    const w = await syncWorld({ vars: { GROUP_SYNC: "maybe" } });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: ["x"] }]);
    expect(delivery.batchRetried).toEqual({ delaySeconds: 300 });
    expect(w.sidecar.calls).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "config_invalid")).toMatchObject({ variables: ["GROUP_SYNC"], path: "queue" });
  });
});

describe("the real MessageBatch (createMessageBatch / getQueueResult)", () => {
  it("acks a synced message and retries a refused one with a delay", async () => {
    const w = await syncWorld();
    const fine = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    const refused = w.linkedUser("bob", {}, { parsedUserData: { firstName: "Bob" } });
    const worker = createWorker({
      fetch: async (input, init) => {
        const request = new Request(input, init);
        return new URL(request.url).origin === "http://sidecar.test" ? w.sidecar.handle(request) : w.cognito.handle(request);
      },
      clock: { now: () => 0, sleep: async () => {}, random: () => 0.5 },
      logger: createConsoleLogger(() => {}),
    });
    // Only bob's update is refused (faults are popped per call; ada's update comes first).
    w.cognito.failNext("AdminGetUser", { errorType: "NotAuthorizedException", status: 400 });
    const batch = createMessageBatch("cognito-scim-edge-sync", [
      { id: "m-bob", timestamp: new Date(), attempts: 2, body: { connectionId: w.connectionId, userIds: [refused.userId] } },
      { id: "m-ada", timestamp: new Date(), attempts: 1, body: { connectionId: w.connectionId, userIds: [fine.userId] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, w.env as WorkerEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m-ada"]);
    // getQueueResult (vitest-plugin 1.5) records which messages were retried but not their delay;
    // the delay is asserted with the recording batch above.
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-bob"]);
    expect(fine.user.attributes["given_name"]).toBe("Ada");
    expect(refused.user.attributes["given_name"]).toBeUndefined();
  });
});
