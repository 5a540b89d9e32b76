/**
 * Turns a SCIM user into `parsedUserData` and `primaryEmail`, the way the stand-in assumes the
 * real sidecar does (the defaults are open in byo-contract §5.1, so they are the project's choice).
 *
 * A connection's `customMapping` replaces the default schema wholesale. Paths are dot paths;
 * an extension attribute is written `urn:...:User:attribute` (colon before the attribute). When a
 * path step meets a multi-valued attribute, the element with `primary: true` is used, else the
 * first one, so `phoneNumbers.value` means "primary or first phone number".
 */
import type { JsonValue, PropertyType, ScimUserMappingConfig } from "@propelauth/byo-node";
import { findKeyCaseInsensitive, isJsonObject, type JsonObject } from "./json.ts";

export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const stringType: PropertyType = { dataType: "String" };

/** The mapping used when a connection has no `customMapping` (documented in README.md). */
export const DEFAULT_USER_MAPPING: ScimUserMappingConfig = {
  userSchema: [
    {
      outputField: "firstName",
      inputPath: "name.givenName",
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "First name",
      warnIfMissing: false,
    },
    {
      outputField: "lastName",
      inputPath: "name.familyName",
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "Last name",
      warnIfMissing: false,
    },
    {
      outputField: "displayName",
      inputPath: "displayName",
      fallbackInputPaths: ["name.formatted"],
      propertyType: stringType,
      displayName: "Display name",
      warnIfMissing: false,
    },
    {
      outputField: "externalId",
      inputPath: "externalId",
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "External ID",
      warnIfMissing: false,
    },
    {
      outputField: "department",
      inputPath: `${ENTERPRISE_USER_SCHEMA}:department`,
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "Department",
      warnIfMissing: false,
    },
    {
      outputField: "title",
      inputPath: "title",
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "Title",
      warnIfMissing: false,
    },
    {
      outputField: "phoneNumber",
      inputPath: "phoneNumbers.value",
      fallbackInputPaths: [],
      propertyType: stringType,
      displayName: "Phone number",
      warnIfMissing: false,
    },
  ],
};

/** The mapping a connection actually uses: its custom one if set, else the default. */
export function effectiveMapping(customMapping: ScimUserMappingConfig | null): ScimUserMappingConfig {
  return customMapping ?? DEFAULT_USER_MAPPING;
}

/** Applies `mapping` to a SCIM user's attributes. Fields that resolve to nothing are omitted. */
export function parseUserData(mapping: ScimUserMappingConfig, user: JsonObject): JsonObject {
  const parsed: JsonObject = {};
  for (const field of mapping.userSchema) {
    const value = resolveField(user, [field.inputPath, ...field.fallbackInputPaths], field.propertyType);
    if (value !== undefined) parsed[field.outputField] = value;
    else if (field.defaultValue !== undefined && field.defaultValue !== null) parsed[field.outputField] = field.defaultValue;
  }
  return parsed;
}

function resolveField(user: JsonObject, paths: readonly string[], type: PropertyType): JsonValue | undefined {
  for (const path of paths) {
    const coerced = coerce(resolvePath(user, path), type);
    if (coerced !== undefined) return coerced;
  }
  return undefined;
}

/** Splits `urn:...:User:manager.value` into `["urn:...:User", "manager", "value"]` and `a.b` into `["a", "b"]`. */
function splitPath(path: string): string[] {
  const colon = path.lastIndexOf(":");
  if (colon === -1) return path.split(".");
  return [path.slice(0, colon), ...path.slice(colon + 1).split(".")];
}

/** Reads a dot path from a SCIM user; see the module comment for multi-valued attributes. */
export function resolvePath(user: JsonObject, path: string): JsonValue | undefined {
  // Some IdPs send extension attributes flat ("urn:...:User:department": "x") instead of nested.
  const flatKey = findKeyCaseInsensitive(user, path);
  if (flatKey !== undefined && path.includes(":")) return user[flatKey];

  let current: JsonValue | undefined = user;
  for (const segment of splitPath(path)) {
    current = pickPrimaryOrFirst(current);
    if (!isJsonObject(current)) return undefined;
    const key = findKeyCaseInsensitive(current, segment);
    current = key === undefined ? undefined : current[key];
  }
  return pickPrimaryOrFirst(current);
}

function pickPrimaryOrFirst(value: JsonValue | undefined): JsonValue | undefined {
  if (!Array.isArray(value)) return value;
  const primary = value.find((item) => isJsonObject(item) && item["primary"] === true);
  return primary ?? value[0];
}

function coerce(value: JsonValue | undefined, type: PropertyType): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  switch (type.dataType) {
    case "String":
    case "Date":
    case "DateTime": {
      // Complex values such as the enterprise `manager` ({ value, displayName }) map to their `value`.
      const scalar = isJsonObject(value) ? value["value"] : value;
      if (typeof scalar === "string") return scalar === "" ? undefined : scalar;
      if (typeof scalar === "number" || typeof scalar === "boolean") return String(scalar);
      return undefined;
    }
    case "Integer":
    case "Float": {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof number !== "number" || !Number.isFinite(number)) return undefined;
      if (type.dataType === "Integer" && !Number.isInteger(number)) return undefined;
      return number;
    }
    case "Boolean":
      return toBoolean(value);
    case "Enum": {
      if (typeof value !== "string") return undefined;
      return type.options.find((option) => option.toLowerCase() === value.toLowerCase());
    }
    case "List": {
      const items = Array.isArray(value) ? value : [value];
      const coerced: JsonValue[] = [];
      for (const item of items) {
        const one = coerce(item, type.itemType);
        if (one !== undefined) coerced.push(one);
      }
      return coerced.length > 0 ? coerced : undefined;
    }
  }
}

/** `true`/`false`, or Entra's string forms ("True", "false"); anything else is not a boolean. */
export function toBoolean(value: JsonValue | undefined): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  return undefined;
}

const EMAIL_LIKE = /^[^@\s]+@[^@\s]+$/;

/** The `primary: true` email, else the first email, else `userName` if it looks like an email, else null. */
export function primaryEmailOf(user: JsonObject): string | null {
  const emailsKey = findKeyCaseInsensitive(user, "emails");
  const emails = emailsKey === undefined ? undefined : user[emailsKey];
  if (Array.isArray(emails)) {
    const withValue = emails.filter(
      (item): item is JsonObject => isJsonObject(item) && typeof item["value"] === "string" && item["value"] !== "",
    );
    const chosen = withValue.find((item) => item["primary"] === true) ?? withValue[0];
    if (chosen && typeof chosen["value"] === "string") return chosen["value"];
  }
  const userName = user["userName"];
  if (typeof userName === "string" && EMAIL_LIKE.test(userName)) return userName;
  return null;
}
