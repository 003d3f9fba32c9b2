// The typed TS builder: the same GraphSpec object a JSON file describes, written as a chain of
// calls. Each call returns a new builder (a prefix can be shared between variants); a node reads
// the previous node unless told otherwise, and `{ input }` / `{ inputs }` build DAGs.
import { ChainruleError } from '../../compiler/diagnostics.js';
import type {
  GraphSpec,
  LossSpec,
  NodeSpec,
  SpecAttrs,
  SpecLossOp,
  SpecOp,
  SpecShape,
  TrainSpec,
} from '../../compiler/frontend/graph-spec.js';
import { checkSpecValue, type CheckOptions, type SpecCheck } from './check.js';
import { withoutUndefined } from './decode.js';

/** Where a node reads from; omitted, it reads the previous node (or the last declared input). */
export interface FromOption {
  readonly input?: string;
}

interface State {
  readonly name: string;
  readonly inputs: readonly (readonly [string, SpecShape])[];
  readonly targets?: readonly (readonly [string, SpecShape])[];
  readonly nodes: readonly NodeSpec[];
  readonly outputs: readonly string[];
  readonly loss?: LossSpec;
  readonly train?: TrainSpec;
  /** The tensor the next unary node reads by default. */
  readonly last?: string;
}

/**
 * A spec under construction. `build()` runs the same checks as the JSON loader and throws a
 * `ChainruleError` carrying every diagnostic (each with the JSON pointer of the problem).
 *
 * @example
 * import { graph } from './src/frontend/builder.js';
 *
 * const spec = graph('mnist_mlp')
 *   .input('x', [null, 784])
 *   .target('y', [null])
 *   .linear('fc1', 128)
 *   .relu('h1')
 *   .linear('fc2', 10)
 *   .softmax('probs')
 *   .output('probs')
 *   .loss('cross_entropy', 'probs', 'y')
 *   .train({ optimizer: 'sgd', lr: 0.02, momentum: 0.9, seed: 1 })
 *   .build(); // deep-equals examples/mnist_mlp.json without its "$schema"
 *
 * // A residual block: h0 feeds two branches joined by add.
 * graph('residual')
 *   .input('x', [null, 16])
 *   .linear('stem', 32).relu('h0')
 *   .linear('branch_fc', 32).tanh('branch_act')
 *   .add('join', { inputs: ['h0', 'branch_act'] })
 *   .linear('head', 4).softmax('probs')
 *   .output('probs');
 */
export class GraphBuilder {
  private constructor(private readonly state: State) {}

  /** @internal Use `graph(name)`. */
  static start(name: string): GraphBuilder {
    return new GraphBuilder({ name, inputs: [], nodes: [], outputs: [] });
  }

  /** Declares an input tensor; `null` in the shape is the batch dimension. */
  input(name: string, shape: SpecShape): GraphBuilder {
    return this.with({ inputs: [...this.state.inputs, [name, shape]], last: name });
  }

  /** Declares a target (labels) tensor, read only by the loss. */
  target(name: string, shape: SpecShape): GraphBuilder {
    return this.with({ targets: [...(this.state.targets ?? []), [name, shape]] });
  }

  /** `x·W + b` with `units` outputs; `{ bias: false }` drops b. */
  linear(name: string, units: number, options: FromOption & { readonly bias?: boolean } = {}): GraphBuilder {
    return this.unary({ name, op: 'linear', units, bias: options.bias }, options);
  }

  relu(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'relu' }, options);
  }

  /** `alpha` is the negative slope (the compiler's default is 0.01). */
  leakyRelu(name: string, options: FromOption & { readonly alpha?: number } = {}): GraphBuilder {
    return this.unary({ name, op: 'leaky_relu', alpha: options.alpha }, options);
  }

  sigmoid(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'sigmoid' }, options);
  }

  tanh(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'tanh' }, options);
  }

  gelu(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'gelu' }, options);
  }

  identity(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'identity' }, options);
  }

  softmax(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'softmax' }, options);
  }

  logSoftmax(name: string, options: FromOption = {}): GraphBuilder {
    return this.unary({ name, op: 'log_softmax' }, options);
  }

  /**
   * Any single-operand op of the registry by its spec name, with its attributes:
   * `.apply('h', 'softplus')`. Ops added to compiler/ops/ need no builder method of their own.
   */
  apply(name: string, op: SpecOp, options: FromOption & SpecAttrs = {}): GraphBuilder {
    const { input, ...attrs } = options;
    return this.unary({ name, op, ...attrs }, input === undefined ? {} : { input });
  }

  /** Elementwise sum of two or more same-shaped tensors (joins branches of a DAG). */
  add(name: string, options: { readonly inputs: readonly string[] }): GraphBuilder {
    return this.node({ name, op: 'add', inputs: [...options.inputs] });
  }

  /** Appends a node written as in JSON (the escape hatch for generated graphs). */
  node(node: NodeSpec): GraphBuilder {
    return this.with({ nodes: [...this.state.nodes, withoutUndefined(node)], last: node.name });
  }

  /** Marks tensors as model outputs, in order. */
  output(...names: readonly string[]): GraphBuilder {
    return this.with({ outputs: [...this.state.outputs, ...names] });
  }

  loss(op: SpecLossOp, input: string, target: string): GraphBuilder {
    return this.with({ loss: { op, input, target } });
  }

  train(train: TrainSpec): GraphBuilder {
    return this.with({ train: withoutUndefined(train) });
  }

  /** The spec as built so far, unchecked. */
  toSpec(): GraphSpec {
    const s = this.state;
    return withoutUndefined({
      name: s.name,
      inputs: Object.fromEntries(s.inputs),
      targets: s.targets === undefined ? undefined : Object.fromEntries(s.targets),
      nodes: s.nodes,
      outputs: s.outputs,
      loss: s.loss,
      train: s.train,
    });
  }

  /** Runs every check (including shape inference) and returns the result, warnings included. */
  check(options: CheckOptions = {}): SpecCheck {
    return checkSpecValue(this.toSpec(), undefined, options);
  }

  /** The checked spec; throws `ChainruleError` with every diagnostic when it is invalid. */
  build(): GraphSpec {
    const checked = this.check();
    if (!checked.ok) throw new ChainruleError(checked.errors);
    return checked.spec;
  }

  private unary(node: NodeSpec, from: FromOption): GraphBuilder {
    return this.node({ ...node, input: from.input ?? this.state.last });
  }

  private with(patch: Partial<State>): GraphBuilder {
    return new GraphBuilder({ ...this.state, ...patch });
  }
}

/** Starts a spec named `name` (the generated module is `<name>.ts`). */
export function graph(name: string): GraphBuilder {
  return GraphBuilder.start(name);
}
