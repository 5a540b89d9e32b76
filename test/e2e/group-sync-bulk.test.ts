/**
 * A 1,000-member group add end to end: one SCIM PATCH, then the queue consumer puts every member
 * into the Cognito group within the per-invocation subrequest budget — nobody dropped, no
 * membership call beyond what the state needs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cognitoReader, customer, scimClient, seedPoolRecords } from "./support/e2e";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const MEMBERS = 1_000;
const CONCURRENCY = 16;

describe("1,000-member group add (acme, GROUP_SYNC=on)", () => {
  const acme = customer("acme");
  const scim = scimClient(acme.scimApiKey);
  const cognito = cognitoReader();
  const scimIds: string[] = [];

  beforeAll(async () => {
    await seedPoolRecords();
    let next = 0;
    const worker = async () => {
      while (next < MEMBERS) {
        const n = next++;
        const email = `bulk-${n}@acme.test`;
        const created = await scim("POST", "/Users", { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
        if (created.status !== 201) throw new Error(`create ${email}: ${created.status} ${JSON.stringify(created.body)}`);
        scimIds[n] = String(created.body?.["id"]);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }, 120_000);

  it("puts every member into the Cognito group, each exactly once", async () => {
    const before = (await cognito.emulatorStats())["AdminAddUserToGroup"]?.calls ?? 0;
    const group = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Everyone" });
    expect(group.status).toBe(201);
    const started = Date.now();
    const added = await scim("PATCH", `/Groups/${String(group.body?.["id"])}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: scimIds.map((value) => ({ value })) }],
    });
    expect([200, 204]).toContain(added.status);

    const members = async (): Promise<number> => {
      let count = 0;
      let token: string | undefined;
      do {
        const page = await cognito.call("ListUsersInGroup", { UserPoolId: acme.userPoolId, GroupName: "scim-Everyone", Limit: 60, ...(token ? { NextToken: token } : {}) });
        if (!page.ok) return 0;
        count += ((page.body["Users"] as unknown[]) ?? []).length;
        token = page.body["NextToken"] as string | undefined;
      } while (token);
      return count;
    };
    const deadline = Date.now() + 90_000;
    let count = await members();
    while (count < MEMBERS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      count = await members();
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`group sync: ${count} members in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} users/s)`);
    expect(count).toBe(MEMBERS);
    const after = (await cognito.emulatorStats())["AdminAddUserToGroup"]?.calls ?? 0;
    expect(after - before).toBe(MEMBERS);
  }, 120_000);
});
