/**
 * Attribute and group sync end to end: SCIM changes the sidecar completes on its own reach Cognito
 * through the worker's queue (producer and consumer both run in workerd under Miniflare).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cognitoReader, customer, scimClient, seedPoolRecords, stack } from "./support/e2e";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Polls until `check` passes: the queue consumer runs after the IdP already has its answer. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not reached; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
    value = await read();
  }
  return value;
}

describe("Sync end to end (globex: plain-username pool, GROUP_SYNC=on)", () => {
  const globex = customer("globex");
  const scim = scimClient(globex.scimApiKey);
  const cognito = cognitoReader();
  const pool = globex.userPoolId;
  const userName = "linus.sync@globex.test";
  let scimId = "";

  const groupsOf = async (username: string): Promise<string[]> => {
    const answer = await cognito.call("AdminListGroupsForUser", { UserPoolId: pool, Username: username });
    return ((answer.body["Groups"] as { GroupName: string }[]) ?? []).map((g) => g.GroupName).sort();
  };

  beforeAll(async () => {
    await seedPoolRecords();
    const created = await scim("POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      userName,
      name: { givenName: "Linus", familyName: "Torvalds" },
      displayName: "Linus Torvalds",
      emails: [{ primary: true, value: userName }],
      [ENTERPRISE]: { department: "Kernel" },
      active: true,
    });
    expect(created.status).toBe(201);
    scimId = String(created.body?.["id"]);
  });

  it("creates the user with the mapped custom attribute", async () => {
    expect((await cognito.getUser(pool, userName))?.attributes).toMatchObject({ given_name: "Linus", "custom:department": "Kernel" });
  });

  it("a rename reaches Cognito", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH], Operations: [{ op: "replace", path: "name.givenName", value: "Linus B." }] });
    expect(patched.status).toBe(200);
    const user = await eventually(() => cognito.getUser(pool, userName), (u) => u?.attributes["given_name"] === "Linus B.");
    expect(user?.attributes["family_name"]).toBe("Torvalds");
  });

  it("an email change and a custom attribute change reach Cognito", async () => {
    const patched = await scim("PATCH", `/Users/${scimId}`, {
      schemas: [PATCH],
      Operations: [
        { op: "Replace", path: "emails", value: [{ primary: true, type: "work", value: "linus@kernel.test" }] },
        { op: "Replace", path: `${ENTERPRISE}:department`, value: "Git" },
      ],
    });
    expect(patched.status).toBe(200);
    const user = await eventually(
      () => cognito.getUser(pool, userName),
      (u) => u?.attributes["email"] === "linus@kernel.test" && u.attributes["custom:department"] === "Git",
    );
    expect(user?.attributes["email_verified"]).toBe("true");
  });

  it("deactivation by PUT disables the Cognito user before the IdP gets its answer", async () => {
    const current = await scim("GET", `/Users/${scimId}`);
    const replaced = await scim("PUT", `/Users/${scimId}`, { ...current.body, active: false });
    expect(replaced.status).toBe(200);
    expect((await cognito.getUser(pool, userName))?.enabled).toBe(false);
    const back = await scim("PUT", `/Users/${scimId}`, { ...current.body, active: true });
    expect(back.status).toBe(200);
    expect((await cognito.getUser(pool, userName))?.enabled).toBe(true);
  });

  it("groups: create, add, remove, delete follow into prefixed Cognito groups", async () => {
    const other = await scim("POST", "/Users", { schemas: [USER], userName: "ken.sync@globex.test", emails: [{ primary: true, value: "ken.sync@globex.test" }], active: true });
    const otherId = String(other.body?.["id"]);
    const group = await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Kernel Team", members: [{ value: scimId }] });
    expect(group.status).toBe(201);
    const groupId = String(group.body?.["id"]);
    await eventually(() => groupsOf(userName), (g) => g.includes("scim-Kernel-Team"));

    await scim("PATCH", `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: otherId }] }] });
    await eventually(() => groupsOf("ken.sync@globex.test"), (g) => g.includes("scim-Kernel-Team"));

    await scim("PATCH", `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: "Remove", path: `members[value eq "${scimId}"]` }] });
    await eventually(() => groupsOf(userName), (g) => !g.includes("scim-Kernel-Team"));
    expect(await groupsOf("ken.sync@globex.test")).toContain("scim-Kernel-Team");

    expect((await scim("DELETE", `/Groups/${groupId}`)).status).toBe(204);
    await eventually(() => groupsOf("ken.sync@globex.test"), (g) => !g.includes("scim-Kernel-Team"));
  });

  it("a sync that Cognito fails is retried by the queue and then lands", async () => {
    const { cognitoUrl } = stack();
    const fault = await fetch(`${cognitoUrl}/__emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operation: "AdminUpdateUserAttributes", errorType: "InternalErrorException", status: 500, count: 1000 }),
    });
    expect(fault.ok).toBe(true);
    try {
      const patched = await scim("PATCH", `/Users/${scimId}`, { schemas: [PATCH], Operations: [{ op: "replace", path: "name.familyName", value: "Torvalds-Retried" }] });
      expect(patched.status).toBe(200);
      // The first delivery fails on the injected fault…
      await eventually(() => cognito.emulatorStats(), (stats) => (stats["AdminUpdateUserAttributes"]?.faulted ?? 0) > 0);
      // …and keeps failing past the worker's in-call retry budget (COGNITO_RETRY_BUDGET_MS, 4 s),
      // so whatever lands later was delivered again by the queue.
      await new Promise((r) => setTimeout(r, 6_000));
      expect((await cognito.getUser(pool, userName))?.attributes["family_name"]).toBe("Torvalds");
    } finally {
      await fetch(`${cognitoUrl}/__emulator/faults`, { method: "DELETE" });
    }
    // …and a later delivery lands once Cognito recovers.
    await eventually(() => cognito.getUser(pool, userName), (u) => u?.attributes["family_name"] === "Torvalds-Retried", 40_000);
  }, 60_000);
});
