/**
 * Transport of the BYO sidecar stand-in: /run-command auth, malformed input, Ping, the command
 * counters, and the CLI.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createClient } from "@propelauth/byo-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecarStandin } from "../../dev/sidecar-standin/index.ts";
import { okData, startStandinHarness, TEST_INTEGRATION_KEY, type StandinHarness } from "../../dev/sidecar-standin/testing.ts";

let harness: StandinHarness;
beforeAll(async () => {
  harness = await startStandinHarness({ now: () => Date.UTC(2030, 0, 1, 12, 0, 0) });
});
afterAll(() => harness.close());

describe("integration key", () => {
  it("answers 401 NoIntegrationKeyFoundInHeader without an Authorization header", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "Ping", data: {} }), {});
    expect(reply).toEqual({ status: 401, body: { type: "NoIntegrationKeyFoundInHeader" } });
  });

  it("answers 401 NoIntegrationKeyFoundInHeader for a non-Bearer header", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "Ping", data: {} }), {
      authorization: `Basic ${TEST_INTEGRATION_KEY}`,
    });
    expect(reply).toEqual({ status: 401, body: { type: "NoIntegrationKeyFoundInHeader" } });
  });

  it("answers 401 IntegrationKeyNotFound for a wrong key, and runs nothing", async () => {
    const wrong = createClient({ url: harness.standin.url, integrationKey: "not-the-key" });
    const result = await wrong.scim.management.createScimConnection({ customerId: "never-created" });
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.error).toEqual({ type: "IntegrationKeyNotFound" });
    const fetched = await harness.byo.scim.management.fetchScimConnection({ customerId: "never-created" });
    expect(fetched.ok ? fetched.data : fetched.error).toEqual({ type: "ScimConnectionNotFound" });
  });

  it("rejects a key that only shares a prefix with the right one", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "Ping", data: {} }), {
      authorization: `Bearer ${TEST_INTEGRATION_KEY}x`,
    });
    expect(reply.status).toBe(401);
  });
});

describe("malformed calls", () => {
  it("answers 400 UnexpectedError for a body that is not JSON", async () => {
    const reply = await harness.rawRunCommand("{not json");
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ type: "UnexpectedError", details: expect.any(String) });
  });

  it("answers 400 UnexpectedError for an unknown command", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "LaunchRockets", data: {} }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ type: "UnexpectedError", details: expect.stringContaining("LaunchRockets") });
  });

  it("does not treat Object.prototype names as commands", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "constructor", data: {} }));
    expect(reply.status).toBe(400);
  });

  it("answers 400 UnexpectedError when the data does not fit the command", async () => {
    const reply = await harness.rawRunCommand(JSON.stringify({ command: "ScimRequest", data: { method: "GET" } }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ type: "UnexpectedError", details: expect.stringContaining("pathAndQueryParams") });
  });

  it("answers 405 to GET /run-command and 404 to unknown routes, always with JSON", async () => {
    const get = await fetch(`${harness.standin.url}/run-command`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ type: "UnexpectedError" });
    const missing = await fetch(`${harness.standin.url}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: "UnexpectedError" });
  });
});

describe("Ping", () => {
  it("returns the injected clock in seconds", async () => {
    expect(okData(await harness.byo.ping({}))).toEqual({ timestamp: Date.UTC(2030, 0, 1, 12, 0, 0) / 1000 });
  });
});

describe("command counts", () => {
  it("counts each /run-command call by command, whatever its outcome, and resets", async () => {
    await harness.resetCommandCounts();
    expect(await harness.commandCounts()).toEqual({});

    await harness.byo.ping({});
    await harness.byo.ping({});
    await harness.byo.scim.scimRequest({ method: "GET", pathAndQueryParams: "/Users", scimApiKey: "scim_wrong" });
    await harness.rawRunCommand(JSON.stringify({ command: "Ping", data: {} }), {});
    await harness.rawRunCommand("{not json");

    expect(await harness.commandCounts()).toEqual({ Ping: 3, ScimRequest: 1 });
    await harness.resetCommandCounts();
    expect(await harness.commandCounts()).toEqual({});
  });

  it("does not count reads of the counters themselves", async () => {
    await harness.resetCommandCounts();
    await harness.commandCounts();
    await harness.commandCounts();
    expect(await harness.commandCounts()).toEqual({});
  });
});

describe("startSidecarStandin options", () => {
  it("refuses an empty integration key", async () => {
    await expect(startSidecarStandin({ integrationKey: "" })).rejects.toThrow(TypeError);
  });

  it("listens on 127.0.0.1 on a random port by default and closes idempotently", async () => {
    const standin = await startSidecarStandin({ integrationKey: "k" });
    expect(standin.url).toBe(`http://127.0.0.1:${standin.port}`);
    expect(standin.port).toBeGreaterThan(0);
    await standin.close();
    await standin.close();
    await expect(fetch(`${standin.url}/run-command`, { method: "POST" })).rejects.toThrow();
  });

  it("closes even while a client holds a keep-alive connection", async () => {
    const standin = await startSidecarStandin({ integrationKey: "k" });
    const client = createClient({ url: standin.url, integrationKey: "k" });
    okData(await client.ping({}));
    await standin.close();
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe("CLI (dev/sidecar-standin/main.ts)", () => {
  it("prints its URL, serves requests and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "dev/sidecar-standin/main.ts"], {
      cwd: new URL("../../", import.meta.url),
      env: { ...process.env, BYO_INTEGRATION_KEY: "cli-key", SIDECAR_STANDIN_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.once("exit", (code) => reject(new Error(`CLI exited early with ${String(code)}: ${output}`)));
      });
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const client = createClient({ url, integrationKey: "cli-key" });
      expect(okData(await client.ping({})).timestamp).toBeGreaterThan(0);

      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);

  it("exits 1 without BYO_INTEGRATION_KEY", async () => {
    const env = { ...process.env };
    delete env["BYO_INTEGRATION_KEY"];
    const child = spawn(process.execPath, ["--import", "tsx", "dev/sidecar-standin/main.ts"], {
      cwd: new URL("../../", import.meta.url),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
  }, 20_000);
});
