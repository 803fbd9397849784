// Go's time.Duration text, as kube-proxy's flags and KubeProxyConfiguration
// (metav1.Duration) read and write it: "5s", "1m30s", "250ms", "24h0m0s".
// Values are carried as nanoseconds in a JS number (exact up to ~104 days).

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's maximum Duration (2^63-1 ns), about 292 years. */
const MAX_NS = 9223372036854775807;

const TERM = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/**
 * Parses a Go duration ("300ms", "-1.5h", "2h45m", "0") into nanoseconds.
 * Throws a TypeError with Go's wording (`time: invalid duration "x"`).
 */
export function parseDuration(text: string): number {
  const bad = (why = 'invalid duration'): TypeError => new TypeError(`time: ${why} ${JSON.stringify(text)}`);
  if (typeof text !== 'string') throw new TypeError('time: duration must be a string');
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  while (s !== '') {
    const m = TERM.exec(s);
    if (m === null) throw bad(/^[\d.]/.test(s) ? 'missing unit in duration' : 'invalid duration');
    const [whole, int = '', frac = '', unit = ''] = m;
    if (int === '' && frac === '') throw bad();
    const scale = UNITS[unit];
    if (scale === undefined) throw new TypeError(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    total += Number(int === '' ? '0' : int) * scale;
    if (frac !== '') total += Math.round(Number(`0.${frac}`) * scale);
    if (total > MAX_NS) throw bad();
    s = s.slice(whole.length);
  }
  return sign * total;
}

function trimFraction(value: number, unit: number, digits: number): string {
  const whole = Math.floor(value / unit);
  const rest = Math.round(value - whole * unit);
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Formats nanoseconds as Go's Duration.String() does: "1m30s", "15m0s", "250ms", "0s". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) throw new TypeError(`not a duration: ${ns}`);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const v = Math.round(Math.abs(ns));
  if (v < 1e3) return `${sign}${v}ns`;
  if (v < 1e6) return `${sign}${trimFraction(v, 1e3, 3)}µs`;
  if (v < 1e9) return `${sign}${trimFraction(v, 1e6, 6)}ms`;
  const hours = Math.floor(v / 3600e9);
  const minutes = Math.floor((v - hours * 3600e9) / 60e9);
  const seconds = v - hours * 3600e9 - minutes * 60e9;
  let out = `${trimFraction(seconds, 1e9, 9)}s`;
  if (hours > 0 || minutes > 0) out = `${minutes}m${out}`;
  if (hours > 0) out = `${hours}h${out}`;
  return sign + out;
}

/** Nanoseconds to milliseconds, for timers. */
export function toMillis(ns: number): number {
  return ns / 1e6;
}
