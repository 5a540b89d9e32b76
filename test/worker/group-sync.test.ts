/** GROUP_SYNC: Cognito groups follow the sidecar's groups; only prefixed groups are ever touched. */
import { describe, expect, it } from "vitest";
import { cognitoGroupName, groupDescription, groupScope } from "../../src/sync/group-names";
import { completed } from "./support/answers";
import { syncWorld } from "./support/sync-harness";

const on = { GROUP_SYNC: "on" };
const eng = { groupId: "g-eng", displayName: "Engineering" };
const ops = { groupId: "g-ops", displayName: "Ops" };

describe("membership", () => {
  it("creates a missing group on demand (described by its SCIM id) and adds the user", async () => {
    const w = await syncWorld({ vars: on });
    const { user, userId } = w.linkedUser("ada", {}, { groups: [eng] });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminListGroupsForUser", "CreateGroup", "AdminAddUserToGroup"]);
    expect(w.cognito.calls[2]?.input).toEqual({ UserPoolId: w.userPoolId, GroupName: "scim-Engineering", Description: groupDescription(w.connectionId, "g-eng") });
    expect(w.cognito.calls[3]?.input).toEqual({ UserPoolId: w.userPoolId, Username: "ada", GroupName: "scim-Engineering" });
    expect(w.cognito.groupsOf(w.userPoolId, user)).toEqual(["scim-Engineering"]);
  });

  it("uses an existing group (GroupExistsException is fine) and creates each group once per isolate", async () => {
    const w = await syncWorld({ vars: on });
    w.cognito.addGroup(w.userPoolId, "scim-Engineering", [], "made by hand");
    const a = w.linkedUser("ada", {}, { groups: [eng] });
    const b = w.linkedUser("bob", {}, { groups: [eng] });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [a.userId, b.userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(w.cognito.count("CreateGroup")).toBe(1);
    expect(w.cognito.groups(w.userPoolId).get("scim-Engineering")?.members.size).toBe(2);
    expect(w.cognito.groups(w.userPoolId).get("scim-Engineering")?.description).toBe("made by hand");
  });

  it("removes the user from prefixed groups it left and never touches groups without the prefix", async () => {
    const w = await syncWorld({ vars: on });
    const { user, userId } = w.linkedUser("ada", {}, { groups: [ops] });
    w.cognito.addGroup(w.userPoolId, "scim-Engineering", [user]);
    w.cognito.addGroup(w.userPoolId, "scim-Ops", [user]);
    w.cognito.addGroup(w.userPoolId, "admins", [user]);
    w.cognito.addGroup(w.userPoolId, "Engineering", [user]);
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, user)).toEqual(["Engineering", "admins", "scim-Ops"]);
    expect(w.cognito.calls.filter((c) => ["AdminAddUserToGroup", "AdminRemoveUserFromGroup", "CreateGroup", "DeleteGroup"].includes(c.operation))).toEqual([
      expect.objectContaining({ operation: "AdminRemoveUserFromGroup", input: { UserPoolId: w.userPoolId, Username: "ada", GroupName: "scim-Engineering" } }),
    ]);
    // The group itself stays (GROUP_DELETE is off).
    expect(w.cognito.groups(w.userPoolId).has("scim-Engineering")).toBe(true);
  });

  it("makes no membership calls when the groups already match, and reads all pages of a user's groups", async () => {
    const w = await syncWorld({ vars: on });
    const scimGroups = Array.from({ length: 70 }, (_, i) => ({ groupId: `g${i}`, displayName: `Team ${i}` }));
    const { user, userId } = w.linkedUser("ada", {}, { groups: scimGroups });
    for (const g of scimGroups) w.cognito.addGroup(w.userPoolId, `scim-${g.displayName.replace(" ", "-")}`, [user]);
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.operations()).toEqual(["AdminGetUser", "AdminListGroupsForUser", "AdminListGroupsForUser"]);
    expect(w.cognito.calls[1]?.input["Limit"]).toBe(60);
  });

  it("follows a rename: joins the new group, leaves the old one", async () => {
    const w = await syncWorld({ vars: on });
    const { user, userId } = w.linkedUser("ada", {}, { groups: [{ groupId: "g-eng", displayName: "R&D" }] });
    w.cognito.addGroup(w.userPoolId, "scim-Engineering", [user], groupDescription(w.connectionId, "g-eng"));
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, user)).toEqual(["scim-R&D"]);
  });

  it("recreates a group deleted behind its back and adds the user", async () => {
    const w = await syncWorld({ vars: on });
    const a = w.linkedUser("ada", {}, { groups: [eng] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [a.userId] }]);
    w.cognito.groups(w.userPoolId).delete("scim-Engineering");
    const b = w.linkedUser("bob", {}, { groups: [eng] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [b.userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, b.user)).toEqual(["scim-Engineering"]);
    expect(w.cognito.count("CreateGroup")).toBe(2);
  });

  it("does nothing with groups when GROUP_SYNC is off", async () => {
    const w = await syncWorld();
    const { userId } = w.linkedUser("ada", {}, { groups: [eng] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.operations()).toEqual(["AdminGetUser"]);
  });

  it("honours GROUP_PREFIX and rejects an unusable one", async () => {
    const w = await syncWorld({ vars: { ...on, GROUP_PREFIX: "idp_" } });
    const { user, userId } = w.linkedUser("ada", {}, { groups: [eng] });
    w.cognito.addGroup(w.userPoolId, "scim-Old", [user]);
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, user)).toEqual(["idp_Engineering", "scim-Old"]);

    const bad = await syncWorld({ vars: { ...on, GROUP_PREFIX: "has space" } });
    expect((await bad.deliver([{ connectionId: bad.connectionId, userIds: ["x"] }])).batchRetried).not.toBeNull();
    expect(bad.logs.find((l) => l["event"] === "config_invalid")).toMatchObject({ variables: ["GROUP_PREFIX"] });
  });
});

describe("group names", () => {
  const dedicated = groupScope("scim-", "acme", false);
  it("sanitizes display names to Cognito's rules", () => {
    expect(cognitoGroupName(dedicated, "  Sales Team\t(EU)  ")).toBe("scim-Sales-Team-(EU)");
    expect(cognitoGroupName(dedicated, "Ünïcödé 日本")).toBe("scim-Ünïcödé-日本");
    expect(cognitoGroupName(dedicated, "\u0000\u0007")).toBeNull();
    expect(cognitoGroupName(dedicated, "x".repeat(300))).toBe(`scim-${"x".repeat(123)}`);
  });

  it("encodes the customer scope in shared pools so scopes cannot collide", () => {
    expect(groupScope("scim-", "a:b", true).managedPrefix).toBe("scim-a%3Ab:");
    expect(groupScope("scim-", "a b%", true).managedPrefix).toBe("scim-a%20b%25:");
    expect(cognitoGroupName(groupScope("scim-", "a", true), "b:c")).toBe("scim-a:b:c");
    expect(cognitoGroupName(groupScope("scim-", "a:b", true), "c")).toBe("scim-a%3Ab:c");
  });

  it("skips (and logs) a group whose name leaves nothing usable, syncing the rest", async () => {
    const w = await syncWorld({ vars: on });
    const { user, userId } = w.linkedUser("ada", {}, { groups: [eng, { groupId: "g-x", displayName: "   " }] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, user)).toEqual(["scim-Engineering"]);
    expect(w.logs.find((l) => l["event"] === "sync_group_name_unusable")).toMatchObject({ groupId: "g-x" });
  });
});

describe("SCIM group deletion", () => {
  it("the members' re-sync empties the Cognito group; with GROUP_DELETE=on the group is removed too", async () => {
    const w = await syncWorld({ vars: { ...on, GROUP_DELETE: "on" } });
    const a = w.linkedUser("ada", {}, { groups: [eng, ops] });
    const b = w.linkedUser("bob", {}, { groups: [eng] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [a.userId, b.userId] }]);
    // A look-alike group from elsewhere: same prefix, different description, never deleted.
    w.cognito.addGroup(w.userPoolId, "scim-Engineering-old", [], "made by hand");
    w.cognito.addGroup(w.userPoolId, "Engineering", [a.user], groupDescription(w.connectionId, "g-eng"));
    expect(w.cognito.groups(w.userPoolId).get("scim-Engineering")?.members.size).toBe(2);

    w.sidecar.once("ScimRequest", () => {
      a.state.groups = [ops];
      b.state.groups = [];
      return completed(w.connectionId, 204, undefined, [a.userId, b.userId]);
    });
    expect((await w.scim("/Groups/g-eng", { method: "DELETE" })).status).toBe(204);
    expect(w.queue.sent.map((s) => s.body)).toEqual([{ connectionId: w.connectionId, userIds: [a.userId, b.userId], deletedGroupIds: ["g-eng"] }]);
    const drained = await w.drain();
    expect(drained.retries).toBe(0);
    expect(w.cognito.groups(w.userPoolId).has("scim-Engineering")).toBe(false);
    expect(w.cognito.groups(w.userPoolId).has("scim-Engineering-old")).toBe(true);
    expect(w.cognito.groups(w.userPoolId).has("Engineering")).toBe(true);
    expect(w.cognito.groupsOf(w.userPoolId, a.user)).toEqual(["Engineering", "scim-Ops"]);
    expect(w.cognito.calls.filter((c) => c.operation === "DeleteGroup").map((c) => c.input["GroupName"])).toEqual(["scim-Engineering"]);
  });

  it("with GROUP_DELETE off the emptied group stays", async () => {
    const w = await syncWorld({ vars: on });
    const a = w.linkedUser("ada", {}, { groups: [eng] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [a.userId] }]);
    w.sidecar.once("ScimRequest", () => {
      a.state.groups = [];
      return completed(w.connectionId, 204, undefined, [a.userId]);
    });
    await w.scim("/Groups/g-eng", { method: "DELETE" });
    await w.drain();
    expect(w.cognito.groups(w.userPoolId).get("scim-Engineering")?.members.size).toBe(0);
    expect(w.cognito.count("DeleteGroup")).toBe(0);
    expect(w.cognito.count("ListGroups")).toBe(0);
  });

  it("deleting an already deleted group is done (a retried message)", async () => {
    const w = await syncWorld({ vars: { ...on, GROUP_DELETE: "on" } });
    const message = { connectionId: w.connectionId, userIds: [], deletedGroupIds: ["g-gone"] };
    const first = await w.deliver([message]);
    const second = await w.deliver([message]);
    expect([first.messages[0]?.acked, second.messages[0]?.acked]).toEqual([true, true]);
    expect(w.cognito.count("DeleteGroup")).toBe(0);
  });
});

describe("a 1,000-member group add", () => {
  it("puts every member in the group with one add each, inside the subrequest budget", async () => {
    const w = await syncWorld({ vars: on });
    const members = Array.from({ length: 1_000 }, (_, i) => w.linkedUser(`user-${i}`, {}, { groups: [] }));
    w.sidecar.once("ScimRequest", () => {
      for (const m of members) m.state.groups = [eng];
      return completed(w.connectionId, 204, undefined, members.map((m) => m.userId));
    });
    const started = Date.now();
    expect((await w.scim("/Groups/g-eng", { method: "PATCH", json: { Operations: [{ op: "add", path: "members", value: [] }] } })).status).toBe(204);
    expect(w.queue.sent).toHaveLength(40);

    const drained = await w.drain({ batchSize: 4 });
    const elapsedMs = Date.now() - started;

    const group = w.cognito.groups(w.userPoolId).get("scim-Engineering");
    expect(group?.members.size).toBe(1_000);
    expect(w.cognito.count("AdminAddUserToGroup")).toBe(1_000);
    const addsPerUser = new Map<unknown, number>();
    for (const c of w.cognito.calls.filter((c) => c.operation === "AdminAddUserToGroup")) addsPerUser.set(c.input["Username"], (addsPerUser.get(c.input["Username"]) ?? 0) + 1);
    expect([...addsPerUser.values()].every((n) => n === 1)).toBe(true);
    expect(w.cognito.count("CreateGroup")).toBe(1);
    expect(w.cognito.count("AdminRemoveUserFromGroup")).toBe(0);
    expect(drained).toMatchObject({ invocations: 10, retries: 0, deadLettered: [] });
    expect(Math.max(...drained.outboundPerInvocation)).toBeLessThanOrEqual(900);
    const batches = w.logs.filter((l) => l["event"] === "sync_batch");
    expect(batches.every((b) => (b["subrequests"] as number) <= 900)).toBe(true);
    expect(batches.reduce((n, b) => n + (b["usersWritten"] as number), 0)).toBe(1_000);
    console.log(
      `[throughput] 1000-member group add: ${drained.invocations} invocations, ` +
        `${drained.outboundPerInvocation.join("/")} outbound calls per invocation, ` +
        `${elapsedMs} ms end to end (${Math.round((1_000 / elapsedMs) * 1_000)} users/s, in-process fakes with SigV4 verification)`,
    );
  }, 120_000);

  it("with a small budget, splits the work across invocations (carry-over), never exceeding it, losing nobody", async () => {
    const w = await syncWorld({ vars: { ...on, SYNC_SUBREQUEST_BUDGET: "40" } });
    const members = Array.from({ length: 60 }, (_, i) => w.linkedUser(`user-${i}`, {}, { groups: [eng] }));
    w.queue.pending.push(
      { body: { connectionId: w.connectionId, userIds: members.slice(0, 25).map((m) => m.userId) }, attempts: 1 },
      { body: { connectionId: w.connectionId, userIds: members.slice(25, 50).map((m) => m.userId) }, attempts: 1 },
      { body: { connectionId: w.connectionId, userIds: members.slice(50).map((m) => m.userId) }, attempts: 1 },
    );
    const drained = await w.drain({ batchSize: 4 });
    expect(drained.retries).toBe(0);
    expect(drained.invocations).toBeGreaterThan(5);
    expect(Math.max(...drained.outboundPerInvocation)).toBeLessThanOrEqual(40);
    expect(w.cognito.groups(w.userPoolId).get("scim-Engineering")?.members.size).toBe(60);
    expect(w.cognito.count("AdminAddUserToGroup")).toBe(60);
    // Carried-over messages are fresh sends (no attempt used), acked originals.
    expect(w.queue.sent.length).toBeGreaterThan(0);
    expect(w.logs.filter((l) => l["event"] === "sync_batch").some((b) => (b["carriedOver"] as number) > 0)).toBe(true);
  });

  it("a user needing more calls than one invocation allows converges over retries (its progress persists), within budget", async () => {
    const w = await syncWorld({ vars: { ...on, SYNC_SUBREQUEST_BUDGET: "20" } });
    // 15 new groups: 3 reads + 15 CreateGroup + 15 adds > 20 calls for this one user.
    const groups = Array.from({ length: 15 }, (_, i) => ({ groupId: `g${i}`, displayName: `Team${i}` }));
    const { user, userId } = w.linkedUser("ada", {}, { groups });
    w.queue.pending.push({ body: { connectionId: w.connectionId, userIds: [userId] }, attempts: 1 });
    const drained = await w.drain({ maxRetries: 10, maxInvocations: 10 });
    expect(drained.deadLettered).toEqual([]);
    expect(drained.retries).toBeGreaterThan(0);
    expect(w.queue.sent).toEqual([]); // retried, not carried over: no progress within one invocation
    expect(Math.max(...drained.outboundPerInvocation)).toBeLessThanOrEqual(20);
    expect(w.cognito.groupsOf(w.userPoolId, user)).toHaveLength(15);
    expect(w.cognito.count("AdminAddUserToGroup")).toBe(15);
    expect(w.logs.find((l) => l["event"] === "sync_message_retried")).toMatchObject({ reason: "subrequest budget spent before any user finished" });
  });
});
