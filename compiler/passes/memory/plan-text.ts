// The memory plan as deterministic text (`chainrule compile --dump-after=plan`, golden tests):
// totals against the unplanned layout, then one line per value with its region and lifetime.
import { naiveLayout } from '../../codegen/layout.js';
import { formatType } from '../../ops/shape.js';
import type { Graph, Kernel, MemoryPlan, Storage } from '../../ir/types.js';
import { analyzeMemory, type MemoryValue } from './analyze.js';

/** The plan of `graph.memory` (or, when the pass did not run, the unplanned layout) as text. */
export function memoryPlanText(graph: Graph): string {
  const analysis = analyzeMemory(graph);
  const unplanned = naiveLayout(graph);
  const plan = graph.memory ?? unplanned;
  const bytes = floatBytes(graph);
  const batched = graph.nodes.some((n) => n.type.shape.includes('B'));
  const lines = [
    `memory plan of ${graph.name}: ${analysis.kernels.length} kernels per ${graph.loss === undefined ? 'forward call' : 'training step'}, ` +
      `${bytes === 8 ? 'f64' : 'f32'}, ` +
      `${batched ? 'run-time batch B (batch arena sized per row)' : 'fixed batch (one arena)'}`,
  ];
  if (graph.memory === undefined) lines.push('no plan: the plan-memory pass did not run; one region per value');
  lines.push('');
  for (const line of totals(plan, unplanned, bytes)) lines.push(line);
  lines.push('');
  const rows = analysis.values
    .map((v) => ({ v, s: plan.storage.get(v.node.id) }))
    .sort((a, b) => storageRank(a.s) - storageRank(b.s) || offsetOf(a.s) - offsetOf(b.s) || first(a.v) - first(b.v));
  const byId = new Map(graph.nodes.map((n) => [n.id, n.name]));
  const kernelRef = (k: number | undefined): string =>
    k === undefined ? '-' : `#${k} ${kernelName(analysis.kernels[k])}`;
  const table = rows.map(({ v, s }) => [
    v.node.name,
    formatType(v.node.type),
    arenaText(s),
    s?.kind === 'fixed' ? `${s.offset}` : s?.kind === 'batch' ? `${s.rowOffset}` : '-',
    sizeText(v, bytes),
    v.uses.writer !== undefined
      ? kernelRef(v.uses.writer)
      : v.class.kind === 'external'
        ? 'caller'
        : v.class.kind === 'pinned'
          ? 'init'
          : '-',
    kernelRef(v.uses.lastRead),
    note(v, s, plan, byId),
  ]);
  for (const line of columns([['value', 'type', 'arena', 'offset', 'size', 'first use', 'last use', 'note'], ...table]))
    lines.push(line);
  return `${lines.join('\n')}\n`;
}

function totals(plan: MemoryPlan, unplanned: MemoryPlan, bytes: number): string[] {
  const saved = (a: number, b: number): string => (b === 0 ? '-' : `${(((b - a) / b) * 100).toFixed(1)}%`);
  return columns([
    ['arena', 'planned', 'unplanned', 'saved'],
    [
      'fixed',
      `${plan.fixedSize} floats = ${plan.fixedSize * bytes} B`,
      `${unplanned.fixedSize} floats = ${unplanned.fixedSize * bytes} B`,
      saved(plan.fixedSize, unplanned.fixedSize),
    ],
    [
      'batch',
      `${plan.batchRowSize} floats = ${plan.batchRowSize * bytes} B per row`,
      `${unplanned.batchRowSize} floats = ${unplanned.batchRowSize * bytes} B per row`,
      saved(plan.batchRowSize, unplanned.batchRowSize),
    ],
  ]);
}

function floatBytes(graph: Graph): number {
  return graph.nodes.some((n) => n.type.dtype === 'f64') ? 8 : 4;
}

function kernelName(kernel: Kernel | undefined): string {
  return kernel?.name ?? '?';
}

function first(v: MemoryValue): number {
  return v.uses.writer ?? -1;
}

/** Fixed arena, batch arena, the caller's arrays, then in-place updates. */
function storageRank(s: Storage | undefined): number {
  switch (s?.kind) {
    case 'fixed':
      return 0;
    case 'batch':
      return 1;
    case 'external':
      return 2;
    case 'alias':
      return 3;
    case undefined:
      return 4;
  }
}

function offsetOf(s: Storage | undefined): number {
  return s?.kind === 'fixed' ? s.offset : s?.kind === 'batch' ? s.rowOffset : 0;
}

function arenaText(s: Storage | undefined): string {
  switch (s?.kind) {
    case 'fixed':
    case 'batch':
      return s.kind;
    case 'external':
      return 'caller';
    case 'alias':
      return 'alias';
    case undefined:
      return 'none';
  }
}

function sizeText(v: MemoryValue, bytes: number): string {
  return v.arena === 'batch' ? `${v.size}/row (${v.size * bytes} B/row)` : `${v.size} (${v.size * bytes} B)`;
}

function note(v: MemoryValue, s: Storage | undefined, plan: MemoryPlan, names: ReadonlyMap<number, string>): string {
  switch (v.class.kind) {
    case 'external':
      return `the caller's '${v.node.name}' array`;
    case 'alias':
      return `written in place into ${names.get(v.class.of) ?? '?'}`;
    case 'pinned':
      return `pinned (${v.class.reason})`;
    case 'planned': {
      // Only claim in-place when the layout really shares the operand's region.
      const operand = v.inPlaceOf === undefined ? undefined : plan.storage.get(v.inPlaceOf);
      return v.inPlaceOf !== undefined && sameRegion(s, operand) ? `in place of ${names.get(v.inPlaceOf) ?? '?'}` : '';
    }
  }
}

function sameRegion(a: Storage | undefined, b: Storage | undefined): boolean {
  if (a?.kind === 'fixed' && b?.kind === 'fixed') return a.offset === b.offset && a.size === b.size;
  if (a?.kind === 'batch' && b?.kind === 'batch') return a.rowOffset === b.rowOffset && a.rowSize === b.rowSize;
  return false;
}

/** Left-aligned columns separated by two spaces, trailing spaces trimmed. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
