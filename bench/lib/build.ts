/**
 * Builds worker bundles exactly as a deploy would: `wrangler deploy --dry-run --outdir` with the
 * repository's wrangler.toml. Every build runs in a scratch copy of the project (src/, configs,
 * node_modules linked), so the repository is never touched and every variant goes through the
 * same steps; a variant only swaps files in the copy:
 * - `aws-sdk`: `src/cognito/cognito-client.ts` becomes bench/variants/cognito-client.aws-sdk.ts
 *   and the real module stays beside it as `cognito-client.aws4fetch.ts` (the variant re-exports
 *   everything but the transport from it);
 * - an `entry` (e.g. the CPU harness) is copied in with bench/ and built instead of `main`.
 * Sizes are read from the output: raw bytes and gzip (node:zlib, level 9 and wrangler's own
 * figure from its "Total Upload" line), plus the largest contributors from esbuild's metafile.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

export type TransportVariant = "aws4fetch" | "aws-sdk";

export interface BuildRequest {
  readonly root: string;
  readonly variant: TransportVariant;
  /** Entry to build instead of wrangler.toml's `main`, relative to the project root (e.g. bench/cpu-harness/entry.ts). */
  readonly entry?: string;
  readonly minify?: boolean;
}

export interface Contributor {
  readonly name: string;
  readonly bytes: number;
}

export interface BuiltBundle {
  readonly variant: TransportVariant;
  readonly minified: boolean;
  readonly entry: string;
  /** Path of the bundle's main module. */
  readonly scriptPath: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  /** wrangler's "Total Upload: … / gzip: …" line, as printed. */
  readonly wranglerTotals: string | undefined;
  /** Largest inputs in the output, grouped by npm package or src/ directory. */
  readonly contributors: readonly Contributor[];
  readonly buildMs: number;
  /** The scratch directory (removed by `cleanup`). */
  readonly workDir: string;
  cleanup(): Promise<void>;
}

const WRANGLER_TIMEOUT_MS = 120_000;

export async function buildBundle(request: BuildRequest): Promise<BuiltBundle> {
  const started = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), `cse-bench-${request.variant}-`));
  const project = join(workDir, "project");
  const outdir = join(workDir, "out");
  await mkdir(project, { recursive: true });
  await cp(join(request.root, "src"), join(project, "src"), { recursive: true });
  for (const file of ["wrangler.toml", "tsconfig.json", "package.json"]) await cp(join(request.root, file), join(project, file));
  await symlink(join(request.root, "node_modules"), join(project, "node_modules"), "dir");
  if (request.entry !== undefined) await cp(join(request.root, "bench"), join(project, "bench"), { recursive: true, filter: (src) => !src.includes(`${join(request.root, "bench", "results")}`) });
  if (request.variant === "aws-sdk") {
    const cognitoDir = join(project, "src", "cognito");
    await rename(join(cognitoDir, "cognito-client.ts"), join(cognitoDir, "cognito-client.aws4fetch.ts"));
    await writeFile(join(cognitoDir, "cognito-client.ts"), await readFile(join(request.root, "bench", "variants", "cognito-client.aws-sdk.ts")));
  }

  const metafile = join(workDir, "meta.json");
  const args = [
    join(request.root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "deploy",
    "--dry-run",
    "--outdir",
    outdir,
    "--metafile",
    metafile,
    ...(request.minify ? ["--minify"] : []),
    ...(request.entry !== undefined ? [request.entry] : []),
  ];
  const output = await run(process.execPath, args, project);
  const meta = JSON.parse(await readFile(metafile, "utf8")) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const outputKey = Object.keys(meta.outputs).find((key) => key.endsWith(".js"));
  if (outputKey === undefined) throw new Error(`no .js output in the metafile of the ${request.variant} build`);
  const inputs = meta.outputs[outputKey]?.inputs ?? {};
  const scriptPath = resolve(project, outputKey);
  const code = await readFile(scriptPath);

  return {
    variant: request.variant,
    minified: request.minify ?? false,
    entry: request.entry ?? "src/index.ts",
    scriptPath,
    rawBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    wranglerTotals: /Total Upload: ([^\n]+)/.exec(output)?.[1]?.trim(),
    contributors: groupInputs(inputs, project),
    buildMs: performance.now() - started,
    workDir,
    cleanup: () => rm(workDir, { recursive: true, force: true }),
  };
}

/** Groups esbuild inputs by npm package (`@scope/name`) or by the first two path segments. */
function groupInputs(inputs: Record<string, { bytesInOutput: number }>, project: string): Contributor[] {
  const totals = new Map<string, number>();
  for (const [path, info] of Object.entries(inputs)) {
    let name: string;
    const nodeModules = path.lastIndexOf("node_modules/");
    if (nodeModules >= 0) {
      const parts = path.slice(nodeModules + "node_modules/".length).split("/");
      name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? path);
    } else {
      const rel = path.startsWith("/") ? relative(project, path) : path;
      name = rel.split("/").slice(0, 2).join("/");
    }
    totals.set(name, (totals.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1", CI: "1" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      reject(new Error(`wrangler build timed out after ${WRANGLER_TIMEOUT_MS} ms\n${output.slice(-2000)}`));
    }, WRANGLER_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler deploy --dry-run failed (${code}):\n${output.slice(-3000)}`));
    });
  });
}
