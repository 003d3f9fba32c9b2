// The benchmark workloads (issue 7): which spec, which batch, training or inference. The specs in
// `bench/workloads/*.json` are ordinary chainrule specs; every peer builds its model from the
// `Network` read out of them, so all peers run exactly the layers the compiler sees.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphSpec, NodeSpec } from '../compiler/frontend/graph-spec.js';

export type Mode = 'train' | 'forward';

/** Throughput is reported as operations per second; latency as µs per call (lower is better). */
export type Metric = 'throughput' | 'latency';

export interface Benchmark {
  /** Stable key used on the command line and in results.json, e.g. `w2-forward`. */
  readonly id: string;
  /** Column heading, e.g. `MNIST MLP forward`. */
  readonly title: string;
  /** File name under `bench/workloads/`. */
  readonly spec: string;
  readonly batch: number;
  readonly mode: Mode;
  readonly metric: Metric;
}

export const benchmarks: readonly Benchmark[] = [
  { id: 'w1-train', title: 'Iris MLP train', spec: 'w1.json', batch: 16, mode: 'train', metric: 'throughput' },
  { id: 'w2-train', title: 'MNIST MLP train', spec: 'w2.json', batch: 64, mode: 'train', metric: 'throughput' },
  { id: 'w3-train', title: 'wide MNIST MLP train', spec: 'w3.json', batch: 128, mode: 'train', metric: 'throughput' },
  { id: 'w2-forward', title: 'MNIST MLP forward', spec: 'w2.json', batch: 64, mode: 'forward', metric: 'throughput' },
  {
    id: 'w3-forward',
    title: 'wide MNIST MLP forward',
    spec: 'w3.json',
    batch: 128,
    mode: 'forward',
    metric: 'throughput',
  },
  {
    id: 'w4-forward',
    title: 'MNIST batch-1 forward latency',
    spec: 'w4.json',
    batch: 1,
    mode: 'forward',
    metric: 'latency',
  },
];

export function findBenchmark(id: string): Benchmark {
  const found = benchmarks.find((b) => b.id === id);
  if (!found) {
    throw new Error(`unknown benchmark '${id}'; expected one of: ${benchmarks.map((b) => b.id).join(', ')}`);
  }
  return found;
}

export interface DenseLayer {
  /** The spec's linear node; parameters are `<name>.weight` ([inputs, units]) and `<name>.bias`. */
  readonly name: string;
  readonly inputs: number;
  readonly units: number;
  /** `relu` for hidden layers; the last layer feeds the softmax. */
  readonly activation: 'relu' | 'none';
}

/** A softmax + cross-entropy MLP trained with plain SGD: the shape every peer implements. */
export interface Network {
  readonly file: string;
  readonly spec: GraphSpec;
  readonly inputName: string;
  readonly targetName: string;
  readonly outputName: string;
  readonly inputSize: number;
  readonly classes: number;
  readonly layers: readonly DenseLayer[];
  readonly lr: number;
}

export function workloadPath(spec: string): string {
  return fileURLToPath(new URL(`./workloads/${spec}`, import.meta.url));
}

export function loadNetwork(spec: string): Network {
  const file = workloadPath(spec);
  return networkFromSpec(JSON.parse(readFileSync(file, 'utf8')) as GraphSpec, file);
}

/**
 * Reads the MLP out of a spec: `linear (relu linear)* softmax`, class-index cross-entropy, SGD
 * without momentum. Anything else is rejected, since the peers only implement that shape.
 */
export function networkFromSpec(spec: GraphSpec, file: string): Network {
  const fail = (pointer: string, message: string): never => {
    throw new Error(`${file}: ${pointer}: ${message} (the benchmark peers implement linear/relu/softmax MLPs only)`);
  };
  const inputNames = Object.keys(spec.inputs);
  const inputName = inputNames[0];
  const inputShape = inputName === undefined ? undefined : spec.inputs[inputName];
  if (
    inputName === undefined ||
    inputNames.length !== 1 ||
    inputShape?.length !== 2 ||
    typeof inputShape[1] !== 'number'
  ) {
    return fail('/inputs', 'expected exactly one input of shape [null, features]');
  }
  const targetName = Object.keys(spec.targets ?? {})[0];
  const loss = spec.loss;
  if (targetName === undefined || loss?.op !== 'cross_entropy' || loss.target !== targetName) {
    return fail('/loss', 'expected a cross_entropy loss on a class-index target');
  }
  const train = spec.train;
  if (train?.optimizer !== 'sgd' || (train.momentum ?? 0) !== 0) {
    return fail('/train', 'expected plain sgd (no momentum)');
  }

  const layers: DenseLayer[] = [];
  let width = inputShape[1];
  let current = inputName;
  let outputName: string | undefined;
  spec.nodes.forEach((node: NodeSpec, i: number) => {
    const at = `/nodes/${i}`;
    if (outputName !== undefined) fail(at, `node '${node.name}' follows the softmax`);
    if (node.input !== current) fail(`${at}/input`, `node '${node.name}' must read '${current}' (a chain)`);
    if (node.op === 'linear') {
      if (node.units === undefined || node.bias === false) fail(at, `linear '${node.name}' needs units and a bias`);
      layers.push({ name: node.name, inputs: width, units: node.units ?? 0, activation: 'none' });
      width = node.units ?? 0;
    } else if (node.op === 'relu' || node.op === 'softmax') {
      const last = layers[layers.length - 1];
      if (last === undefined || last.activation !== 'none') fail(at, `'${node.name}' must follow a linear node`);
      if (node.op === 'relu' && last) layers[layers.length - 1] = { ...last, activation: 'relu' };
      if (node.op === 'softmax') outputName = node.name;
    } else {
      fail(`${at}/op`, `op '${node.op}' is not supported here`);
    }
    current = node.name;
  });
  const lastLayer = layers[layers.length - 1];
  if (outputName === undefined || lastLayer === undefined || loss.input !== outputName) {
    return fail('/nodes', 'the chain must end in a softmax that the loss reads');
  }
  return {
    file,
    spec,
    inputName,
    targetName,
    outputName,
    inputSize: inputShape[1],
    classes: lastLayer.units,
    layers,
    lr: train.lr,
  };
}

/** Effective FLOPs of one iteration: 2·m·k·n per matmul; one matmul per layer forward, three training. */
export function flopsPerIteration(net: Network, bench: Benchmark): number {
  const perPass = net.layers.reduce((sum, l) => sum + 2 * bench.batch * l.inputs * l.units, 0);
  return bench.mode === 'train' ? 3 * perPass : perPass;
}
