// SigV4 checking: verifySigV4 as a pure function, then the emulator refusing badly signed calls
// without forwarding them, and the real AWS SDK v3 client working against it.
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  AdminCreateUserCommand,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { AwsClient, AwsV4Signer } from "aws4fetch";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCognitoTestClient, type CognitoTestClient } from "../../dev/cognito-emulator/client.ts";
import { startCognitoEmulator, type RunningCognitoEmulator } from "../../dev/cognito-emulator/index.ts";
import { verifySigV4, type EmulatorCredentials, type SignedRequestParts } from "../../dev/cognito-emulator/sigv4-verify.ts";

const CREDS: EmulatorCredentials = { accessKeyId: "AKIDTESTSIGV4", secretAccessKey: "test-secret-sigv4" };
const TARGET = "AWSCognitoIdentityProviderService.";

describe("verifySigV4 (pure)", () => {
  const datetime = "20260102T030405Z";
  const at = (iso: string) => () => new Date(iso);
  const signed = async (overrides: { secret?: string; service?: string; token?: string; body?: string } = {}): Promise<SignedRequestParts> => {
    const body = overrides.body ?? '{"UserPoolId":"local_x"}';
    const signer = new AwsV4Signer({
      method: "POST",
      url: "http://127.0.0.1:9229/",
      headers: { "x-amz-target": `${TARGET}ListUsers`, "content-type": "application/x-amz-json-1.1" },
      body,
      accessKeyId: CREDS.accessKeyId,
      secretAccessKey: overrides.secret ?? CREDS.secretAccessKey,
      service: overrides.service ?? "cognito-idp",
      region: "local",
      datetime,
      ...(overrides.token !== undefined ? { sessionToken: overrides.token } : {}),
    });
    const { headers } = await signer.sign();
    const flat: Record<string, string> = { host: "127.0.0.1:9229" };
    headers.forEach((value, name) => {
      flat[name] = value;
    });
    return { method: "POST", path: "/", headers: flat, body };
  };

  it("accepts an aws4fetch signature and reports the scope", async () => {
    const verdict = await verifySigV4(await signed(), [CREDS], { now: at("2026-01-02T03:10:00Z") });
    expect(verdict).toEqual({
      ok: true,
      accessKeyId: CREDS.accessKeyId,
      region: "local",
      service: "cognito-idp",
      signedHeaders: ["host", "x-amz-date", "x-amz-target"],
    });
  });

  it.each([
    ["wrong secret", async () => signed({ secret: "nope" }), "InvalidSignatureException", /does not match/],
    ["altered body", async () => ({ ...(await signed()), body: '{"UserPoolId":"local_y"}' }), "InvalidSignatureException", /does not match/],
    [
      "altered target",
      async () => {
        const r = await signed();
        return { ...r, headers: { ...r.headers, "x-amz-target": `${TARGET}AdminDeleteUser` } };
      },
      "InvalidSignatureException",
      /does not match/,
    ],
    ["wrong service", async () => signed({ service: "s3" }), "InvalidSignatureException", /scoped to correct service: 'cognito-idp'/],
    [
      "missing auth",
      async () => {
        const r = await signed();
        const { authorization: _dropped, ...headers } = r.headers;
        return { ...r, headers };
      },
      "MissingAuthenticationTokenException",
      /missing Authentication Token/,
    ],
    [
      "malformed auth",
      async () => {
        const r = await signed();
        return { ...r, headers: { ...r.headers, authorization: "AWS4-HMAC-SHA256 Credential=AKIDTESTSIGV4/20260102/local/cognito-idp/aws4_request" } };
      },
      "IncompleteSignatureException",
      /requires 'Signature' parameter/,
    ],
    [
      "missing x-amz-date",
      async () => {
        const r = await signed();
        const { "x-amz-date": _dropped, ...headers } = r.headers;
        return { ...r, headers };
      },
      "IncompleteSignatureException",
      /X-Amz-Date/,
    ],
    ["unexpected session token", async () => signed({ token: "tok" }), "UnrecognizedClientException", /security token included in the request is invalid/],
  ] as const)("rejects %s", async (_name, build, errorType, message) => {
    const verdict = await verifySigV4(await build(), [CREDS], { now: at("2026-01-02T03:10:00Z") });
    expect(verdict).toMatchObject({ ok: false, errorType });
    expect(verdict.ok ? "" : verdict.message).toMatch(message);
  });

  it("rejects an unknown access key", async () => {
    const verdict = await verifySigV4(await signed(), [{ accessKeyId: "OTHER", secretAccessKey: "x" }], { now: at("2026-01-02T03:10:00Z") });
    expect(verdict).toMatchObject({ ok: false, errorType: "UnrecognizedClientException", message: "The security token included in the request is invalid." });
  });

  it("enforces the 15-minute window both ways", async () => {
    const req = await signed();
    const late = await verifySigV4(req, [CREDS], { now: at("2026-01-02T03:19:06Z") });
    expect(late).toMatchObject({ ok: false, errorType: "InvalidSignatureException" });
    expect(late.ok ? "" : late.message).toMatch(/^Signature expired: 20260102T030405Z is now earlier than/);
    const early = await verifySigV4(req, [CREDS], { now: at("2026-01-02T02:49:00Z") });
    expect(early.ok ? "" : early.message).toMatch(/^Signature not yet current/);
    expect((await verifySigV4(req, [CREDS], { now: at("2026-01-02T03:19:04Z") })).ok).toBe(true);
  });

  it("requires the matching session token when the credential has one", async () => {
    const withToken = { ...CREDS, sessionToken: "session-1" };
    const now = { now: at("2026-01-02T03:05:00Z") };
    expect((await verifySigV4(await signed({ token: "session-1" }), [withToken], now)).ok).toBe(true);
    expect(await verifySigV4(await signed({ token: "session-2" }), [withToken], now)).toMatchObject({ ok: false, errorType: "UnrecognizedClientException" });
    expect(await verifySigV4(await signed(), [withToken], now)).toMatchObject({ ok: false, errorType: "UnrecognizedClientException" });
  });
});

describe("emulator signature checks", () => {
  let emulator: RunningCognitoEmulator;
  let dataDir: string;
  let client: CognitoTestClient;
  let poolId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "cognito-emulator-sigv4-"));
    emulator = await startCognitoEmulator({ dataDir, credentials: [CREDS] });
    client = createCognitoTestClient({ url: emulator.url, credentials: CREDS });
    const created = await client.call("CreateUserPool", { PoolName: "sigv4" });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    poolId = (created.body["UserPool"] as { Id: string }).Id;
  });

  afterAll(async () => {
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const createBody = (username: string) => ({ UserPoolId: poolId, Username: username, MessageAction: "SUPPRESS" });

  async function send(request: Request, body?: string): Promise<{ status: number; json: Record<string, unknown>; errorHeader: string | null }> {
    const res = await fetch(request.url, { method: "POST", headers: request.headers, body: body ?? (await request.text()) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, errorHeader: res.headers.get("x-amzn-errortype") };
  }

  async function expectNotCreated(username: string): Promise<void> {
    const got = await client.call("AdminGetUser", { UserPoolId: poolId, Username: username });
    expect(got.errorType).toBe("UserNotFoundException");
  }

  it("forwards a correctly signed call", async () => {
    emulator.resetStats();
    const res = await client.call("AdminCreateUser", createBody("signed-ok"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(emulator.stats()["AdminCreateUser"]).toMatchObject({ calls: 1, ok: 1, rejectedSignature: 0 });
  });

  it.each([
    [
      "wrong secret",
      () => createCognitoTestClient({ url: emulator.url, credentials: { ...CREDS, secretAccessKey: "wrong" } }).sign("AdminCreateUser", createBody("bad-secret")),
      undefined,
      "InvalidSignatureException",
      "bad-secret",
    ],
    [
      "unknown key",
      () => createCognitoTestClient({ url: emulator.url, credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" } }).sign("AdminCreateUser", createBody("bad-key")),
      undefined,
      "UnrecognizedClientException",
      "bad-key",
    ],
    [
      "altered body",
      () => client.sign("AdminCreateUser", createBody("signed-name")),
      () => JSON.stringify(createBody("altered-name")),
      "InvalidSignatureException",
      "altered-name",
    ],
    [
      "expired date",
      () => client.sign("AdminCreateUser", createBody("expired"), { aws: { datetime: "20200101T000000Z" } }),
      undefined,
      "InvalidSignatureException",
      "expired",
    ],
  ] as const)("refuses %s and does not forward it", async (_name, makeRequest, alteredBody, errorType, username) => {
    emulator.resetStats();
    const request = await makeRequest();
    const res = await send(request, alteredBody?.());
    expect(res.status).toBe(400);
    expect(res.json["__type"]).toBe(errorType);
    expect(res.errorHeader).toBe(`${errorType}:`);
    expect(emulator.stats()["AdminCreateUser"]).toEqual({ calls: 1, ok: 0, errors: 0, throttled: 0, faulted: 0, rejectedSignature: 1 });
    await expectNotCreated(username);
  });

  it("refuses an altered target header (signed as AdminGetUser, sent as AdminCreateUser)", async () => {
    emulator.resetStats();
    const request = await client.sign("AdminGetUser", createBody("retargeted"));
    const headers = new Headers(request.headers);
    headers.set("x-amz-target", `${TARGET}AdminCreateUser`);
    const res = await send(new Request(request.url, { method: "POST", headers }), JSON.stringify(createBody("retargeted")));
    expect(res.json["__type"]).toBe("InvalidSignatureException");
    expect(emulator.stats()["AdminCreateUser"]).toMatchObject({ calls: 1, ok: 0, rejectedSignature: 1 });
    await expectNotCreated("retargeted");
  });

  it("refuses an unsigned call with MissingAuthenticationTokenException", async () => {
    emulator.resetStats();
    const res = await fetch(`${emulator.url}/`, {
      method: "POST",
      headers: { "x-amz-target": `${TARGET}AdminCreateUser`, "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify(createBody("unsigned")),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException:");
    expect(((await res.json()) as Record<string, unknown>)["__type"]).toBe("MissingAuthenticationTokenException");
    expect(emulator.stats()["AdminCreateUser"]).toMatchObject({ calls: 1, ok: 0, rejectedSignature: 1 });
    await expectNotCreated("unsigned");
  });

  it("accepts application/json from a signed client (forwarded as x-amz-json-1.1)", async () => {
    const aws = new AwsClient({ ...CREDS, service: "cognito-idp", region: "local", retries: 0 });
    const res = await aws.fetch(`${emulator.url}/`, {
      method: "POST",
      headers: { "x-amz-target": `${TARGET}DescribeUserPool`, "content-type": "application/json" },
      body: JSON.stringify({ UserPoolId: poolId }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
  });

  it("works with the AWS SDK v3 client, including typed errors", async () => {
    process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"; // Node 20 notice, not under test
    const sdk = new CognitoIdentityProviderClient({ endpoint: emulator.url, region: "local", credentials: CREDS, maxAttempts: 1 });
    try {
      const pool = await sdk.send(new CreateUserPoolCommand({ PoolName: "sdk", UsernameAttributes: ["email"] }));
      const id = pool.UserPool?.Id ?? "";
      expect(id).toMatch(/^local_/);
      const created = await sdk.send(
        new AdminCreateUserCommand({ UserPoolId: id, Username: "sdk@example.com", MessageAction: "SUPPRESS" }),
      );
      const sub = created.User?.Attributes?.find((a) => a.Name === "sub")?.Value;
      expect(created.User?.Username).toBe(sub);
      const got = await sdk.send(new AdminGetUserCommand({ UserPoolId: id, Username: "sdk@example.com" }));
      expect(got.Username).toBe(sub);
      expect(got.UserCreateDate).toBeInstanceOf(Date);
      await expect(sdk.send(new AdminGetUserCommand({ UserPoolId: id, Username: "nobody@example.com" }))).rejects.toBeInstanceOf(
        UserNotFoundException,
      );
      const wrongKey = new CognitoIdentityProviderClient({
        endpoint: emulator.url,
        region: "local",
        credentials: { ...CREDS, secretAccessKey: "wrong" },
        maxAttempts: 1,
      });
      await expect(wrongKey.send(new AdminGetUserCommand({ UserPoolId: id, Username: "sdk@example.com" }))).rejects.toMatchObject({
        name: "InvalidSignatureException",
      });
      wrongKey.destroy();
    } finally {
      sdk.destroy();
    }
  });
});
