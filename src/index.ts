/** Worker entry: wiring only. */
import { createApp } from "./app";
import type { WorkerEnv } from "./env";
import { createConsoleLogger } from "./log";
import { consumeSyncBatch } from "./sync/sync-consumer";
import type { RuntimeDeps } from "./request-services";
import { systemClock } from "./timing";

export function createWorker(runtime: RuntimeDeps) {
  const app = createApp(runtime);
  return {
    fetch: (request: Request, env: WorkerEnv, ctx: ExecutionContext) => app.fetch(request, env, ctx),
    // The sync queue's consumer (docs/sync.md); acks and retries are set on the batch's messages.
    queue: async (batch: MessageBatch<unknown>, env: WorkerEnv, _ctx: ExecutionContext) => {
      await consumeSyncBatch(batch, env, runtime);
    },
  } satisfies ExportedHandler<WorkerEnv>;
}

// `satisfies` (not an annotation) keeps `fetch` non-optional for callers such as tests.
export default createWorker({
  fetch: (input, init) => fetch(input, init),
  clock: systemClock,
  logger: createConsoleLogger(),
}) satisfies ExportedHandler<WorkerEnv>;
