/** Federated sign-in: a LinkUser with ssoUserSubject also links the IdP identity (AdminLinkProviderForUser). */
import { describe, expect, it } from "vitest";
import { completed, linkUser, scimUser } from "./support/answers";
import type { ScriptedAnswer } from "./support/fake-sidecar";
import { syncWorld } from "./support/sync-harness";

const createBody = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada" };

/** A LinkUser for ada whose SSO subject is `subject`. */
function linkAda(connectionId: string, subject: string | null): ScriptedAnswer {
  const answer = linkUser(connectionId, { userName: "ada", primaryEmail: "ada@example.com" });
  if (typeof answer === "object" && "json" in answer) (answer.json as Record<string, unknown>)["ssoUserSubject"] = subject;
  return answer;
}

describe("linking the federated identity on LinkUser", () => {
  it("links the IdP subject to the new user's stored username, before the sidecar links the user", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    let linksSeenBySidecarLink = -1;
    w.sidecar.once("LinkScimUser", () => {
      linksSeenBySidecarLink = w.cognito.count("AdminLinkProviderForUser");
      return completed(w.connectionId, 201, scimUser("s", "ada"));
    });
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);

    expect(w.cognito.operations()).toEqual(["DescribeUserPool", "AdminCreateUser", "AdminLinkProviderForUser"]);
    expect(w.cognito.calls[2]?.input).toEqual({
      UserPoolId: w.userPoolId,
      DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: "ada" },
      SourceUser: { ProviderName: "AcmeOkta", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: "00u1abcd" },
    });
    expect(linksSeenBySidecarLink).toBe(1);
    const [user] = w.cognito.users(w.userPoolId);
    expect(JSON.parse(user?.attributes["identities"] ?? "[]")).toEqual([{ providerName: "AcmeOkta", userId: "00u1abcd" }]);
  });

  it("uses the stored username (the sub UUID), not the email, in an email-as-username pool", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta", pool: { usernameAttributes: ["email"] } });
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    w.sidecar.once("LinkScimUser", completed(w.connectionId, 201, scimUser("s", "ada")));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    const [user] = w.cognito.users(w.userPoolId);
    const link = w.cognito.calls.find((c) => c.operation === "AdminLinkProviderForUser")?.input;
    expect(link?.["DestinationUser"]).toEqual({ ProviderName: "Cognito", ProviderAttributeValue: user?.attributes["sub"] });
    expect(user?.username).toBe(user?.attributes["sub"]);
  });

  it("makes no link call without an identityProvider in the customer record, or without a subject", async () => {
    const plain = await syncWorld();
    plain.sidecar.once("ScimRequest", linkAda(plain.connectionId, "00u1abcd"));
    plain.sidecar.once("LinkScimUser", completed(plain.connectionId, 201, scimUser("s", "ada")));
    expect((await plain.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(plain.cognito.count("AdminLinkProviderForUser")).toBe(0);

    const noSubject = await syncWorld({ identityProvider: "AcmeOkta" });
    noSubject.sidecar.once("ScimRequest", linkAda(noSubject.connectionId, null));
    noSubject.sidecar.once("LinkScimUser", completed(noSubject.connectionId, 201, scimUser("s", "ada")));
    expect((await noSubject.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(noSubject.cognito.count("AdminLinkProviderForUser")).toBe(0);
  });
});

describe("idempotent retries", () => {
  it("a retried LinkUser (sidecar link failed) finds the identity already linked and makes no second link call", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.sidecar.always("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    w.sidecar.once("LinkScimUser", "network-error");
    w.sidecar.once("LinkScimUser", completed(w.connectionId, 201, scimUser("s", "ada")));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(502);
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(w.cognito.count("AdminLinkProviderForUser")).toBe(1);
    expect(w.sidecar.commands("LinkScimUser")).toHaveLength(2);
    expect(w.cognito.users(w.userPoolId)).toHaveLength(1);
  });

  it("a link applied but whose answer was lost: the retried call's 'already linked' counts as done once a re-read shows it", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.cognito.failNext("AdminLinkProviderForUser", { errorType: "InternalErrorException", status: 500, applyFirst: true });
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    w.sidecar.once("LinkScimUser", completed(w.connectionId, 201, scimUser("s", "ada")));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(201);
    expect(w.cognito.operations()).toEqual(["DescribeUserPool", "AdminCreateUser", "AdminLinkProviderForUser", "AdminLinkProviderForUser", "AdminGetUser"]);
    expect(w.sidecar.commands("LinkScimUser")).toHaveLength(1);
    expect(w.logs.filter((l) => l["event"] === "federation_link_refused")).toEqual([]);
  });
});

describe("links that must not be made", () => {
  it("refuses when the IdP identity is linked to another user: nothing linked in the sidecar, logged", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.cognito.addUser(w.userPoolId, "mallory", { identities: JSON.stringify([{ providerName: "AcmeOkta", userId: "00u1abcd" }]) });
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    const response = await w.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(502);
    expect(w.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "federation_link_refused")).toMatchObject({ identityProvider: "AcmeOkta", reason: "identity_linked_to_another_user" });
  });

  it("refuses when the employee signed in through SSO before being provisioned (Cognito cannot merge)", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.cognito.addUser(w.userPoolId, "AcmeOkta_00u1abcd", {});
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(502);
    expect(w.sidecar.commands("LinkScimUser")).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "federation_link_refused")).toMatchObject({ reason: "identity_signed_in_before_provisioning" });
  });

  it("answers 429 (and links nothing) when the link call stays throttled", async () => {
    const w = await syncWorld({ identityProvider: "AcmeOkta" });
    w.cognito.failNext("AdminLinkProviderForUser", { errorType: "TooManyRequestsException", status: 400 }, 1_000);
    w.sidecar.once("ScimRequest", linkAda(w.connectionId, "00u1abcd"));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(429);
    expect(w.sidecar.commands("LinkScimUser")).toEqual([]);
  });
});
