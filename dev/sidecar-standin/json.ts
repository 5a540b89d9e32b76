/**
 * JSON helpers shared by the sidecar stand-in.
 *
 * The wire types come from `@propelauth/byo-node` so the stand-in speaks exactly the shapes the
 * real sidecar's client declares. Everything here is pure.
 */
import type { JsonValue } from "@propelauth/byo-node";

export type { JsonValue };

/** A JSON object, written the way `@propelauth/byo-node` writes it (optional keys). */
export type JsonObject = { [key in string]?: JsonValue };

/** True for plain JSON objects (not arrays, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality that ignores key order, so a PUT that only reorders keys is not a change. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const aKeys = Object.keys(a).filter((key) => a[key] !== undefined);
    const bKeys = Object.keys(b).filter((key) => b[key] !== undefined);
    if (aKeys.length !== bKeys.length) return false;
    return aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** Deep copy of a JSON value, so stored state never aliases request bodies or responses. */
export function cloneJson<T extends JsonValue | JsonObject>(value: T): T {
  return structuredClone(value);
}

/** Finds a key in `object` case-insensitively (SCIM attribute names are case-insensitive, RFC 7643 §2.1). */
export function findKeyCaseInsensitive(object: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}
