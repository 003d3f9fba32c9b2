// Small canvas drawings: a line chart of a metric over epochs, and the decision-boundary heatmap
// of a 2-D dataset (as TensorFlow Playground draws it).

/** Resizes a canvas's backing store to its CSS size times the pixel ratio; returns the CSS size. */
function sizeCanvas(canvas: HTMLCanvasElement): { w: number; h: number; ctx: CanvasRenderingContext2D } {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300;
  const h = canvas.clientHeight || 120;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('this browser has no 2-D canvas');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { w, h, ctx };
}

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
  /** Fixed range (accuracy: 0–1); default: 0 to the largest value. */
  readonly range?: readonly [number, number];
}

/** One metric over epochs, with its last value printed in the corner. */
export function drawLine(canvas: HTMLCanvasElement, series: Series, format: (v: number) => string): void {
  const { w, h, ctx } = sizeCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const pad = { l: 34, r: 8, t: 16, b: 16 };
  const values = series.values.filter((v) => Number.isFinite(v));
  const [lo, hi] = series.range ?? [0, Math.max(1e-6, ...values)];
  ctx.strokeStyle = '#e3e6ea';
  ctx.fillStyle = '#6b7280';
  ctx.font = '10px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 2; i++) {
    const y = pad.t + ((h - pad.t - pad.b) * i) / 2;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(format(hi - ((hi - lo) * i) / 2), 2, y + 3);
  }
  ctx.fillStyle = '#374151';
  ctx.font = '600 11px system-ui, sans-serif';
  ctx.fillText(series.label, pad.l, 11);
  if (series.values.length === 0) return;
  const n = series.values.length;
  const x = (i: number): number => pad.l + ((w - pad.l - pad.r) * i) / Math.max(1, n - 1);
  const y = (v: number): number => pad.t + (h - pad.t - pad.b) * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo));
  ctx.strokeStyle = series.color;
  ctx.lineWidth = 1.8;
  ctx.beginPath();
  series.values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (i === 0) ctx.moveTo(x(i), y(v));
    else ctx.lineTo(x(i), y(v));
  });
  ctx.stroke();
  const last = series.values[n - 1]!;
  ctx.textAlign = 'right';
  ctx.fillStyle = series.color;
  ctx.fillText(format(last), w - pad.r, 11);
  ctx.textAlign = 'left';
}

export interface Bounds {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** The data's bounding box with a 10% margin, so the boundary is drawn around every point. */
export function boundsOf(features: Float32Array): Bounds {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i + 1 < features.length; i += 2) {
    x0 = Math.min(x0, features[i]!);
    x1 = Math.max(x1, features[i]!);
    y0 = Math.min(y0, features[i + 1]!);
    y1 = Math.max(y1, features[i + 1]!);
  }
  const mx = (x1 - x0) * 0.1 || 1;
  const my = (y1 - y0) * 0.1 || 1;
  return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
}

/** The centres of a `size × size` grid over the bounds, as (x, y) pairs, rows from the top. */
export function gridPoints(bounds: Bounds, size: number): Float32Array {
  const out = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const i = (r * size + c) * 2;
      out[i] = bounds.x0 + ((c + 0.5) / size) * (bounds.x1 - bounds.x0);
      out[i + 1] = bounds.y1 - ((r + 0.5) / size) * (bounds.y1 - bounds.y0);
    }
  }
  return out;
}

const CLASS_COLORS: readonly (readonly [number, number, number])[] = [
  [33, 118, 200],
  [240, 128, 30],
  [46, 160, 67],
  [170, 60, 190],
  [200, 50, 50],
];

function color(cls: number): readonly [number, number, number] {
  return CLASS_COLORS[cls % CLASS_COLORS.length]!;
}

/**
 * Background: each grid cell coloured by the predicted class, paler where the model is unsure;
 * foreground: the data points in their true class colours.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  values: Float32Array | undefined,
  size: number,
  bounds: Bounds,
  features: Float32Array,
  labels: Int32Array,
  binary: boolean,
): void {
  const { w, h, ctx } = sizeCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  if (values !== undefined && values.length === size * size) {
    const image = ctx.createImageData(size, size);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const cls = binary ? (v >= 0.5 ? 1 : 0) : Math.floor(v);
      const confidence = binary ? Math.abs(v - 0.5) * 2 : (v - cls - 0.5) * 2;
      const [r, g, b] = color(cls);
      const a = 0.15 + 0.55 * Math.max(0, Math.min(1, confidence));
      image.data[i * 4] = Math.round(255 - (255 - r) * a);
      image.data[i * 4 + 1] = Math.round(255 - (255 - g) * a);
      image.data[i * 4 + 2] = Math.round(255 - (255 - b) * a);
      image.data[i * 4 + 3] = 255;
    }
    const tile = document.createElement('canvas');
    tile.width = size;
    tile.height = size;
    tile.getContext('2d')?.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, 0, 0, w, h);
  }
  for (let i = 0; i < labels.length; i++) {
    const px = ((features[2 * i]! - bounds.x0) / (bounds.x1 - bounds.x0)) * w;
    const py = (1 - (features[2 * i + 1]! - bounds.y0) / (bounds.y1 - bounds.y0)) * h;
    const [r, g, b] = color(labels[i]!);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.strokeStyle = 'white';
    ctx.lineWidth = 0.8;
    ctx.beginPath();
    ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
