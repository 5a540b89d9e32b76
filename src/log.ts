/**
 * Structured JSON logs. Callers pass named fields only; values that could carry secrets
 * (keys, tokens, credentials, request bodies) are never handed to the logger, and the field
 * names below are dropped as a second line of defence.
 */
export type LogLevel = "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined | readonly string[]>>;

export interface Logger {
  log(level: LogLevel, event: string, fields: LogFields): void;
}

const NEVER_LOGGED = /key|secret|token|authorization|password|credential|body/i;

export function createConsoleLogger(sink: (line: string) => void = (line) => console.log(line)): Logger {
  return {
    log(level, event, fields) {
      const record: Record<string, unknown> = { level, event };
      for (const [name, value] of Object.entries(fields)) {
        if (value === undefined || NEVER_LOGGED.test(name)) continue;
        record[name] = value;
      }
      sink(JSON.stringify(record));
    },
  };
}
