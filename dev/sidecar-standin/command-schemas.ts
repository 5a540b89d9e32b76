/**
 * zod schemas for the `data` of each command the stand-in serves, mirroring the command types of
 * `@propelauth/byo-node` (the `satisfies`-style annotations below make tsc check they agree).
 * A payload the real client could not have produced is a caller bug, answered as a command error.
 */
import type {
  JsonValue,
  PropertyType,
  ScimUserMappingConfig,
  ScimUserMappingFieldDefinition,
} from "@propelauth/byo-node";
import { z } from "zod";

const jsonValue: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;

const propertyType: z.ZodType<PropertyType> = z.lazy(() =>
  z.union([
    z.object({ dataType: z.literal("String") }),
    z.object({ dataType: z.literal("Integer") }),
    z.object({ dataType: z.literal("Float") }),
    z.object({ dataType: z.literal("Boolean") }),
    z.object({ dataType: z.literal("Date") }),
    z.object({ dataType: z.literal("DateTime") }),
    z.object({ dataType: z.literal("Enum"), options: z.array(z.string()) }),
    z.object({ dataType: z.literal("List"), itemType: propertyType }),
  ]),
);

const mappingField: z.ZodType<ScimUserMappingFieldDefinition> = z.object({
  outputField: z.string().min(1),
  inputPath: z.string().min(1),
  fallbackInputPaths: z.array(z.string().min(1)),
  propertyType,
  displayName: z.string(),
  description: z.string().optional(),
  warnIfMissing: z.boolean(),
  defaultValue: jsonValue.optional(),
});

export const userMappingConfig: z.ZodType<ScimUserMappingConfig> = z.object({ userSchema: z.array(mappingField) });

/** UNIX seconds. */
const unixSeconds = z.number().int().nonnegative();

const identifierShape = {
  scimConnectionId: z.string().optional(),
  customerId: z.string().optional(),
};

function hasIdentifier(value: { scimConnectionId?: string | undefined; customerId?: string | undefined }): boolean {
  return value.scimConnectionId !== undefined || value.customerId !== undefined;
}

const identifierMessage = { message: "scimConnectionId or customerId is required" };

export const pingData = z.object({});

export const scimRequestData = z.object({
  // HTTP methods are case-sensitive, but the worker may pass them as it got them.
  method: z
    .string()
    .transform((method) => method.toUpperCase())
    .pipe(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"])),
  pathAndQueryParams: z.string(),
  body: jsonValue.optional(),
  scimApiKey: z.string().nullish(),
});

export const linkScimUserData = z.object({
  connectionId: z.string(),
  commitId: z.string(),
  userId: z.string().min(1),
});

export const commitScimUserChangeData = z.object({
  connectionId: z.string(),
  commitId: z.string(),
});

export const getScimUserData = z.object({ ...identifierShape, userId: z.string() }).refine(hasIdentifier, identifierMessage);

export const getScimUsersData = z
  .object({
    ...identifierShape,
    // Checked by the handler, which answers InvalidQueryField rather than a schema error.
    filter: z.record(z.string(), z.unknown()).optional(),
    pageNumber: z.number().int().optional(),
    pageSize: z.number().int().optional(),
  })
  .refine(hasIdentifier, identifierMessage);

export const createScimConnectionData = z.object({
  customerId: z.string().trim().min(1),
  displayName: z.string().optional(),
  scimApiKeyExpiration: unixSeconds.optional(),
  customMapping: userMappingConfig.optional(),
});

export const connectionIdentifierData = z.object(identifierShape).refine(hasIdentifier, identifierMessage);

export const patchScimConnectionData = z
  .object({
    ...identifierShape,
    displayName: z.string().optional(),
    scimApiKeyExpiration: unixSeconds.optional(),
    customMapping: userMappingConfig.optional(),
  })
  .refine(hasIdentifier, identifierMessage);

export const resetScimApiKeyData = z
  .object({ ...identifierShape, scimApiKeyExpiration: unixSeconds.optional() })
  .refine(hasIdentifier, identifierMessage);

/** One line per problem, `path: message`, for `UnexpectedError.details`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "data"}: ${issue.message}`).join("; ");
}
