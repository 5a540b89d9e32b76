/**
 * An in-process fake of the BYO sidecar's `/run-command` for worker tests. It checks the
 * integration key and Access headers on every call, records every command, and answers from
 * per-command scripts.
 */
export interface RecordedCommand {
  readonly command: string;
  readonly data: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

export type ScriptedAnswer =
  | { status: number; json: unknown }
  | { status: number; text: string }
  | "hang"
  | "network-error";

export type CommandScript = (data: Record<string, unknown>) => ScriptedAnswer;

export interface FakeSidecar {
  readonly calls: RecordedCommand[];
  /** Answers the next call of `command` (queued, first in first out), then falls back to `always`. */
  once(command: string, script: CommandScript | ScriptedAnswer): void;
  always(command: string, script: CommandScript | ScriptedAnswer): void;
  commands(name?: string): RecordedCommand[];
  /** Calls whose integration key or Access headers were wrong (must stay empty). */
  readonly authFailures: RecordedCommand[];
  handle(request: Request): Promise<Response>;
}

export function createFakeSidecar(options: {
  integrationKey: string;
  accessClientId?: string;
  accessClientSecret?: string;
  customerByConnection: Record<string, string>;
}): FakeSidecar {
  const calls: RecordedCommand[] = [];
  const authFailures: RecordedCommand[] = [];
  const queued = new Map<string, (CommandScript | ScriptedAnswer)[]>();
  const fallback = new Map<string, CommandScript | ScriptedAnswer>();

  fallback.set("Ping", () => ({ status: 200, json: { timestamp: 1_700_000_000 } }));
  fallback.set("FetchScimConnection", (data) => {
    const connectionId = String(data["scimConnectionId"]);
    const customerId = options.customerByConnection[connectionId];
    return customerId === undefined
      ? { status: 404, json: { type: "ScimConnectionNotFound" } }
      : { status: 200, json: { connectionId, customerId, displayName: null, scimApiKeyValidUntil: null, userMapping: { userSchema: [] } } };
  });

  function resolve(script: CommandScript | ScriptedAnswer, data: Record<string, unknown>): ScriptedAnswer {
    return typeof script === "function" ? script(data) : script;
  }

  return {
    calls,
    authFailures,
    once(command, script) {
      const list = queued.get(command) ?? [];
      list.push(script);
      queued.set(command, list);
    },
    always(command, script) {
      fallback.set(command, script);
    },
    commands(name) {
      return name === undefined ? calls : calls.filter((call) => call.command === name);
    },
    async handle(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || !url.pathname.endsWith("/run-command")) {
        throw new Error(`fake sidecar: unexpected ${request.method} ${url.pathname}`);
      }
      const headers = Object.fromEntries(request.headers);
      const parsed = (await request.json()) as { command: string; data: Record<string, unknown> };
      const recorded: RecordedCommand = { command: parsed.command, data: parsed.data, headers };
      calls.push(recorded);
      const authOk =
        headers["authorization"] === `Bearer ${options.integrationKey}` &&
        headers["content-type"] === "application/json" &&
        (options.accessClientId === undefined ||
          (headers["cf-access-client-id"] === options.accessClientId && headers["cf-access-client-secret"] === options.accessClientSecret));
      if (!authOk) {
        authFailures.push(recorded);
        return Response.json({ type: "IntegrationKeyNotFound" }, { status: 401 });
      }
      const script = queued.get(parsed.command)?.shift() ?? fallback.get(parsed.command);
      if (script === undefined) throw new Error(`fake sidecar: no script for ${parsed.command}`);
      const answer = resolve(script, parsed.data);
      if (answer === "hang") {
        return new Promise<Response>((_, reject) => {
          request.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        });
      }
      if (answer === "network-error") throw new TypeError("Network connection lost.");
      if ("json" in answer) return Response.json(answer.json, { status: answer.status });
      return new Response(answer.text, { status: answer.status });
    },
  };
}
