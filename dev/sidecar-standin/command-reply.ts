/**
 * The HTTP answer to one `/run-command` call. Success is 200; a command error is 400 with the
 * error JSON; a SCIM client-facing error uses the SCIM status itself (404, 409, ...).
 */
export interface CommandReply {
  readonly status: number;
  readonly body: object;
}

export function success(body: object): CommandReply {
  return { status: 200, body };
}

export function commandError(body: { readonly type: string; readonly details?: unknown }): CommandReply {
  return { status: 400, body };
}

export function unexpectedError(details: string, status = 400): CommandReply {
  return { status, body: { type: "UnexpectedError", details } };
}
