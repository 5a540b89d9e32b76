/**
 * SCIM filters (RFC 7644 §3.4.2.2): parsed with `scim2-parse-filter`, evaluated here.
 *
 * The package's own evaluator compares strings case-sensitively, but most SCIM string attributes
 * are `caseExact: false` (RFC 7643 §4.1: `userName`, `emails.value`, `displayName`), so `userName eq`
 * must ignore case. This evaluator does that, keeping ids (`id`, `externalId`, `members.value`,
 * `groups.value`, `$ref`) case-exact. Known limit: the package parses
 * `emails[type eq "work"].value eq "x"` as `emails[type eq "work"] and emails.value eq "x"`, so
 * the two conditions may match different emails.
 */
import { parse, type Filter } from "scim2-parse-filter";
import { isJsonObject, findKeyCaseInsensitive, type JsonObject, type JsonValue } from "./json.ts";
import { err, ok, type Result } from "./result.ts";
import { invalidFilter, type ScimFailure } from "./scim-errors.ts";

export type { Filter };

const CASE_EXACT_PATHS = new Set(["id", "externalid", "members.value", "groups.value"]);

export function parseFilter(text: string): Result<Filter, ScimFailure> {
  if (text.trim() === "") return err(invalidFilter("the filter is empty"));
  try {
    return ok(parse(text));
  } catch (error) {
    return err(invalidFilter(error instanceof Error ? error.message : String(error)));
  }
}

/** An `attr eq "value"` that narrows the candidates: the filter itself, or one operand of a top-level `and`. */
export function narrowingEquality(filter: Filter): { readonly path: string; readonly value: string } | undefined {
  const candidates = filter.op === "and" && "filters" in filter ? filter.filters : [filter];
  for (const candidate of candidates) {
    if (candidate.op === "eq" && "compValue" in candidate && typeof candidate.compValue === "string") {
      return { path: candidate.attrPath.toLowerCase(), value: candidate.compValue };
    }
  }
  return undefined;
}

/** Whether the filter reads `attribute` (top-level name, case-insensitive). */
export function filterReads(filter: Filter, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  switch (filter.op) {
    case "and":
    case "or":
      return "filters" in filter && filter.filters.some((child) => filterReads(child, attribute));
    case "not":
      return "filter" in filter && filterReads(filter.filter, attribute);
    default:
      return "attrPath" in filter && splitAttrPath(filter.attrPath)[0]?.toLowerCase() === lower;
  }
}

export function matchesFilter(resource: JsonObject, filter: Filter): boolean {
  return test(resource, filter, "");
}

function test(resource: JsonValue, filter: Filter, prefix: string): boolean {
  switch (filter.op) {
    case "and":
      return "filters" in filter && filter.filters.every((child) => test(resource, child, prefix));
    case "or":
      return "filters" in filter && filter.filters.some((child) => test(resource, child, prefix));
    case "not":
      return "filter" in filter && !test(resource, filter.filter, prefix);
    case "[]": {
      if (!("valFilter" in filter)) return false;
      const path = prefix + filter.attrPath;
      return collect(resource, filter.attrPath).some((item) => test(item, filter.valFilter, `${path}.`));
    }
    case "pr": {
      if (!("attrPath" in filter)) return false;
      return collect(resource, filter.attrPath).some((value) => value !== null && value !== "");
    }
    default: {
      if (!("compValue" in filter)) return false;
      const caseExact = isCaseExact(prefix + filter.attrPath);
      return collect(resource, filter.attrPath).some((value) => compare(filter.op, value, filter.compValue, caseExact));
    }
  }
}

function isCaseExact(path: string): boolean {
  const lower = path.toLowerCase();
  return CASE_EXACT_PATHS.has(lower) || lower.endsWith("$ref") || lower.startsWith("meta.");
}

/** `urn:...:User:manager.value` → [`urn:...:User`, `manager`, `value`]; `name.givenName` → [`name`, `givenName`]. */
function splitAttrPath(path: string): string[] {
  if (path.startsWith("urn:")) {
    const colon = path.lastIndexOf(":");
    return [path.slice(0, colon), ...path.slice(colon + 1).split(".")];
  }
  return path.split(".");
}

/** Every value at `path`, flattening multi-valued attributes on the way. */
function collect(resource: JsonValue, path: string): JsonValue[] {
  let current: JsonValue[] = [resource];
  for (const segment of splitAttrPath(path)) {
    const next: JsonValue[] = [];
    for (const value of current) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (!isJsonObject(item)) continue;
        const key = findKeyCaseInsensitive(item, segment);
        const child = key === undefined ? undefined : item[key];
        if (child !== undefined) next.push(child);
      }
    }
    current = next;
  }
  return current.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

type CompValue = boolean | null | number | string;

function compare(op: string, value: JsonValue, expected: CompValue, caseExact: boolean): boolean {
  const fold = (text: string): string => (caseExact ? text : text.toLowerCase());
  if (op === "eq" || op === "ne") {
    const equal =
      typeof value === "string" && typeof expected === "string" ? fold(value) === fold(expected) : value === expected;
    return op === "eq" ? equal : !equal;
  }
  if (op === "co" || op === "sw" || op === "ew") {
    if (typeof value !== "string" || typeof expected !== "string") return false;
    const [haystack, needle] = [fold(value), fold(expected)];
    if (op === "co") return haystack.includes(needle);
    return op === "sw" ? haystack.startsWith(needle) : haystack.endsWith(needle);
  }
  // gt / lt / ge / le: numbers, or strings such as ISO dates (RFC 7644 §3.4.2.2); never booleans.
  let left: number | string;
  let right: number | string;
  if (typeof value === "number" && typeof expected === "number") [left, right] = [value, expected];
  else if (typeof value === "string" && typeof expected === "string") [left, right] = [fold(value), fold(expected)];
  else return false;
  switch (op) {
    case "gt":
      return left > right;
    case "ge":
      return left >= right;
    case "lt":
      return left < right;
    case "le":
      return left <= right;
    default:
      return false;
  }
}
