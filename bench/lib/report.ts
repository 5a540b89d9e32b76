/** Renders the benchmark results as the Markdown report (bench/results/latest.md). */
import type { BuiltBundle } from "./build.ts";
import { fmt, fmtSpread, type Spread } from "./stats.ts";
import type { BulkResult } from "../parts/bulk-provisioning.ts";
import type { CpuResult } from "../parts/cpu-time.ts";
import type { OverheadResult } from "../parts/overhead.ts";
import type { SizeStartupResult } from "../parts/size-startup.ts";

export interface Environment {
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly node: string;
  readonly wrangler: string;
  readonly workerd: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
  readonly commit: string;
  readonly uncommittedFiles: number;
  readonly command: string;
}

export interface SizeRow {
  /** `deployable` and `sdk` are the builds compared (and timed); the `-min` rows only show sizes. */
  readonly role: "deployable" | "sdk" | "deployable-min" | "sdk-min";
  readonly label: string;
  readonly bundle: Pick<BuiltBundle, "variant" | "minified" | "rawBytes" | "gzipBytes" | "wranglerTotals" | "contributors">;
}

export interface Report {
  readonly environment: Environment;
  readonly sizes: readonly SizeRow[] | { readonly error: string };
  readonly startup: SizeStartupResult | { readonly error: string } | null;
  readonly overhead: OverheadResult | { readonly error: string } | null;
  readonly cpu: CpuResult | { readonly error: string } | null;
  readonly bulk: BulkResult | { readonly error: string } | null;
  readonly budgets: readonly Budget[];
}

export interface Budget {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number, decimals = 1): string => `${fmt(value, decimals)} ms`;
const spreadMs = (s: Spread, decimals = 1): string => `${fmtSpread(s, decimals)} ms`;
const ratio = (s: Spread): string => `${fmtSpread(s, 2)}×`;
function failed<T extends object>(part: T | { readonly error: string }): part is { readonly error: string } {
  return "error" in part;
}

export function renderMarkdown(report: Report): string {
  const e = report.environment;
  const lines: string[] = [];
  lines.push(`# cognito-scim-edge benchmarks`);
  lines.push("");
  lines.push(
    `Run ${e.startedAt} · ${e.totalSeconds.toFixed(0)} s in total · \`${e.command}\` · commit ${e.commit}${e.uncommittedFiles > 0 ? ` + ${e.uncommittedFiles} uncommitted files` : ""}`,
  );
  lines.push(
    `Machine: ${e.cpuModel}, ${e.cores} cores · Node ${e.node} · wrangler ${e.wrangler} (workerd ${e.workerd}) · load average ${e.loadAverageStart.map((v) => v.toFixed(2)).join("/")} at start, ${e.loadAverageEnd.map((v) => v.toFixed(2)).join("/")} at end (anything above ${e.cores} means other processes competed for the CPU).`,
  );
  lines.push("");
  lines.push("## Budgets");
  lines.push("");
  lines.push("| Budget | Target | Measured | Met |");
  lines.push("| --- | --- | --- | --- |");
  for (const b of report.budgets) lines.push(`| ${b.name} | ${b.target} | ${b.measured} | ${b.met === null ? "not measured" : b.met ? "yes" : "**no**"} |`);
  lines.push("");

  lines.push(...overheadSection(report.overhead));
  lines.push(...sizeSection(report.sizes, report.startup));
  lines.push(...bulkSection(report.bulk));
  lines.push(...cpuSection(report.cpu));
  lines.push("How each figure is measured, and how to reproduce it: `bench/README.md`.");
  lines.push("");
  return lines.join("\n");
}

function overheadSection(o: Report["overhead"]): string[] {
  const lines = ["## 1. Overhead: worker in workerd vs. Node.js + AWS SDK reference", ""];
  if (o === null) return [...lines, "Skipped in this run.", ""];
  if (failed(o)) return [...lines, `Failed: ${o.error}`, ""];
  lines.push(
    `Both targets call the same upstream stubs (a separate process; every answer after ${o.delayMs} ms). autocannon, ${o.connections} connections, closed loop, ${o.rounds} rounds × ${o.roundSeconds} s per target and path, target order alternating per round. "Added" = latency − bare upstream delay (${o.delayMs} ms × round trips). A direct call to the stub measured p50 ${ms(o.directRoundTrip.p50Ms, 2)}, p99 ${ms(o.directRoundTrip.p99Ms, 2)} (loopback + timer slack per round trip). Figures are median (min–max) over rounds; ratios are worker ÷ reference per round.`,
  );
  lines.push("");
  for (const p of o.paths) {
    lines.push(`**${p.path}** — \`${p.request}\`, ${p.upstreamRoundTrips} upstream round trip${p.upstreamRoundTrips > 1 ? "s" : ""}, bare ${p.bareMs} ms`);
    lines.push("");
    lines.push("| Target | req/s | p50 | p99 | added p50 | added p99 | upstream calls/req (sidecar + Cognito) | process CPU/req |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const target of ["worker", "reference"] as const) {
      const t = p.perTarget[target];
      const rounds = p.rounds.filter((r) => r.target === target);
      const calls = rounds.length
        ? `${fmt(rounds.reduce((s, r) => s + r.upstreamCallsPerRequest.sidecar, 0) / rounds.length, 2)} + ${fmt(rounds.reduce((s, r) => s + r.upstreamCallsPerRequest.cognito, 0) / rounds.length, 2)}`
        : "n/a";
      lines.push(
        `| ${target === "worker" ? "worker (workerd)" : "reference (Node + SDK)"} | ${fmtSpread(t.rps, 0)} | ${spreadMs(t.p50)} | ${spreadMs(t.p99)} | ${spreadMs(t.addedP50)} | ${spreadMs(t.addedP99)} | ${calls} | ${spreadMs(t.cpuMsPerRequest, 2)} |`,
      );
    }
    lines.push(`| **worker ÷ reference** | ${ratio(p.ratios.rps)} | ${ratio(p.ratios.p50)} | ${ratio(p.ratios.p99)} | ${ratio(p.ratios.addedP50)} | ${ratio(p.ratios.addedP99)} | | |`);
    lines.push("");
    const u = p.unloaded;
    lines.push(
      `Unloaded (1 connection, no queueing): worker p50 ${ms(u.worker.p50Ms, 2)} (added ${ms(u.worker.addedP50Ms, 2)}), reference p50 ${ms(u.reference.p50Ms, 2)} (added ${ms(u.reference.addedP50Ms, 2)}). Same-machine fairness check, CPU per request during the rounds — load generator: ${spreadMs(p.perTarget.worker.loadGeneratorCpuMsPerRequest, 2)} (worker rounds) vs ${spreadMs(p.perTarget.reference.loadGeneratorCpuMsPerRequest, 2)} (reference rounds); upstream stubs: ${spreadMs(p.perTarget.worker.stubsCpuMsPerRequest, 2)} vs ${spreadMs(p.perTarget.reference.stubsCpuMsPerRequest, 2)}; new upstream connections per round: ${connectionsOf(p, "worker")} (worker) vs ${connectionsOf(p, "reference")} (reference).`,
    );
    lines.push("");
  }
  if (o.control !== null) {
    const c = o.control;
    lines.push(
      `**Control** — the same 10-line proxy (one sidecar round trip, nothing else; \`bench/control/\`) on each runtime, same load and rounds: workerd added p50 ${spreadMs(c.perTarget.workerd.addedP50)}, p99 ${spreadMs(c.perTarget.workerd.addedP99)}, ${fmtSpread(c.perTarget.workerd.rps, 0)} req/s, process CPU ${spreadMs(c.perTarget.workerd.cpuMsPerRequest, 2)}/req; Node added p50 ${spreadMs(c.perTarget.node.addedP50)}, p99 ${spreadMs(c.perTarget.node.addedP99)}, ${fmtSpread(c.perTarget.node.rps, 0)} req/s, process CPU ${spreadMs(c.perTarget.node.cpuMsPerRequest, 2)}/req; workerd ÷ Node added p50 ${ratio(c.ratios.addedP50)}, added p99 ${ratio(c.ratios.addedP99)}. What the runtime (workerd behind Miniflare's entry worker vs. Node's http + undici) contributes on its own under this load.`,
    );
    lines.push("");
  }
  lines.push(
    "Process CPU/req is the target process's utime+stime over a round divided by its requests (workerd's includes its HTTP server, the local KV store and log forwarding; the reference's includes undici and the SDK). The worker additionally reads its customer → pool record from (local) KV on the DisableUser path; the reference has its pool in memory.",
  );
  lines.push("");
  return lines;
}

function connectionsOf(p: OverheadResult["paths"][number], target: "worker" | "reference"): string {
  return p.rounds
    .filter((r) => r.target === target)
    .map((r) => String(r.upstreamConnectionsOpened))
    .join("/");
}

function sizeSection(sizes: Report["sizes"], startup: Report["startup"]): string[] {
  const lines = ["## 2. Bundle size and start-up", ""];
  if (failed(sizes)) return [...lines, `Build failed: ${sizes.error}`, ""];
  const startupOf = (variant: string) => (startup !== null && !failed(startup) ? startup.startup.find((s) => s.variant === variant) : undefined);
  lines.push("| Build | Raw | Gzip (zlib level 9) | wrangler's \"Total Upload\" | Start-up (workerd) | Start-up CPU |");
  lines.push("| --- | --- | --- | --- | --- | --- |");
  for (const row of sizes) {
    const s = row.role === "deployable" || row.role === "sdk" ? startupOf(row.bundle.variant) : undefined;
    lines.push(
      `| ${row.label} | ${kib(row.bundle.rawBytes)} | ${kib(row.bundle.gzipBytes)} | ${row.bundle.wranglerTotals ?? "n/a"} | ${s ? spreadMs(s.startupMs) : "—"} | ${s?.startupCpuMs !== undefined ? ms(s.startupCpuMs, 0) : "—"} |`,
    );
  }
  lines.push("");
  if (startup === null) lines.push("Start-up was not measured in this run.");
  else if (failed(startup)) lines.push(`Start-up measurement failed: ${startup.error}`);
  else {
    lines.push(
      `Start-up: ${startup.method}; median (min–max) of ${startup.startup[0]?.startupMs.n ?? 0} samples each (an empty module: cold ${spreadMs(startup.emptyModule.coldMs)}, warm ${spreadMs(startup.emptyModule.warmMs)}). Start-up CPU is workerd's process CPU per cold load minus the empty module's (10 ms ticks, averaged). Cloudflare's start-up limit is ${startup.limitMs} ms.`,
    );
  }
  lines.push("");
  const deployable = sizes.find((r) => r.role === "deployable");
  const sdk = sizes.find((r) => r.role === "sdk");
  if (deployable) {
    lines.push(`Largest contributors to the deployable bundle (bytes each input contributes to the output, from esbuild's metafile):`);
    lines.push("");
    lines.push("| Input | Size | Share |");
    lines.push("| --- | --- | --- |");
    for (const c of deployable.bundle.contributors.slice(0, 10)) lines.push(`| ${c.name} | ${kib(c.bytes)} | ${((100 * c.bytes) / deployable.bundle.rawBytes).toFixed(1)}% |`);
    lines.push("");
  }
  if (deployable && sdk) {
    const names = new Set(deployable.bundle.contributors.map((c) => c.name));
    const added = sdk.bundle.contributors.filter((c) => !names.has(c.name));
    const aws4fetchInSdk = sdk.bundle.contributors.find((c) => c.name === "aws4fetch")?.bytes ?? 0;
    lines.push(
      `The AWS SDK build adds ${kib(added.reduce((s, c) => s + c.bytes, 0))} raw (${added.slice(0, 5).map((c) => `${c.name} ${kib(c.bytes)}`).join(", ")}${added.length > 5 ? ", …" : ""}); aws4fetch left in it: ${kib(aws4fetchInSdk)}.`,
    );
    lines.push("");
  }
  return lines;
}

function bulkSection(b: Report["bulk"]): string[] {
  const lines = ["## 3. Bulk provisioning through the local stack", ""];
  if (b === null) return [...lines, "Skipped in this run.", ""];
  if (failed(b)) return [...lines, `Failed: ${b.error}`, ""];
  const errors = Object.entries(b.idpErrors);
  lines.push(
    `${b.users.toLocaleString("en-US")} users created with \`POST /Users\` by an IdP-like driver at concurrency ${b.concurrency}, through the worker's bundle in workerd, the sidecar stand-in and the Cognito emulator throttling UserCreation at ${b.quota}/s (other categories at AWS's defaults). On 429/503 the driver waits Retry-After${b.retryAfterScale === 1 ? " as sent" : ` × ${b.retryAfterScale} (scaled down to fit the time budget)`} and retries the same user.`,
  );
  lines.push("");
  lines.push("| Measure | Value |");
  lines.push("| --- | --- |");
  lines.push(`| Users created (201) | ${b.created.toLocaleString("en-US")} of ${b.users.toLocaleString("en-US")}${b.deadlineHit ? " — **phase deadline hit**" : ""} |`);
  lines.push(`| Time, first request to last 201 | ${fmt(b.seconds, 1)} s |`);
  lines.push(`| Users/s | ${fmt(b.usersPerSecond, 1)} = **${fmt(100 * b.fractionOfQuota, 1)}%** of the ${b.quota}/s quota (${fmt(100 * b.fractionOfQuotaAfterBurst, 1)}% not counting the emulator's initial one-second burst) |`);
  lines.push(`| IdP-visible errors | ${errors.length === 0 ? "none" : errors.map(([status, n]) => `${n} × ${status}`).join(", ")} (${b.attempts.toLocaleString("en-US")} requests in all; at most ${b.maxAttemptsForOneUser} for one user) |`);
  lines.push(`| Per user, first request to 201 | p50 ${ms(b.userLatencyMs.p50, 0)}, p99 ${ms(b.userLatencyMs.p99, 0)}, max ${ms(b.userLatencyMs.max, 0)} |`);
  lines.push(`| AdminCreateUser at the emulator | ${b.emulator.adminCreateUserOk.toLocaleString("en-US")} created, ${b.emulator.adminCreateUserThrottled.toLocaleString("en-US")} throttled (retried inside the worker) |`);
  lines.push(`| Sidecar commands | ${Object.entries(b.sidecarCommands).map(([c, n]) => `${c} ${n.toLocaleString("en-US")}`).join(", ")} |`);
  const v = b.verification;
  lines.push(
    `| Verification | ${v.passed ? "**passed**" : `**failed**: ${v.problems.join("; ")}`} — Cognito ${v.cognitoUsers.toLocaleString("en-US")} users (${v.cognitoDistinctSubs.toLocaleString("en-US")} distinct subs, ${v.cognitoDistinctEmails.toLocaleString("en-US")} distinct emails, ${v.expectedEmailsMissing} expected missing, ${v.unexpectedEmails} unexpected); sidecar totalResults ${v.sidecarTotalResults.toLocaleString("en-US")}, ${v.sidecarDistinctUserIds.toLocaleString("en-US")} distinct userIds, ${v.sidecarUnlinked} unlinked, ${v.sidecarUserIdsNotInCognito} not in Cognito; ${v.cognitoUsersNotLinked} Cognito users not linked |`,
  );
  lines.push("");
  const g = b.groupSync;
  lines.push("**Group sync**");
  lines.push("");
  if (!g.ran) lines.push(`Not run: ${g.reason}.`);
  else {
    const calls = Object.entries(g.emulatorCalls)
      .filter(([op]) => op !== "ListUsersInGroup")
      .map(([op, c]) => `${op} ${c.ok}${c.throttled ? ` (+${c.throttled} throttled)` : ""}`)
      .join(", ");
    lines.push(
      `One \`POST /Groups\` with ${g.members.toLocaleString("en-US")} members (answered ${g.postStatus} in ${ms(g.postMs, 0)}); the queue consumer then put ${g.membersInCognito.toLocaleString("en-US")} of them into the Cognito group in ${fmt(g.seconds, 1)} s = ${fmt(g.membersPerSecond, 1)} members/s against the ${g.quotaPerSecond}/s UserResourceUpdate quota (${fmt((100 * g.membersPerSecond) / g.quotaPerSecond, 0)}%)${g.complete ? "" : " — **incomplete**"}. ${g.syncBatches} consumer invocations, ${g.retriedMessages} messages retried. Emulator calls: ${calls}.`,
    );
  }
  lines.push("");
  return lines;
}

function cpuSection(c: Report["cpu"]): string[] {
  const lines = ["## 4. CPU time per request inside the worker", ""];
  if (c === null) return [...lines, "Skipped in this run.", ""];
  if (failed(c)) return [...lines, `Failed: ${c.error}`, ""];
  lines.push(
    "The real worker's `fetch` called N times in a row inside workerd with every upstream answered in-process at once (bench/cpu-harness), steady state after a warm-up; median (min–max) over repetitions. Wall = (loop − empty loop) ÷ N, timed outside workerd; process CPU = workerd's utime+stime over the loop ÷ N.",
  );
  lines.push("");
  lines.push(`| Build | Path | N | Wall per request | Process CPU per request | Share of the ${c.limitMs} ms free-plan limit |`);
  lines.push("| --- | --- | --- | --- | --- | --- |");
  for (const v of c.variants) {
    for (const p of v.paths) {
      const worst = Math.max(p.wallMsPerRequest.median, p.processCpuMsPerRequest.median);
      lines.push(
        `| ${v.variant === "aws4fetch" ? "deployable (aws4fetch)" : "AWS SDK variant"} | ${p.path} | ${p.n.toLocaleString("en-US")} | ${spreadMs(p.wallMsPerRequest, 3)} | ${spreadMs(p.processCpuMsPerRequest, 3)} | ${fmt((100 * worst) / c.limitMs, 1)}%${p.non200 > 0 ? ` (${p.non200} non-200!)` : ""} |`,
      );
    }
  }
  lines.push("");
  return lines;
}
