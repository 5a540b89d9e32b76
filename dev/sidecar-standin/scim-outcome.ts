/**
 * What a SCIM endpoint handler decides, before it is put on the wire by scim-request.ts:
 * completed (answer the IdP now), action (the app must act first) or failure (client-facing error).
 */
import type { ScimActionHook } from "@propelauth/byo-node";
import type { ScimConnection } from "./connection-registry.ts";
import type { JsonObject } from "./json.ts";
import type { ScimFailure } from "./scim-errors.ts";
import type { StagedChanges } from "./staged-changes.ts";

export type ScimOutcome =
  | {
      readonly kind: "completed";
      readonly httpCode: number;
      readonly data?: JsonObject;
      readonly affectedUserIds?: readonly string[];
    }
  | { readonly kind: "action"; readonly action: ScimActionHook }
  | { readonly kind: "failure"; readonly failure: ScimFailure };

/** Everything a SCIM handler may touch: one connection's data, the staged changes and the clock. */
export interface ScimContext {
  readonly connection: ScimConnection;
  readonly staged: StagedChanges;
  readonly nowIso: () => string;
}

/** A completed answer; `affectedUserIds` is left out when empty (the contract makes it optional). */
export function completed(httpCode: number, data?: JsonObject, affectedUserIds?: Iterable<string>): ScimOutcome {
  const affected = affectedUserIds ? [...new Set(affectedUserIds)] : [];
  return {
    kind: "completed",
    httpCode,
    ...(data ? { data } : {}),
    ...(affected.length > 0 ? { affectedUserIds: affected } : {}),
  };
}

export function actionRequired(action: ScimActionHook): ScimOutcome {
  return { kind: "action", action };
}

export function failed(failure: ScimFailure): ScimOutcome {
  return { kind: "failure", failure };
}
