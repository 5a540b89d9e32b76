/**
 * SCIM PATCH (RFC 7644 §3.5.2): reads a PatchOp body into normalised operations and applies
 * attribute operations with the `scim-patch` package.
 *
 * Normalisation covers the IdP dialects the project must accept: Entra's capitalised `op`
 * ("Replace"), Okta's pathless `{"op":"replace","value":{...}}`, and an empty `Operations` list
 * (a no-op). Two RFC gaps are closed the way Entra expects: `replace` on a value-filtered path
 * that matches nothing (`emails[type eq "work"].value` on a user without a work email) adds the
 * element instead of failing, and `remove` of something that is not there is a no-op.
 */
import { scimPatch, type ScimPatchOperation, type ScimResource } from "scim-patch";
import { parse as parseFilterSyntax } from "scim2-parse-filter";
import { cloneJson, findKeyCaseInsensitive, isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { err, ok, type Result } from "./result.ts";
import {
  invalidBody,
  invalidPatchOperation,
  invalidPatchPath,
  invalidPatchValue,
  unexpectedScimError,
  type ScimFailure,
} from "./scim-errors.ts";
import { PATCH_OP_SCHEMA } from "./scim-resources.ts";

export type PatchOpName = "add" | "replace" | "remove";

export interface PatchOperation {
  readonly op: PatchOpName;
  /** Absent for pathless operations. */
  readonly path?: string;
  readonly value?: JsonValue;
}

const OP_NAMES: ReadonlySet<string> = new Set(["add", "replace", "remove"]);
/** `attr[filter]` or `attr[filter].subAttr`. */
const VALUE_FILTER_PATH = /^([^[\]]+)\[(.+)\](?:\.([^[\].]+))?$/;

export function parsePatchRequest(body: JsonValue | undefined): Result<PatchOperation[], ScimFailure> {
  if (!isJsonObject(body)) return err(invalidBody("A PATCH body must be a PatchOp JSON object."));
  const schemas = body["schemas"];
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP_SCHEMA)) {
    return err(invalidBody(`A PATCH body must list the schema ${PATCH_OP_SCHEMA}.`));
  }
  const operationsKey = findKeyCaseInsensitive(body, "Operations");
  const rawOperations = operationsKey === undefined ? undefined : body[operationsKey];
  if (!Array.isArray(rawOperations)) return err(invalidBody("A PATCH body must carry an Operations array."));

  const operations: PatchOperation[] = [];
  for (const raw of rawOperations) {
    const parsed = parseOperation(raw);
    if (!parsed.ok) return parsed;
    operations.push(parsed.value);
  }
  return ok(operations);
}

function parseOperation(raw: JsonValue): Result<PatchOperation, ScimFailure> {
  if (!isJsonObject(raw)) return err(invalidPatchOperation("Each PATCH operation must be an object."));
  const opKey = findKeyCaseInsensitive(raw, "op");
  const rawOp = opKey === undefined ? undefined : raw[opKey];
  // Entra sends "Replace", "Add", "Remove".
  const op = typeof rawOp === "string" ? rawOp.trim().toLowerCase() : undefined;
  if (op === undefined || !OP_NAMES.has(op)) {
    return err(invalidPatchOperation(`Unknown PATCH op ${JSON.stringify(rawOp ?? null)}; expected add, replace or remove.`));
  }
  const pathKey = findKeyCaseInsensitive(raw, "path");
  const rawPath = pathKey === undefined ? undefined : raw[pathKey];
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== "string") {
    return err(invalidPatchPath("A PATCH path must be a string."));
  }
  const path = typeof rawPath === "string" && rawPath.trim() !== "" ? rawPath.trim() : undefined;
  if (path !== undefined) {
    const syntax = checkPathSyntax(path);
    if (!syntax.ok) return syntax;
  }
  const valueKey = findKeyCaseInsensitive(raw, "value");
  const value = valueKey === undefined ? undefined : raw[valueKey];

  const name = op as PatchOpName;
  if (name === "remove") {
    if (path === undefined) return err(invalidPatchPath("A remove operation needs a path.", "noTarget"));
    return ok(value === undefined ? { op: name, path } : { op: name, path, value });
  }
  if (value === undefined) return err(invalidPatchValue(path ?? "value", `The ${name} operation must carry a value.`));
  if (path === undefined && !isJsonObject(value)) {
    return err(invalidPatchValue("value", `A ${name} operation without a path needs an object value.`));
  }
  return ok(path === undefined ? { op: name, value } : { op: name, path, value });
}

function checkPathSyntax(path: string): Result<void, ScimFailure> {
  if (!path.includes("[") && !path.includes("]")) {
    return /\s/.test(path) ? err(invalidPatchPath(`Invalid PATCH path ${JSON.stringify(path)}.`)) : ok(undefined);
  }
  const match = VALUE_FILTER_PATH.exec(path);
  if (!match?.[2]) return err(invalidPatchPath(`Invalid PATCH path ${JSON.stringify(path)}.`));
  try {
    parseFilterSyntax(match[2]);
    return ok(undefined);
  } catch {
    return err(invalidPatchPath(`Invalid value filter in PATCH path ${JSON.stringify(path)}.`));
  }
}

/** Whether `path` selects elements of a multi-valued attribute with a filter. */
export function hasValueFilter(path: string | undefined): boolean {
  return path !== undefined && VALUE_FILTER_PATH.test(path);
}

/** The attribute a path starts at: `name.givenName` → `name`, `emails[...]` → `emails`, `urn:...:User:x` → `urn:...:User`. */
export function topLevelAttribute(path: string): string {
  if (path.startsWith("urn:")) {
    const beforeFilter = path.split("[")[0] ?? path;
    const colon = beforeFilter.lastIndexOf(":");
    return beforeFilter.slice(0, colon);
  }
  return path.split(/[.[]/)[0] ?? path;
}

/**
 * Applies attribute operations to a copy of `attributes` with `scim-patch`; see the module comment
 * for the two lenient cases.
 */
export function applyAttributeOperations(
  attributes: JsonObject,
  operations: readonly PatchOperation[],
  coreSchema: string,
): Result<JsonObject, ScimFailure> {
  // scim-patch wants a ScimResource; `schemas` and `meta` are scaffolding removed again below.
  let document: PatchDocument = {
    ...cloneJson(attributes),
    schemas: [coreSchema],
    meta: { created: new Date(0), lastModified: new Date(0) },
  };
  for (const operation of operations) {
    const applied = applyOne(document, operation);
    if (!applied.ok) return applied;
    document = applied.value;
  }
  const { schemas: _schemas, meta: _meta, ...result } = document;
  return ok(result as JsonObject);
}

/** What scim-patch works on: the attributes plus its required `schemas`/`meta` scaffolding. */
/** scim-patch errors (by class name; not all are exported) meaning "the remove target is absent". */
const NOTHING_TO_REMOVE_ERRORS: ReadonlySet<string> = new Set([
  "NoTarget",
  "FilterArrayTargetNotFound",
  "FilterOnEmptyArray",
  "InvalidRemoveOpPath",
]);

type PatchDocument = ScimResource & { [key: string]: unknown };

function applyOne(document: PatchDocument, operation: PatchOperation): Result<PatchDocument, ScimFailure> {
  const run = (op: PatchOperation): PatchDocument =>
    scimPatch(document, [op as ScimPatchOperation], { mutateDocument: false, treatMissingAsAdd: true });
  try {
    return ok(run(operation));
  } catch (error) {
    const kind = error instanceof Error ? error.constructor.name : "";
    if (operation.op === "remove" && NOTHING_TO_REMOVE_ERRORS.has(kind)) return ok(document);
    if (kind === "NoTarget" && operation.op === "replace" && hasValueFilter(operation.path)) {
      try {
        return ok(run({ ...operation, op: "add" }));
      } catch (retryError) {
        return err(mapPatchError(retryError, operation));
      }
    }
    return err(mapPatchError(error, operation));
  }
}

function mapPatchError(error: unknown, operation: PatchOperation): ScimFailure {
  if (!(error instanceof Error)) return unexpectedScimError(String(error));
  const where = operation.path ?? "value";
  switch (error.constructor.name) {
    case "NoTarget":
      return invalidPatchPath(`No target for ${operation.op} on ${where}.`, "noTarget");
    case "NoPathInScimPatchOp":
      return invalidPatchPath(`The ${operation.op} operation needs a path.`, "noTarget");
    case "FilterOnEmptyArray":
    case "FilterArrayTargetNotFound":
    case "InvalidRemoveOpPath":
    case "InvalidScimPatchOp":
      return invalidPatchPath(`Invalid PATCH path ${where}: ${error.message}`);
    case "RemoveValueNotArray":
    case "RemoveValueNestedArrayNotSupported":
      return invalidPatchValue(where, error.message);
    case "InvalidScimPatchRequest":
      return invalidPatchOperation(error.message);
    default:
      return unexpectedScimError(`scim-patch failed on ${operation.op} ${where}: ${error.message}`);
  }
}
