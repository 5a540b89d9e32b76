/**
 * The BYO sidecar, behind a small interface. Commands go through `@propelauth/byo-node`'s
 * ScimClient driven by our transport; every answer is validated, and every failure comes back
 * as a `SidecarFailure` value.
 */
import { ScimClient, type Result as ByoResult, type ScimRequestCommand } from "@propelauth/byo-node";
import type { Config } from "../config";
import { fail, ok, type Result } from "../result";
import type { Clock, FetchLike, UpstreamTimer } from "../timing";
import { createRunCommandTransport } from "./run-command-transport";
import { isSidecarError, transportFailureOf, validatedAnswer, type SidecarFailure } from "./sidecar-answers";
import {
  clientFacingErrorSchema,
  commandErrorSchema,
  completedSchema,
  fetchScimConnectionSchema,
  getScimUserSchema,
  pingSchema,
  scimRequestResponseSchema,
  type CompletedAnswer,
  type ScimRequestAnswer,
  type ScimUserRecord,
} from "./sidecar-schemas";

export type { SidecarFailure };

/** A client-facing error: the status and RFC 7644 body the sidecar wants the IdP to get. */
export interface ClientFacingAnswer {
  readonly status: "ClientFacingError";
  readonly statusToReturn: number;
  readonly bodyToReturn: unknown;
  readonly underlyingErrorType: string | undefined;
}

export interface SidecarClient {
  scimRequest(command: ScimRequestCommand): Promise<Result<ScimRequestAnswer | ClientFacingAnswer, SidecarFailure>>;
  linkScimUser(command: { connectionId: string; commitId: string; userId: string }): Promise<Result<CompletedAnswer, SidecarFailure>>;
  commitScimUserChange(command: { connectionId: string; commitId: string }): Promise<Result<CompletedAnswer, SidecarFailure>>;
  fetchScimConnection(connectionId: string): Promise<Result<{ connectionId: string; customerId: string }, SidecarFailure>>;
  /** The user's current SCIM state by app user id; `null` when the sidecar has no such user (`UserNotFound`). */
  getScimUser(connectionId: string, userId: string): Promise<Result<ScimUserRecord | null, SidecarFailure>>;
  ping(): Promise<Result<{ timestamp: number }, SidecarFailure>>;
}

export interface SidecarDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timer: UpstreamTimer;
}

export function createSidecarClient(config: Config["sidecar"], deps: SidecarDeps): SidecarClient {
  const runCommand = createRunCommandTransport({ ...config, ...deps });
  const scim = new ScimClient(runCommand);

  return {
    async scimRequest(command) {
      const answer = await scim.scimRequest(command);
      if (answer.ok) return validatedAnswer("ScimRequest", answer.data, scimRequestResponseSchema);
      const transport = transportFailureOf(answer.error);
      if (transport) return fail(transport);
      const facing = clientFacingErrorSchema.safeParse(answer.error);
      if (facing.success) {
        return ok({
          status: "ClientFacingError",
          statusToReturn: facing.data.statusToReturn,
          bodyToReturn: facing.data.bodyToReturn,
          underlyingErrorType: facing.data.underlyingError?.type,
        });
      }
      // Integration-key, licence or unexpected errors: the sidecar's problem, not the IdP's.
      return fail(rejected("ScimRequest", answer.error));
    },
    async linkScimUser(command) {
      return completed("LinkScimUser", await scim.linkScimUser(command));
    },
    async commitScimUserChange(command) {
      return completed("CommitScimUserChange", await scim.commitScimUserChange(command));
    },
    async fetchScimConnection(connectionId) {
      const answer = await scim.management.fetchScimConnection({ scimConnectionId: connectionId });
      return answer.ok ? validatedAnswer("FetchScimConnection", answer.data, fetchScimConnectionSchema) : fail(commandFailure("FetchScimConnection", answer.error));
    },
    async getScimUser(connectionId, userId) {
      const answer = await scim.getScimUser({ scimConnectionId: connectionId, userId });
      if (answer.ok) return validatedAnswer("GetScimUser", answer.data, getScimUserSchema);
      const failure = commandFailure("GetScimUser", answer.error);
      return isSidecarError(failure, "UserNotFound") ? ok(null) : fail(failure);
    },
    async ping() {
      // byo-node's ScimClient has no Ping; the transport sends it like any other command.
      const answer = await runCommand<unknown, unknown>({ command: "Ping", data: {} });
      return answer.ok ? validatedAnswer("Ping", answer.data, pingSchema) : fail(commandFailure("Ping", answer.error));
    },
  };
}


function completed(command: string, answer: ByoResult<unknown, unknown>): Result<CompletedAnswer, SidecarFailure> {
  return answer.ok ? validatedAnswer(command, answer.data, completedSchema) : fail(commandFailure(command, answer.error));
}


function commandFailure(command: string, error: unknown): SidecarFailure {
  return transportFailureOf(error) ?? rejected(command, error);
}

function rejected(command: string, error: unknown): SidecarFailure {
  const parsed = commandErrorSchema.safeParse(error);
  return { kind: "sidecar_rejected", command, errorType: parsed.success ? parsed.data.type : "unrecognised error body" };
}

