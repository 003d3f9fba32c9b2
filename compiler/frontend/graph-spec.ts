// The typed form of a chainrule spec (the JSON format fixed in DESIGN.md). `src/frontend` parses and
// validates JSON files into this shape and the TS builder produces it directly; the compiler
// only ever sees this object, never raw JSON.
import type { SourceLoc } from '../ir/types.js';
import type { SpecLossOpName, SpecNodeOpName } from '../ops/index.js';

/** `null` is the batch dimension. */
export type SpecShape = readonly (number | null)[];

/** Ops a spec node may use: the registry's ops whose `spec` trait says `use: 'node'` (compiler/ops/). */
export type SpecOp = SpecNodeOpName;

/** Ops a spec may name as its loss: the registry's ops whose `spec` trait says `use: 'loss'`. */
export type SpecLossOp = SpecLossOpName;

/**
 * The attribute keys of a spec node (besides name, op, input/inputs). An op lists the ones it
 * accepts in its `spec.attrs`; a new key is added here and in scripts/schema.ts (its JSON Schema).
 */
export interface SpecAttrs {
  /** `linear`: output features. */
  readonly units?: number;
  /** `linear`: false drops the bias (default true). */
  readonly bias?: boolean;
  /** `leaky_relu`: negative slope (default 0.01). */
  readonly alpha?: number;
}

export type SpecAttrName = keyof SpecAttrs;

export interface NodeSpec extends SpecAttrs {
  readonly name: string;
  readonly op: SpecOp;
  /** Single operand. */
  readonly input?: string;
  /** Several operands (`add`). */
  readonly inputs?: readonly string[];
  /**
   * Lecture names for `explain` and the diagrams: one name for the node's output (`"H"`), or
   * names per tensor, `output` and the op's parameters (`{ "weight": "W^(1)", "bias": "b^(1)" }`).
   */
  readonly label?: string | Readonly<Record<string, string>>;
}

export interface LossSpec {
  readonly op: SpecLossOp;
  readonly input: string;
  readonly target: string;
}

/**
 * How `chainrule train` runs when its flags do not say (flags override these). The compiler
 * ignores them: they change nothing in the generated module.
 */
export interface TrainRecipe {
  /** Total epochs. */
  readonly epochs?: number;
  /** Rows per training step. */
  readonly batchSize?: number;
  /** Fraction of rows held out for validation, in [0, 1). */
  readonly valSplit?: number;
  /** Largest random shift (pixels) of square images (e.g. MNIST) while training; 0 = off. */
  readonly augment?: number;
}

export type TrainSpec = TrainRecipe &
  (
    | { readonly optimizer: 'sgd'; readonly lr: number; readonly momentum?: number; readonly seed?: number }
    | {
        readonly optimizer: 'adam';
        readonly lr: number;
        readonly beta1?: number;
        readonly beta2?: number;
        readonly eps?: number;
        readonly seed?: number;
      }
  );

export interface GraphSpec {
  readonly $schema?: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, SpecShape>>;
  readonly targets?: Readonly<Record<string, SpecShape>>;
  readonly nodes: readonly NodeSpec[];
  readonly outputs: readonly string[];
  readonly loss?: LossSpec;
  readonly train?: TrainSpec;
}

/**
 * Source positions of a parsed spec, keyed by JSON pointer (`/nodes/2/units`), so compiler
 * diagnostics can be located without the compiler knowing about JSON.
 */
export interface SpecLocations {
  readonly file: string;
  at(pointer: string): SourceLoc | undefined;
}
