/**
 * `npm run demo`: against a running `npm run dev`, plays a provisioning lifecycle the way an IdP
 * would and prints, after each step, what the IdP got back and what Cognito now holds.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AwsClient } from "aws4fetch";
import { LOCAL_STACK_FILE, type LocalStackDescription } from "./local-stack/description.ts";

const root = resolve(import.meta.dirname, "..");
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async function main(): Promise<void> {
  let stack: LocalStackDescription;
  try {
    stack = JSON.parse(await readFile(join(root, LOCAL_STACK_FILE), "utf8")) as LocalStackDescription;
  } catch {
    console.error("No running local stack found: start `npm run dev` first (in another terminal).");
    process.exit(1);
  }
  const customer = stack.customers[0];
  if (!customer) throw new Error("the local stack has no customers");
  const aws = new AwsClient({ ...stack.credentials, service: "cognito-idp", region: stack.region, retries: 0 });
  const userName = `demo-${Date.now()}@${customer.customerId}.test`;

  async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> | null }> {
    const response = await fetch(`${stack.scimBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${customer!.scimApiKey}`, ...(body ? { "content-type": "application/scim+json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  async function cognitoState(): Promise<string> {
    const response = await aws.fetch(`${stack.cognitoUrl}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.AdminGetUser" },
      body: JSON.stringify({ UserPoolId: customer!.userPoolId, Username: userName }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) return body["__type"] === "UserNotFoundException" ? "absent" : `error ${String(body["__type"])}`;
    const attributes = Object.fromEntries(((body["UserAttributes"] as { Name: string; Value: string }[]) ?? []).map((a) => [a.Name, a.Value]));
    const shown = ["email", "given_name", "family_name", "name"].filter((n) => attributes[n] !== undefined).map((n) => `${n}=${attributes[n]}`);
    return `${body["Enabled"] === false ? "DISABLED" : "enabled"} (username ${String(body["Username"])}; ${shown.join(", ")})`;
  }

  async function cognitoGroups(): Promise<string[]> {
    const response = await aws.fetch(`${stack.cognitoUrl}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.AdminListGroupsForUser" },
      body: JSON.stringify({ UserPoolId: customer!.userPoolId, Username: userName }),
    });
    const body = (await response.json()) as { Groups?: { GroupName: string }[] };
    return (body.Groups ?? []).map((g) => g.GroupName);
  }

  /** Group membership reaches Cognito through the sync queue, a few seconds after the IdP's answer. */
  async function showGroupsOnceSynced(expectMember: boolean): Promise<void> {
    const deadline = Date.now() + 15_000;
    let groups = await cognitoGroups();
    while ((groups.length > 0) !== expectMember && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      groups = await cognitoGroups();
    }
    console.log(`  Cognito groups: ${groups.length > 0 ? groups.join(", ") : "(none)"}   (via the sync queue)`);
  }

  async function step(title: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown> | null> {
    const answer = await scim(method, path, body);
    const summary = answer.body ? JSON.stringify(answer.body).slice(0, 160) : "(no body)";
    console.log(`\n▶ ${title}\n  IdP got:      ${answer.status} ${summary}\n  Cognito has:  ${await cognitoState()}`);
    return answer.body;
  }

  console.log(`Provisioning ${userName} for customer "${customer.customerId}" into pool ${customer.userPoolId}`);
  await step("Look the user up (not there yet)", "GET", `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
  const created = await step("Create the user", "POST", "/Users", {
    schemas: [USER],
    userName,
    name: { givenName: "Demo", familyName: "User" },
    emails: [{ primary: true, value: userName }],
    active: true,
  });
  const id = String(created?.["id"]);
  await step("Read it back", "GET", `/Users/${id}`);
  await step("Deactivate (Okta-style PATCH)", "PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] });
  await step("Reactivate (Entra-style PATCH)", "PATCH", `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: "True" }] });
  const group = await step("Push a group with the user in it", "POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Demo team", members: [{ value: id }] });
  await showGroupsOnceSynced(true);
  await step("Delete the group", "DELETE", `/Groups/${String(group?.["id"])}`);
  await showGroupsOnceSynced(false);
  await step("Delete the user", "DELETE", `/Users/${id}`);
  console.log("\nDone.");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
