// Turns a suite's samples into the published numbers (median, min–max, GFLOP/s, RSS, ratios,
// targets) and renders them as the markdown printed to the console and written to results.md.
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { assertNever } from '../compiler/ir/types.js';
import { peers as peerTable } from './peers/index.js';
import { chainrulePeers, type PeerId } from './peers/peer.js';
import type { BenchmarkResult, OutcomeStatus } from './suite.js';
import { maxDeviation, TOLERANCE } from './validate.js';
import { flopsPerIteration, loadNetwork, type Benchmark } from './workloads.js';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the suite ended; near the core count means peers shared the CPU. */
  readonly loadAverage: number;
}

export function machineInfo(): MachineInfo {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    node: process.version,
    os: `${platform()} ${release()}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function stats(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export interface PeerSummary {
  readonly peer: PeerId;
  readonly status: OutcomeStatus;
  readonly message?: string;
  readonly runs: number;
  /** Iterations per second across runs. */
  readonly perSecond?: Stats;
  /** Iterations per second of each run, in run order (for ratios paired by run). */
  readonly perRun?: readonly number[];
  readonly gflops?: number;
  readonly rssMiB?: number;
  readonly gcPerRun?: number;
  /** JS heap bytes allocated per iteration while timing (median over runs). */
  readonly allocatedPerIteration?: number;
  /** Largest deviation from the reference peer's validation values. */
  readonly deviation?: number;
  readonly info: Readonly<Record<string, string | number>>;
}

export interface BenchmarkSummary {
  readonly benchmark: Benchmark;
  readonly flopsPerIteration: number;
  readonly reference?: PeerId;
  readonly peers: readonly PeerSummary[];
}

export function summarize(results: readonly BenchmarkResult[]): BenchmarkSummary[] {
  return results.map((result) => {
    const flops = flopsPerIteration(loadNetwork(result.benchmark.spec), result.benchmark);
    const reference = result.outcomes.find((o) => o.peer === result.reference)?.validation;
    const peers = result.outcomes.map((o): PeerSummary => {
      const perSecond = stats(o.samples.map((s) => s.perSecond));
      return {
        peer: o.peer,
        status: o.status,
        ...(o.message !== undefined ? { message: o.message } : {}),
        runs: o.samples.length,
        ...(perSecond
          ? { perSecond, perRun: o.samples.map((s) => s.perSecond), gflops: (perSecond.median * flops) / 1e9 }
          : {}),
        ...(o.samples.length ? { rssMiB: stats(o.samples.map((s) => s.rssBytes / 2 ** 20))!.median } : {}),
        ...(o.samples.length ? { gcPerRun: stats(o.samples.map((s) => s.gcCount))!.median } : {}),
        ...(o.samples.length
          ? { allocatedPerIteration: stats(o.samples.map((s) => s.allocatedPerIteration))!.median }
          : {}),
        ...(reference && o.validation && o.status === 'ok' ? { deviation: maxDeviation(reference, o.validation) } : {}),
        info: o.info,
      };
    });
    return {
      benchmark: result.benchmark,
      flopsPerIteration: flops,
      ...(result.reference ? { reference: result.reference } : {}),
      peers,
    };
  });
}

/** How many times faster `subject` is than `peer` (median over median); for latency the same ratio inverted. */
export function speedup(summary: BenchmarkSummary, subject: string, peer: string): number | undefined {
  const a = summary.peers.find((p) => p.peer === subject)?.perSecond?.median;
  const b = summary.peers.find((p) => p.peer === peer)?.perSecond?.median;
  return a !== undefined && b !== undefined ? a / b : undefined;
}

/**
 * `speedup`, paired by run: the median of the per-run ratios when both peers have the same number
 * of runs (two or more), else the median over median. A run times every peer of a workload back
 * to back, so pairing cancels what drifts between runs (on a shared VM a core can run at two
 * thirds of its speed for minutes); the targets are judged with it.
 */
export function pairedSpeedup(summary: BenchmarkSummary, subject: string, peer: string): number | undefined {
  const a = summary.peers.find((p) => p.peer === subject)?.perRun;
  const b = summary.peers.find((p) => p.peer === peer)?.perRun;
  if (a === undefined || b === undefined || a.length !== b.length || a.length < 2)
    return speedup(summary, subject, peer);
  return stats(a.map((x, i) => x / (b[i] as number)))?.median;
}

/** The peer the ratio columns are about: chainrule when it ran, else the first peer that did. */
export function subjectOf(summaries: readonly BenchmarkSummary[]): PeerId | undefined {
  const ran = (peer: PeerId): boolean => summaries.some((s) => s.peers.some((p) => p.peer === peer && p.perSecond));
  if (ran('chainrule')) return 'chainrule';
  return peerTable.map((p) => p.id).find(ran);
}

export interface Target {
  readonly benchmark: string;
  readonly versus: PeerId;
  /** Required speed ratio of chainrule over `versus` (a latency bound of 0.5× is a speedup of 2). */
  readonly minSpeedup: number;
  readonly text: string;
}

/** The issue's targets (issue 7), all on chainrule. */
export const targets: readonly Target[] = [
  { benchmark: 'w1-train', versus: 'tfjs-cpu', minSpeedup: 40, text: 'Iris MLP training ≥ 40× tfjs-cpu' },
  { benchmark: 'w2-train', versus: 'tfjs-wasm', minSpeedup: 1.5, text: 'MNIST MLP training ≥ 1.5× tfjs-wasm' },
  { benchmark: 'w3-train', versus: 'tfjs-wasm', minSpeedup: 2.5, text: 'wide MNIST MLP training ≥ 2.5× tfjs-wasm' },
  { benchmark: 'w2-forward', versus: 'tfjs-cpu', minSpeedup: 5, text: 'MNIST MLP forward ≥ 5× tfjs-cpu' },
  { benchmark: 'w3-forward', versus: 'tfjs-cpu', minSpeedup: 5, text: 'wide MNIST MLP forward ≥ 5× tfjs-cpu' },
  { benchmark: 'w4-forward', versus: 'tfjs-cpu', minSpeedup: 2, text: 'MNIST batch-1 latency ≤ 0.5× tfjs-cpu' },
];

export interface TargetVerdict extends Target {
  /** Which of chainrule's kernel modes was judged. */
  readonly peer: PeerId;
  readonly measured?: number;
  readonly verdict: 'pass' | 'fail' | 'n/a';
}

/** An issue-16 target: `subject` over `versus` on one benchmark (peer ids; thread variants included). */
export interface RatioTarget {
  readonly benchmark: string;
  readonly subject: string;
  readonly versus: string;
  readonly minSpeedup: number;
  readonly text: string;
}

/**
 * Issue 16's targets. `chainrule-2t` is the default module created with 2 threads: until the
 * generated modules have a `threads` option the bench has no such peer and those rows say n/a.
 */
export const threadTargets: readonly RatioTarget[] = [
  ...(['w2-forward', 'w3-forward'] as const).flatMap((benchmark) => {
    const name = benchmark === 'w2-forward' ? 'MNIST MLP' : 'wide MNIST MLP';
    return [
      {
        benchmark,
        subject: 'chainrule-2t',
        versus: 'tfjs-wasm',
        minSpeedup: 2,
        text: `${name} forward, 2 threads ≥ 2× tfjs-wasm`,
      },
      {
        benchmark,
        subject: 'chainrule-2t',
        versus: 'onnxruntime',
        minSpeedup: 0.5,
        text: `${name} forward, 2 threads ≥ 0.5× onnxruntime 1 thread`,
      },
    ];
  }),
  {
    benchmark: 'w2-train',
    subject: 'chainrule-2t',
    versus: 'chainrule',
    minSpeedup: 1.7,
    text: 'MNIST MLP training, 2 threads ≥ 1.7× 1 thread',
  },
  {
    benchmark: 'w3-train',
    subject: 'chainrule-2t',
    versus: 'chainrule',
    minSpeedup: 1.7,
    text: 'wide MNIST MLP training, 2 threads ≥ 1.7× 1 thread',
  },
  {
    benchmark: 'w4-forward',
    subject: 'chainrule',
    versus: 'onnxruntime',
    minSpeedup: 2,
    text: 'MNIST batch-1 latency ≤ 0.5× onnxruntime 1 thread',
  },
  {
    benchmark: 'w1-train',
    subject: 'chainrule',
    versus: 'chainrule-js',
    minSpeedup: 0.95,
    text: 'Iris MLP training: default no slower than --kernels js (5% noise allowance)',
  },
];

export interface RatioVerdict extends RatioTarget {
  readonly measured?: number;
  readonly verdict: 'pass' | 'fail' | 'n/a';
}

export function evaluateThreadTargets(summaries: readonly BenchmarkSummary[]): RatioVerdict[] {
  return threadTargets.map((t) => {
    const summary = summaries.find((s) => s.benchmark.id === t.benchmark);
    const measured = summary ? pairedSpeedup(summary, t.subject, t.versus) : undefined;
    if (measured === undefined) return { ...t, verdict: 'n/a' };
    return { ...t, measured, verdict: measured >= t.minSpeedup ? 'pass' : 'fail' };
  });
}

/** Every target, judged for each chainrule kernel mode (targets order, then mode order). */
export function evaluateTargets(summaries: readonly BenchmarkSummary[]): TargetVerdict[] {
  return targets.flatMap((t) =>
    [...chainrulePeers.keys()].map((peer): TargetVerdict => {
      const summary = summaries.find((s) => s.benchmark.id === t.benchmark);
      const measured = summary ? pairedSpeedup(summary, peer, t.versus) : undefined;
      if (measured === undefined) return { ...t, peer, verdict: 'n/a' };
      return { ...t, peer, measured, verdict: measured >= t.minSpeedup ? 'pass' : 'fail' };
    }),
  );
}

export interface Report {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly runs: number;
  readonly seed: number;
  readonly machine: MachineInfo;
  /** The code measured: `git` commit, with `+local changes` when compiler/ or runtime/ differ from it. */
  readonly commit?: string;
  /** 1-minute load average sampled after every job: how busy the machine was while measuring. */
  readonly loadDuringRun?: Stats;
  readonly subject?: PeerId;
  readonly benchmarks: readonly BenchmarkSummary[];
  readonly targets: readonly TargetVerdict[];
  /** Issue 16's targets (threads, onnxruntime, no regression). */
  readonly threadTargets: readonly RatioVerdict[];
}

export function buildReport(
  results: readonly BenchmarkResult[],
  meta: Pick<Report, 'mode' | 'runs' | 'seed' | 'loadDuringRun' | 'commit'>,
  date = new Date(),
): Report {
  const benchmarks = summarize(results);
  const subject = subjectOf(benchmarks);
  return {
    date: date.toISOString(),
    ...meta,
    machine: machineInfo(),
    ...(subject ? { subject } : {}),
    benchmarks,
    targets: evaluateTargets(benchmarks),
    threadTargets: evaluateThreadTargets(benchmarks),
  };
}

// ---- rendering -------------------------------------------------------------------------------

/** Three significant digits, thousands as k: 147k, 3.45k, 156, 9.80. */
export function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

/** Bytes per iteration: whole bytes below 1 kB (`<1 B` for the harness's own crumbs), then k/M. */
export function bytesText(value: number): string {
  if (value < 1) return '<1 B';
  return value < 1000 ? `${Math.round(value)} B` : `${compact(value)}B`;
}

/** A per-call time in µs, or ms once it reaches a millisecond; the unit is chosen by `unitOf`. */
function duration(perSecond: number, unitOf: number): string {
  const us = 1e6 / perSecond;
  return 1e6 / unitOf >= 1000 ? (us / 1000).toPrecision(3) : us.toPrecision(3);
}

/** `median (min–max)` in the benchmark's unit; latency ranges list fastest first. */
export function formatSpeed(b: Benchmark, s: Stats): string {
  if (b.metric === 'latency') {
    const unit = 1e6 / s.median >= 1000 ? 'ms' : 'µs';
    return `${duration(s.median, s.median)} ${unit} (${duration(s.max, s.median)}–${duration(s.min, s.median)})`;
  }
  return `${compact(s.median)}/s (${compact(s.min)}–${compact(s.max)})`;
}

function statusCell(p: PeerSummary | undefined): string | undefined {
  if (!p) return '';
  switch (p.status) {
    case 'ok':
      return undefined;
    case 'failed':
      return '**FAILED**';
    case 'error':
      return '**error**';
    case 'unavailable':
      return '–';
    default:
      return assertNever(p.status, 'outcome status');
  }
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function labelOf(peer: PeerId): string {
  return peerTable.find((p) => p.id === peer)?.label ?? peer;
}

function peerGrid(report: Report, cell: (s: BenchmarkSummary, p: PeerSummary) => string): string {
  const peers = [...new Set(report.benchmarks.flatMap((s) => s.peers.map((p) => p.peer)))];
  const rows = peers.map((peer) => [
    labelOf(peer),
    ...report.benchmarks.map((s) => {
      const p = s.peers.find((q) => q.peer === peer);
      return statusCell(p) ?? (p ? cell(s, p) : '');
    }),
  ]);
  return table(['peer', ...report.benchmarks.map((s) => s.benchmark.title)], rows);
}

function ratioTable(report: Report, subject: PeerId): string {
  const others = [...new Set(report.benchmarks.flatMap((s) => s.peers.map((p) => p.peer)))].filter(
    (p) => p !== subject,
  );
  const rows = others.map((peer) => [
    labelOf(peer),
    ...report.benchmarks.map((s) => {
      const r = speedup(s, subject, peer);
      return r === undefined ? '–' : `×${r.toPrecision(3)}`;
    }),
  ]);
  return table([`${subject} vs`, ...report.benchmarks.map((s) => s.benchmark.title)], rows);
}

function targetTable(report: Report): string {
  const cell = (v: TargetVerdict | undefined): string =>
    v?.measured === undefined ? 'n/a' : `×${v.measured.toPrecision(3)} ${v.verdict === 'pass' ? 'pass' : '**FAIL**'}`;
  const rows = targets.map((t) => [
    t.text,
    `×${t.minSpeedup}`,
    ...[...chainrulePeers.keys()].map((peer) =>
      cell(report.targets.find((v) => v.benchmark === t.benchmark && v.peer === peer)),
    ),
  ]);
  const titles = [...chainrulePeers.keys()].map((peer) => peerTable.find((p) => p.id === peer)?.label ?? peer);
  return table(['target', 'required speedup', ...titles], rows);
}

function threadTargetTable(report: Report): string {
  const defaults = report.targets.filter((v) => v.peer === 'chainrule');
  const judged = defaults.filter((v) => v.verdict !== 'n/a');
  const passed = judged.filter((v) => v.verdict === 'pass').length;
  const first = [
    'Default compile, 1 thread: every issue-7 target above',
    'all',
    judged.length === 0 ? 'n/a' : `${passed}/${judged.length} pass${passed === judged.length ? '' : ' **FAIL**'}`,
  ];
  const rows = report.threadTargets.map((v) => [
    v.text,
    `×${v.minSpeedup}`,
    v.measured === undefined
      ? `n/a (${[v.subject, v.versus].filter((p) => !ran(report, p, v.benchmark)).join(', ')} not run)`
      : `×${v.measured.toPrecision(3)} ${v.verdict === 'pass' ? 'pass' : '**FAIL**'}`,
  ]);
  return table(['target (issue 16)', 'required speedup', 'measured'], [first, ...rows]);
}

function ran(report: Report, peer: string, benchmark: string): boolean {
  const s = report.benchmarks.find((b) => b.benchmark.id === benchmark);
  return s?.peers.some((p) => p.peer === peer && p.perSecond !== undefined) ?? false;
}

function validationTable(report: Report): string {
  const rows = report.benchmarks.flatMap((s) =>
    s.peers
      .filter((p) => p.status !== 'unavailable')
      .map((p) => {
        const verdict =
          p.status === 'ok'
            ? p.peer === s.reference
              ? 'reference'
              : `agrees (max deviation ${(p.deviation ?? 0).toExponential(1)})`
            : `${p.status.toUpperCase()}: ${p.message ?? ''}`;
        return [s.benchmark.title, labelOf(p.peer), verdict];
      }),
  );
  return table(['benchmark', 'peer', `validation (tolerance ${TOLERANCE})`], rows);
}

function notes(report: Report): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const s of report.benchmarks) {
    for (const p of s.peers) {
      const info = Object.entries(p.info)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      const key = `${p.peer}:${info}`;
      if (info && !seen.has(key) && !('arenaBytes' in p.info)) {
        seen.add(key);
        lines.push(`- ${labelOf(p.peer)}: ${info}`);
      }
      if ('arenaBytes' in p.info) lines.push(`- ${labelOf(p.peer)} on ${s.benchmark.title}: ${info}`);
      const modeless = p.message?.startsWith('no ') ?? false; // e.g. onnxruntime has no train mode
      if (p.status === 'unavailable' && p.message && !modeless && !seen.has(`${p.peer}:${p.message}`)) {
        seen.add(`${p.peer}:${p.message}`);
        lines.push(`- ${labelOf(p.peer)} unavailable: ${p.message}`);
      }
    }
  }
  return lines;
}

function loadText(load: Stats | undefined): string {
  return load ? ` (median ${load.median.toFixed(2)}, max ${load.max.toFixed(2)} after each job)` : '';
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const runsText =
    report.mode === 'quick'
      ? 'one short run each (`--quick`: proves the harness works; the speeds mean nothing)'
      : `median of ${report.runs} runs, each in a fresh process; (min–max) across runs`;
  const parts = [
    `# chainrule benchmark results`,
    '',
    `${report.date.slice(0, 10)} · ${m.cpu} · ${m.cores} cores · ${m.memoryGiB} GiB · Node ${m.node} · ${m.os} · load average ${m.loadAverage} at the end${loadText(report.loadDuringRun)}${report.commit ? ` · commit ${report.commit}` : ''}`,
    '',
    `Speed (${runsText}). Training: SGD steps/s; forward: calls/s; MNIST batch-1: µs per call (lower is better).`,
    '',
    peerGrid(report, (s, p) => (p.perSecond ? formatSpeed(s.benchmark, p.perSecond) : '')),
    '',
  ];
  if (report.subject) {
    parts.push(
      `Speed ratio of ${report.subject} over each peer (medians; > 1 means ${report.subject} is faster; for MNIST batch-1 the latency ratio inverted).`,
      '',
      ratioTable(report, report.subject),
      '',
    );
  }
  parts.push(
    'Targets from issue 7 (chainrule over the named peer: the median of the per-run ratios, each run timing the peers of a workload back to back).',
    '',
    targetTable(report),
    '',
    'Targets from issue 16 (the median of the per-run ratios, as above; `chainrule` is the default compile, `chainrule-2t` the same module on 2 threads).',
    '',
    threadTargetTable(report),
    '',
    `Effective GFLOP/s (2·m·k·n per matmul; forward one matmul per layer, training three).`,
    '',
    peerGrid(report, (_s, p) => (p.gflops !== undefined ? p.gflops.toFixed(2) : '')),
    '',
    'Memory: peak RSS of the worker process (MiB) · garbage collections during the timed region (per run) · JS heap bytes allocated per iteration; medians over runs.',
    '',
    peerGrid(report, (_s, p) =>
      p.rssMiB !== undefined
        ? `${p.rssMiB.toFixed(0)} MiB · ${p.gcPerRun ?? 0} GC · ${bytesText(p.allocatedPerIteration ?? 0)}/it`
        : '',
    ),
    '',
    'Validation: every peer starts from the same weights and batch; training compares the losses of steps 1 and 2, forward compares the softmax outputs.',
    '',
    validationTable(report),
    '',
  );
  const extra = notes(report);
  if (extra.length) parts.push('Peers:', '', ...extra, '');
  return parts.join('\n');
}
