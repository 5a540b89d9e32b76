/**
 * Client-facing SCIM errors: what the stand-in tells the worker to send back to the IdP.
 *
 * Every SCIM failure is built here, so the HTTP status, the RFC 7644 §3.12 body and the
 * `underlyingError` always agree (byo-contract §10.4). The status/scimType pairs are fixed by the
 * helpers below; nothing else constructs a `ScimFailure`.
 */
import type { ScimClientFacingError, ScimUnderlyingError } from "@propelauth/byo-node";

/** RFC 7644 §3.12 error schema URN. */
export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

/** The `scimType` values the stand-in uses (a subset of RFC 7644 Table 9). */
export type ScimErrorType =
  | "uniqueness"
  | "invalidSyntax"
  | "invalidFilter"
  | "invalidValue"
  | "invalidPath"
  | "noTarget";

/** The statuses the stand-in answers SCIM failures with. */
export type ScimFailureStatus = 400 | 401 | 404 | 409 | 500;

/** One SCIM failure, already carrying everything needed to answer the IdP. */
export interface ScimFailure {
  readonly status: ScimFailureStatus;
  readonly scimType?: ScimErrorType;
  readonly detail: string;
  readonly underlying: ScimUnderlyingError;
}

/** Converts a failure into the `ScimClientFacingError` wire shape of `@propelauth/byo-node`. */
export function toClientFacingError(failure: ScimFailure): ScimClientFacingError {
  return {
    statusToReturn: failure.status,
    bodyToReturn: {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(failure.status),
      ...(failure.scimType ? { scimType: failure.scimType } : {}),
      detail: failure.detail,
    },
    underlyingError: failure.underlying,
  };
}

export function invalidApiKey(): ScimFailure {
  return { status: 401, detail: "Invalid or expired SCIM API key.", underlying: { type: "InvalidApiKey" } };
}

export function unknownPath(path: string): ScimFailure {
  return { status: 404, detail: `No SCIM resource at ${path}.`, underlying: { type: "InvalidPath" } };
}

/** A known endpoint called with a method it does not support (RFC 7644 has no 405; 400 is the closest). */
export function methodNotSupported(method: string, path: string): ScimFailure {
  return {
    status: 400,
    detail: `${method} is not supported on ${path}.`,
    underlying: { type: "InvalidPath" },
  };
}

export function userNotFound(id: string): ScimFailure {
  return { status: 404, detail: `User ${id} not found.`, underlying: { type: "UserNotFound" } };
}

export function groupNotFound(id: string): ScimFailure {
  return { status: 404, detail: `Group ${id} not found.`, underlying: { type: "GroupNotFound" } };
}

export function userNameTaken(userName: string): ScimFailure {
  return {
    status: 409,
    scimType: "uniqueness",
    detail: `userName ${JSON.stringify(userName)} is already in use on this connection.`,
    underlying: { type: "ScimUserIdAlreadyTaken", details: { field: "userName" } },
  };
}

export function invalidBody(detail: string, scimType: "invalidSyntax" | "invalidValue" = "invalidSyntax"): ScimFailure {
  return { status: 400, scimType, detail, underlying: { type: "InvalidBody" } };
}

export function missingRequiredField(field: string): ScimFailure {
  return {
    status: 400,
    scimType: "invalidValue",
    detail: `Required attribute ${field} is missing or empty.`,
    underlying: { type: "MissingRequiredField", details: { field } },
  };
}

export function cantRemoveRequiredField(field: string): ScimFailure {
  return {
    status: 400,
    scimType: "invalidValue",
    detail: `Required attribute ${field} cannot be removed.`,
    underlying: { type: "CantRemoveRequiredField", details: { field } },
  };
}

export function invalidFilter(message: string): ScimFailure {
  return {
    status: 400,
    scimType: "invalidFilter",
    detail: `Invalid filter: ${message}`,
    underlying: { type: "InvalidQueryField", details: { field: "filter", message } },
  };
}

/** A query parameter other than `filter` (startIndex, count) that cannot be read. */
export function invalidQueryValue(field: string, message: string): ScimFailure {
  return {
    status: 400,
    scimType: "invalidValue",
    detail: `Invalid ${field}: ${message}`,
    underlying: { type: "InvalidQueryField", details: { field, message } },
  };
}

export function invalidPatchValue(field: string, detail: string): ScimFailure {
  return {
    status: 400,
    scimType: "invalidValue",
    detail,
    underlying: { type: "InvalidPatchValue", details: { field } },
  };
}

export function invalidPatchPath(detail: string, scimType: "invalidPath" | "noTarget" = "invalidPath"): ScimFailure {
  return { status: 400, scimType, detail, underlying: { type: "InvalidPatchPath" } };
}

export function invalidPatchOperation(detail: string): ScimFailure {
  return { status: 400, scimType: "invalidSyntax", detail, underlying: { type: "InvalidPatchOperation" } };
}

/** A failure the stand-in did not expect; answered as SCIM 500 so the bug is visible. */
export function unexpectedScimError(details: string): ScimFailure {
  return { status: 500, detail: "Unexpected error in the sidecar stand-in.", underlying: { type: "UnexpectedError", details } };
}
