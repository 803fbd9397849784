// Line charts as a standalone SVG file, for the benchmark's curve (no
// plotting dependency): panels side by side, each with a logarithmic x axis
// (the cluster size), a linear or logarithmic y axis, series as lines with
// dots, and an optional target drawn as a dashed line.

/** One line of a panel. Points whose y is not finite are left out. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  readonly dashed?: boolean;
}

export interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logY?: boolean;
  /** A horizontal target line, with its label. */
  readonly target?: { readonly y: number; readonly label: string };
}

const W = 360;
const H = 270;
const M = { left: 58, right: 14, top: 34, bottom: 92 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (v >= 1000 ? `${v / 1000}k` : v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2))));

// Tick values: powers of ten (and 2x, 5x) on a log axis, about five round steps on a linear one.
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panel(p: Panel, xs: readonly number[], dx: number): string {
  const pts = p.series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y) && (!p.logY || y > 0)));
  const ys = [...pts.map(([, y]) => y), ...(p.target !== undefined ? [p.target.y] : [])];
  const log = p.logY === true;
  let lo = log ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  let hi = log ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  if (!(hi > lo)) { lo = log ? 0.1 : 0; hi = log ? 10 : 1; }
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const X = (x: number): number => dx + M.left + (x1 === x0 ? iw / 2 : ((Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * iw);
  const Y = (y: number): number => M.top + ih - (log ? (Math.log(y) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (y - lo) / (hi - lo)) * ih;
  const out: string[] = [`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (const t of ticks(lo, hi, log)) {
    out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${dx + M.left - 4}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${M.top}" y2="${M.top + ih}" stroke="#eee"/>`,
      `<text x="${X(x).toFixed(1)}" y="${M.top + ih + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<rect x="${dx + M.left}" y="${M.top}" width="${iw}" height="${ih}" fill="none" stroke="#888"/>`,
    `<text x="${dx + M.left + iw / 2}" y="${M.top + ih + 32}" text-anchor="middle">services (x 10 endpoints)</text>`,
    `<text transform="translate(${dx + 14},${M.top + ih / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  if (p.target !== undefined) {
    out.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${Y(p.target.y).toFixed(1)}" y2="${Y(p.target.y).toFixed(1)}" stroke="#c00" stroke-dasharray="2,3"/>`,
      `<text x="${dx + W - M.right - 4}" y="${(Y(p.target.y) - 4).toFixed(1)}" text-anchor="end" fill="#c00">${esc(p.target.label)}</text>`);
  }
  p.series.forEach((s, k) => {
    const ok = s.points.filter(([, y]) => Number.isFinite(y) && (!log || y > 0));
    if (ok.length > 1) {
      const d = ok.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6,3"' : ''}/>`);
    }
    for (const [x, y] of ok) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = M.top + ih + 50 + k * 14;
    out.push(`<line x1="${dx + M.left}" x2="${dx + M.left + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6,3"' : ''}/>`,
      `<text x="${dx + M.left + 24}" y="${ly}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** An SVG document with the panels side by side over the same x values; `caption` goes under them. */
export function lineCharts(panels: readonly Panel[], xs: readonly number[], caption: string): string {
  const width = W * panels.length;
  const height = H + 22;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels.map((p, i) => panel(p, xs, i * W)),
    `<text x="8" y="${height - 8}" fill="#555">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
