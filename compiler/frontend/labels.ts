// Lecture names for tensors: a spec node's optional `"label"` ("W^(1)", "H") replaces the spec
// name in `explain` and the diagrams. `^(…)`/`^c` and `_(…)`/`_c` are written as Unicode
// super- and subscripts (W^(1) → W⁽¹⁾) when every character has one, so the text stays plain.
import { nodeVocabulary, ops } from '../ops/index.js';
import type { GraphSpec, NodeSpec, SpecOp } from './graph-spec.js';

/** A node's label: one name for its output, or names per tensor (`output` and its parameters). */
export type SpecLabel = string | Readonly<Record<string, string>>;

/** Tensor name → the label to print instead. */
export type Labels = ReadonlyMap<string, string>;

const SUPER: Readonly<Record<string, string>> = {
  ...Object.fromEntries([...'0123456789'].map((d, i) => [d, '⁰¹²³⁴⁵⁶⁷⁸⁹'[i] ?? d])),
  '(': '⁽',
  ')': '⁾',
  '+': '⁺',
  '-': '⁻',
  '−': '⁻',
  '=': '⁼',
  n: 'ⁿ',
  i: 'ⁱ',
  T: 'ᵀ',
  l: 'ˡ',
  k: 'ᵏ',
  j: 'ʲ',
};

const SUB: Readonly<Record<string, string>> = {
  ...Object.fromEntries([...'0123456789'].map((d, i) => [d, '₀₁₂₃₄₅₆₇₈₉'[i] ?? d])),
  '(': '₍',
  ')': '₎',
  '+': '₊',
  '-': '₋',
  '=': '₌',
  a: 'ₐ',
  e: 'ₑ',
  h: 'ₕ',
  i: 'ᵢ',
  j: 'ⱼ',
  k: 'ₖ',
  l: 'ₗ',
  m: 'ₘ',
  n: 'ₙ',
  o: 'ₒ',
  p: 'ₚ',
  r: 'ᵣ',
  s: 'ₛ',
  t: 'ₜ',
  u: 'ᵤ',
  v: 'ᵥ',
  x: 'ₓ',
};

/** `text` in super- or subscript characters, or undefined when one character has none. */
function scripted(text: string, table: Readonly<Record<string, string>>): string | undefined {
  let out = '';
  for (const c of text) {
    const s = table[c];
    if (s === undefined) return undefined;
    out += s;
  }
  return out;
}

/** Index letters as subscripts (`sj` → `ₛⱼ`); a letter without a subscript glyph stays `_(…)`. */
export function subscript(text: string): string {
  return scripted(text, SUB) ?? `_(${text})`;
}

/** `W^(1)` → `W⁽¹⁾`, `b_1` → `b₁`; a part with a character that has no script glyph stays as written. */
export function renderLabel(label: string): string {
  return label.replace(
    /([\^_])(\([^()]*\)|[^\s()^_])/g,
    (whole, mark: string, body: string) => scripted(body, mark === '^' ? SUPER : SUB) ?? whole,
  );
}

/**
 * The label keys a node of this op accepts in the object form: `output`, and the op's
 * parameters (the operands a spec does not write, e.g. linear's `weight` and `bias`).
 */
export function labelKeys(op: SpecOp): readonly string[] {
  const def = ops[op];
  const written = nodeVocabulary(op).arity === 'unary' ? 1 : def.inputNames.length;
  return ['output', ...def.inputNames.slice(written)];
}

/** The tensor a label key of `node` names: its output or `<name>.<param>`. */
function tensorOf(node: NodeSpec, key: string): string {
  return key === 'output' ? node.name : `${node.name}.${key}`;
}

/** Every label of a spec, rendered, by tensor name. */
export function specLabels(spec: GraphSpec): Labels {
  const out = new Map<string, string>();
  for (const node of spec.nodes) {
    const label = node.label;
    if (label === undefined) continue;
    if (typeof label === 'string') out.set(node.name, renderLabel(label));
    else for (const [key, text] of Object.entries(label)) out.set(tensorOf(node, key), renderLabel(text));
  }
  return out;
}

/**
 * `text` (a formula such as a chain-rule factor) with every tensor-name-like word that `rename`
 * knows written as it says (`·o.weightᵀ` → `·W⁽²⁾ᵀ`); other words stay.
 */
export function renameTensors(text: string, rename: (word: string) => string | undefined): string {
  return text.replace(/[A-Za-z_][A-Za-z0-9_.]*/g, (word) => rename(word) ?? word);
}

/** `text` with every tensor name that has a label written as the label. */
export function withLabels(text: string, labels: Labels): string {
  return labels.size === 0 ? text : renameTensors(text, (word) => labels.get(word));
}

/** Name lookup through labels: the label when there is one, else the tensor's own name. */
export function labelled(labels: Labels | undefined): (name: string) => string {
  return (name) => labels?.get(name) ?? name;
}
