/**
 * The OpenAPI 3.1 description of `/admin`, served at `/admin/openapi.json`. Paths are written
 * here; every body schema is generated from the zod schemas the routes parse with
 * (admin-schemas.ts), so the document and the code share one definition. A test checks that
 * every registered route appears here and nothing else does.
 */
import * as z from "zod";
import {
  adminSchemaRegistry,
  customerIdSchema,
  DEFAULT_USERS_PAGE_SIZE,
  MAX_USERS_PAGE_SIZE,
} from "./admin-schemas";

type JsonObject = Record<string, unknown>;

const ref = (id: string): JsonObject => ({ $ref: `#/components/schemas/${id}` });
const jsonContent = (id: string): JsonObject => ({ "application/json": { schema: ref(id) } });

const errorResponse = (description: string): JsonObject => ({ description, content: jsonContent("Error") });

/** Answers every admin route can give besides its own. */
const COMMON_ERRORS: JsonObject = {
  "401": errorResponse("Missing or invalid credentials (Access JWT or ADMIN_TOKEN)."),
  "403": errorResponse("A cross-site browser request (Origin / Sec-Fetch-Site), or a setup form without a valid CSRF token."),
  "503": errorResponse("An upstream (Access JWKS, KV, Cognito) is unavailable or throttling; see Retry-After."),
};

function withoutMeta(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

const customerIdParam = {
  name: "customerId",
  in: "path",
  required: true,
  description: customerIdSchema.description,
  schema: withoutMeta(z.toJSONSchema(customerIdSchema, { io: "input" }) as JsonObject),
};

function componentSchemas(): JsonObject {
  const generated = z.toJSONSchema(adminSchemaRegistry, { io: "input", uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(generated.schemas).map(([id, schema]) => [id, withoutMeta(schema as JsonObject)]));
}

const sidecarErrors: JsonObject = {
  "502": errorResponse("The sidecar (or Cognito) refused or failed the command."),
  "504": errorResponse("The sidecar did not answer in time."),
};

const htmlPage = (description: string): JsonObject => ({ description, content: { "text/html": { schema: { type: "string" } } } });

const setupForm = (fields: JsonObject): JsonObject => ({
  required: true,
  content: {
    "application/x-www-form-urlencoded": {
      schema: {
        type: "object",
        properties: { csrf: { type: "string", description: "The page's CSRF token (must equal the admin_csrf cookie)." }, ...fields },
        required: ["csrf"],
      },
    },
  },
});

function paths(): JsonObject {
  return {
    "/admin/openapi.json": {
      get: {
        operationId: "getOpenApi",
        summary: "This document.",
        responses: { "200": { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: { type: "object" } } } }, ...COMMON_ERRORS },
      },
    },
    "/admin/connections": {
      post: {
        operationId: "createConnection",
        summary: "Create a customer's SCIM connection (CreateScimConnection), optionally with its pool mapping.",
        description:
          "With userPoolId the mapping is checked first (DEFAULT_USER_POOL_ID only as shared; no conflicting use in the pool-users index; " +
          "DescribeUserPool; for shared: true, no app client may write the tenant attribute), then the connection is created, then the mapping is written; " +
          "if the mapping write fails the connection is deleted again, so a failed call leaves nothing behind. The API key is in this answer only.",
        requestBody: { required: true, content: jsonContent("CreateConnectionRequest") },
        responses: {
          "201": { description: "Created. Give scimBaseUrl and scimApiKey to the customer's IdP.", content: jsonContent("CreatedConnection") },
          "400": errorResponse(
            "A field is missing or invalid (field names it), the body is not JSON, the pool does not exist, " +
              "shared is false for DEFAULT_USER_POOL_ID (field shared), or a shared pool's app client can write the tenant attribute (code tenant_attribute_writable).",
          ),
          "409": errorResponse("The customer already has a SCIM connection (code connection_exists), or another customer's mapping forbids this one (code pool_in_use)."),
          "413": errorResponse("The body is too large."),
          "415": errorResponse("The body is not application/json."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
    "/admin/connections/{customerId}": {
      parameters: [customerIdParam],
      get: {
        operationId: "getConnection",
        summary: "Read a customer's SCIM connection (never the key) and its effective pool mapping.",
        responses: {
          "200": { description: "The connection.", content: jsonContent("Connection") },
          "400": errorResponse("customerId is malformed."),
          "404": errorResponse("The customer has no SCIM connection."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
      delete: {
        operationId: "deleteConnection",
        summary: "Delete a customer's SCIM connection (DeleteScimConnection); withMapping=true also removes its pool mapping.",
        parameters: [
          {
            name: "withMapping",
            in: "query",
            required: false,
            description: "true: also delete the customer:<id> pool record (after the connection).",
            schema: { type: "string", enum: ["true", "false"], default: "false" },
          },
        ],
        responses: {
          "200": { description: "Deleted.", content: jsonContent("DeletedConnection") },
          "400": errorResponse("customerId or withMapping is malformed."),
          "404": errorResponse("The customer has no SCIM connection."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
    "/admin/connections/{customerId}/rotate-key": {
      parameters: [customerIdParam],
      post: {
        operationId: "rotateKey",
        summary: "Issue a new SCIM API key (ResetScimApiKey). The new key is in this answer only.",
        description: "The body is optional. Without keyExpiresAt the new key does not expire.",
        requestBody: { required: false, content: jsonContent("RotateKeyRequest") },
        responses: {
          "200": { description: "The new key.", content: jsonContent("RotatedKey") },
          "400": errorResponse("customerId or keyExpiresAt is invalid, or the body is not JSON."),
          "404": errorResponse("The customer has no SCIM connection."),
          "415": errorResponse("The body is not application/json."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
    "/admin/connections/{customerId}/users": {
      parameters: [customerIdParam],
      get: {
        operationId: "listConnectionUsers",
        summary: "One page of the connection's SCIM users (GetScimUsers), each beside its Cognito state.",
        parameters: [
          { name: "page", in: "query", required: false, description: "0-based page number.", schema: { type: "integer", minimum: 0, default: 0 } },
          {
            name: "pageSize",
            in: "query",
            required: false,
            description: "Users per page (each costs one AdminGetUser call).",
            schema: { type: "integer", minimum: 1, maximum: MAX_USERS_PAGE_SIZE, default: DEFAULT_USERS_PAGE_SIZE },
          },
        ],
        responses: {
          "200": { description: "The page.", content: jsonContent("UsersPage") },
          "400": errorResponse("customerId, page or pageSize is invalid."),
          "404": errorResponse("The customer has no SCIM connection."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
    "/admin/customers/{customerId}/pool": {
      parameters: [customerIdParam],
      put: {
        operationId: "putPool",
        summary: "Map the customer to a user pool (the customer:<id> record); the pool must exist.",
        description:
          "A dedicated mapping (shared: false) is refused for DEFAULT_USER_POOL_ID (400, field shared) and for a pool another customer uses (409 pool_in_use); " +
          "a shared one for a pool dedicated to another customer (409) or whose app clients can write the tenant attribute (400 tenant_attribute_writable). " +
          "The pool-users:<userPoolId> index is updated with the record (a moved mapping releases its old pool).",
        requestBody: { required: true, content: jsonContent("PutPoolRequest") },
        responses: {
          "200": { description: "The stored mapping.", content: jsonContent("PoolMapping") },
          "400": errorResponse("A field is missing or invalid, or the pool does not exist, or the mapping is unsafe (see the description)."),
          "409": errorResponse("Another customer's mapping forbids this one (code pool_in_use)."),
          "413": errorResponse("The body is too large."),
          "415": errorResponse("The body is not application/json."),
          ...COMMON_ERRORS,
          "502": errorResponse("Cognito refused DescribeUserPool, ListUserPoolClients or DescribeUserPoolClient (IAM)."),
        },
      },
      get: {
        operationId: "getPool",
        summary: "Read the customer's pool mapping.",
        responses: {
          "200": { description: "The mapping.", content: jsonContent("PoolMapping") },
          "400": errorResponse("customerId is malformed."),
          "404": errorResponse("The customer has no pool mapping."),
          "500": errorResponse("The stored mapping is malformed."),
          ...COMMON_ERRORS,
        },
      },
      delete: {
        operationId: "deletePool",
        summary: "Remove the customer's pool mapping.",
        responses: {
          "200": { description: "Removed.", content: jsonContent("DeletedPool") },
          "400": errorResponse("customerId is malformed."),
          "404": errorResponse("The customer has no pool mapping."),
          ...COMMON_ERRORS,
        },
      },
    },
    "/admin/setup/{customerId}": {
      parameters: [customerIdParam],
      get: {
        operationId: "setupPage",
        summary: "HTML setup page for the customer's IT admin: SCIM base URL, create / rotate key, Okta and Entra ID steps.",
        responses: { "200": htmlPage("The page (sets the admin_csrf cookie)."), "400": errorResponse("customerId is malformed."), ...COMMON_ERRORS, ...sidecarErrors },
      },
    },
    "/admin/setup/{customerId}/connection": {
      parameters: [customerIdParam],
      post: {
        operationId: "setupCreateConnection",
        summary: "Form post of the setup page: create the connection and show its key once.",
        requestBody: setupForm({ displayName: { type: "string", maxLength: 255 } }),
        responses: {
          "201": htmlPage("The setup page showing the new key once."),
          "400": errorResponse("A field is invalid."),
          "409": htmlPage("The setup page, saying the connection already exists."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
    "/admin/setup/{customerId}/rotate-key": {
      parameters: [customerIdParam],
      post: {
        operationId: "setupRotateKey",
        summary: "Form post of the setup page: rotate the key and show the new one once.",
        requestBody: setupForm({}),
        responses: {
          "200": htmlPage("The setup page showing the new key once."),
          "404": htmlPage("The setup page, saying there is no connection yet."),
          ...COMMON_ERRORS,
          ...sidecarErrors,
        },
      },
    },
  };
}

/** Built once per isolate; only `servers` depends on the request. */
let cached: { readonly paths: JsonObject; readonly schemas: JsonObject } | undefined;

export function openApiDocument(origin: string): JsonObject {
  cached ??= { paths: paths(), schemas: componentSchemas() };
  return {
    openapi: "3.1.0",
    info: {
      title: "cognito-scim-edge admin API",
      version: "1.0.0",
      description:
        "Manage customers' SCIM connections (PropelAuth BYO sidecar) and their Cognito user pool mappings. " +
        "Every route needs a Cloudflare Access JWT (Cf-Access-Jwt-Assertion) or, where Access is not configured, ADMIN_TOKEN as a bearer token. " +
        "Errors are {error: {code, message, field?}}.",
    },
    servers: [{ url: origin }],
    security: [{ accessJwt: [] }, { adminToken: [] }],
    paths: cached.paths,
    components: {
      schemas: cached.schemas,
      securitySchemes: {
        accessJwt: { type: "apiKey", in: "header", name: "Cf-Access-Jwt-Assertion", description: "Added by Cloudflare Access in front of the worker." },
        adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN; only when Access is not configured." },
      },
    },
  };
}
