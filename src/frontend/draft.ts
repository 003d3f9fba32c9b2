// The spec as decoded so far: every well-typed field kept, every bad one dropped (and reported),
// each piece with its JSON pointer. Semantic checks run on this so that one typo does not hide
// the other problems, and a node with a bad field still counts as defined (no echo errors).
import type { Diagnostic } from '../../compiler/diagnostics.js';
import type { SpecLossOp, SpecOp, SpecShape, TrainSpec } from '../../compiler/frontend/graph-spec.js';

/** A diagnostic before location; `atKey` points it at the member's key instead of its value. */
export interface Issue extends Diagnostic {
  readonly atKey?: boolean;
}

/** A name reference (`"input": "fc1"`) and where it is written. */
export interface Ref {
  readonly name: string;
  readonly pointer: string;
}

export interface DraftTensor {
  readonly name: string;
  readonly pointer: string;
  /** Absent when the shape itself was malformed. */
  readonly shape?: SpecShape;
}

export interface DraftNode {
  readonly pointer: string;
  readonly name?: string;
  readonly op?: SpecOp;
  /** Which operand key(s) the node wrote, whatever their values. */
  readonly operandKeys: readonly ('input' | 'inputs')[];
  /** The well-formed operand references, in order. */
  readonly operands: readonly Ref[];
  /** False when some operand was malformed, so `operands` is not the full list. */
  readonly operandsOk: boolean;
  readonly units?: number;
  readonly bias?: boolean;
  readonly alpha?: number;
  readonly label?: string | Readonly<Record<string, string>>;
  /** Some field had a structural error: skip op-specific checks that would only echo it. */
  readonly broken: boolean;
}

export interface DraftLoss {
  readonly pointer: string;
  readonly op?: SpecLossOp;
  readonly input?: Ref;
  readonly target?: Ref;
}

export interface DraftSpec {
  readonly schema?: string;
  readonly name?: string;
  readonly inputs: readonly DraftTensor[];
  readonly targets: readonly DraftTensor[];
  /** Whether `targets` was written at all (it is optional). */
  readonly hasTargets: boolean;
  readonly nodes: readonly DraftNode[];
  readonly outputs: readonly Ref[];
  readonly loss?: DraftLoss;
  /** Present only when the train block is fully valid. */
  readonly train?: TrainSpec;
  /** Where the train block is, when written (valid or not). */
  readonly trainPointer?: string;
}
