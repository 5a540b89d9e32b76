/**
 * Normalises the attributes an IdP sends for a user before the stand-in stores or compares them.
 *
 * The stand-in keeps what the IdP sent, with three exceptions: server-managed attributes (`id`,
 * `meta`, `groups`, `schemas`) are dropped because the stand-in owns them, `password` is dropped
 * because it must never be returned (RFC 7643 §4.1.1 `returned: never`), and Entra's string
 * booleans ("True"/"False") in `active` and in `primary` are turned into real booleans. Top-level
 * core attribute names are case-insensitive (RFC 7643 §2.1), so `Active` is stored as `active`.
 */
import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { err, ok, type Result } from "./result.ts";
import { toBoolean } from "./user-mapping.ts";

/** RFC 7643 §4.1 core User attributes plus the common ones, in their canonical spelling. */
const CORE_USER_ATTRIBUTES = [
  "id", "externalId", "meta", "schemas", "userName", "name", "displayName", "nickName", "profileUrl", "title",
  "userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims",
  "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates",
] as const;

const CANONICAL_BY_LOWER = new Map<string, string>(CORE_USER_ATTRIBUTES.map((name) => [name.toLowerCase(), name]));

/** Attributes the stand-in owns or never stores; an IdP cannot set them. */
export const SERVER_MANAGED_USER_ATTRIBUTES: ReadonlySet<string> = new Set(["id", "meta", "groups", "schemas"]);

/** Attributes accepted but never stored. */
const DISCARDED_USER_ATTRIBUTES: ReadonlySet<string> = new Set(["password"]);

/** Canonical spelling of a top-level attribute name (unknown names are kept as sent). */
export function canonicalUserAttributeName(name: string): string {
  return CANONICAL_BY_LOWER.get(name.toLowerCase()) ?? name;
}

/** What is wrong with a user's attributes, for the caller to turn into the right SCIM error. */
export interface AttributeProblem {
  readonly field: "userName" | "active";
  readonly kind: "missing" | "invalid";
}

/**
 * Returns the attributes to store, or the first problem found.
 * @param activeWhenAbsent value of `active` when the IdP did not send it (true on create; the
 *   current value on PUT, so a PUT that omits `active` does not flip the account).
 */
export function normaliseUserAttributes(raw: JsonObject, activeWhenAbsent: boolean): Result<JsonObject, AttributeProblem> {
  const attributes: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const canonical = canonicalUserAttributeName(key);
    if (SERVER_MANAGED_USER_ATTRIBUTES.has(canonical) || DISCARDED_USER_ATTRIBUTES.has(canonical)) continue;
    attributes[canonical] = cloneJson(value);
  }

  const userName = attributes["userName"];
  if (userName === undefined || userName === null || userName === "") return err({ field: "userName", kind: "missing" });
  if (typeof userName !== "string" || userName.trim() === "") return err({ field: "userName", kind: "invalid" });

  const rawActive = attributes["active"];
  if (rawActive === undefined || rawActive === null) {
    attributes["active"] = activeWhenAbsent;
  } else {
    const active = toBoolean(rawActive);
    if (active === undefined) return err({ field: "active", kind: "invalid" });
    attributes["active"] = active;
  }

  for (const [key, value] of Object.entries(attributes)) {
    if (Array.isArray(value)) attributes[key] = value.map(normalisePrimaryFlag);
  }
  return ok(attributes);
}

/** Entra sends `"primary": "True"` in multi-valued attributes; store a boolean. */
function normalisePrimaryFlag(item: JsonValue): JsonValue {
  if (!isJsonObject(item) || item["primary"] === undefined) return item;
  const primary = toBoolean(item["primary"]);
  return primary === undefined ? item : { ...item, primary };
}

/** The case-insensitive key used for `userName` uniqueness and `userName eq` lookups. */
export function userNameKey(userName: string): string {
  return userName.toLowerCase();
}
