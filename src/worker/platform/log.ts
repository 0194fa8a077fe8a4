// The one logger: one JSON line per event, `{"level","event",…fields}`, to the console method of its
// level (the Workers log pipeline pages on `event`). Masking happens here and nowhere else: an
// `openid` field keeps its first 4 characters, so a caller can hand over what it has. Fields are
// facts an operator reconciles with: never a key, a signature or a token (the HTTP error path also
// scrubs configured secrets out of messages: platform/on-error.ts scrubSecrets).
import { maskOpenid } from '../../core';

type LogLevel = 'info' | 'warn' | 'error';
type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Field names whose values are masked wherever they appear (top level). */
const MASKED: Readonly<Record<string, (v: string) => string | undefined>> = {
  openid: maskOpenid,
};

function masked(fields: LogFields): LogFields {
  let out: LogFields | null = null;
  for (const [name, mask] of Object.entries(MASKED)) {
    const v = fields[name];
    if (typeof v !== 'string' || !v) continue;
    out ??= { ...fields };
    out[name] = mask(v);
  }
  return out ?? fields;
}

/** The line as written: level and event first, then the fields in their order (tests match on that prefix). */
function logLine(level: LogLevel, event: string, fields: LogFields = {}): string {
  return JSON.stringify({ level, event, ...masked(fields) });
}

const SINK: Record<LogLevel, (line: string) => void> = {
  // Looked up at call time, so a test's console spy sees the line.
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

export const log: Logger = {
  info: (event, fields) => SINK.info(logLine('info', event, fields)),
  warn: (event, fields) => SINK.warn(logLine('warn', event, fields)),
  error: (event, fields) => SINK.error(logLine('error', event, fields)),
};

/** `e`'s name for a log line (never its message, which may quote anything). */
export function errorName(e: unknown): string {
  return (e as Error | null)?.name ?? 'unknown';
}
