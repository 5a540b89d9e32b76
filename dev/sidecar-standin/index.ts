/**
 * A local STAND-IN for the PropelAuth BYO sidecar's `/run-command` API, for tests, `npm run dev`
 * and benchmarks. It is never used in production: it keeps everything in memory, has no licence
 * or dashboard, and implements only Ping and the SCIM commands, following the project's reading
 * of the contract (/work/shared/byo-contract.md §10) wherever the real sidecar's behaviour is open.
 *
 * Also serves `GET /__standin/command-counts` and `POST /__standin/command-counts/reset` (loopback
 * clients only, no auth) so tests can count the worker's round trips.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createCommandCounts } from "./command-counts.ts";
import type { CommandReply } from "./command-reply.ts";
import { isJsonObject } from "./json.ts";
import { commandNameOf, createIntegrationKeyCheck, runCommand } from "./run-command.ts";
import { createStandinState } from "./standin-state.ts";

export interface SidecarStandinOptions {
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port to listen on. Default 0 = a random free port (read it from the result). */
  port?: number;
  /** The integration key every `/run-command` call must send as `Authorization: Bearer <key>`. */
  integrationKey: string;
  /** How long an `ActionRequired` commitId stays usable. Default 600_000 (10 minutes). */
  stagedChangeTtlMs?: number;
  /** Clock in milliseconds, for expiry tests. Default `Date.now`. */
  now?: () => number;
  /** Log one line per request to stdout. Default false. */
  logRequests?: boolean;
}

export interface RunningSidecarStandin {
  /** Base URL for `createClient({ url })`, e.g. "http://127.0.0.1:41234". */
  url: string;
  port: number;
  /** Stops listening and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Default `stagedChangeTtlMs`: 10 minutes (byo-contract §10.5). */
export const DEFAULT_STAGED_CHANGE_TTL_MS = 600_000;
/** Largest request body accepted; a 1,000-member group PATCH is about 50 KB. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

const COMMAND_COUNTS_PATH = "/__standin/command-counts";
const COMMAND_COUNTS_RESET_PATH = "/__standin/command-counts/reset";

class BodyTooLargeError extends Error {}

/**
 * Starts the stand-in and resolves once it is listening.
 * @throws TypeError when `integrationKey` is empty or `port` / `stagedChangeTtlMs` is out of range.
 * @example
 *   const sidecar = await startSidecarStandin({ integrationKey: "test-key" });
 *   const byo = createClient({ url: sidecar.url, integrationKey: "test-key" });
 *   // ...
 *   await sidecar.close();
 */
export async function startSidecarStandin(options: SidecarStandinOptions): Promise<RunningSidecarStandin> {
  if (typeof options.integrationKey !== "string" || options.integrationKey === "") {
    throw new TypeError("integrationKey is a required option");
  }
  const host = options.host ?? "127.0.0.1";
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(requestedPort)}`);
  }
  const stagedChangeTtlMs = options.stagedChangeTtlMs ?? DEFAULT_STAGED_CHANGE_TTL_MS;
  if (!Number.isFinite(stagedChangeTtlMs) || stagedChangeTtlMs <= 0) {
    throw new TypeError(`stagedChangeTtlMs must be a positive number, got ${String(stagedChangeTtlMs)}`);
  }

  const state = createStandinState({ stagedChangeTtlMs, now: options.now ?? Date.now });
  const counts = createCommandCounts();
  const checkIntegrationKey = createIntegrationKeyCheck(options.integrationKey);
  const logRequests = options.logRequests ?? false;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const pathname = new URL(request.url ?? "/", "http://standin.invalid").pathname;
    let label = `${request.method ?? "?"} ${pathname}`;
    let reply: CommandReply;

    if (pathname === "/run-command") {
      if (request.method !== "POST") {
        reply = { status: 405, body: { type: "UnexpectedError", details: "Use POST /run-command." } };
      } else {
        let rawBody: string | undefined;
        try {
          rawBody = await readBody(request);
        } catch (error) {
          if (!(error instanceof BodyTooLargeError)) throw error;
        }
        if (rawBody === undefined) {
          reply = { status: 413, body: { type: "UnexpectedError", details: `Body larger than ${MAX_REQUEST_BODY_BYTES} bytes.` } };
        } else {
          const command = commandNameOf(rawBody);
          if (command !== undefined) counts.record(command);
          if (logRequests) label = describeForLog(rawBody, command);
          reply = runCommand(state, { authorization: request.headers.authorization, rawBody }, checkIntegrationKey);
        }
      }
    } else if (pathname === COMMAND_COUNTS_PATH || pathname === COMMAND_COUNTS_RESET_PATH) {
      reply = commandCountsEndpoint(request, pathname);
    } else {
      reply = { status: 404, body: { type: "UnexpectedError", details: `No route ${pathname} on the sidecar stand-in.` } };
    }

    const payload = JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
    });
    response.end(payload);
    if (logRequests) {
      console.log(`[sidecar-standin] ${label} -> ${reply.status} (${(performance.now() - started).toFixed(1)} ms)`);
    }
  };

  function commandCountsEndpoint(request: IncomingMessage, pathname: string): CommandReply {
    if (!isLoopback(request.socket.remoteAddress)) {
      return { status: 403, body: { type: "UnexpectedError", details: "Only loopback clients may read command counts." } };
    }
    if (pathname === COMMAND_COUNTS_PATH && request.method === "GET") return { status: 200, body: counts.snapshot() };
    if (pathname === COMMAND_COUNTS_RESET_PATH && request.method === "POST") {
      counts.reset();
      return { status: 200, body: counts.snapshot() };
    }
    return { status: 405, body: { type: "UnexpectedError", details: `Wrong method for ${pathname}.` } };
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error("[sidecar-standin] request failed:", error);
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ type: "UnexpectedError", details: String(error) }));
      } else {
        response.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen(requestedPort, host, () => {
      server.off("error", onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY_BYTES) {
        request.removeAllListeners("data");
        request.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

function describeForLog(rawBody: string, command: string | undefined): string {
  if (command !== "ScimRequest") return command ?? "(unreadable command)";
  try {
    const parsed: unknown = JSON.parse(rawBody);
    const data = isJsonObject(parsed) ? parsed["data"] : undefined;
    if (isJsonObject(data)) return `ScimRequest ${String(data["method"])} ${String(data["pathAndQueryParams"])}`;
  } catch {
    // fall through
  }
  return "ScimRequest";
}
