// The emulator's knobs: per-category throttling, fault injection, stats, their HTTP control
// endpoints (used from workerd and other processes), and state surviving a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCognitoTestClient, type CognitoCallResult, type CognitoTestClient } from "../../dev/cognito-emulator/client.ts";
import { startCognitoEmulator, type EmulatorStats, type RunningCognitoEmulator } from "../../dev/cognito-emulator/index.ts";

const CREDS = { accessKeyId: "AKIDTESTCONTROLS", secretAccessKey: "test-secret-controls" };

let emulator: RunningCognitoEmulator;
let dataDir: string;
let client: CognitoTestClient;
let poolId: string;
let username: string;

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
  });
  return { status: res.status, json: await res.json() };
}

function getUser(): Promise<CognitoCallResult> {
  return client.call("AdminGetUser", { UserPoolId: poolId, Username: username });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cognito-emulator-controls-"));
  emulator = await startCognitoEmulator({ dataDir, credentials: [CREDS] });
  client = createCognitoTestClient({ url: emulator.url, credentials: CREDS });
  const pool = await client.call("CreateUserPool", { PoolName: "controls", AliasAttributes: ["email"], UserPoolTags: { kept: "yes" } });
  poolId = (pool.body["UserPool"] as { Id: string }).Id;
  username = "controlled";
  const created = await client.call("AdminCreateUser", { UserPoolId: poolId, Username: username, MessageAction: "SUPPRESS" });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
});

afterAll(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.setThrottle({});
  emulator.clearFaults();
  emulator.resetStats();
});

describe("throttling", () => {
  it("limit 5/s: the 6th immediate call is TooManyRequestsException with the AWS body and header", async () => {
    emulator.setThrottle({ UserRead: 5 });
    const results = await Promise.all(Array.from({ length: 6 }, () => getUser()));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 400]);
    const throttled = results.find((r) => r.status === 400);
    expect(throttled?.body).toEqual({ __type: "TooManyRequestsException", message: "Rate exceeded" });
    expect(throttled?.headers.get("x-amzn-errortype")).toBe("TooManyRequestsException:");
    expect(emulator.stats()["AdminGetUser"]).toMatchObject({ calls: 6, ok: 5, throttled: 1 });
  });

  it("refills at the configured rate", async () => {
    emulator.setThrottle({ UserRead: 2 });
    expect((await getUser()).status).toBe(200);
    expect((await getUser()).status).toBe(200);
    expect((await getUser()).errorType).toBe("TooManyRequestsException");
    await new Promise((resolve) => setTimeout(resolve, 550)); // 2/s → one token per 500 ms
    expect((await getUser()).status).toBe(200);
    expect((await getUser()).errorType).toBe("TooManyRequestsException");
  });

  it("limits only the configured category", async () => {
    emulator.setThrottle({ UserUpdate: 0 });
    expect((await client.call("AdminDisableUser", { UserPoolId: poolId, Username: username })).errorType).toBe("TooManyRequestsException");
    expect((await getUser()).status).toBe(200);
    expect(((await getUser()).body["Enabled"])).toBe(true);
  });

  it("is controlled over HTTP: POST /__emulator/throttle", async () => {
    expect(await control("POST", "/__emulator/throttle", { UserList: 0 })).toEqual({ status: 200, json: { UserList: 0 } });
    expect((await client.call("ListUsers", { UserPoolId: poolId })).errorType).toBe("TooManyRequestsException");
    expect((await control("GET", "/__emulator/throttle")).json).toEqual({ UserList: 0 });
    expect((await control("POST", "/__emulator/throttle", { NoSuchCategory: 1 })).status).toBe(400);
    expect((await control("POST", "/__emulator/throttle", { UserList: -1 })).status).toBe(400);
    await control("POST", "/__emulator/throttle", {});
    expect((await client.call("ListUsers", { UserPoolId: poolId })).status).toBe(200);
  });

  it("setThrottle rejects unknown categories", () => {
    expect(() => emulator.setThrottle({ Bogus: 1 } as never)).toThrow(TypeError);
  });
});

describe("fault injection", () => {
  it("fails the next N calls of one operation without forwarding them, then behaves normally", async () => {
    emulator.injectFault({ operation: "AdminDisableUser", errorType: "InternalErrorException", status: 500, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await client.call("AdminDisableUser", { UserPoolId: poolId, Username: username });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ __type: "InternalErrorException", message: "An internal error occurred." });
      expect(res.headers.get("x-amzn-errortype")).toBe("InternalErrorException:");
      expect((await getUser()).body["Enabled"]).toBe(true);
    }
    expect((await client.call("AdminDisableUser", { UserPoolId: poolId, Username: username })).status).toBe(200);
    expect((await getUser()).body["Enabled"]).toBe(false);
    expect(emulator.stats()["AdminDisableUser"]).toEqual({ calls: 3, ok: 1, errors: 0, throttled: 0, faulted: 2, rejectedSignature: 0 });
    await client.call("AdminEnableUser", { UserPoolId: poolId, Username: username });
  });

  it("is controlled over HTTP: POST and DELETE /__emulator/faults", async () => {
    const rule = { operation: "AdminGetUser", errorType: "TooManyRequestsException", status: 400, count: 3, message: "Too many requests" };
    expect((await control("POST", "/__emulator/faults", rule)).status).toBe(200);
    const faulted = await getUser();
    expect(faulted.body).toEqual({ __type: "TooManyRequestsException", message: "Too many requests" });
    expect((await control("GET", "/__emulator/faults")).json).toEqual([{ ...rule, count: 2 }]);
    expect((await control("DELETE", "/__emulator/faults")).status).toBe(200);
    expect((await getUser()).status).toBe(200);
    expect((await control("POST", "/__emulator/faults", { operation: "AdminGetUser", errorType: "X", status: 200, count: 1 })).status).toBe(400);
  });

  it("a bad signature is refused before any fault is consumed", async () => {
    emulator.injectFault({ operation: "AdminGetUser", errorType: "InternalErrorException", status: 500, count: 1 });
    const wrong = createCognitoTestClient({ url: emulator.url, credentials: { ...CREDS, secretAccessKey: "wrong" } });
    expect((await wrong.call("AdminGetUser", { UserPoolId: poolId, Username: username })).errorType).toBe("InvalidSignatureException");
    expect((await getUser()).status).toBe(500);
    expect((await getUser()).status).toBe(200);
  });
});

describe("stats and other endpoints", () => {
  it("counts per operation, over the API and over HTTP, and resets", async () => {
    await getUser();
    await client.call("AdminGetUser", { UserPoolId: poolId, Username: "ghost" });
    await client.call("ListUsers", { UserPoolId: poolId });
    const expected: EmulatorStats = {
      AdminGetUser: { calls: 2, ok: 1, errors: 1, throttled: 0, faulted: 0, rejectedSignature: 0 },
      ListUsers: { calls: 1, ok: 1, errors: 0, throttled: 0, faulted: 0, rejectedSignature: 0 },
    };
    expect(emulator.stats()).toEqual(expected);
    expect((await control("GET", "/__emulator/stats")).json).toEqual(expected);
    expect((await control("POST", "/__emulator/stats/reset")).status).toBe(200);
    expect(emulator.stats()).toEqual({});
  });

  it("GET /health answers without a signature", async () => {
    expect(await control("GET", "/health")).toEqual({ status: 200, json: { ok: true } });
  });

  it("an unknown target is UnknownOperationException", async () => {
    const signed = await client.aws.sign(`${emulator.url}/`, {
      method: "POST",
      headers: { "x-amz-target": "SomeOtherService.DoThing" },
      body: "{}",
    });
    const unknown = await fetch(signed);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Record<string, unknown>)["__type"]).toBe("UnknownOperationException");
  });

  it("refuses to bind to a non-loopback address", async () => {
    await expect(startCognitoEmulator({ host: "0.0.0.0", dataDir, credentials: [CREDS] })).rejects.toThrow(TypeError);
  });
});

describe("persistence", () => {
  it("pools, users, tags and links survive a restart on the same data dir", async () => {
    await client.call("AdminLinkProviderForUser", {
      UserPoolId: poolId,
      DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: username },
      SourceUser: { ProviderName: "AcmeSAML", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: "persisted-1" },
    });
    await emulator.close();
    emulator = await startCognitoEmulator({ dataDir, credentials: [CREDS] });
    client = createCognitoTestClient({ url: emulator.url, credentials: CREDS });
    const user = await getUser();
    expect(user.status, JSON.stringify(user.body)).toBe(200);
    const identities = (user.body["UserAttributes"] as { Name: string; Value: string }[]).find((a) => a.Name === "identities");
    expect(identities?.Value).toContain("persisted-1");
    const tags = await client.call("ListTagsForResource", { ResourceArn: `arn:aws:cognito-idp:local:local:userpool/${poolId}` });
    expect(tags.body).toEqual({ Tags: { kept: "yes" } });
    const described = await client.call("DescribeUserPool", { UserPoolId: poolId });
    expect((described.body["UserPool"] as Record<string, unknown>)["AliasAttributes"]).toEqual(["email"]);
  });
});
