/**
 * Counts `/run-command` calls per command name, so tests and benchmarks can assert how many
 * round trips the worker made (served at `GET /__standin/command-counts`).
 */
export interface CommandCounts {
  record(command: string): void;
  snapshot(): Record<string, number>;
  reset(): void;
}

export function createCommandCounts(): CommandCounts {
  const counts = new Map<string, number>();
  return {
    record: (command) => void counts.set(command, (counts.get(command) ?? 0) + 1),
    snapshot: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
  };
}
