const units: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration as etcdctl v2 took it (Go's `time.ParseDuration`: `2s`, `1.5s`, `300ms`,
 * `1m30s`, units `ns us µs ms s m h`), or a plain number of milliseconds (`2000`). Returns
 * milliseconds, or `undefined` for anything else (a negative duration included).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  if (trimmed.length === 0) return undefined;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const m = part.exec(trimmed);
    if (!m) return undefined;
    total += Number(m[1]) * (units[m[2] as string] as number);
    at = part.lastIndex;
  }
  return total;
}
