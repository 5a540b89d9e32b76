/**
 * Wire shapes of the admin API, as zod schemas. Requests are parsed with them; the OpenAPI
 * document (openapi.ts) is generated from the same schemas, so the two cannot disagree.
 */
import * as z from "zod";
import { USER_POOL_ID_PATTERN } from "../cognito/user-pool-id";

/** Named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const adminSchemaRegistry = z.registry<{ id: string }>();

function named<S extends z.ZodType>(id: string, schema: S): S {
  adminSchemaRegistry.add(schema, { id });
  return schema;
}

/** Customer ids become KV keys (`customer:<id>`) and URL path segments: keep them plain. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Page size of the users listing when none is given, and its cap (each row costs a Cognito call). */
export const DEFAULT_USERS_PAGE_SIZE = 25;
export const MAX_USERS_PAGE_SIZE = 50;

export const customerIdSchema = z
  .string()
  .regex(CUSTOMER_ID_PATTERN, "must be 1-128 characters: letters, digits and . _ : @ -, starting with a letter or digit")
  .describe("The customer's id; the same id the sidecar's SCIM connection is created for.");

export const userPoolIdSchema = z
  .string()
  .max(55)
  .regex(USER_POOL_ID_PATTERN, "must look like <region>_<suffix>, e.g. eu-west-1_AbC123")
  .describe("A Cognito user pool id, e.g. eu-west-1_AbC123. The pool must exist.");

const sharedSchema = z
  .boolean()
  .describe(
    "True when several customers share this pool (users then carry the tenant attribute, and no app client of the pool may write it). " +
      "False (dedicated: no tenancy checks) needs a pool no other customer uses, and never DEFAULT_USER_POOL_ID.",
  );

const identityProviderSchema = z
  .string()
  .min(1)
  .max(32)
  .describe("Name of the Cognito identity provider (SAML/OIDC) the customer's employees sign in with.");

export const keyExpiresAtSchema = z
  .iso.datetime({ offset: true })
  .describe("When the SCIM API key stops working (ISO 8601, must be in the future). Omit for a key that does not expire.");

const displayNameSchema = z.string().min(1).max(255).describe("A label for the connection in the sidecar's dashboard.");

export const createConnectionRequestSchema = named(
  "CreateConnectionRequest",
  z
    .object({
      customerId: customerIdSchema,
      displayName: displayNameSchema.optional(),
      userPoolId: userPoolIdSchema.optional().describe("Map the customer to this pool in the same call (validated first)."),
      shared: sharedSchema.optional(),
      identityProvider: identityProviderSchema.optional(),
      keyExpiresAt: keyExpiresAtSchema.optional(),
    })
    .strict(),
);

export const rotateKeyRequestSchema = named(
  "RotateKeyRequest",
  z
    .object({ keyExpiresAt: keyExpiresAtSchema.optional() })
    .strict(),
);

export const putPoolRequestSchema = named(
  "PutPoolRequest",
  z
    .object({
      userPoolId: userPoolIdSchema,
      shared: sharedSchema.optional(),
      identityProvider: identityProviderSchema.optional(),
    })
    .strict(),
);

export const poolMappingSchema = named(
  "PoolMapping",
  z
    .object({
      customerId: customerIdSchema,
      userPoolId: userPoolIdSchema,
      shared: sharedSchema,
      identityProvider: identityProviderSchema.optional(),
    }),
);

export const effectiveMappingSchema = named(
  "EffectiveMapping",
  z
    .object({
      userPoolId: userPoolIdSchema,
      shared: sharedSchema,
      identityProvider: identityProviderSchema.optional(),
      source: z
      .enum(["record", "discovered", "default"])
      .describe("record: the customer's own mapping; discovered: the pool tagged for the customer (POOL_TAG_KEY); default: DEFAULT_USER_POOL_ID."),
    }),
);

const expiresAtOutput = z.string().nullable().describe("When the SCIM API key expires (ISO 8601), or null when it does not.");
const scimBaseUrlSchema = z.string().describe("What the IdP needs as its SCIM base URL / Tenant URL.");
const scimApiKeySchema = z.string().describe("The SCIM API key (bearer token for the IdP). Shown only in this answer.");

export const createdConnectionSchema = named(
  "CreatedConnection",
  z
    .object({
      connectionId: z.string(),
      customerId: customerIdSchema,
      scimBaseUrl: scimBaseUrlSchema,
      scimApiKey: scimApiKeySchema,
      keyExpiresAt: expiresAtOutput,
      mapping: poolMappingSchema.nullable().describe("The pool mapping written in the same call, if userPoolId was given."),
    }),
);

export const connectionSchema = named(
  "Connection",
  z
    .object({
      connectionId: z.string(),
      customerId: customerIdSchema,
      displayName: z.string().nullable(),
      keyExpiresAt: expiresAtOutput,
      scimBaseUrl: scimBaseUrlSchema,
      mapping: effectiveMappingSchema.nullable().describe("The pool that serves this customer, or null when none does (provisioning fails)."),
    }),
);

export const rotatedKeySchema = named(
  "RotatedKey",
  z
    .object({
      connectionId: z.string(),
      customerId: customerIdSchema,
      scimApiKey: scimApiKeySchema,
      keyExpiresAt: expiresAtOutput,
    }),
);

export const deletedConnectionSchema = named(
  "DeletedConnection",
  z
    .object({
      customerId: customerIdSchema,
      connectionDeleted: z.literal(true),
      mappingDeleted: z.boolean().describe("True when withMapping=true and a mapping existed and was removed."),
    }),
);

export const deletedPoolSchema = named(
  "DeletedPool",
  z
    .object({ customerId: customerIdSchema, mappingDeleted: z.literal(true) }),
);

export const COGNITO_STATES = ["enabled", "disabled", "missing", "not_linked", "other_customer", "unknown"] as const;
export type CognitoState = (typeof COGNITO_STATES)[number];

export const userRowSchema = named(
  "UserRow",
  z
    .object({
      scimId: z.string().nullable().describe("The sidecar's SCIM id of the user (what the IdP sees)."),
      userName: z.string().nullable(),
      primaryEmail: z.string().nullable(),
      active: z.boolean().describe("Whether the IdP says the user should be active."),
      userId: z.string().nullable().describe("The linked app user id (the Cognito sub), or null when never linked."),
      cognito: z.object({
        state: z
          .enum(COGNITO_STATES)
          .describe(
            "enabled/disabled: the Cognito user's state; missing: no such user in the pool; not_linked: the SCIM user was never linked; " +
              "other_customer: in a shared pool, the user belongs to another customer; unknown: could not be checked (no pool mapped, or Cognito failed).",
          ),
        username: z.string().optional().describe("The Cognito username (a UUID in email-as-username pools)."),
        status: z.string().optional().describe("Cognito's UserStatus, e.g. CONFIRMED or FORCE_CHANGE_PASSWORD."),
      }),
      inSync: z
        .boolean()
        .nullable()
        .describe("active users should be enabled, inactive users disabled or missing; null when there is nothing to compare."),
    }),
);

export const usersPageSchema = named(
  "UsersPage",
  z
    .object({
      customerId: customerIdSchema,
      connectionId: z.string(),
      userPoolId: z.string().nullable(),
      page: z.number().int(),
      pageSize: z.number().int(),
      totalResults: z.number().int(),
      users: z.array(userRowSchema),
    }),
);

export const errorSchema = named(
  "Error",
  z
    .object({
      error: z.object({
        code: z.string().describe("Stable machine-readable code, e.g. invalid_input, connection_not_found, connection_exists."),
        message: z.string(),
        field: z.string().optional().describe("The request field at fault: a path or query parameter, or a body member."),
      }),
    }),
);

/** Parses a page query parameter: digits only, within bounds, defaulted when absent. */
export function pageParam(raw: string | undefined, options: { min: number; max: number; fallback: number }): number | undefined {
  if (raw === undefined || raw === "") return options.fallback;
  if (!/^\d{1,6}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= options.min && value <= options.max ? value : undefined;
}

/** The first zod issue, as a field name and a message an operator can act on. */
export function firstIssue(error: z.ZodError, input: unknown): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: "body", message: "The request body is invalid." };
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "body";
    return { field: key, message: `Unknown field ${key}.` };
  }
  const field = issue.path.map(String).join(".") || "body";
  if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined) return { field, message: `${field} is required.` };
  return { field, message: `${field}: ${issue.message}` };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
