/**
 * Turning what the transport hands back into typed results, shared by the SCIM client and the
 * connection-management client: validated answers, and transport failures as worker failures.
 */
import type { z } from "zod";
import { fail, ok, type Result } from "../result";
import type { WorkerFailure } from "../scim/scim-error";
import { TransportFailure } from "./run-command-transport";

export type SidecarFailure = Extract<
  WorkerFailure,
  { kind: "sidecar_unreachable" | "sidecar_timeout" | "sidecar_bad_response" | "sidecar_rejected" }
>;

/** The answer if it matches the contract; anything else is a bad response, never a success. */
export function validatedAnswer<S extends z.ZodType>(command: string, data: unknown, schema: S): Result<z.infer<S>, SidecarFailure> {
  const parsed = schema.safeParse(data);
  return parsed.success
    ? ok(parsed.data)
    : fail({ kind: "sidecar_bad_response", status: 200, reason: `${command} answer does not match the contract` });
}

/** The failure when the transport never got a usable answer; `undefined` for the sidecar's own errors. */
export function transportFailureOf(error: unknown): SidecarFailure | undefined {
  if (!(error instanceof TransportFailure)) return undefined;
  const reason = error.reason;
  switch (reason.kind) {
    case "timeout":
      return { kind: "sidecar_timeout", timeoutMs: reason.timeoutMs };
    case "unreachable":
      return { kind: "sidecar_unreachable", reason: reason.reason };
    case "bad_response":
      return { kind: "sidecar_bad_response", status: reason.status, reason: reason.reason };
  }
}

/** Whether the sidecar answered the command with this error type (e.g. `ScimConnectionNotFound`). */
export function isSidecarError(failure: WorkerFailure, errorType: string): boolean {
  return failure.kind === "sidecar_rejected" && failure.errorType === errorType;
}
