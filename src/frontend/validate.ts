// Semantic checks on a decoded spec: names are unique, references resolve, operand counts fit the
// op, the graph is acyclic, outputs exist, the loss reads a tensor it can use, and (as warnings)
// every node, input and target is used. Shapes are left to the compiler (see check.ts).
import type { SpecOp } from '../../compiler/frontend/graph-spec.js';
import type { DraftNode, DraftSpec, Issue, Ref } from './draft.js';
import { suggestionHint } from './suggest.js';
import { lossTable, opTable } from './vocabulary.js';

type TensorKind = 'input' | 'target' | 'node';

interface Tensor {
  readonly kind: TensorKind;
  readonly pointer: string;
  readonly node?: DraftNode;
}

/** Describes a JSON pointer for messages: "line 7:5" when located, else the pointer itself. */
export type Where = (pointer: string) => string;

export const unlocated: Where = (pointer) => pointer;

/** Appends every semantic problem of `spec` to `issues`. */
export function validateSpec(spec: DraftSpec, issues: Issue[], where: Where = unlocated): void {
  const errorsBefore = issues.length;
  const tensors = declareTensors(spec, issues, where);
  const readable = [...tensors].filter(([, t]) => t.kind !== 'target').map(([name]) => name);
  spec.nodes.forEach((node, i) => checkOperands(node, spec, i, tensors, readable, issues));
  checkCycles(spec.nodes, issues);
  checkOutputs(spec, tensors, issues);
  checkLoss(spec, tensors, readable, issues);
  if (spec.trainPointer !== undefined && spec.loss === undefined) {
    issues.push({
      pointer: spec.trainPointer,
      message: "'train' needs a loss to minimise",
      hint: 'add "loss": { "op": ..., "input": ..., "target": ... }, or remove "train"',
    });
  }
  // Unused-value warnings only make sense once every reference resolves.
  if (issues.length === errorsBefore) warnUnused(spec, tensors, issues);
}

function declareTensors(spec: DraftSpec, issues: Issue[], where: Where): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  const declare = (name: string, tensor: Tensor, pointer: string, atKey: boolean): void => {
    const earlier = tensors.get(name);
    if (earlier === undefined) {
      tensors.set(name, tensor);
      return;
    }
    const node = tensor.kind === 'node' ? { node: name } : {};
    issues.push({
      pointer,
      atKey,
      message: `duplicate name '${name}': already used by the ${earlier.kind} at ${where(earlier.pointer)}`,
      hint: 'inputs, targets and nodes share one namespace; rename one of them',
      ...node,
    });
  };
  for (const t of spec.inputs) declare(t.name, { kind: 'input', pointer: t.pointer }, t.pointer, true);
  for (const t of spec.targets) declare(t.name, { kind: 'target', pointer: t.pointer }, t.pointer, true);
  for (const n of spec.nodes) {
    if (n.name !== undefined)
      declare(n.name, { kind: 'node', pointer: n.pointer, node: n }, `${n.pointer}/name`, false);
  }
  return tensors;
}

function checkOperands(
  node: DraftNode,
  spec: DraftSpec,
  index: number,
  tensors: Map<string, Tensor>,
  readable: readonly string[],
  issues: Issue[],
): void {
  const at = node.name === undefined ? {} : { node: node.name };
  for (const ref of node.operands) {
    const t = tensors.get(ref.name);
    if (t === undefined) {
      const candidates = readable.filter((n) => n !== node.name);
      issues.push({
        pointer: ref.pointer,
        message: `undefined tensor '${ref.name}'`,
        hint: suggestionHint(ref.name, candidates, 'tensors'),
        ...at,
      });
    } else if (t.kind === 'target') {
      issues.push({
        pointer: ref.pointer,
        message: `'${ref.name}' is a target; nodes cannot read targets`,
        hint: 'targets are only read by the loss; declare the tensor under "inputs" if the network needs it',
        ...at,
      });
    }
  }
  if (node.op === undefined || !node.operandsOk) return;
  const previous = index > 0 ? spec.nodes[index - 1]?.name : spec.inputs[0]?.name;
  const arity = opTable[node.op].arity;
  const keys = node.operandKeys;
  if (keys.length === 2) {
    issues.push({
      pointer: node.pointer,
      message: "node has both 'input' and 'inputs'",
      hint:
        arity === 'unary'
          ? `${node.op} takes one operand: keep "input"`
          : `${node.op} takes "inputs": [...]; remove "input"`,
      ...at,
    });
  } else if (keys.length === 0) {
    const example = arity === 'unary' ? `"input": "${previous ?? 'x'}"` : `"inputs": ["${previous ?? 'a'}", ...]`;
    issues.push({
      pointer: node.pointer,
      message: `${node.op} node has no ${arity === 'unary' ? "'input'" : "'inputs'"}`,
      hint: `add ${example}`,
      ...at,
    });
  } else if (arity === 'unary' && keys[0] === 'inputs') {
    const names = node.operands.map((r) => r.name);
    issues.push({
      pointer: `${node.pointer}/inputs`,
      atKey: true,
      message:
        names.length === 1
          ? `${node.op} takes a single 'input', not 'inputs'`
          : `${node.op} takes exactly one operand, found ${names.length}`,
      hint:
        names.length === 1
          ? `write "input": "${names[0] ?? ''}"`
          : 'join the tensors first with an add node, then feed its output here',
      ...at,
    });
  } else if (arity === 'variadic' && keys[0] === 'input') {
    issues.push({
      pointer: `${node.pointer}/input`,
      atKey: true,
      message: `${node.op} joins two or more tensors: use 'inputs'`,
      hint: `write "inputs": ["${node.operands[0]?.name ?? 'a'}", "..."]`,
      ...at,
    });
  } else if (arity === 'variadic' && node.operands.length < 2) {
    issues.push({
      pointer: `${node.pointer}/inputs`,
      message: `${node.op} needs at least 2 operands, found ${node.operands.length}`,
      hint: 'list every tensor to sum in "inputs"; for a single tensor use an identity node',
      ...at,
    });
  }
}

/** Finds every cycle among nodes (Tarjan's strongly connected components) and names its nodes. */
function checkCycles(nodes: readonly DraftNode[], issues: Issue[]): void {
  const byName = new Map<string, DraftNode>();
  for (const n of nodes) if (n.name !== undefined && !byName.has(n.name)) byName.set(n.name, n);
  const reads = (n: DraftNode): DraftNode[] => n.operands.flatMap((r) => byName.get(r.name) ?? []);
  const index = new Map<DraftNode, number>();
  const low = new Map<DraftNode, number>();
  const stack: DraftNode[] = [];
  const onStack = new Set<DraftNode>();
  const components: DraftNode[][] = [];
  let counter = 0;
  // Iterative, so a long chain of nodes cannot overflow the call stack.
  for (const root of byName.values()) {
    if (index.has(root)) continue;
    const work: { node: DraftNode; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const succ = reads(frame.node);
      const child = succ[frame.next++];
      if (child !== undefined) {
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, next: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(child) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: DraftNode[] = [];
        for (;;) {
          const top = stack.pop();
          if (top === undefined) break;
          onStack.delete(top);
          component.push(top);
          if (top === frame.node) break;
        }
        components.push(component);
      }
    }
  }
  const position = new Map(nodes.map((n, k) => [n, k]));
  for (const component of components) {
    // Most components are one node reading other nodes: not a cycle, and no scan of all nodes.
    const only = component.length === 1 ? component[0] : undefined;
    if (only !== undefined && !reads(only).includes(only)) continue;
    const members = new Set(component);
    // The member that comes first in the spec.
    const first = component.reduce<DraftNode | undefined>(
      (best, n) => (best === undefined || (position.get(n) ?? 0) < (position.get(best) ?? 0) ? n : best),
      undefined,
    );
    if (first === undefined) continue;
    const path = cyclePath(first, members, reads);
    const firstRef = first.operands.find((r) => {
      const target = byName.get(r.name);
      return target !== undefined && members.has(target);
    });
    // `path` follows reads (consumer -> operand); data flows the other way.
    const flow = [...path].reverse().map((n) => n.name ?? '?');
    issues.push({
      pointer: firstRef?.pointer ?? first.pointer,
      message: `cycle: ${[...flow, flow[0] ?? '?'].join(' → ')}`,
      hint: 'a graph must be acyclic: no node may depend on its own output; change one of these inputs',
      ...(first.name !== undefined ? { node: first.name } : {}),
    });
  }
}

/** One cycle through `start` inside a strongly connected component, by breadth-first search. */
function cyclePath(
  start: DraftNode,
  members: ReadonlySet<DraftNode>,
  reads: (n: DraftNode) => DraftNode[],
): DraftNode[] {
  const parent = new Map<DraftNode, DraftNode>();
  const queue: DraftNode[] = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    if (n === undefined) break;
    for (const m of reads(n)) {
      if (!members.has(m)) continue;
      if (m === start) {
        const path: DraftNode[] = [];
        for (let p: DraftNode | undefined = n; p !== undefined && p !== start; p = parent.get(p)) path.push(p);
        path.push(start);
        return path.reverse();
      }
      if (!parent.has(m)) {
        parent.set(m, n);
        queue.push(m);
      }
    }
  }
  return [start];
}

function checkOutputs(spec: DraftSpec, tensors: Map<string, Tensor>, issues: Issue[]): void {
  const nodeNames = spec.nodes.flatMap((n) => (n.name === undefined ? [] : [n.name]));
  const seen = new Set<string>();
  for (const ref of spec.outputs) {
    const t = tensors.get(ref.name);
    if (seen.has(ref.name)) {
      issues.push({
        pointer: ref.pointer,
        message: `output '${ref.name}' is listed twice`,
        hint: 'remove the repeated name',
        node: ref.name,
      });
    } else if (t === undefined) {
      issues.push({
        pointer: ref.pointer,
        message: `output '${ref.name}' is not defined`,
        hint: suggestionHint(ref.name, nodeNames, 'nodes'),
      });
    } else if (t.kind !== 'node') {
      issues.push({
        pointer: ref.pointer,
        message: `output '${ref.name}' is ${t.kind === 'input' ? 'an input' : 'a target'}, not a node`,
        hint: 'outputs name nodes the model computes, e.g. the final softmax',
      });
    }
    seen.add(ref.name);
  }
}

function checkLoss(spec: DraftSpec, tensors: Map<string, Tensor>, readable: readonly string[], issues: Issue[]): void {
  const loss = spec.loss;
  if (loss === undefined) return;
  if (loss.input !== undefined) checkLossInput(loss.op, loss.input, tensors, readable, issues);
  const target = loss.target;
  if (target === undefined) return;
  const t = tensors.get(target.name);
  const targetNames = spec.targets.map((x) => x.name);
  if (t === undefined) {
    const hint =
      spec.targets.length === 0
        ? `declare it: "targets": { "${target.name}": [null] }`
        : suggestionHint(target.name, targetNames, 'targets');
    issues.push({ pointer: target.pointer, message: `loss target '${target.name}' is not defined`, hint });
  } else if (t.kind !== 'target') {
    issues.push({
      pointer: target.pointer,
      message: `loss target '${target.name}' is ${t.kind === 'input' ? 'an input' : 'a node'}, not a target`,
      hint: 'declare the labels under "targets", e.g. "targets": { "y": [null] }',
    });
  } else if (loss.op === 'cross_entropy') {
    const shape = spec.targets.find((x) => x.name === target.name)?.shape;
    if (shape !== undefined && shape.length > 2) {
      issues.push({
        pointer: t.pointer,
        atKey: true,
        message: `cross_entropy target '${target.name}' has shape ${formatSpecShape(shape)}`,
        hint: 'use [null] for class indices or [null, k] for one-hot or probability rows',
      });
    }
  }
}

function checkLossInput(
  op: keyof typeof lossTable | undefined,
  ref: Ref,
  tensors: Map<string, Tensor>,
  readable: readonly string[],
  issues: Issue[],
): void {
  const t = tensors.get(ref.name);
  if (t === undefined) {
    issues.push({
      pointer: ref.pointer,
      message: `loss input '${ref.name}' is not defined`,
      hint: suggestionHint(ref.name, readable, 'tensors'),
    });
    return;
  }
  if (t.kind === 'target') {
    issues.push({
      pointer: ref.pointer,
      message: `loss input '${ref.name}' is a target`,
      hint: "the loss compares a node's output (input) with a target (target)",
    });
    return;
  }
  const producers = op === undefined ? undefined : lossTable[op].producers;
  if (op === undefined || producers === undefined) return;
  const producer: SpecOp | undefined = t.node?.op;
  if (producer !== undefined && producers.includes(producer)) return;
  if (t.kind === 'node' && producer === undefined) return; // its op is already reported as unknown
  const what = t.kind === 'input' ? 'an input' : `a ${producer ?? '?'} node`;
  const wrap = producers[0] ?? 'softmax';
  const name = wrap === 'sigmoid' ? 'p' : 'probs';
  // The usual slip: the loss reads the logits although a softmax of them already exists.
  const existing = [...tensors].find(
    ([, x]) =>
      x.node?.op !== undefined && producers.includes(x.node.op) && x.node.operands.some((r) => r.name === ref.name),
  );
  issues.push({
    pointer: ref.pointer,
    message: `${op} needs the output of a ${producers.join(' or ')} node, but '${ref.name}' is ${what}`,
    hint:
      existing !== undefined
        ? `use "input": "${existing[0]}" (the ${existing[1].node?.op ?? wrap} of '${ref.name}')`
        : `add { "name": "${name}", "op": "${wrap}", "input": "${ref.name}" } and use "input": "${name}" (the pairing gives the stable fused gradient)`,
    ...(t.kind === 'node' ? { node: ref.name } : {}),
  });
}

/** Warnings for nodes, inputs and targets that nothing reads. */
function warnUnused(spec: DraftSpec, tensors: Map<string, Tensor>, issues: Issue[]): void {
  const used = new Set<string>();
  const pending: string[] = [...spec.outputs.map((r) => r.name)];
  if (spec.loss?.input !== undefined) pending.push(spec.loss.input.name);
  while (pending.length > 0) {
    const name = pending.pop();
    if (name === undefined || used.has(name)) continue;
    used.add(name);
    for (const r of tensors.get(name)?.node?.operands ?? []) pending.push(r.name);
  }
  for (const n of spec.nodes) {
    if (n.name === undefined || used.has(n.name)) continue;
    issues.push({
      severity: 'warning',
      pointer: `${n.pointer}/name`,
      message: `node '${n.name}' is not used by any output or the loss`,
      hint: 'remove it, or list it in "outputs"',
      node: n.name,
    });
  }
  for (const t of spec.inputs) {
    if (used.has(t.name)) continue;
    issues.push({
      severity: 'warning',
      pointer: t.pointer,
      atKey: true,
      message: `input '${t.name}' is not read by any used node`,
      hint: 'remove it, or feed it to a node',
    });
  }
  for (const t of spec.targets) {
    if (spec.loss?.target?.name === t.name) continue;
    issues.push({
      severity: 'warning',
      pointer: t.pointer,
      atKey: true,
      message: `target '${t.name}' is not used by the loss`,
      hint: 'remove it, or use it as the loss target',
    });
  }
}

export function formatSpecShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}
