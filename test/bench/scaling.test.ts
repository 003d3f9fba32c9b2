// Compile work must grow about linearly with graph size. Never timed: the test counts the
// elements that array scans (`find`, `filter`, `map`, `some`, `indexOf`, …) walk over while
// everything `chainrule compile` writes (except the Graphviz SVG layout) is produced, for a chain
// and the same chain four times longer, plus the bytes written. A linear compiler does about 4×
// the work (measured: 3.5–4.0×); before the issue-19 fixes, a scan of the graph per node in
// fusion, kernel ordering and the equations, and kernel names as long as the chain, made it
// 5.4–7.6× at these sizes, and worse with every doubling.
import { afterEach, describe, expect, it } from 'vitest';
import { type ChainKind, CHAIN_KINDS, chainSpec } from '../../bench/chain-specs.js';
import { buildDiagram } from '../../compiler/diagram/dot.js';
import { writeDot } from '../../compiler/diagram/dot-text.js';
import { explainGraph } from '../../compiler/explain/equations.js';
import { printKernels } from '../../compiler/ir/kernel-list.js';
import { memoryPlanText } from '../../compiler/passes/plan-memory.js';
import { compile } from '../../src/api.js';
import { irText } from '../../src/cli/commands/compile.js';
import { kernelClusters } from '../../src/render/diagram-files.js';

const SCANS = [
  'find',
  'findIndex',
  'findLast',
  'filter',
  'map',
  'flatMap',
  'forEach',
  'some',
  'every',
  'includes',
  'indexOf',
  'reduce',
] as const;

type Scan = (typeof SCANS)[number];

const originals = new Map<Scan, unknown>(SCANS.map((name) => [name, Array.prototype[name]]));

/** Runs `body` with every array scan adding its array's length to the count; returns the count. */
function countScans(body: () => void): number {
  let work = 0;
  for (const name of SCANS) {
    const original = originals.get(name) as (...args: unknown[]) => unknown;
    Object.defineProperty(Array.prototype, name, {
      configurable: true,
      writable: true,
      value(this: unknown[], ...args: unknown[]) {
        work += this.length;
        return original.apply(this, args);
      },
    });
  }
  try {
    body();
  } finally {
    restore();
  }
  return work;
}

function restore(): void {
  for (const name of SCANS)
    Object.defineProperty(Array.prototype, name, { configurable: true, writable: true, value: originals.get(name) });
}

/** What compile writes besides the SVG rendering: module, diagrams' DOT, equations, kernels, plan, IR. */
function compileOutputs(kind: ChainKind, size: number): number {
  const spec = chainSpec(kind, size);
  let bytes = 0;
  const work = countScans(() => {
    const compiled = compile(spec);
    const kernels = kernelClusters(compiled.graph);
    const texts = [
      compiled.source,
      writeDot(buildDiagram(compiled.graph, 'forward', { kernels }).document, 'plain'),
      writeDot(buildDiagram(compiled.graph, 'backward', { kernels }).document, 'html'),
      explainGraph(compiled.stages.find((s) => s.pass === 'add-optimizer')?.graph ?? compiled.graph),
      printKernels(compiled.graph),
      memoryPlanText(compiled.graph),
      irText(compiled.graph),
    ];
    bytes = texts.reduce((sum, t) => sum + t.length, 0);
  });
  return work + bytes;
}

afterEach(restore);

describe('compile work grows linearly with graph size', () => {
  it.each(CHAIN_KINDS)('%s chain: 4× the nodes costs under 4.6× the array scans and output', (kind) => {
    const small = compileOutputs(kind, 60);
    const large = compileOutputs(kind, 240);
    expect(small).toBeGreaterThan(0);
    expect(large / small).toBeLessThan(4.6);
  });
});
