/**
 * Part 2, size and start-up. Sizes come from the builds (bench/lib/build.ts). Start-up is timed
 * in workerd with a Worker Loader (dynamic workers): a small loader worker holds each bundle as
 * text and, per sample, loads it into a fresh isolate under a new id and sends it one request
 * (`GET /healthz` with no settings: the cheapest path through the app), then a second request to
 * the same, now warm, isolate. Start-up = (cold − warm) for the bundle minus (cold − warm) for
 * an empty module, which removes the loader's and the isolate's fixed costs and the request
 * itself, leaving module compile + top-level evaluation + first-use compilation of the request
 * path. Samples alternate between the bundles; the workerd process's CPU time over each
 * bundle's cold loads is read from /proc as a contention-proof cross-check.
 */
import { readFile } from "node:fs/promises";
import { processCpuMs } from "../lib/children.ts";
import { median, spread, type Spread } from "../lib/stats.ts";
import { startBundleInWorkerd } from "../lib/workerd.ts";
import type { BuiltBundle, TransportVariant } from "../lib/build.ts";

/** Cloudflare's limit on a Worker's start-up (platform-notes C1). */
export const STARTUP_LIMIT_MS = 1_000;
/** The project's budget for the gzipped deployable bundle. */
export const GZIP_BUDGET_BYTES = 100 * 1024;

export interface StartupOptions {
  readonly root: string;
  readonly bundles: readonly BuiltBundle[];
  readonly samples: number;
  readonly log: (line: string) => void;
}

export interface StartupSample {
  readonly coldMs: number;
  readonly warmMs: number;
}

export interface StartupResult {
  readonly variant: TransportVariant;
  readonly coldMs: Spread;
  readonly warmMs: Spread;
  /** (cold − warm) − the empty module's median (cold − warm). */
  readonly startupMs: Spread;
  /** workerd process CPU per cold load, minus the empty module's. */
  readonly startupCpuMs: number | undefined;
}

export interface SizeStartupResult {
  readonly method: string;
  readonly emptyModule: { coldMs: Spread; warmMs: Spread; cpuMsPerLoad: number | undefined };
  readonly startup: readonly StartupResult[];
  readonly limitMs: number;
}

const LOADER = `
const EMPTY = "export default { fetch() { return new Response('empty'); } };";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    const which = url.searchParams.get("which");
    const code = which === "EMPTY" ? EMPTY : env[which];
    const worker = env.LOADER.get(id, () => ({
      compatibilityDate: env.COMPATIBILITY_DATE,
      compatibilityFlags: ["nodejs_compat"],
      mainModule: "index.js",
      modules: { "index.js": code },
      env: {},
    }));
    const answer = await worker.getEntrypoint().fetch("https://bench.invalid/healthz");
    await answer.arrayBuffer();
    return new Response(String(answer.status));
  },
};`;

export async function measureStartup(options: StartupOptions): Promise<SizeStartupResult> {
  const bindingOf = (b: BuiltBundle) => `BUNDLE_${b.variant.replace(/[^a-z0-9]/gi, "_").toUpperCase()}`;
  const textBlobBindings: Record<string, string> = {};
  for (const bundle of options.bundles) textBlobBindings[bindingOf(bundle)] = bundle.scriptPath;
  const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(await readFile(`${options.root}/wrangler.toml`, "utf8"))?.[1] ?? "2026-04-20";

  const loader = await startBundleInWorkerd({
    root: options.root,
    worker: { script: LOADER },
    wranglerConfig: false,
    vars: { COMPATIBILITY_DATE: compatibilityDate },
    extra: { workerLoaders: { LOADER: {} }, textBlobBindings },
  });
  try {
    const kinds = ["EMPTY", ...options.bundles.map(bindingOf)];
    const samples = new Map<string, StartupSample[]>(kinds.map((k) => [k, []]));
    const cpu = new Map<string, number>(kinds.map((k) => [k, 0]));
    let cpuReadable = loader.pid !== undefined;
    const time = async (id: string, which: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${loader.url}/?id=${encodeURIComponent(id)}&which=${which}`);
      const status = await response.text();
      if (response.status !== 200) throw new Error(`start-up probe for ${which} answered ${response.status}: ${status.slice(0, 200)}`);
      return performance.now() - started;
    };
    // One untimed round so the loader itself is warm.
    for (const kind of kinds) await time(`warmup-${kind}`, kind);
    for (let i = 0; i < options.samples; i++) {
      const order = i % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const id = `${kind}-${i}-${Math.random().toString(36).slice(2)}`;
        const before = cpuReadable ? await processCpuMs(loader.pid as number) : undefined;
        const coldMs = await time(id, kind);
        const after = cpuReadable ? await processCpuMs(loader.pid as number) : undefined;
        if (before === undefined || after === undefined) cpuReadable = false;
        else cpu.set(kind, (cpu.get(kind) ?? 0) + (after - before));
        const warmMs = await time(id, kind);
        samples.get(kind)?.push({ coldMs, warmMs });
      }
    }
    const emptySamples = samples.get("EMPTY") ?? [];
    const emptyOverhead = median(emptySamples.map((s) => s.coldMs - s.warmMs));
    const emptyCpu = cpuReadable ? (cpu.get("EMPTY") ?? 0) / options.samples : undefined;
    const startup: StartupResult[] = options.bundles.map((bundle) => {
      const s = samples.get(bindingOf(bundle)) ?? [];
      const result: StartupResult = {
        variant: bundle.variant,
        coldMs: spread(s.map((x) => x.coldMs)),
        warmMs: spread(s.map((x) => x.warmMs)),
        startupMs: spread(s.map((x) => x.coldMs - x.warmMs - emptyOverhead)),
        startupCpuMs: cpuReadable && emptyCpu !== undefined ? (cpu.get(bindingOf(bundle)) ?? 0) / options.samples - emptyCpu : undefined,
      };
      options.log(`startup: ${bundle.variant}: ${result.startupMs.median.toFixed(1)} ms (cold ${result.coldMs.median.toFixed(1)} ms, warm ${result.warmMs.median.toFixed(1)} ms)`);
      return result;
    });
    return {
      method: "Worker Loader in workerd (fresh isolate per sample), (cold − warm) minus an empty module's (cold − warm)",
      emptyModule: { coldMs: spread(emptySamples.map((s) => s.coldMs)), warmMs: spread(emptySamples.map((s) => s.warmMs)), cpuMsPerLoad: emptyCpu },
      startup,
      limitMs: STARTUP_LIMIT_MS,
    };
  } finally {
    await loader.dispose();
  }
}
