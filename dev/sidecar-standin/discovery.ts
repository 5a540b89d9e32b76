/**
 * SCIM discovery endpoints (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas,
 * describing what the stand-in actually does (PATCH and filter yes; bulk, sort, ETags and
 * password change no). The schema attribute lists are abbreviated to the attributes IdPs use.
 */
import type { JsonObject } from "./json.ts";
import { MAX_LIST_COUNT } from "./list-query.ts";
import { unknownPath } from "./scim-errors.ts";
import { completed, failed, type ScimOutcome } from "./scim-outcome.ts";
import { GROUP_SCHEMA, listResponse, USER_SCHEMA } from "./scim-resources.ts";
import { ENTERPRISE_USER_SCHEMA } from "./user-mapping.ts";

const SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";

type AttributeType = "string" | "boolean" | "complex" | "reference" | "dateTime";

interface AttributeOptions {
  readonly multiValued?: boolean;
  readonly required?: boolean;
  readonly caseExact?: boolean;
  readonly mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  readonly returned?: "always" | "never" | "default" | "request";
  readonly uniqueness?: "none" | "server" | "global";
  readonly subAttributes?: readonly JsonObject[];
  readonly referenceTypes?: readonly string[];
}

/** One RFC 7643 §7 attribute definition with the spec's defaults filled in. */
function attribute(name: string, type: AttributeType, options: AttributeOptions = {}): JsonObject {
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    description: name,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? "readWrite",
    returned: options.returned ?? "default",
    uniqueness: options.uniqueness ?? "none",
    ...(options.subAttributes ? { subAttributes: [...options.subAttributes] } : {}),
    ...(options.referenceTypes ? { referenceTypes: [...options.referenceTypes] } : {}),
  };
}

const multiValuedSubAttributes = [
  attribute("value", "string"),
  attribute("display", "string"),
  attribute("type", "string"),
  attribute("primary", "boolean"),
];

const USER_SCHEMA_DEFINITION: JsonObject = {
  schemas: [SCHEMA_SCHEMA],
  id: USER_SCHEMA,
  name: "User",
  description: "User Account",
  attributes: [
    attribute("userName", "string", { required: true, uniqueness: "server" }),
    attribute("name", "complex", {
      subAttributes: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map(
        (name) => attribute(name, "string"),
      ),
    }),
    attribute("displayName", "string"),
    attribute("nickName", "string"),
    attribute("title", "string"),
    attribute("userType", "string"),
    attribute("preferredLanguage", "string"),
    attribute("locale", "string"),
    attribute("timezone", "string"),
    attribute("active", "boolean"),
    attribute("password", "string", { mutability: "writeOnly", returned: "never" }),
    attribute("emails", "complex", { multiValued: true, subAttributes: multiValuedSubAttributes }),
    attribute("phoneNumbers", "complex", { multiValued: true, subAttributes: multiValuedSubAttributes }),
    attribute("addresses", "complex", {
      multiValued: true,
      subAttributes: ["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type"]
        .map((name) => attribute(name, "string"))
        .concat([attribute("primary", "boolean")]),
    }),
    attribute("groups", "complex", {
      multiValued: true,
      mutability: "readOnly",
      subAttributes: [
        attribute("value", "string", { mutability: "readOnly", caseExact: true }),
        attribute("display", "string", { mutability: "readOnly" }),
      ],
    }),
    attribute("roles", "complex", { multiValued: true, subAttributes: multiValuedSubAttributes }),
  ],
  meta: { resourceType: "Schema", location: `/Schemas/${USER_SCHEMA}` },
};

const ENTERPRISE_USER_SCHEMA_DEFINITION: JsonObject = {
  schemas: [SCHEMA_SCHEMA],
  id: ENTERPRISE_USER_SCHEMA,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    attribute("employeeNumber", "string"),
    attribute("costCenter", "string"),
    attribute("organization", "string"),
    attribute("division", "string"),
    attribute("department", "string"),
    attribute("manager", "complex", {
      subAttributes: [attribute("value", "string", { caseExact: true }), attribute("displayName", "string", { mutability: "readOnly" })],
    }),
  ],
  meta: { resourceType: "Schema", location: `/Schemas/${ENTERPRISE_USER_SCHEMA}` },
};

const GROUP_SCHEMA_DEFINITION: JsonObject = {
  schemas: [SCHEMA_SCHEMA],
  id: GROUP_SCHEMA,
  name: "Group",
  description: "Group",
  attributes: [
    attribute("displayName", "string", { required: true }),
    attribute("members", "complex", {
      multiValued: true,
      subAttributes: [
        attribute("value", "string", { mutability: "immutable", caseExact: true }),
        attribute("display", "string", { mutability: "readOnly" }),
      ],
    }),
  ],
  meta: { resourceType: "Schema", location: `/Schemas/${GROUP_SCHEMA}` },
};

const SCHEMAS = [USER_SCHEMA_DEFINITION, ENTERPRISE_USER_SCHEMA_DEFINITION, GROUP_SCHEMA_DEFINITION];

const RESOURCE_TYPES: JsonObject[] = [
  {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
    meta: { resourceType: "ResourceType", location: "/ResourceTypes/User" },
  },
  {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: GROUP_SCHEMA,
    meta: { resourceType: "ResourceType", location: "/ResourceTypes/Group" },
  },
];

const SERVICE_PROVIDER_CONFIG: JsonObject = {
  schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
  documentationUri: "https://docs.byo.propelauth.com/scim/overview",
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_LIST_COUNT },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: "oauthbearertoken",
      name: "OAuth Bearer Token",
      description: "The connection's SCIM API key, sent as `Authorization: Bearer <key>`.",
      primary: true,
    },
  ],
  meta: { resourceType: "ServiceProviderConfig", location: "/ServiceProviderConfig" },
};

export function serviceProviderConfig(): ScimOutcome {
  return completed(200, structuredClone(SERVICE_PROVIDER_CONFIG));
}

/** `/Schemas` or `/Schemas/<urn>`. */
export function schemas(id: string | undefined, path: string): ScimOutcome {
  if (id === undefined) return completed(200, listResponse(structuredClone(SCHEMAS), SCHEMAS.length, 1));
  const schema = SCHEMAS.find((candidate) => candidate["id"] === id);
  return schema ? completed(200, structuredClone(schema)) : failed(unknownPath(path));
}

/** `/ResourceTypes` or `/ResourceTypes/<name>`. */
export function resourceTypes(id: string | undefined, path: string): ScimOutcome {
  if (id === undefined) return completed(200, listResponse(structuredClone(RESOURCE_TYPES), RESOURCE_TYPES.length, 1));
  const resourceType = RESOURCE_TYPES.find((candidate) => candidate["id"] === id);
  return resourceType ? completed(200, structuredClone(resourceType)) : failed(unknownPath(path));
}
