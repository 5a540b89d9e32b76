/**
 * `/admin`: the JSON admin API (docs/admin-api.md, OpenAPI at /admin/openapi.json) and the HTML
 * setup page. Order of checks on every request: admin enabled (else the same 404 as any unknown
 * path) → authenticated (Access JWT or ADMIN_TOKEN) → same-origin for unsafe methods → route.
 * Each authenticated request writes one `admin_action` log line: who, what, what changed —
 * never a key, token or JWT.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { Config } from "../config";
import type { WorkerEnv } from "../env";
import type { LogFields } from "../log";
import type { CustomerPoolRecord } from "../pools/pool-directory";
import type { RuntimeDeps } from "../request-services";
import { fail, ok, type Result } from "../result";
import { failureResponse } from "../scim/scim-error";
import { createAdminAuthenticator, type AdminActor } from "./admin-auth";
import { adminFailureResponse, describeAdminFailure, type AdminFailure } from "./admin-errors";
import {
  createConnectionRequestSchema,
  customerIdSchema,
  DEFAULT_USERS_PAGE_SIZE,
  firstIssue,
  MAX_USERS_PAGE_SIZE,
  pageParam,
  putPoolRequestSchema,
  rotateKeyRequestSchema,
} from "./admin-schemas";
import { createAdminServices, type AdminServices } from "./admin-services";
import {
  createConnection,
  deleteConnection,
  deletePool,
  effectiveMapping,
  getPool,
  listUsers,
  putPool,
  readConnection,
  rotateKey,
  type EffectiveMapping,
} from "./connection-admin";
import { crossSiteReason, CSRF_FIELD, csrfCookie, csrfTokenFromCookie, csrfTokenMatches, newCsrfToken } from "./csrf";
import { openApiDocument } from "./openapi";
import { renderSetupPage, type SetupPageView } from "./setup-page";
import type { ScimConnectionInfo } from "../sidecar/connection-management";

/** Largest JSON body the admin API reads. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

type AuditRecord = Record<string, string | number | boolean | readonly string[] | undefined>;

export type AdminEnv = {
  Bindings: WorkerEnv;
  Variables: { config: Config; actor: AdminActor; audit: AuditRecord };
};

type AdminContext = Context<AdminEnv>;

const NO_STORE = { "cache-control": "no-store" };

export function createAdminApp(runtime: RuntimeDeps): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();
  const authenticator = createAdminAuthenticator(runtime);
  const services = (c: AdminContext): AdminServices => createAdminServices(c.var.config, c.env, runtime);

  admin.use("*", async function adminGate(c, next) {
    const settings = c.var.config.admin;
    // Off unless configured, and indistinguishable from a path that does not exist.
    if (authenticator.mode(settings) === null) return failureResponse({ kind: "route_not_found" });
    const authenticated = await authenticator.authenticate(settings, c.req.raw.headers);
    if (!authenticated.ok) {
      runtime.logger.log("warn", "admin_auth_failed", {
        method: c.req.method,
        path: c.req.path,
        failure: authenticated.error.kind,
        reason: describeAdminFailure(authenticated.error),
      });
      return adminFailureResponse(authenticated.error);
    }
    c.set("actor", authenticated.value);
    c.set("audit", {});
    await next();
    const audit = c.var.audit;
    runtime.logger.log(c.res.status >= 500 ? "error" : "info", "admin_action", {
      actor: authenticated.value.id,
      via: authenticated.value.via,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ...audit,
      outcome: audit["outcome"] ?? (c.res.status < 400 ? "ok" : `status:${c.res.status}`),
    } satisfies LogFields);
    return c.res;
  });

  admin.use("*", async function sameOriginOnly(c, next) {
    const reason = crossSiteReason(c.req.method, c.req.url, c.req.raw.headers);
    if (reason !== null) return failWith(c, { kind: "cross_site_request", reason });
    return next();
  });

  admin.use(
    "*",
    bodyLimit({ maxSize: MAX_ADMIN_BODY_BYTES, onError: (c) => failWith(c as unknown as AdminContext, { kind: "body_too_large" }) }),
  );

  admin.get("/openapi.json", (c) => {
    audit(c, { action: "openapi.read" });
    return c.json(openApiDocument(new URL(c.req.url).origin));
  });

  // --- Connections ---------------------------------------------------------------------------

  admin.post("/connections", async (c) => {
    audit(c, { action: "connection.create" });
    const body = await readJsonBody(c, createConnectionRequestSchema);
    if (!body.ok) return failWith(c, body.error);
    const input = body.value;
    audit(c, { customerId: input.customerId });
    if (input.userPoolId === undefined && (input.shared !== undefined || input.identityProvider !== undefined)) {
      return failWith(c, { kind: "invalid_input", field: "userPoolId", message: "userPoolId is required when shared or identityProvider is given." });
    }
    const expiry = futureSeconds(input.keyExpiresAt, runtime.clock.now());
    if (!expiry.ok) return failWith(c, expiry.error);
    const mapping: CustomerPoolRecord | undefined =
      input.userPoolId === undefined
        ? undefined
        : {
            userPoolId: input.userPoolId,
            shared: input.shared ?? false,
            ...(input.identityProvider === undefined ? {} : { identityProvider: input.identityProvider }),
          };

    const created = await createConnection(services(c), {
      customerId: input.customerId,
      ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
      ...(mapping === undefined ? {} : { mapping }),
      ...(expiry.value === undefined ? {} : { keyExpiresAt: expiry.value }),
    });
    if (!created.ok) {
      if (created.error.kind === "mapping_write_failed") {
        audit(c, { connectionId: created.error.connectionId, rolledBack: created.error.connectionRemoved, userPoolId: mapping?.userPoolId });
      }
      return failWith(c, created.error);
    }
    const { connectionId, scimApiKey } = created.value;
    audit(c, {
      connectionId,
      userPoolId: created.value.mapping?.userPoolId,
      shared: created.value.mapping?.shared,
      expiresAt: isoOrNull(expiry.value ?? null) ?? "never",
      changed: ["connection created", ...(created.value.mapping ? ["pool mapping written"] : [])],
    });
    return c.json(
      {
        connectionId,
        customerId: input.customerId,
        scimBaseUrl: scimBaseUrl(c),
        scimApiKey,
        keyExpiresAt: isoOrNull(expiry.value ?? null),
        mapping: created.value.mapping ? { customerId: input.customerId, ...created.value.mapping } : null,
      },
      201,
      NO_STORE,
    );
  });

  admin.get("/connections/:customerId", async (c) => {
    audit(c, { action: "connection.read" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const read = await readConnection(services(c), customerId.value);
    if (!read.ok) return failWith(c, read.error);
    const { connection, mapping } = read.value;
    audit(c, { connectionId: connection.connectionId });
    return c.json(
      {
        connectionId: connection.connectionId,
        customerId: connection.customerId,
        displayName: connection.displayName,
        keyExpiresAt: isoOrNull(connection.scimApiKeyValidUntil),
        scimBaseUrl: scimBaseUrl(c),
        mapping,
      },
      200,
      NO_STORE,
    );
  });

  admin.post("/connections/:customerId/rotate-key", async (c) => {
    audit(c, { action: "connection.rotate_key" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const body = await readJsonBody(c, rotateKeyRequestSchema);
    if (!body.ok) return failWith(c, body.error);
    const expiry = futureSeconds(body.value.keyExpiresAt, runtime.clock.now());
    if (!expiry.ok) return failWith(c, expiry.error);
    const rotated = await rotateKey(services(c), customerId.value, expiry.value);
    if (!rotated.ok) return failWith(c, rotated.error);
    audit(c, { connectionId: rotated.value.connectionId, expiresAt: isoOrNull(expiry.value ?? null) ?? "never", changed: ["api key rotated"] });
    return c.json(
      { connectionId: rotated.value.connectionId, customerId: customerId.value, scimApiKey: rotated.value.scimApiKey, keyExpiresAt: isoOrNull(expiry.value ?? null) },
      200,
      NO_STORE,
    );
  });

  admin.delete("/connections/:customerId", async (c) => {
    audit(c, { action: "connection.delete" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const withMappingRaw = c.req.query("withMapping");
    if (withMappingRaw !== undefined && withMappingRaw !== "true" && withMappingRaw !== "false") {
      return failWith(c, { kind: "invalid_input", field: "withMapping", message: "withMapping must be true or false." });
    }
    const withMapping = withMappingRaw === "true";
    audit(c, { withMapping });
    const deleted = await deleteConnection(services(c), customerId.value, withMapping);
    if (!deleted.ok) {
      if (deleted.error.kind === "mapping_delete_failed") audit(c, { changed: ["connection deleted"] });
      return failWith(c, deleted.error);
    }
    audit(c, { mappingDeleted: deleted.value.mappingDeleted, changed: ["connection deleted", ...(deleted.value.mappingDeleted ? ["pool mapping deleted"] : [])] });
    return c.json({ customerId: customerId.value, connectionDeleted: true, mappingDeleted: deleted.value.mappingDeleted }, 200, NO_STORE);
  });

  admin.get("/connections/:customerId/users", async (c) => {
    audit(c, { action: "users.list" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const page = pageParam(c.req.query("page"), { min: 0, max: 999_999, fallback: 0 });
    if (page === undefined) return failWith(c, { kind: "invalid_input", field: "page", message: "page must be a whole number, 0 or more." });
    const pageSize = pageParam(c.req.query("pageSize"), { min: 1, max: MAX_USERS_PAGE_SIZE, fallback: DEFAULT_USERS_PAGE_SIZE });
    if (pageSize === undefined) {
      return failWith(c, { kind: "invalid_input", field: "pageSize", message: `pageSize must be a whole number from 1 to ${MAX_USERS_PAGE_SIZE}.` });
    }
    const listed = await listUsers(services(c), customerId.value, page, pageSize);
    if (!listed.ok) return failWith(c, listed.error);
    const { cognitoFailure, ...result } = listed.value;
    audit(c, {
      connectionId: result.connectionId,
      userPoolId: result.userPoolId ?? undefined,
      page: result.page,
      users: result.users.length,
      ...(cognitoFailure ? { reason: `cognito: ${describeAdminFailure(cognitoFailure) ?? cognitoFailure.kind}` } : {}),
    });
    return c.json({ customerId: customerId.value, ...result }, 200, NO_STORE);
  });

  // --- Pool mappings -------------------------------------------------------------------------

  admin.put("/customers/:customerId/pool", async (c) => {
    audit(c, { action: "pool.put" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const body = await readJsonBody(c, putPoolRequestSchema);
    if (!body.ok) return failWith(c, body.error);
    const record: CustomerPoolRecord = {
      userPoolId: body.value.userPoolId,
      shared: body.value.shared ?? false,
      ...(body.value.identityProvider === undefined ? {} : { identityProvider: body.value.identityProvider }),
    };
    audit(c, { userPoolId: record.userPoolId, shared: record.shared });
    const stored = await putPool(services(c), customerId.value, record);
    if (!stored.ok) return failWith(c, stored.error);
    audit(c, { changed: ["pool mapping written"] });
    return c.json({ customerId: customerId.value, ...stored.value }, 200, NO_STORE);
  });

  admin.get("/customers/:customerId/pool", async (c) => {
    audit(c, { action: "pool.read" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const stored = await getPool(services(c), customerId.value);
    if (!stored.ok) return failWith(c, stored.error);
    return c.json({ customerId: customerId.value, ...stored.value }, 200, NO_STORE);
  });

  admin.delete("/customers/:customerId/pool", async (c) => {
    audit(c, { action: "pool.delete" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const removed = await deletePool(services(c), customerId.value);
    if (!removed.ok) return failWith(c, removed.error);
    audit(c, { changed: ["pool mapping deleted"] });
    return c.json({ customerId: customerId.value, mappingDeleted: true }, 200, NO_STORE);
  });

  // --- Setup page ----------------------------------------------------------------------------

  admin.get("/setup/:customerId", async (c) => {
    audit(c, { action: "setup.view" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const state = await setupState(services(c), customerId.value);
    return setupPage(c, { customerId: customerId.value, ...state }, state.connection === undefined ? 502 : 200);
  });

  admin.post("/setup/:customerId/connection", async (c) => {
    audit(c, { action: "setup.create" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const form = await checkedForm(c);
    if (!form.ok) return failWith(c, form.error);
    const rawName = form.value["displayName"];
    const displayName = typeof rawName === "string" && rawName.trim() !== "" ? rawName.trim() : undefined;
    if (displayName !== undefined && displayName.length > 255) {
      return failWith(c, { kind: "invalid_input", field: "displayName", message: "displayName must be at most 255 characters." });
    }
    const s = services(c);
    const created = await createConnection(s, { customerId: customerId.value, ...(displayName === undefined ? {} : { displayName }) });
    if (!created.ok) {
      markFailure(c, created.error);
      return setupPage(c, { customerId: customerId.value, ...(await setupState(s, customerId.value)), notice: noticeFor(created.error) }, statusOf(created.error));
    }
    audit(c, { connectionId: created.value.connectionId, changed: ["connection created"] });
    return setupPage(
      c,
      {
        customerId: customerId.value,
        ...(await setupState(s, customerId.value)),
        newKey: created.value.scimApiKey,
        notice: { tone: "success", text: "The SCIM connection was created. Enter the base URL and the API key in your identity provider." },
      },
      201,
    );
  });

  admin.post("/setup/:customerId/rotate-key", async (c) => {
    audit(c, { action: "setup.rotate_key" });
    const customerId = customerParam(c);
    if (!customerId.ok) return failWith(c, customerId.error);
    const form = await checkedForm(c);
    if (!form.ok) return failWith(c, form.error);
    const s = services(c);
    const rotated = await rotateKey(s, customerId.value);
    if (!rotated.ok) {
      markFailure(c, rotated.error);
      return setupPage(c, { customerId: customerId.value, ...(await setupState(s, customerId.value)), notice: noticeFor(rotated.error) }, statusOf(rotated.error));
    }
    audit(c, { connectionId: rotated.value.connectionId, changed: ["api key rotated"] });
    return setupPage(
      c,
      {
        customerId: customerId.value,
        ...(await setupState(s, customerId.value)),
        newKey: rotated.value.scimApiKey,
        notice: { tone: "success", text: "The API key was rotated: the previous key no longer works. Enter the new key in your identity provider." },
      },
      200,
    );
  });

  admin.all("*", (c) => {
    audit(c, { action: "unknown" });
    return failWith(c, { kind: "route_not_found" });
  });

  admin.onError((error, c) => {
    runtime.logger.log("error", "admin_unhandled_error", { errorName: error.name, errorMessage: error.message.slice(0, 200) });
    return failWith(c, { kind: "internal", reason: error.name });
  });

  return admin;
}

// --- Helpers ---------------------------------------------------------------------------------

function audit(c: AdminContext, fields: AuditRecord): void {
  const record = c.get("audit") as AuditRecord | undefined;
  if (record) Object.assign(record, fields);
}

function markFailure(c: AdminContext, failure: AdminFailure): void {
  audit(c, { outcome: `error:${failure.kind}`, reason: describeAdminFailure(failure) });
}

function failWith(c: AdminContext, failure: AdminFailure): Response {
  markFailure(c, failure);
  return adminFailureResponse(failure);
}

/** The status the JSON API would answer for this failure; the setup page answers the same one. */
function statusOf(failure: AdminFailure): number {
  return adminFailureResponse(failure).status;
}

function customerParam(c: AdminContext): Result<string, AdminFailure> {
  const raw = c.req.param("customerId") ?? "";
  const parsed = customerIdSchema.safeParse(raw);
  if (parsed.success) audit(c, { customerId: parsed.data });
  return parsed.success
    ? ok(parsed.data)
    : fail({ kind: "invalid_input", field: "customerId", message: `customerId ${parsed.error.issues[0]?.message ?? "is invalid"}.` });
}

/** An empty body counts as `{}`, so a missing required field is reported by name. */
async function readJsonBody<S extends z.ZodType>(c: AdminContext, schema: S): Promise<Result<z.infer<S>, AdminFailure>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) return fail({ kind: "unsupported_media_type" });
    try {
      value = JSON.parse(text);
    } catch {
      return fail({ kind: "invalid_json" });
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  const issue = firstIssue(parsed.error, value);
  return fail({ kind: "invalid_input", field: issue.field, message: issue.message });
}

/** ISO 8601 -> UNIX seconds, which must lie in the future. */
function futureSeconds(iso: string | undefined, nowMs: number): Result<number | undefined, AdminFailure> {
  if (iso === undefined) return ok(undefined);
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms <= nowMs) return fail({ kind: "invalid_input", field: "keyExpiresAt", message: "keyExpiresAt must be in the future." });
  return ok(Math.floor(ms / 1000));
}

function isoOrNull(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString();
}

function scimBaseUrl(c: AdminContext): string {
  return new URL(c.req.url).origin + c.var.config.scimBasePath;
}

async function checkedForm(c: AdminContext): Promise<Result<Record<string, unknown>, AdminFailure>> {
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header("content-type") ?? "")) {
    return fail({ kind: "csrf_token_invalid" });
  }
  const form = (await c.req.parseBody()) as Record<string, unknown>;
  return (await csrfTokenMatches(c.req.header("cookie") ?? null, form[CSRF_FIELD])) ? ok(form) : fail({ kind: "csrf_token_invalid" });
}

async function setupState(
  services: AdminServices,
  customerId: string,
): Promise<{ connection: ScimConnectionInfo | null | undefined; mapping: EffectiveMapping | null | undefined }> {
  const [fetched, mapping] = await Promise.all([services.connections.fetch({ customerId }), effectiveMapping(services, customerId)]);
  const connection = fetched.ok ? fetched.value : fetched.error.kind === "connection_not_found" ? null : undefined;
  return { connection, mapping: mapping.ok ? mapping.value : undefined };
}

function noticeFor(failure: AdminFailure): SetupPageView["notice"] {
  switch (failure.kind) {
    case "connection_exists":
      return { tone: "error", text: "A SCIM connection already exists for this customer. Rotate its API key if the key was lost." };
    case "connection_not_found":
      return { tone: "error", text: "There is no SCIM connection for this customer yet; create one first." };
    default:
      return { tone: "error", text: "The request failed; nothing was changed. Try again later." };
  }
}

async function setupPage(
  c: AdminContext,
  state: Omit<SetupPageView, "csrfToken" | "nonce" | "scimBaseUrl">,
  status: number,
): Promise<Response> {
  const csrfToken = csrfTokenFromCookie(c.req.header("cookie") ?? null) ?? newCsrfToken();
  const nonce = newCsrfToken();
  const html = await renderSetupPage({ ...state, scimBaseUrl: scimBaseUrl(c), csrfToken, nonce });
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "set-cookie": csrfCookie(csrfToken, new URL(c.req.url).protocol === "https:"),
    },
  });
}
