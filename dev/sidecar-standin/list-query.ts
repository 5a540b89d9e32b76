/**
 * Reads the list parameters of a SCIM GET (RFC 7644 §3.4.2): `filter`, `startIndex` (1-based),
 * `count`, `attributes`, `excludedAttributes`. `sortBy`/`sortOrder` are ignored (sort is not
 * supported, as /ServiceProviderConfig says). Parameter names are matched case-insensitively.
 */
import { err, ok, type Result } from "./result.ts";
import { invalidQueryValue, type ScimFailure } from "./scim-errors.ts";
import { parseFilter, type Filter } from "./scim-filter.ts";
import type { Projection } from "./scim-resources.ts";

/** Page size when the IdP sends no `count`. */
export const DEFAULT_LIST_COUNT = 100;
/** Largest page the stand-in returns (advertised as `filter.maxResults`). */
export const MAX_LIST_COUNT = 200;

export interface ListQuery extends Projection {
  readonly filter?: Filter;
  readonly startIndex: number;
  readonly count: number;
}

function param(params: URLSearchParams, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of params) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function parseInteger(text: string | undefined, field: string): Result<number | undefined, ScimFailure> {
  if (text === undefined || text.trim() === "") return ok(undefined);
  if (!/^\s*-?\d+\s*$/.test(text)) return err(invalidQueryValue(field, `${JSON.stringify(text)} is not an integer`));
  return ok(Number.parseInt(text, 10));
}

/** `attributes` / `excludedAttributes` only, for single-resource GETs. */
export function parseProjection(params: URLSearchParams): Projection {
  const list = (text: string | undefined): string[] | undefined =>
    text === undefined ? undefined : text.split(",").map((item) => item.trim()).filter((item) => item !== "");
  const attributes = list(param(params, "attributes"));
  const excludedAttributes = list(param(params, "excludedAttributes"));
  return {
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  };
}

export function parseListQuery(params: URLSearchParams): Result<ListQuery, ScimFailure> {
  const startIndex = parseInteger(param(params, "startIndex"), "startIndex");
  if (!startIndex.ok) return startIndex;
  const count = parseInteger(param(params, "count"), "count");
  if (!count.ok) return count;

  const filterText = param(params, "filter");
  let filter: Filter | undefined;
  if (filterText !== undefined) {
    const parsed = parseFilter(filterText);
    if (!parsed.ok) return parsed;
    filter = parsed.value;
  }
  return ok({
    ...parseProjection(params),
    ...(filter ? { filter } : {}),
    // RFC 7644 §3.4.2.4: startIndex < 1 is read as 1, a negative count as 0.
    startIndex: Math.max(1, startIndex.value ?? 1),
    count: Math.min(MAX_LIST_COUNT, Math.max(0, count.value ?? DEFAULT_LIST_COUNT)),
  });
}

/** One page of `items` (1-based `startIndex`), without copying more than the page. */
export function pageOf<T>(items: Iterable<T>, query: Pick<ListQuery, "startIndex" | "count">): T[] {
  const page: T[] = [];
  if (query.count === 0) return page;
  let index = 0;
  for (const item of items) {
    index += 1;
    if (index < query.startIndex) continue;
    page.push(item);
    if (page.length >= query.count) break;
  }
  return page;
}
