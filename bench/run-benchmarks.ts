/**
 * `npm run bench`: measures the worker against the conventional build, on this machine, in one
 * run, and writes bench/results/latest.md (printed at the end) and latest.json.
 *
 *   npx tsx bench/run-benchmarks.ts [--users 10000] [--group-members 1000] [--quota 50]
 *     [--bulk-concurrency 32] [--delay 20] [--connections 16] [--rounds 3] [--round-seconds 5]
 *     [--retry-after-scale 1] [--budget-seconds 570] [--skip overhead,control,size,cpu,bulk]
 *
 * Parts, in order: builds (wrangler deploy --dry-run, aws4fetch and AWS SDK variants), size and
 * start-up, CPU time per request, overhead under load, bulk provisioning (+ group sync). Progress
 * goes to stderr; the report to stdout. Every server listens on 127.0.0.1 and every child process
 * is stopped by its own process group when the run ends. Details: bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { buildBundle, type BuiltBundle } from "./lib/build.ts";
import { stopAllChildren } from "./lib/children.ts";
import { renderMarkdown, type Budget, type Report, type SizeRow } from "./lib/report.ts";
import { measureBulkProvisioning, type BulkResult } from "./parts/bulk-provisioning.ts";
import { FREE_PLAN_CPU_LIMIT_MS, measureCpuTime, type CpuResult } from "./parts/cpu-time.ts";
import { measureOverhead, type OverheadResult } from "./parts/overhead.ts";
import { GZIP_BUDGET_BYTES, measureStartup } from "./parts/size-startup.ts";

const root = resolve(import.meta.dirname, "..");
const resultsDir = join(root, "bench", "results");

interface Settings {
  users: number;
  groupMembers: number;
  quota: number;
  bulkConcurrency: number;
  delayMs: number;
  connections: number;
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  retryAfterScale: number;
  budgetSeconds: number;
  startupSamples: number;
  cpuRepetitions: number;
  skip: Set<string>;
}

function parseArgs(argv: readonly string[]): Settings {
  const settings: Settings = {
    users: 10_000,
    groupMembers: 1_000,
    quota: 50,
    bulkConcurrency: 32,
    delayMs: 20,
    connections: 16,
    rounds: 3,
    roundSeconds: 5,
    warmupSeconds: 2,
    retryAfterScale: 1,
    budgetSeconds: 570,
    startupSamples: 10,
    cpuRepetitions: 5,
    skip: new Set(),
  };
  const numeric: Record<string, keyof Settings> = {
    "--users": "users",
    "--group-members": "groupMembers",
    "--quota": "quota",
    "--bulk-concurrency": "bulkConcurrency",
    "--delay": "delayMs",
    "--connections": "connections",
    "--rounds": "rounds",
    "--round-seconds": "roundSeconds",
    "--warmup-seconds": "warmupSeconds",
    "--retry-after-scale": "retryAfterScale",
    "--budget-seconds": "budgetSeconds",
    "--startup-samples": "startupSamples",
    "--cpu-repetitions": "cpuRepetitions",
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (flag === "--skip" && value !== undefined) {
      for (const part of value.split(",")) settings.skip.add(part.trim());
      i++;
      continue;
    }
    const key = numeric[flag];
    if (key === undefined || value === undefined || !Number.isFinite(Number(value)) || Number(value) < 0) {
      throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""}\nusage: see the header of bench/run-benchmarks.ts`);
    }
    (settings as unknown as Record<string, number>)[key] = Number(value);
    i++;
  }
  if (settings.rounds < 3) process.stderr.write("note: fewer than 3 rounds per target; the spread means little\n");
  return settings;
}

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function attempt<T>(name: string, run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${name} failed: ${message}`);
    return { error: message.split("\n")[0]?.slice(0, 400) ?? "unknown error" };
  }
}

function isError<T extends object>(value: T | { readonly error: string }): value is { readonly error: string } {
  return "error" in value;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, path), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const elapsed = () => (performance.now() - started) / 1000;
  const bundles: BuiltBundle[] = [];

  let stopping = false;
  const interrupt = () => {
    if (stopping) return;
    stopping = true;
    log("interrupted; stopping child processes");
    void stopAllChildren().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);

  try {
    // When wrangler.toml already minifies, the deployable build is the minified one.
    const configMinifies = /^\s*minify\s*=\s*true\b/m.test(readFileSync(join(root, "wrangler.toml"), "utf8"));
    log(`building bundles with wrangler deploy --dry-run (deployable, AWS SDK variant${configMinifies ? "" : ", minified"}, CPU harnesses)`);
    const built = await attempt("build", async () => {
      const deployable = await buildBundle({ root, variant: "aws4fetch" });
      bundles.push(deployable);
      const sdk = await buildBundle({ root, variant: "aws-sdk" });
      bundles.push(sdk);
      let deployableMin: BuiltBundle | undefined;
      let sdkMin: BuiltBundle | undefined;
      if (!configMinifies) {
        deployableMin = await buildBundle({ root, variant: "aws4fetch", minify: true });
        bundles.push(deployableMin);
        sdkMin = await buildBundle({ root, variant: "aws-sdk", minify: true });
        bundles.push(sdkMin);
      }
      const harness = await buildBundle({ root, variant: "aws4fetch", entry: "bench/cpu-harness/entry.ts" });
      bundles.push(harness);
      const sdkHarness = await buildBundle({ root, variant: "aws-sdk", entry: "bench/cpu-harness/entry.ts" });
      bundles.push(sdkHarness);
      return { deployable, sdk, deployableMin, sdkMin, harness, sdkHarness };
    });

    let sizes: Report["sizes"];
    let startup: Report["startup"] = null;
    let cpu: Report["cpu"] = null;
    let overhead: Report["overhead"] = null;
    let bulk: Report["bulk"] = null;

    if (isError(built)) {
      sizes = built;
    } else {
      const minified = configMinifies ? ", minified per wrangler.toml" : "";
      const rows: SizeRow[] = [
        { role: "deployable", label: `**deployable** (aws4fetch, as \`wrangler deploy\` uploads it${minified})`, bundle: { ...built.deployable, minified: configMinifies } },
        { role: "sdk", label: `AWS SDK variant (same code, SDK transport${minified})`, bundle: { ...built.sdk, minified: configMinifies } },
      ];
      if (built.deployableMin) rows.push({ role: "deployable-min", label: "deployable, `--minify`", bundle: built.deployableMin });
      if (built.sdkMin) rows.push({ role: "sdk-min", label: "AWS SDK variant, `--minify`", bundle: built.sdkMin });
      sizes = rows;
      log(`sizes: deployable ${(built.deployable.rawBytes / 1024).toFixed(1)} KiB raw / ${(built.deployable.gzipBytes / 1024).toFixed(1)} KiB gzip; SDK variant ${(built.sdk.rawBytes / 1024).toFixed(1)} / ${(built.sdk.gzipBytes / 1024).toFixed(1)} KiB`);

      if (!settings.skip.has("size")) {
        startup = await attempt("start-up", () => measureStartup({ root, bundles: [built.deployable, built.sdk], samples: settings.startupSamples, log }));
      }
      if (!settings.skip.has("cpu")) {
        cpu = await attempt<CpuResult>("cpu", () =>
          measureCpuTime({
            root,
            harnesses: [
              { variant: "aws4fetch", scriptPath: built.harness.scriptPath },
              { variant: "aws-sdk", scriptPath: built.sdkHarness.scriptPath },
            ],
            repetitions: settings.cpuRepetitions,
            loopMs: 700,
            log,
          }),
        );
      }
      if (!settings.skip.has("overhead")) {
        overhead = await attempt<OverheadResult>("overhead", () =>
          measureOverhead({
            root,
            scriptPath: built.deployable.scriptPath,
            delayMs: settings.delayMs,
            connections: settings.connections,
            rounds: settings.rounds,
            roundSeconds: settings.roundSeconds,
            warmupSeconds: settings.warmupSeconds,
            control: !settings.skip.has("control"),
            log,
          }),
        );
      }
      if (!settings.skip.has("bulk")) {
        // Whatever time is left, minus room for the group sync, verification and the report.
        const groupBudgetMs = settings.groupMembers > 0 ? Math.max(60_000, (settings.groupMembers / 25) * 1000 * 2) : 0;
        const remainingMs = (settings.budgetSeconds - elapsed()) * 1000 - groupBudgetMs - 30_000;
        const needMs = (settings.users / settings.quota) * 1000;
        if (remainingMs < needMs) log(`warning: ${(remainingMs / 1000).toFixed(0)} s left for bulk provisioning, ${(needMs / 1000).toFixed(0)} s needed at the quota; the phase deadline may cut it short`);
        bulk = await attempt<BulkResult>("bulk", () =>
          measureBulkProvisioning({
            root,
            scriptPath: built.deployable.scriptPath,
            users: settings.users,
            concurrency: settings.bulkConcurrency,
            quota: settings.quota,
            retryAfterScale: settings.retryAfterScale,
            deadlineMs: Math.max(30_000, remainingMs),
            groupMembers: settings.groupMembers,
            groupDeadlineMs: groupBudgetMs,
            log,
          }),
        );
      }
    }

    const report: Report = {
      environment: {
        startedAt,
        totalSeconds: elapsed(),
        node: process.version,
        wrangler: packageVersion("node_modules/wrangler/package.json"),
        workerd: packageVersion("node_modules/wrangler/node_modules/workerd/package.json"),
        cpuModel: cpus()[0]?.model ?? "unknown CPU",
        cores: cpus().length,
        loadAverageStart: loadStart,
        loadAverageEnd: loadavg(),
        commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
        uncommittedFiles: git(["status", "--porcelain"]).split("\n").filter((l) => l.trim() !== "").length,
        command: `npx tsx bench/run-benchmarks.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
      },
      sizes,
      startup,
      overhead,
      cpu,
      bulk,
      budgets: budgets(sizes, overhead, bulk, cpu),
    };
    const markdown = renderMarkdown(report);
    await mkdir(resultsDir, { recursive: true });
    await writeAtomically(join(resultsDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
    await writeAtomically(join(resultsDir, "latest.md"), markdown);
    log(`done in ${elapsed().toFixed(0)} s; wrote bench/results/latest.md and latest.json`);
    process.stdout.write(`${markdown}\n`);
  } finally {
    await stopAllChildren();
    await Promise.allSettled(bundles.map((b) => b.cleanup()));
  }
}

function budgets(sizes: Report["sizes"], overhead: Report["overhead"], bulk: Report["bulk"], cpu: Report["cpu"]): Budget[] {
  const list: Budget[] = [];
  if (overhead === null || isError(overhead)) {
    list.push({ name: "Worker added latency p50", target: "≤ reference's", measured: overhead ? "failed" : "skipped", met: null });
    list.push({ name: "Worker added latency p99", target: "≤ 1.5 × reference's", measured: overhead ? "failed" : "skipped", met: null });
  } else {
    const of = (pick: (p: OverheadResult["paths"][number]) => number) => overhead.paths.map((p) => `${p.path} ${pick(p).toFixed(2)}×`).join(", ");
    list.push({
      name: "Worker added latency p50 (worker ÷ reference, median of rounds)",
      target: "≤ 1.00×",
      measured: of((p) => p.ratios.addedP50.median),
      met: overhead.budgets.p50Met,
    });
    list.push({
      name: "Worker added latency p99 (worker ÷ reference, median of rounds)",
      target: "≤ 1.50×",
      measured: of((p) => p.ratios.addedP99.median),
      met: overhead.budgets.p99Met,
    });
  }
  if (isError(sizes)) list.push({ name: "Gzipped deployable bundle", target: "< 100 KiB", measured: "build failed", met: null });
  else {
    const deployable = sizes.find((r) => r.role === "deployable")?.bundle;
    const minified = sizes.find((r) => r.role === "deployable-min")?.bundle;
    list.push({
      name: "Gzipped deployable bundle",
      target: "< 100 KiB",
      measured: deployable ? `${(deployable.gzipBytes / 1024).toFixed(1)} KiB${deployable.minified ? " (minified per wrangler.toml)" : ""}${minified ? ` (${(minified.gzipBytes / 1024).toFixed(1)} KiB with --minify)` : ""}` : "n/a",
      met: deployable ? deployable.gzipBytes < GZIP_BUDGET_BYTES : null,
    });
  }
  if (bulk === null || isError(bulk)) {
    list.push({ name: "Bulk provisioning", target: "≥ 90% of quota, 0 lost, 0 duplicated", measured: bulk ? "failed" : "skipped", met: null });
  } else {
    const v = bulk.verification;
    const lost = Math.max(0, bulk.users - v.cognitoUsers) + v.expectedEmailsMissing;
    const duplicated = Math.max(0, v.cognitoUsers - v.cognitoDistinctEmails) + Math.max(0, v.sidecarUsersRead - v.sidecarUnlinked - v.sidecarDistinctUserIds);
    list.push({
      name: `Bulk provisioning (${bulk.users.toLocaleString("en-US")} users)`,
      target: "≥ 90% of quota, 0 lost, 0 duplicated",
      measured: `${(100 * bulk.fractionOfQuota).toFixed(1)}% of ${bulk.quota}/s; verification ${v.passed ? "passed" : "failed"} (${v.expectedEmailsMissing} missing, ${v.cognitoUsersNotLinked} unlinked, ${duplicated} duplicated)`,
      met: bulk.fractionOfQuota >= 0.9 && v.passed && lost === 0 && duplicated === 0,
    });
  }
  if (cpu === null || isError(cpu)) list.push({ name: "CPU per request", target: `≤ ${FREE_PLAN_CPU_LIMIT_MS} ms (free plan)`, measured: cpu ? "failed" : "skipped", met: null });
  else {
    const deployable = cpu.variants.find((v) => v.variant === "aws4fetch");
    const worst = Math.max(...(deployable?.paths.map((p) => Math.max(p.wallMsPerRequest.median, p.processCpuMsPerRequest.median)) ?? [Number.NaN]));
    list.push({
      name: "CPU per request (deployable, worst path)",
      target: `≤ ${FREE_PLAN_CPU_LIMIT_MS} ms (free plan)`,
      measured: `${worst.toFixed(2)} ms`,
      met: Number.isFinite(worst) ? worst <= FREE_PLAN_CPU_LIMIT_MS : null,
    });
  }
  return list;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  // `*.json.tmp` is git-ignored.
  const temporary = `${path}.json.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

main().catch(async (error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopAllChildren();
  process.exit(1);
});
