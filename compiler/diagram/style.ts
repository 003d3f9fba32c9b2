// How each kind of node and edge looks. Blue is the forward flow and red the backward flow (the
// convention of the classic backprop figures); shapes tell values apart even in grey print:
// parallelograms are data fed in, cylinders are stored tensors, an octagon is the loss, a circle
// is a fan-in sum, a hexagon is an optimizer update.
import { assertNever } from '../ir/types.js';
import type { Color, EdgeAttrs, NodeAttrs, Shape, Style } from './dot-text.js';

export type NodeKind =
  | 'input'
  | 'target'
  | 'param'
  | 'state'
  | 'forward'
  | 'output'
  | 'loss'
  | 'seed'
  | 'grad'
  | 'sum'
  | 'update';

/**
 * `forward`: a value flowing forward (label: its shape). `backward`: a gradient flowing back
 * (label: the consumer's local chain-rule factor, then the shape). `update`: an optimizer input
 * (label: its symbol in the update rule, `g`, `m`, `v`).
 * `assign`: an update writing the new value into its parameter or state. `tie`: a gradient node
 * to the forward value it differentiates.
 */
export type EdgeKind = 'forward' | 'backward' | 'update' | 'assign' | 'tie' | 'saved';

export const BLUE: Color = '#1f6fb4';
export const RED: Color = '#c62828';
const BLUE_TEXT: Color = '#17508a';
const RED_TEXT: Color = '#9e1c1c';
const GREY: Color = '#b4b4b4';
const SAVED_GREY: Color = '#8a8a8a';
export const PURPLE: Color = '#6a1b9a';

export const FONT = 'DejaVu Sans';

interface NodeLook {
  readonly shape: Shape;
  readonly style: Style;
  readonly fill: Color;
  readonly border: Color;
  /** What the legend says this kind is. */
  readonly meaning: string;
  /** The fill colour in words, for legends drawn without colour swatches. */
  readonly colour: string;
}

export function nodeLook(kind: NodeKind): NodeLook {
  switch (kind) {
    case 'input':
      return {
        shape: 'parallelogram',
        style: 'filled',
        fill: '#e6f4ea',
        border: '#2e7d32',
        meaning: 'input',
        colour: 'green',
      };
    case 'target':
      return {
        shape: 'parallelogram',
        style: 'filled',
        fill: '#fff6d5',
        border: '#a07800',
        meaning: 'target',
        colour: 'yellow',
      };
    case 'param':
      return {
        shape: 'cylinder',
        style: 'filled',
        fill: '#ffedd5',
        border: '#c26a00',
        meaning: 'parameter (weight, bias)',
        colour: 'orange',
      };
    case 'state':
      return {
        shape: 'cylinder',
        style: 'filled,dashed',
        fill: '#f1f1f1',
        border: '#757575',
        meaning: 'optimizer state',
        colour: 'grey dashed',
      };
    case 'forward':
      return {
        shape: 'box',
        style: 'rounded,filled',
        fill: '#e3eefa',
        border: BLUE,
        meaning: 'forward operation',
        colour: 'light blue',
      };
    case 'output':
      return {
        shape: 'box',
        style: 'rounded,filled',
        fill: '#cfe2f6',
        border: BLUE,
        meaning: 'model output',
        colour: 'blue double',
      };
    case 'loss':
      return {
        shape: 'octagon',
        style: 'filled,bold',
        fill: '#fde2e4',
        border: '#8e0000',
        meaning: 'loss L',
        colour: 'pink bold',
      };
    case 'seed':
      return {
        shape: 'box',
        style: 'rounded,filled,bold',
        fill: '#fdeaea',
        border: RED,
        meaning: 'seed ∂L/∂L = 1',
        colour: 'pink bold',
      };
    case 'grad':
      return {
        shape: 'box',
        style: 'rounded,filled',
        fill: '#fdeaea',
        border: RED,
        meaning: 'gradient ∂L/∂·',
        colour: 'pink',
      };
    case 'sum':
      return {
        shape: 'circle',
        style: 'filled',
        fill: '#fdeaea',
        border: RED,
        meaning: 'Σ: sum of gradients at a fan-out',
        colour: 'pink',
      };
    case 'update':
      return {
        shape: 'hexagon',
        style: 'filled',
        fill: '#f1e4f7',
        border: PURPLE,
        meaning: 'optimizer update',
        colour: 'purple',
      };
    default:
      return assertNever(kind, 'node kind');
  }
}

export function nodeAttrs(kind: NodeKind): NodeAttrs {
  const look = nodeLook(kind);
  return {
    class: kind,
    shape: look.shape,
    style: look.style,
    fillcolor: look.fill,
    color: look.border,
    ...(kind === 'output' ? { peripheries: 2 } : {}),
    ...(kind === 'sum' ? { margin: 0.02 } : {}),
  };
}

/** Attributes of an edge of this kind; the label is added by the caller. */
export function edgeAttrs(kind: EdgeKind): EdgeAttrs {
  switch (kind) {
    case 'forward':
      return { class: kind, color: BLUE, fontcolor: BLUE_TEXT };
    case 'backward':
      return { class: kind, color: RED, fontcolor: RED_TEXT };
    // Optimizer edges are not gradients: the update's own purple, never the gradient red.
    case 'update':
      return { class: kind, color: PURPLE, fontcolor: PURPLE };
    case 'assign':
      return { class: kind, color: PURPLE, fontcolor: PURPLE, style: 'bold', arrowhead: 'empty' };
    case 'tie':
      return { class: kind, color: GREY, style: 'dashed', arrowhead: 'none', penwidth: 0.7 };
    // Thin and grey, and not pulling the layout: the forward values backprop must remember.
    case 'saved':
      return { class: kind, color: SAVED_GREY, penwidth: 0.6, arrowsize: 0.5, constraint: false };
    default:
      return assertNever(kind, 'edge kind');
  }
}

/** What the legend says an edge kind means; `letters`: shapes are drawn as [n, d], not [B, 784]. */
export function edgeMeaning(kind: EdgeKind, letters = false): string {
  switch (kind) {
    case 'forward':
      return letters
        ? 'forward value; label: its shape [rows, features]'
        : 'forward value; label: its shape [batch B, features]';
    case 'backward':
      return 'gradient; label: local chain-rule factor, then shape';
    case 'update':
      return 'optimizer input; label: its symbol in the update rule';
    case 'assign':
      return 'the update overwrites the parameter for the next step';
    case 'tie':
      return 'links a gradient to the value it differentiates';
    case 'saved':
      return 'a forward value the gradient needs (remembered from the forward pass)';
    default:
      return assertNever(kind, 'edge kind');
  }
}

/**
 * A few characters drawn in the edge's colour, standing for the edge in the legend, and the same
 * in words for legends drawn without colour.
 */
export function edgeSwatch(kind: EdgeKind): { readonly text: string; readonly color: Color; readonly words: string } {
  switch (kind) {
    case 'forward':
      return { text: '──▶', color: BLUE, words: 'blue arrow' };
    case 'backward':
      return { text: '──▶', color: RED, words: 'red arrow' };
    case 'update':
      return { text: '──▶', color: PURPLE, words: 'purple arrow' };
    case 'assign':
      return { text: '━━▷', color: PURPLE, words: 'bold purple arrow' };
    case 'tie':
      return { text: '- - -', color: GREY, words: 'grey dashed line' };
    case 'saved':
      return { text: '──▶', color: SAVED_GREY, words: 'thin grey arrow' };
    default:
      return assertNever(kind, 'edge kind');
  }
}
