// The IR verifier: structural invariants every pass must preserve. Tests run it after every
// pass; a failure is a compiler bug, reported with the node and the rule it breaks.
import { defOf, inferNodeType } from '../ops/index.js';
import { formatType, sameShape } from '../ops/shape.js';
import type { Graph, Node, NodeOf, OpName, Role, TensorType } from './types.js';

/** Roles a leaf op's node must have. */
const LEAF_ROLES: Readonly<Partial<Record<OpName, readonly Role[]>>> = {
  input: ['input'],
  target: ['target'],
  param: ['param'],
  state: ['state'],
  fill: ['const'],
};

function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

/** Type rule: a computed node's type equals what its op's shape rule infers from its operands. */
function checkType<K extends OpName>(node: NodeOf<K>, byId: ReadonlyMap<number, Node>): string | undefined {
  const def = defOf(node);
  if (def.leaf) {
    if (node.inputs.length > 0) return `leaf ${node.op} has operands`;
    const roles: readonly Role[] = LEAF_ROLES[node.op] ?? [];
    return roles.includes(node.role)
      ? undefined
      : `leaf ${node.op} has role '${node.role}' (expected ${roles.join(' or ')})`;
  }
  const operands = node.inputs.map((i) => byId.get(i));
  const types = operands.map((n) => n?.type).filter((t): t is TensorType => t !== undefined);
  if (types.length !== operands.length) return undefined; // reported by the use-before-def rule
  const inferred = inferNodeType(
    def,
    types,
    node.attrs,
    operands.map((n) => n?.name ?? '?'),
  );
  if (typeof inferred === 'string') return `shape rule fails: ${inferred}`;
  if (!sameType(inferred, node.type))
    return `type is ${formatType(node.type)} but ${node.op} infers ${formatType(inferred)}`;
  return undefined;
}

function checkAssigns(node: Node, byId: ReadonlyMap<number, Node>, assigned: Map<number, string>): string | undefined {
  if (node.assigns === undefined) return node.role === 'update' ? 'update node assigns nothing' : undefined;
  if (node.role !== 'update') return `has role '${node.role}' but assigns a leaf (only update nodes may)`;
  const leaf = byId.get(node.assigns);
  if (leaf === undefined) return `assigns %${node.assigns}, which does not exist`;
  if (leaf.op !== 'param' && leaf.op !== 'state')
    return `assigns '${leaf.name}' (op ${leaf.op}), but only param and state leaves hold values across steps`;
  if (!sameType(leaf.type, node.type))
    return `assigns '${leaf.name}' of type ${formatType(leaf.type)} a value of type ${formatType(node.type)}`;
  const other = assigned.get(leaf.id);
  if (other !== undefined) return `assigns '${leaf.name}', already assigned by '${other}'`;
  assigned.set(leaf.id, node.name);
  return undefined;
}

/** Every broken invariant, as `'<node>' (%id): <what>`; empty when the graph is valid. */
export function verifyGraph(graph: Graph): string[] {
  const problems: string[] = [];
  const byId = new Map<number, Node>();
  const names = new Set<string>();
  const assigned = new Map<number, string>();
  for (const node of graph.nodes) {
    const report = (what: string): void => void problems.push(`'${node.name}' (%${node.id}): ${what}`);
    if (byId.has(node.id)) report(`duplicate id %${node.id}`);
    if (names.has(node.name)) report(`duplicate name '${node.name}'`);
    // Defined-before-use on the stored order also proves the graph acyclic.
    for (const i of node.inputs) if (!byId.has(i)) report(`reads %${i} before it is defined (or it does not exist)`);
    if (node.grad !== undefined && !byId.has(node.grad.of))
      report(`differentiates %${node.grad.of}, which is not defined before it`);
    const typeProblem = checkType(node, byId);
    if (typeProblem !== undefined) report(typeProblem);
    const assignProblem = checkAssigns(node, byId, assigned);
    if (assignProblem !== undefined) report(assignProblem);
    byId.set(node.id, node);
    names.add(node.name);
  }
  for (const o of graph.outputs) if (!byId.has(o)) problems.push(`output %${o} does not exist`);
  if (graph.loss !== undefined) {
    const loss = byId.get(graph.loss);
    if (loss === undefined) problems.push(`loss %${graph.loss} does not exist`);
    else if (loss.type.shape.length !== 0)
      problems.push(`loss '${loss.name}' is ${formatType(loss.type)}, not a scalar`);
  }
  return problems;
}

/** Throws when the graph breaks an invariant; `after` names the pass that produced it. */
export function assertValidGraph(graph: Graph, after = 'build'): void {
  const problems = verifyGraph(graph);
  if (problems.length > 0) {
    throw new Error(`internal: invalid IR for '${graph.name}' after ${after}:\n  ${problems.join('\n  ')}`);
  }
}
