// Algebraic identities: x ↦ x, x + 0, and a sum of one term. Autodiff already passes gradients
// straight through `identity` (its VJP emits no node), so removing the forward node is all
// there is; its readers read x and gradients that named it are renamed after x.
//
// NOTE: there is no multiply or transpose op in the IR: scaling lives inside the loss-gradient
// ops, and matmul folds transposes into its `transA`/`transB` flags (dX = dY·Wᵀ, dW = Xᵀ·dY),
// so no rule can create a double transpose and none needs folding.
import type { Node } from '../../ir/types.js';
import type { Rewrite, Rule, RuleView } from './rewrite.js';

export const identityRule: Rule = {
  name: 'identity',
  description: 'identity(x) → x (readers read x; an identity that is an output stays)',
  match: ['identity'],
  rewrite: (node): Rewrite | undefined =>
    node.inputs[0] === undefined ? undefined : { kind: 'use', id: node.inputs[0] },
};

function isZero(node: Node): boolean {
  return node.op === 'fill' && node.attrs.value === 0;
}

export const addZero: Rule = {
  name: 'add-zero',
  description: 'add(x, …, fill 0) → add(x, …); a single remaining term is the sum itself',
  match: ['add'],
  rewrite(node, view: RuleView): Rewrite | undefined {
    const kept = node.inputs.filter((i) => !isZero(view.node(i)));
    if (kept.length === node.inputs.length) return undefined;
    const [first] = kept;
    // All terms zero: the sum is any one of those zeros (same type as the sum).
    if (first === undefined) return node.inputs[0] === undefined ? undefined : { kind: 'use', id: node.inputs[0] };
    return kept.length === 1 ? { kind: 'use', id: first } : { kind: 'operands', inputs: kept };
  },
};

export const singleAdd: Rule = {
  name: 'single-add',
  description: 'add(x) → x (a sum of one term, as other rewrites may leave)',
  match: ['add'],
  rewrite: (node): Rewrite | undefined =>
    node.inputs.length === 1 && node.inputs[0] !== undefined ? { kind: 'use', id: node.inputs[0] } : undefined,
};
