/**
 * Part 4, CPU time per request inside the worker. The CPU harness (bench/cpu-harness/entry.ts,
 * built like the worker and run in workerd) calls the real worker's fetch N times in a row with
 * every upstream answered in-process and at once, so nothing waits on I/O. Two readings per loop:
 * - wall: the loop request's wall time minus an n=0 request's, divided by N (timed from outside:
 *   workerd's clocks do not move during pure computation);
 * - process CPU: workerd's utime+stime delta over the loop (/proc, 10 ms ticks), divided by N —
 *   not inflated when other processes take the CPU, but it includes the runtime's own threads.
 * The first requests of an isolate cost more (lazy compilation, SigV4 signing-key derivation,
 * config parsing); a warm-up loop runs first, so these are steady-state figures.
 */
import { processCpuMs } from "../lib/children.ts";
import { spread, type Spread } from "../lib/stats.ts";
import { startBundleInWorkerd } from "../lib/workerd.ts";
import type { TransportVariant } from "../lib/build.ts";

/** Cloudflare Workers Free plan: 10 ms CPU per request (platform-notes C1). */
export const FREE_PLAN_CPU_LIMIT_MS = 10;

export interface CpuOptions {
  readonly root: string;
  readonly harnesses: readonly { variant: TransportVariant; scriptPath: string }[];
  readonly repetitions: number;
  /** Target duration of one measured loop. */
  readonly loopMs: number;
  readonly log: (line: string) => void;
}

export interface CpuPathResult {
  readonly path: "Completed" | "DisableUser";
  readonly n: number;
  readonly wallMsPerRequest: Spread;
  readonly processCpuMsPerRequest: Spread;
  readonly non200: number;
}

export interface CpuResult {
  readonly limitMs: number;
  readonly variants: readonly { variant: TransportVariant; paths: readonly CpuPathResult[] }[];
}

const PATHS = [
  { path: "Completed", query: "completed" },
  { path: "DisableUser", query: "disable" },
] as const;

export async function measureCpuTime(options: CpuOptions): Promise<CpuResult> {
  const variants: CpuResult["variants"][number][] = [];
  for (const harness of options.harnesses) {
    options.log(`cpu: ${harness.variant} harness in workerd`);
    const worker = await startBundleInWorkerd({ root: options.root, worker: { scriptPath: harness.scriptPath }, wranglerConfig: false, vars: {} });
    try {
      const loop = async (query: string, n: number): Promise<{ ms: number; cpuMs: number | undefined; non200: number }> => {
        const cpuBefore = worker.pid !== undefined ? await processCpuMs(worker.pid) : undefined;
        const started = performance.now();
        const response = await fetch(`${worker.url}/__loop?path=${query}&n=${n}`, { method: "POST" });
        const body = (await response.json()) as { statuses: Record<string, number> };
        const ms = performance.now() - started;
        const cpuAfter = worker.pid !== undefined ? await processCpuMs(worker.pid) : undefined;
        const non200 = Object.entries(body.statuses).reduce((sum, [status, count]) => (status === "200" ? sum : sum + count), 0);
        return { ms, cpuMs: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined, non200 };
      };
      const paths: CpuPathResult[] = [];
      for (const spec of PATHS) {
        // Warm-up, and a first estimate to size N so one loop takes about `loopMs`.
        await loop(spec.query, 200);
        const estimate = await loop(spec.query, 200);
        const n = Math.max(200, Math.min(20_000, Math.round((options.loopMs / Math.max(0.01, estimate.ms)) * 200)));
        const wall: number[] = [];
        const cpu: number[] = [];
        let non200 = estimate.non200;
        for (let rep = 0; rep < options.repetitions; rep++) {
          const empty = await loop(spec.query, 0);
          const full = await loop(spec.query, n);
          non200 += full.non200;
          wall.push((full.ms - empty.ms) / n);
          if (full.cpuMs !== undefined) cpu.push(full.cpuMs / n);
        }
        const result: CpuPathResult = { path: spec.path, n, wallMsPerRequest: spread(wall), processCpuMsPerRequest: spread(cpu), non200 };
        paths.push(result);
        options.log(
          `cpu: ${harness.variant} ${spec.path}: ${result.wallMsPerRequest.median.toFixed(3)} ms wall/request, ${result.processCpuMsPerRequest.median.toFixed(3)} ms process CPU/request (n=${n})`,
        );
      }
      variants.push({ variant: harness.variant, paths });
    } finally {
      await worker.dispose();
    }
  }
  return { limitMs: FREE_PLAN_CPU_LIMIT_MS, variants };
}
