// Training progress for people. On a terminal: a live bar for the running epoch (loss,
// accuracy, steps/s, ETA), replaced by a one-line summary when the epoch ends. Otherwise (a pipe,
// a log file, CI) or with `quiet`: only the per-epoch summary lines.
import type { EpochMetrics, StepProgress, TrainCallbacks } from './train.js';

export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** Minimum time between bar redraws. */
  readonly refreshMs?: number;
  /** Clock in ms (tests inject one). */
  readonly now?: () => number;
}

const pct = (x: number | null): string =>
  x === null || Number.isNaN(x) ? '   -   ' : `${(100 * x).toFixed(2).padStart(6)}%`;
const num = (x: number | null): string => (x === null || Number.isNaN(x) ? '  -   ' : x.toFixed(4));

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - 60 * m)).padStart(2, '0')}s`;
}

/** The per-epoch summary line (also what non-TTY output consists of). */
export function formatEpochLine(m: EpochMetrics, epochs: number): string {
  const w = String(epochs).length;
  const val = m.valLoss === null ? '' : `  val_loss ${num(m.valLoss)}  val_acc ${pct(m.valAccuracy)}`;
  return (
    `epoch ${String(m.epoch).padStart(w)}/${epochs}  loss ${num(m.trainLoss)}  acc ${pct(m.trainAccuracy)}${val}` +
    `  ${Math.round(m.stepsPerSecond)} steps/s  ${duration(m.trainSeconds)}`
  );
}

/** One frame of the live bar, fitted to `width` columns (the bar shrinks, then goes). */
export function formatBar(p: StepProgress, width: number): string {
  const frac = p.step / p.stepsPerEpoch;
  const rate = p.step / Math.max(p.seconds, 1e-9);
  const eta = (p.stepsPerEpoch - p.step) / rate;
  const w = String(p.epochs).length;
  const head = `epoch ${String(p.epoch).padStart(w)}/${p.epochs} `;
  const tail = `${p.step}/${p.stepsPerEpoch}  loss ${num(p.loss)}  acc ${pct(p.accuracy)}  ${Math.round(rate)} steps/s  ETA ${duration(eta)}`;
  const cells = Math.min(30, width - 1 - head.length - tail.length - 3);
  if (cells < 5) return `${head}${tail}`;
  const filled = Math.round(frac * cells);
  return `${head}[${'='.repeat(filled)}${' '.repeat(cells - filled)}] ${tail}`;
}

/** Training callbacks that report to `sink`. */
export function progressReporter(sink: ProgressSink, options: ProgressOptions = {}): TrainCallbacks {
  const live = sink.isTTY === true && options.quiet !== true;
  const now = options.now ?? (() => performance.now());
  const refresh = options.refreshMs ?? 100;
  let last = -Infinity;
  let epochs = 0;
  let drawn = false;
  return {
    onEpochStart(_epoch, total) {
      epochs = total;
      last = -Infinity;
    },
    onStep(p) {
      if (!live) return;
      const t = now();
      if (t - last < refresh && p.step !== p.stepsPerEpoch) return;
      last = t;
      const columns = sink.columns || 100; // 0 when the terminal size is unknown
      sink.write(`\r\x1b[2K${formatBar(p, columns).slice(0, columns - 1)}`);
      drawn = true;
    },
    onEpochEnd(m) {
      sink.write(`${drawn ? '\r\x1b[2K' : ''}${formatEpochLine(m, epochs)}\n`);
      drawn = false;
    },
  };
}
