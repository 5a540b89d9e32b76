/**
 * Our transport for `@propelauth/byo-node`'s ScimClient. The package's own client uses the
 * global fetch with no timeout and no extra headers; the sidecar sits behind a Cloudflare Tunnel
 * protected by an Access service token, so we need both. Transport failures come back as a
 * `TransportFailure` error value that `sidecar-client.ts` tells apart from the sidecar's own errors.
 */
import type { Command, Result as ByoResult } from "@propelauth/byo-node";
import type { Clock, FetchLike, UpstreamTimer } from "../timing";

export type TransportFailureReason =
  | { kind: "timeout"; timeoutMs: number }
  | { kind: "unreachable"; reason: string }
  | { kind: "bad_response"; status: number; reason: string };

export class TransportFailure {
  constructor(readonly reason: TransportFailureReason) {}
}

export interface RunCommandTransportOptions {
  readonly url: string;
  readonly integrationKey: string;
  readonly accessServiceToken: { readonly clientId: string; readonly clientSecret: string } | null;
  readonly timeoutMs: number;
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly timer: UpstreamTimer;
}

/** Matches the package's `request` signature: `<TResponse, TError>(command) => Promise<Result>`. */
export type RunCommand = <TResponse, TError>(command: Command) => Promise<ByoResult<TResponse, TError>>;

function byoOk<T, E>(data: T): ByoResult<T, E> {
  return { ok: true, data, getOrThrow: () => data, toTypedError: (e: unknown) => { throw e; } };
}

function byoErr<T, E>(error: E): ByoResult<T, E> {
  return {
    ok: false,
    error,
    getOrThrow: () => {
      throw new Error("sidecar command failed");
    },
    toTypedError: () => error,
  };
}

export function createRunCommandTransport(options: RunCommandTransportOptions): RunCommand {
  const endpoint = `${options.url}/run-command`;
  const baseHeaders: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${options.integrationKey}`,
  };
  if (options.accessServiceToken) {
    baseHeaders["cf-access-client-id"] = options.accessServiceToken.clientId;
    baseHeaders["cf-access-client-secret"] = options.accessServiceToken.clientSecret;
  }

  return async function runCommand<TResponse, TError>(command: Command): Promise<ByoResult<TResponse, TError>> {
    const started = options.clock.now();
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), options.timeoutMs);
    try {
      let response: Response;
      try {
        response = await options.fetch(endpoint, {
          method: "POST",
          headers: baseHeaders,
          body: JSON.stringify(command),
          signal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.aborted) return byoErr(new TransportFailure({ kind: "timeout", timeoutMs: options.timeoutMs }) as TError);
        return byoErr(new TransportFailure({ kind: "unreachable", reason: describe(error) }) as TError);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (abort.signal.aborted) return byoErr(new TransportFailure({ kind: "timeout", timeoutMs: options.timeoutMs }) as TError);
        return byoErr(new TransportFailure({ kind: "unreachable", reason: describe(error) }) as TError);
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        // A tunnel or Access error page, an empty answer: never a success.
        return byoErr(new TransportFailure({ kind: "bad_response", status: response.status, reason: "body is not JSON" }) as TError);
      }
      if (data === null || typeof data !== "object") {
        return byoErr(new TransportFailure({ kind: "bad_response", status: response.status, reason: "body is not a JSON object" }) as TError);
      }
      return response.ok ? byoOk(data as TResponse) : byoErr(data as TError);
    } finally {
      clearTimeout(timeout);
      options.timer.sidecarMs += options.clock.now() - started;
    }
  };
}

function describe(error: unknown): string {
  // Names and messages of fetch errors carry no credentials (those live in headers only).
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error";
}
