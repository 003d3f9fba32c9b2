// Deep chain specs for the compile-time scaling check (`npm run bench:scaling`) and the
// complexity test (test/bench/scaling.test.ts): graph size grows, every other size stays small,
// so compile time measures the compiler's cost per node.
import type { GraphSpec, NodeSpec } from '../compiler/frontend/graph-spec.js';

/**
 * `pairs`: linear (8 units) + tanh, repeated; `linears`: linear layers of 2 units;
 * `activations`: one linear, then a chain of tanh.
 */
export type ChainKind = 'pairs' | 'linears' | 'activations';

export const CHAIN_KINDS: readonly ChainKind[] = ['pairs', 'linears', 'activations'];

/** A trainable chain of `size` spec nodes (plus a 3-class softmax head) of the given kind. */
export function chainSpec(kind: ChainKind, size: number): GraphSpec {
  const nodes: NodeSpec[] = [];
  let previous = 'x';
  const add = (node: NodeSpec): void => {
    nodes.push(node);
    previous = node.name;
  };
  for (let i = 0; nodes.length < size; i++) {
    switch (kind) {
      case 'pairs':
        add({ name: `fc${i}`, op: 'linear', input: previous, units: 8 });
        add({ name: `t${i}`, op: 'tanh', input: previous });
        break;
      case 'linears':
        add({ name: `fc${i}`, op: 'linear', input: previous, units: 2 });
        break;
      case 'activations':
        add(
          i === 0
            ? { name: 'fc', op: 'linear', input: previous, units: 4 }
            : { name: `a${i}`, op: 'tanh', input: previous },
        );
        break;
    }
  }
  add({ name: 'head', op: 'linear', input: previous, units: 3 });
  add({ name: 'probs', op: 'softmax', input: previous });
  return {
    name: `${kind}_${size}`,
    inputs: { x: [null, 4] },
    targets: { y: [null] },
    nodes,
    outputs: ['probs'],
    loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
    train: { optimizer: 'sgd', lr: 0.01 },
  };
}
