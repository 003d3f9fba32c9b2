// All spec checks in one place, shared by the JSON loader, the TS builder and the API: structural
// decoding, semantic validation, then the compiler's shape inference (buildGraph, whose graph the
// checked spec keeps, so a compile never builds it again). Diagnostics come back located (when
// the spec came from a file), sorted by position, errors apart from warnings.
import type { Diagnostic } from '../../compiler/diagnostics.js';
import { buildGraph } from '../../compiler/frontend/build-graph.js';
import { type CheckedSpec, isCheckedSpec, markChecked } from '../../compiler/frontend/checked-spec.js';
import { sizeProblems, untrainable } from '../../compiler/frontend/limits.js';
import type { GraphSpec, SpecLocations } from '../../compiler/frontend/graph-spec.js';
import type { FloatDType, SourceLoc } from '../../compiler/ir/types.js';
import type { DraftNode, DraftSpec, Issue } from './draft.js';
import { decodeSpec, withoutUndefined } from './decode.js';
import type { JsonLocations } from './json-source.js';
import { validateSpec, type Where } from './validate.js';

export interface CheckOptions {
  /** Element type of the graph (default f32). */
  readonly dtype?: FloatDType;
  /** A fixed batch size; omitted, the batch dimension stays symbolic. */
  readonly batch?: number;
}

export type SpecCheck =
  | (CheckedSpec & { readonly ok: true; readonly warnings: readonly Diagnostic[] })
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

/**
 * Checks an untyped spec value (parsed JSON, or the builder's object) and returns the checked
 * spec with its forward IR, or every problem found. `locations` places diagnostics in the
 * source file. Shapes are only inferred once everything else is right, so a typo does not
 * produce a cascade of shape errors.
 */
export function checkSpecValue(value: unknown, locations?: JsonLocations, options: CheckOptions = {}): SpecCheck {
  const issues: Issue[] = [];
  const batch = options.batch;
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0)) {
    issues.push({
      message: `batch size ${batch} is not a positive integer`,
      hint: 'pass --batch N with N ≥ 1, or omit it for a run-time batch',
    });
  }
  const draft = decodeSpec(value, issues);
  validateSpec(draft, issues, describeWhere(locations));
  if (!issues.some(isError)) {
    const spec = toGraphSpec(draft);
    const dtype = options.dtype ?? 'f32';
    const built = buildGraph(spec, batch === undefined ? { dtype } : { dtype, batch });
    // What compile would refuse later: nothing to train, tensors too large to allocate.
    if (built.ok) {
      const nothing = untrainable(spec, built.graph);
      for (const e of nothing === undefined ? sizeProblems(spec, built.graph) : [nothing]) issues.push(e);
    }
    if (built.ok && !issues.some(isError)) {
      return markChecked({
        ok: true as const,
        spec,
        graph: built.graph,
        dtype,
        ...(batch === undefined ? {} : { batch }),
        ...(locations === undefined ? {} : { locations }),
        warnings: locate(issues, locations),
      });
    }
    if (!built.ok) for (const e of built.errors) issues.push(e);
  }
  const all = locate(issues, locations);
  return { ok: false, errors: all.filter(isError), warnings: all.filter((d) => !isError(d)) };
}

/**
 * A checked spec for `dtype`/`batch`: `input` itself when it was checked for them, else its spec
 * checked again (a different batch can change which shapes fit), else the raw spec checked once.
 */
export function checkedFor(input: unknown, options: CheckOptions = {}): SpecCheck {
  if (isCheckedSpec(input)) {
    const dtype = options.dtype ?? input.dtype;
    const batch = options.batch ?? input.batch;
    if (dtype === input.dtype && batch === input.batch) return { ...input, ok: true, warnings: [] };
    const again = checkSpecValue(input.spec, undefined, batch === undefined ? { dtype } : { dtype, batch });
    return again.ok && input.locations !== undefined ? { ...again, locations: input.locations } : again;
  }
  return checkSpecValue(input, undefined, options);
}

function isError(d: Diagnostic): boolean {
  return (d.severity ?? 'error') === 'error';
}

function describeWhere(locations: JsonLocations | undefined): Where {
  if (locations === undefined) return (pointer) => pointer;
  return (pointer) => {
    const loc = locations.keyAt(pointer);
    return loc === undefined ? pointer : `line ${loc.line}:${loc.col}`;
  };
}

/** Resolves pointers to source positions and sorts by position (unlocated ones keep their order at the end). */
export function locate(issues: readonly Issue[], locations: SpecLocations | JsonLocations | undefined): Diagnostic[] {
  const located = issues.map((issue, order) => {
    const { atKey, ...d } = issue;
    const loc =
      d.loc ?? (locations && d.pointer !== undefined ? nearest(d.pointer, locations, atKey === true) : undefined);
    return { d: loc === undefined ? d : { ...d, loc }, order };
  });
  located.sort((a, b) => compareLoc(a.d.loc, b.d.loc) || a.order - b.order);
  return located.map((x) => x.d);
}

/** The position of `pointer`, or of its closest written ancestor (compiler pointers may be finer). */
function nearest(pointer: string, locations: SpecLocations | JsonLocations, atKey: boolean): SourceLoc | undefined {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const loc = atKey && 'keyAt' in locations ? locations.keyAt(p) : locations.at(p);
    if (loc !== undefined) return loc;
    if (p === '') return undefined;
  }
}

function compareLoc(a: SourceLoc | undefined, b: SourceLoc | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  return a.line - b.line || a.col - b.col;
}

/** The typed spec of an error-free draft: exactly the keys that were written. */
function toGraphSpec(d: DraftSpec): GraphSpec {
  const shapes = (tensors: DraftSpec['inputs']): GraphSpec['inputs'] =>
    Object.fromEntries(tensors.map((t) => [t.name, t.shape ?? []]));
  const loss = d.loss;
  return withoutUndefined({
    $schema: d.schema,
    name: d.name ?? '',
    inputs: shapes(d.inputs),
    targets: d.hasTargets ? shapes(d.targets) : undefined,
    nodes: d.nodes.map(toNodeSpec),
    outputs: d.outputs.map((r) => r.name),
    loss:
      loss?.op !== undefined && loss.input !== undefined && loss.target !== undefined
        ? { op: loss.op, input: loss.input.name, target: loss.target.name }
        : undefined,
    train: d.train,
  });
}

function toNodeSpec(n: DraftNode): GraphSpec['nodes'][number] {
  const names = n.operands.map((r) => r.name);
  return withoutUndefined({
    name: n.name ?? '',
    op: n.op ?? 'identity',
    input: n.operandKeys[0] === 'input' ? names[0] : undefined,
    inputs: n.operandKeys[0] === 'inputs' ? names : undefined,
    units: n.units,
    bias: n.bias,
    alpha: n.alpha,
    label: n.label,
  });
}
