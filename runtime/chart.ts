// The training curve as one self-contained SVG (no scripts, fonts or external references):
// loss on the left panel, accuracy on the right, train solid and validation dashed, per epoch.
import type { EpochMetrics } from './train.js';

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly values: readonly (number | null)[];
}

const PANEL_W = 360;
const PANEL_H = 240;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 44 };
const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#d62728';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Short, stable number text (no float noise in the SVG). */
const fmt = (x: number): string => String(Number(x.toPrecision(4)));

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function panel(
  x0: number,
  title: string,
  series: readonly Series[],
  epochs: number,
  yRange: [number, number] | null,
  asPercent: boolean,
): string {
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  let [lo, hi] = yRange ?? [finite.reduce((a, b) => Math.min(a, b), 0), finite.reduce((a, b) => Math.max(a, b), 1e-9)];
  if (!(hi > lo)) hi = lo + 1;
  const ticksY = niceTicks(lo, hi);
  lo = Math.min(lo, ticksY[0] ?? lo);
  hi = Math.max(hi, ticksY[ticksY.length - 1] ?? hi);
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const left = x0 + MARGIN.left;
  const sx = (e: number): number => left + (epochs <= 1 ? w / 2 : ((e - 1) / (epochs - 1)) * w);
  const sy = (v: number): number => MARGIN.top + h - ((v - lo) / (hi - lo)) * h;
  const parts: string[] = [];
  parts.push(`<text x="${left + w / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of ticksY) {
    const y = fmt(sy(t));
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${asPercent ? `${fmt(t * 100)}%` : fmt(t)}</text>`,
    );
  }
  for (const e of niceTicks(1, Math.max(epochs, 1)).filter((e) => Number.isInteger(e) && e >= 1)) {
    parts.push(`<text x="${fmt(sx(e))}" y="${MARGIN.top + h + 16}" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<text x="${left + w / 2}" y="${PANEL_H - 8}" text-anchor="middle">epoch</text>`);
  for (const s of series) {
    const pts = s.values.flatMap((v, i) =>
      v !== null && Number.isFinite(v) ? [`${fmt(sx(i + 1))},${fmt(sy(v))}`] : [],
    );
    if (pts.length === 0) continue;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
    }
  }
  return `<g>${parts.join('')}</g>`;
}

function legend(x: number, y: number, series: readonly Series[]): string {
  return series
    .map((s, i) => {
      const lx = x + i * 150;
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      return (
        `<line x1="${lx}" y1="${y}" x2="${lx + 28}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>` +
        `<text x="${lx + 34}" y="${y}" dominant-baseline="middle">${esc(s.label)}</text>`
      );
    })
    .join('');
}

/** Accuracy axis from the tenth below the lowest point, so late gains stay visible. */
function accuracyFloor(series: readonly Series[]): number {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  return values.length === 0 ? 0 : Math.max(0, Math.floor(values.reduce((a, b) => Math.min(a, b)) * 10) / 10);
}

/** Renders the per-epoch history as an SVG document. */
export function renderTrainingCurve(history: readonly EpochMetrics[], title = 'training'): string {
  const epochs = history.length;
  const hasVal = history.some((m) => m.valLoss !== null);
  const loss: Series[] = [
    { label: 'train', color: TRAIN_COLOR, dashed: false, values: history.map((m) => m.trainLoss) },
  ];
  const acc: Series[] = [
    { label: 'train', color: TRAIN_COLOR, dashed: false, values: history.map((m) => m.trainAccuracy) },
  ];
  if (hasVal) {
    loss.push({ label: 'validation', color: VAL_COLOR, dashed: true, values: history.map((m) => m.valLoss) });
    acc.push({ label: 'validation', color: VAL_COLOR, dashed: true, values: history.map((m) => m.valAccuracy) });
  }
  const width = 2 * PANEL_W;
  const height = PANEL_H + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    panel(0, `${title}: loss`, loss, epochs, null, false),
    panel(PANEL_W, `${title}: accuracy`, acc, epochs, [accuracyFloor(acc), 1], true),
    legend(MARGIN.left, PANEL_H + 20, loss),
    '</svg>',
    '',
  ].join('\n');
}
