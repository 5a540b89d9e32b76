/**
 * The reference: the same SCIM ingress written the conventional way, as a Node.js server with
 * `node:http`, `@propelauth/byo-node`'s own `createClient` (global fetch) and the AWS SDK v3
 * Cognito client (default retry and keep-alive settings). It does what the worker does on the
 * benchmarked paths: check the bearer token and the JSON body, send the sidecar a ScimRequest,
 * answer `Completed` as is, and for `ActionRequired` DisableUser call AdminDisableUser and
 * AdminUserGlobalSignOut, then CommitScimUserChange, and answer with the sidecar's final word.
 * Like the worker it writes one JSON log line per request. It serves one pool from its settings
 * (a conventional single-tenant deployment), so it has no KV lookup. LinkUser is out of scope.
 *
 *   BYO_URL=... BYO_INTEGRATION_KEY=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
 *   AWS_REGION=local COGNITO_ENDPOINT=... USER_POOL_ID=... npx tsx bench/reference-server/server.ts
 *
 * Prints `{"url": "http://127.0.0.1:<port>"}` once listening on loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { serveAsChild } from "../lib/serve-as-child.ts";
import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import { createClient, type ScimRequestCommand } from "@propelauth/byo-node";

const MAX_BODY_BYTES = 1024 * 1024;
const SCIM_CONTENT_TYPE = "application/scim+json";
const SCIM_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const basePath = process.env["SCIM_BASE_PATH"] ?? "/api/scim";
const userPoolId = required("USER_POOL_ID");
const byo = createClient({ url: required("BYO_URL"), integrationKey: required("BYO_INTEGRATION_KEY") });
const cognito = new CognitoIdentityProviderClient({
  region: required("AWS_REGION"),
  ...(process.env["COGNITO_ENDPOINT"] ? { endpoint: process.env["COGNITO_ENDPOINT"] } : {}),
  credentials: { accessKeyId: required("AWS_ACCESS_KEY_ID"), secretAccessKey: required("AWS_SECRET_ACCESS_KEY") },
});

function scimError(res: ServerResponse, status: number, detail: string): void {
  send(res, status, { schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status), detail });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined || body === null || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": SCIM_CONTENT_TYPE, "content-length": String(Buffer.byteLength(payload)), ...headers });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Disabling or deleting a user Cognito no longer has is the desired state. */
async function ignoringMissingUser(run: () => Promise<unknown>): Promise<"done" | "missing"> {
  try {
    await run();
    return "done";
  } catch (error) {
    if (error instanceof UserNotFoundException) return "missing";
    throw error;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<string> {
  const url = req.url ?? "/";
  const path = url.split("?")[0] ?? "/";
  if (path !== basePath && !path.startsWith(`${basePath}/`)) {
    scimError(res, 404, "Not found.");
    return "route_not_found";
  }
  const method = (req.method ?? "GET").toUpperCase();
  if (!SCIM_METHODS.has(method)) {
    scimError(res, 405, "Method not allowed.");
    return "method_not_allowed";
  }
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
  if (token === undefined) {
    scimError(res, 401, "Authentication required.");
    return "missing_credentials";
  }
  let body: ScimRequestCommand["body"];
  const text = await readBody(req);
  if (text === undefined) {
    scimError(res, 413, "Request body too large.");
    return "body_too_large";
  }
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    try {
      body = JSON.parse(text) as ScimRequestCommand["body"];
    } catch {
      scimError(res, 400, "Request body is not valid JSON.");
      return "invalid_json";
    }
  }

  const relative = url.slice(basePath.length) || "/";
  const answer = await byo.scim.scimRequest({
    method: method as ScimRequestCommand["method"],
    pathAndQueryParams: relative,
    ...(body === undefined ? {} : { body }),
    scimApiKey: token,
  });
  if (!answer.ok) {
    const facing = answer.error as { statusToReturn?: number; bodyToReturn?: unknown };
    if (typeof facing.statusToReturn === "number") {
      send(res, facing.statusToReturn, facing.bodyToReturn ?? { detail: "Request rejected." });
      return "rejected";
    }
    scimError(res, 502, "The provisioning service is unavailable.");
    return "error:sidecar";
  }
  const first = answer.data;
  if (first.status === "Completed") {
    send(res, first.responseHttpCode, first.responseData);
    return "completed";
  }
  if (first.action === "LinkUser") {
    scimError(res, 501, "Not implemented in the reference server.");
    return "action:LinkUser";
  }

  const input = { UserPoolId: userPoolId, Username: first.userId };
  try {
    if (first.action === "DisableUser") {
      const disabled = await ignoringMissingUser(() => cognito.send(new AdminDisableUserCommand(input)));
      if (disabled === "done") await ignoringMissingUser(() => cognito.send(new AdminUserGlobalSignOutCommand(input)));
    } else if (first.action === "EnableUser") {
      if ((await ignoringMissingUser(() => cognito.send(new AdminEnableUserCommand(input)))) === "missing") {
        scimError(res, 404, "User not found.");
        return "error:user_missing";
      }
    } else {
      await ignoringMissingUser(() => cognito.send(new AdminDeleteUserCommand(input)));
    }
  } catch (error) {
    const throttled = error instanceof Error && error.name === "TooManyRequestsException";
    scimError(res, throttled ? 429 : 503, "Try again later.");
    return `error:cognito:${error instanceof Error ? error.name : "unknown"}`;
  }

  const committed = await byo.scim.commitScimUserChange({ connectionId: first.connectionId, commitId: first.commitId });
  if (!committed.ok) {
    scimError(res, 502, "The provisioning service is unavailable.");
    return "error:commit";
  }
  send(res, committed.data.responseHttpCode, committed.data.responseData);
  return `action:${first.action}`;
}

const server = createServer((req, res) => {
  const started = Date.now();
  handle(req, res).then(
    (outcome) => {
      console.log(JSON.stringify({ level: "info", event: "scim_request", method: req.method, outcome, status: res.statusCode, totalMs: Date.now() - started }));
    },
    (error: unknown) => {
      if (!res.headersSent) scimError(res, 500, "Internal error.");
      console.log(JSON.stringify({ level: "error", event: "unhandled_error", errorName: error instanceof Error ? error.name : "unknown" }));
    },
  );
});
serveAsChild(server, Number(process.env["PORT"] ?? 0));
