/** Shared pools: a sync never writes to a user that the connection's customer does not own. */
import { describe, expect, it } from "vitest";
import { syncWorld } from "./support/sync-harness";

const WRITES = ["AdminUpdateUserAttributes", "AdminDisableUser", "AdminEnableUser", "AdminUserGlobalSignOut", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "CreateGroup", "DeleteGroup"];

describe("sync in a shared pool", () => {
  it("refuses to update, disable or regroup another customer's user, even when the sidecar names it; logs and acks", async () => {
    const w = await syncWorld({ shared: true, vars: { GROUP_SYNC: "on" } });
    const victim = w.cognito.addUser(w.userPoolId, "victim", { "custom:scim_customer": "other-customer", given_name: "Victim" });
    const victimId = victim.attributes["sub"] as string;
    // A sidecar that (wrongly or maliciously) holds the victim as this connection's user.
    w.directory.set(victimId, { connectionId: w.connectionId, primaryEmail: "attacker@example.com", parsedUserData: { firstName: "Pwned" }, active: false, groups: [{ groupId: "g1", displayName: "Admins" }] });
    w.cognito.addGroup(w.userPoolId, "scim-other-customer:Staff", [victim]);

    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [victimId] }]);

    expect(delivery.messages[0]).toMatchObject({ acked: true, retried: null });
    expect(w.cognito.operations()).toEqual(["AdminGetUser"]);
    expect(w.cognito.operations().filter((o) => WRITES.includes(o))).toEqual([]);
    expect(victim).toMatchObject({ enabled: true, attributes: { given_name: "Victim", "custom:scim_customer": "other-customer" } });
    expect(w.cognito.groupsOf(w.userPoolId, victim)).toEqual(["scim-other-customer:Staff"]);
    expect(w.logs.find((l) => l["event"] === "tenancy_violation")).toMatchObject({
      customerId: w.customerId,
      userPoolId: w.userPoolId,
      attempted: "sync",
      userId: victimId,
      ownerCustomerId: "other-customer",
    });
  });

  it("refuses an untagged user (e.g. an operator's own account) in a shared pool", async () => {
    const w = await syncWorld({ shared: true });
    const admin = w.cognito.addUser(w.userPoolId, "admin", { given_name: "Root" });
    const adminId = admin.attributes["sub"] as string;
    w.directory.set(adminId, { connectionId: w.connectionId, primaryEmail: null, parsedUserData: { firstName: "Pwned" }, active: false, groups: [] });
    await w.deliver([{ connectionId: w.connectionId, userIds: [adminId] }]);
    expect(admin).toMatchObject({ enabled: true, attributes: { given_name: "Root" } });
    expect(w.logs.find((l) => l["event"] === "tenancy_violation")).toMatchObject({ ownerCustomerId: null });
  });

  it("in the same batch, syncs the customer's own user and refuses the foreign one", async () => {
    const w = await syncWorld({ shared: true });
    const own = w.linkedUser("ada", { "custom:scim_customer": w.customerId, given_name: "A" }, { parsedUserData: { firstName: "Ada" } });
    const other = await w.addTenant();
    const foreign = w.cognito.addUser(w.userPoolId, "bob", { "custom:scim_customer": other.customerId, given_name: "Bob" });
    const foreignId = foreign.attributes["sub"] as string;
    w.directory.set(foreignId, { connectionId: w.connectionId, primaryEmail: null, parsedUserData: { firstName: "Changed" }, active: true, groups: [] });

    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [own.userId, foreignId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(own.user.attributes["given_name"]).toBe("Ada");
    expect(foreign.attributes["given_name"]).toBe("Bob");
    const updates = w.cognito.calls.filter((c) => c.operation === "AdminUpdateUserAttributes").map((c) => c.input["Username"]);
    expect(updates).toEqual([own.userId]);
  });

  it("the other customer's connection syncs its own user normally", async () => {
    const w = await syncWorld({ shared: true });
    const other = await w.addTenant();
    const user = w.cognito.addUser(w.userPoolId, "bob", { "custom:scim_customer": other.customerId, given_name: "B" });
    const userId = user.attributes["sub"] as string;
    w.directory.set(userId, { connectionId: other.connectionId, primaryEmail: null, parsedUserData: { firstName: "Bob" }, active: true, groups: [] });
    await w.deliver([{ connectionId: other.connectionId, userIds: [userId] }]);
    expect(user.attributes["given_name"]).toBe("Bob");
    expect(w.logs.filter((l) => l["event"] === "tenancy_violation")).toEqual([]);
  });

  it("scopes group names by customer, so two customers' 'Admins' are different groups", async () => {
    const w = await syncWorld({ shared: true, vars: { GROUP_SYNC: "on" } });
    const ada = w.linkedUser("ada", { "custom:scim_customer": w.customerId }, { groups: [{ groupId: "g-a", displayName: "Admins" }] });
    const other = await w.addTenant();
    const bob = w.cognito.addUser(w.userPoolId, "bob", { "custom:scim_customer": other.customerId });
    const bobId = bob.attributes["sub"] as string;
    w.directory.set(bobId, { connectionId: other.connectionId, primaryEmail: null, parsedUserData: {}, active: true, groups: [{ groupId: "g-b", displayName: "Admins" }] });

    await w.deliver([{ connectionId: w.connectionId, userIds: [ada.userId] }, { connectionId: other.connectionId, userIds: [bobId] }]);

    expect(w.cognito.groupsOf(w.userPoolId, ada.user)).toEqual([`scim-${w.customerId}:Admins`]);
    expect(w.cognito.groupsOf(w.userPoolId, bob)).toEqual([`scim-${other.customerId}:Admins`]);
  });

  it("never removes a user from another customer's scoped groups", async () => {
    const w = await syncWorld({ shared: true, vars: { GROUP_SYNC: "on" } });
    const ada = w.linkedUser("ada", { "custom:scim_customer": w.customerId }, { groups: [] });
    // Put there by hand: a group of another scope, and an unscoped prefixed one.
    w.cognito.addGroup(w.userPoolId, "scim-someone-else:Admins", [ada.user]);
    w.cognito.addGroup(w.userPoolId, "scim-Legacy", [ada.user]);
    w.cognito.addGroup(w.userPoolId, `scim-${w.customerId}:Old`, [ada.user]);
    await w.deliver([{ connectionId: w.connectionId, userIds: [ada.userId] }]);
    expect(w.cognito.groupsOf(w.userPoolId, ada.user)).toEqual(["scim-Legacy", "scim-someone-else:Admins"]);
    expect(w.cognito.calls.filter((c) => c.operation === "AdminRemoveUserFromGroup").map((c) => c.input["GroupName"])).toEqual([`scim-${w.customerId}:Old`]);
  });
});
