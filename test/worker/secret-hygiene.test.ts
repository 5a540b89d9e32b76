import { describe, expect, it } from "vitest";
import { clientFacing, completed, linkUser, scimUser, userAction } from "./support/answers";
import { AWS_KEYS, INTEGRATION_KEY, SCIM_KEY } from "./support/harness";
import { scenario } from "./support/scenario";

const ACCESS = { clientId: "hygiene-client.access", clientSecret: "hygiene-access-secret-0123456789abcdef" };
const SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789";
const BODY_MARKER = "body-marker-never-logged-7f3a";

describe("No secret appears in a log line or a response", () => {
  it("keeps keys, credentials and bodies out of every log line and answer, on success and failure paths", async () => {
    const { h, connectionId, userPoolId } = await scenario({
      vars: { BYO_ACCESS_CLIENT_ID: ACCESS.clientId, BYO_ACCESS_CLIENT_SECRET: ACCESS.clientSecret, AWS_SESSION_TOKEN: SESSION_TOKEN },
      accessServiceToken: ACCESS,
    });
    const user = h.cognito.addUser(userPoolId, "existing", {});
    const answers: string[] = [];
    const record = async (response: Response) => {
      answers.push(`${response.status} ${JSON.stringify(Object.fromEntries(response.headers))} ${await response.text()}`);
    };

    h.sidecar.once("ScimRequest", linkUser(connectionId, { userName: "ada" }));
    h.sidecar.once("LinkScimUser", completed(connectionId, 201, scimUser("s", "ada")));
    await record(await h.scim("/Users", { method: "POST", json: { userName: "ada", note: BODY_MARKER } }));

    h.sidecar.once("ScimRequest", clientFacing(401, "Invalid API key", "InvalidApiKey"));
    await record(await h.scim("/Users", { method: "POST", json: { userName: BODY_MARKER }, headers: { authorization: `Bearer ${SCIM_KEY}-wrong` } }));

    h.sidecar.once("ScimRequest", { status: 401, json: { type: "IntegrationKeyNotFound" } });
    await record(await h.scim("/Users"));

    h.sidecar.once("ScimRequest", "network-error");
    await record(await h.scim("/Users", { method: "PUT", json: { userName: BODY_MARKER } }));

    h.cognito.failNext("AdminDisableUser", { errorType: "InternalErrorException", status: 500 }, 1000);
    h.sidecar.once("ScimRequest", userAction(connectionId, "DisableUser", user.attributes["sub"] as string));
    await record(await h.scim("/Users/x", { method: "PATCH", json: { note: BODY_MARKER } }));

    await record(await h.scim("/Users", { method: "POST", body: `{"broken": "${BODY_MARKER}"` }));
    await record(await h.request("https://scim.example.com/healthz"));

    expect(h.cognito.rejectedRequests.map((r) => r.reason)).toEqual([]);
    expect(h.rawLogs.length).toBeGreaterThanOrEqual(6);
    const everything = [...h.rawLogs, ...answers].join("\n");
    for (const secret of [SCIM_KEY, INTEGRATION_KEY, AWS_KEYS.secretAccessKey, AWS_KEYS.accessKeyId, ACCESS.clientSecret, SESSION_TOKEN, BODY_MARKER]) {
      expect(everything).not.toContain(secret);
    }
  });
});
