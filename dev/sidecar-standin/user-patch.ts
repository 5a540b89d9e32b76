/**
 * PATCH for users: canonicalises attribute names, refuses read-only targets, then hands the
 * operations to patch-ops.ts. The result still has to go through normaliseUserAttributes, which
 * turns Entra's "False"/"True" into booleans wherever the patch put them.
 */
import { isJsonObject, type JsonObject } from "./json.ts";
import { err, ok, type Result } from "./result.ts";
import { applyAttributeOperations, topLevelAttribute, type PatchOperation } from "./patch-ops.ts";
import { invalidPatchPath, type ScimFailure } from "./scim-errors.ts";
import { USER_SCHEMA } from "./scim-resources.ts";
import { canonicalUserAttributeName, SERVER_MANAGED_USER_ATTRIBUTES } from "./user-attributes.ts";

/** Accepted in a PATCH but never stored (RFC 7643 §4.1.1: password is `returned: never`). */
const IGNORED_USER_ATTRIBUTES: ReadonlySet<string> = new Set(["password"]);

const CORE_USER_PREFIX = `${USER_SCHEMA.toLowerCase()}:`;

/** Rewrites `Active` → `active` and `Name.givenName` → `name.givenName` (RFC 7643 §2.1: names are case-insensitive). */
function canonicalPath(rawPath: string): string {
  // RFC 7644 §3.10 allows core attributes fully qualified: "urn:...:core:2.0:User:userName".
  const path = rawPath.toLowerCase().startsWith(CORE_USER_PREFIX) ? rawPath.slice(CORE_USER_PREFIX.length) : rawPath;
  if (path.startsWith("urn:")) return path;
  const top = topLevelAttribute(path);
  return canonicalUserAttributeName(top) + path.slice(top.length);
}

/** Canonical operations, with ignored ones dropped; fails on a read-only target. */
function canonicalOperations(operations: readonly PatchOperation[]): Result<PatchOperation[], ScimFailure> {
  const result: PatchOperation[] = [];
  for (const operation of operations) {
    if (operation.path !== undefined) {
      const path = canonicalPath(operation.path);
      const top = topLevelAttribute(path);
      if (SERVER_MANAGED_USER_ATTRIBUTES.has(top)) return err(invalidPatchPath(`${top} is read-only.`));
      if (IGNORED_USER_ATTRIBUTES.has(top)) continue;
      result.push({ ...operation, path });
      continue;
    }
    // Pathless (Okta): `value` is an object of attributes. Drop server-managed keys such as `id`
    // that some IdPs echo back, rather than failing the whole request.
    if (!isJsonObject(operation.value)) continue;
    const value: JsonObject = {};
    for (const [key, item] of Object.entries(operation.value)) {
      const name = canonicalPath(key);
      const top = topLevelAttribute(name);
      if (SERVER_MANAGED_USER_ATTRIBUTES.has(top) || IGNORED_USER_ATTRIBUTES.has(top)) continue;
      value[name] = item;
    }
    if (Object.keys(value).length > 0) result.push({ op: operation.op, value });
  }
  return ok(result);
}

/** Applies a parsed PatchOp to a user's stored attributes; the caller re-normalises and validates. */
export function applyUserPatch(attributes: JsonObject, operations: readonly PatchOperation[]): Result<JsonObject, ScimFailure> {
  const canonical = canonicalOperations(operations);
  if (!canonical.ok) return canonical;
  return applyAttributeOperations(attributes, canonical.value, USER_SCHEMA);
}
