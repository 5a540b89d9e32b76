/**
 * Runs a built worker bundle (the output of `wrangler deploy --dry-run --outdir`) in workerd
 * through Miniflare — the copy wrangler 4.86 itself uses — with the bindings wrangler.toml
 * declares (KV, queue producer and consumer) and the given vars. No `wrangler dev` proxy sits in
 * front: requests reach workerd's socket, where Miniflare's small entry worker hands them to the
 * worker, so what is measured is the deployable code in the open-source production runtime. KV is
 * in memory, workerd's stdout is drained or handed to `onStdoutLine` (the worker logs one line per
 * request, as in production), and the socket is on 127.0.0.1.
 */
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

/** The parts of Miniflare's API the benchmark uses (typed loosely: wrangler's copy ships no types we can import). */
export interface MiniflareLike {
  readonly ready: Promise<URL>;
  dispatchFetch(input: string, init?: RequestInit): Promise<Response>;
  getKVNamespace(name: string): Promise<{ put(key: string, value: string): Promise<void> }>;
  dispose(): Promise<void>;
}

type MiniflareCtor = new (options: Record<string, unknown>) => MiniflareLike;

let cached: { Miniflare: MiniflareCtor; Log: new (level: number) => unknown; workerOptionsFromConfig: (path: string) => Record<string, unknown> } | undefined;

/** wrangler's own Miniflare (4.20260426; the top-level one belongs to the vitest plugin and needs Node 22). */
async function loadMiniflare(root: string): Promise<NonNullable<typeof cached>> {
  if (cached) return cached;
  const rootRequire = createRequire(join(root, "package.json"));
  const wranglerRequire = createRequire(rootRequire.resolve("wrangler/package.json"));
  const miniflare = (await import(pathToFileURL(wranglerRequire.resolve("miniflare")).href)) as {
    Miniflare: MiniflareCtor;
    Log: new (level: number) => unknown;
  };
  const wrangler = (await import(pathToFileURL(rootRequire.resolve("wrangler")).href)) as {
    unstable_getMiniflareWorkerOptions: (path: string) => { workerOptions: Record<string, unknown> };
  };
  cached = {
    Miniflare: miniflare.Miniflare,
    Log: miniflare.Log,
    workerOptionsFromConfig: (path) => wrangler.unstable_getMiniflareWorkerOptions(path).workerOptions,
  };
  return cached;
}

export interface WorkerdOptions {
  /** Repository root (for wrangler.toml and wrangler's Miniflare). */
  readonly root: string;
  /** The worker: a built module on disk (e.g. `<outdir>/index.js`), or module source text. */
  readonly worker: { readonly scriptPath: string } | { readonly script: string };
  /**
   * Give the worker wrangler.toml's settings and bindings (KV, queues, `[vars]`). Default true;
   * false runs it bare, with only `vars` (control workers, the start-up loader).
   */
  readonly wranglerConfig?: boolean;
  /** Worker vars on top of wrangler.toml's `[vars]`. */
  readonly vars: Readonly<Record<string, string>>;
  /** KV `POOLS` entries written before the first request. */
  readonly kv?: Readonly<Record<string, string>>;
  /** Extra Miniflare worker options (merged over the defaults). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Port for workerd's socket (0 = any free one). */
  readonly port?: number;
  /** Called with every line workerd prints on stdout (the worker's console.log lines). */
  readonly onStdoutLine?: (line: string) => void;
}

export interface RunningWorkerd {
  /** Base URL of workerd's socket, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  /** The workerd process id, for CPU accounting (undefined if it could not be identified). */
  readonly pid: number | undefined;
  readonly mf: MiniflareLike;
  dispose(): Promise<void>;
}

export async function startBundleInWorkerd(options: WorkerdOptions): Promise<RunningWorkerd> {
  const { Miniflare, Log, workerOptionsFromConfig } = await loadMiniflare(options.root);
  const fromConfig = workerOptionsFromConfig(join(options.root, "wrangler.toml"));
  const settings =
    options.wranglerConfig === false
      ? { compatibilityDate: fromConfig["compatibilityDate"], compatibilityFlags: fromConfig["compatibilityFlags"] }
      : fromConfig;
  const source = "script" in options.worker ? { script: options.worker.script } : { scriptPath: options.worker.scriptPath, modulesRoot: dirname(options.worker.scriptPath) };
  const before = new Set(await workerdChildren());
  let stderrTail = "";
  const mf = new Miniflare({
    ...settings,
    name: "cognito-scim-edge",
    modules: true,
    ...source,
    bindings: { ...(settings["bindings"] as Record<string, unknown> | undefined), ...options.vars },
    host: "127.0.0.1",
    port: options.port ?? 0,
    kvPersist: false,
    cachePersist: false,
    durableObjectsPersist: false,
    // Level 0 = NONE: no Miniflare chatter on the benchmark's stdout, and no per-request log
    // line sent from workerd's entry worker back to Node.
    log: new Log(0),
    logRequests: false,
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      if (options.onStdoutLine) {
        const onLine = options.onStdoutLine;
        createInterface({ input: stdout }).on("line", onLine);
      } else {
        stdout.resume();
      }
      stderr.on("data", (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString("utf8")).slice(-4000);
      });
    },
    ...options.extra,
  });
  let readyUrl: URL;
  try {
    readyUrl = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => undefined);
    throw new Error(`workerd did not start: ${error instanceof Error ? error.message : String(error)}\n${stderrTail}`);
  }
  const url = readyUrl.toString().replace(/\/$/, "");
  const after = await workerdChildren();
  const pid = after.find((p) => !before.has(p));
  if (options.kv) {
    const kv = await mf.getKVNamespace("POOLS");
    for (const [key, value] of Object.entries(options.kv)) await kv.put(key, value);
  }
  return { url, pid, mf, dispose: () => mf.dispose() };
}

/** workerd processes whose parent is this process (Miniflare spawns workerd directly). */
async function workerdChildren(): Promise<number[]> {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm.startsWith("workerd") && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // raced with an exiting process
    }
  }
  return pids;
}
