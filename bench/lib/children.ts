/**
 * Child processes of the benchmark: each in its own process group (so workerd, esbuild and
 * friends die with it), stdin held open (a child that notices stdin closing stops itself), and
 * every one stopped by its own group id when the benchmark ends or is interrupted.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createInterface } from "node:readline";

const running = new Set<ChildProcess>();

export interface StartedChild<T> {
  readonly child: ChildProcess;
  /** The first JSON line the child printed (its "ready" message). */
  readonly ready: T;
  stop(): Promise<void>;
}

/**
 * Starts `command args` and waits (at most `timeoutMs`) for a line of JSON on its stdout.
 * Other stdout lines are ignored; stderr is kept for the error message.
 */
export async function startChild<T>(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<StartedChild<T>> {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  };
  const child = spawn(command, [...args], spawnOptions);
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")} not ready within ${options.timeoutMs} ms\n${stderr}`)), options.timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (!line.startsWith("{")) return;
      try {
        const parsed = JSON.parse(line) as T;
        clearTimeout(timer);
        lines.removeAllListeners("line");
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout?.resume();
        resolve(parsed);
      } catch {
        // not our line
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited (${code}) before it was ready\n${stderr}`));
    });
  });
  child.stdout?.on("data", () => undefined);
  return { child, ready, stop: () => stopChild(child) };
}

/** SIGTERM to the child's group, SIGKILL after 3 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
      resolve();
    }, 3_000);
    child.once("exit", () => {
      clearTimeout(killTimer);
      resolve();
    });
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      clearTimeout(killTimer);
      resolve();
    }
  });
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Reads utime+stime of a process (and its threads) in milliseconds from /proc; undefined off Linux. */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  try {
    const { readFile } = await import("node:fs/promises");
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

function clockTicksPerSecond(): number {
  // USER_HZ is 100 on every mainstream Linux build.
  return 100;
}
