// Helpers shared by the diagram tests: read a view back from its DOT text, independent facts
// about a graph (fan-out sums, red reachability), label boxes from Graphviz's JSON layout, and a
// minimal PNG decoder (8-bit RGBA, as resvg writes) to count pixels.
import { inflateSync } from 'node:zlib';
import { type DiagramView, viewDot } from '../../../compiler/diagram/dot.js';
import { type ReadDot, readDot, type ReadEdge } from '../../support/read-dot.js';
import type { Graph, Node } from '../../../compiler/ir/types.js';
import type { GraphSpec, NodeSpec } from '../../../compiler/frontend/graph-spec.js';

/** x → 10 × (linear 64, relu) → linear 10 → softmax, trained with momentum. */
export function tenLayerSpec(): GraphSpec {
  const nodes: NodeSpec[] = [];
  let previous = 'x';
  for (let i = 1; i <= 10; i++) {
    nodes.push({ name: `fc${i}`, op: 'linear', input: previous, units: i < 10 ? 64 : 10 });
    previous = `fc${i}`;
    if (i < 10) {
      nodes.push({ name: `h${i}`, op: 'relu', input: previous });
      previous = `h${i}`;
    }
  }
  nodes.push({ name: 'probs', op: 'softmax', input: previous });
  return {
    name: 'ten_layer',
    inputs: { x: [null, 784] },
    targets: { y: [null] },
    nodes,
    outputs: ['probs'],
    loss: { op: 'cross_entropy', input: 'probs', target: 'y' },
    train: { optimizer: 'sgd', lr: 0.1, momentum: 0.9 },
  };
}

export const BLUE = '#1f6fb4';
export const RED = '#c62828';
export const PURPLE = '#6a1b9a';

/** The DOT of a view, read back. */
export function readView(graph: Graph, view: DiagramView): ReadDot {
  return readDot(viewDot(graph, view));
}

export function attr(edgeOrNode: { readonly attrs: ReadDot['graph'] }, key: string): string | undefined {
  return edgeOrNode.attrs.get(key)?.text;
}

/** Edges of one class (`forward`, `backward`, `update`, `assign`, `tie`). */
export function edgesOf(dot: ReadDot, kind: string): ReadEdge[] {
  return dot.edges.filter((e) => attr(e, 'class') === kind);
}

/** Node ids of one class (`param`, `sum`, `grad`, ...). */
export function nodesOf(dot: ReadDot, kind: string): string[] {
  return [...dot.nodes.values()].filter((n) => attr(n, 'class') === kind).map((n) => n.id);
}

export function byName(graph: Graph, name: string): Node {
  const node = graph.nodes.find((n) => n.name === name);
  if (node === undefined) throw new Error(`no node named ${name}`);
  return node;
}

/**
 * How many fan-in sums the backward graph needs, from the forward graph alone: tensors that
 * depend on a parameter and are read by two or more operand slots on a path to the loss.
 */
export function fanOutTensorsOnGradientPath(forward: Graph): string[] {
  const loss = forward.loss;
  if (loss === undefined) return [];
  const byId = new Map(forward.nodes.map((n) => [n.id, n]));
  // Targets and class indices get no gradient: a slot is differentiable unless it reads one.
  const reachesLoss = new Set<number>([loss]);
  for (const n of [...forward.nodes].reverse()) {
    if (!reachesLoss.has(n.id)) continue;
    for (const i of n.inputs) if (byId.get(i)?.role !== 'target') reachesLoss.add(i);
  }
  const fromParam = new Set<number>();
  for (const n of forward.nodes) if (n.role === 'param' || n.inputs.some((i) => fromParam.has(i))) fromParam.add(n.id);
  const slots = new Map<number, number>();
  for (const n of forward.nodes) {
    if (!reachesLoss.has(n.id)) continue;
    for (const i of n.inputs) slots.set(i, (slots.get(i) ?? 0) + 1);
  }
  return forward.nodes
    .filter((n) => fromParam.has(n.id) && reachesLoss.has(n.id) && (slots.get(n.id) ?? 0) >= 2)
    .map((n) => n.name);
}

/** Node ids reachable from `start` along edges whose colour is `color`. */
export function reachableAlong(dot: ReadDot, start: string, color: string): Set<string> {
  const seen = new Set([start]);
  const stack = [start];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const e of dot.edges) {
      if (e.from !== id || attr(e, 'color') !== color || seen.has(e.to)) continue;
      seen.add(e.to);
      stack.push(e.to);
    }
  }
  return seen;
}

/** An axis-aligned box in points. */
export interface Box {
  readonly what: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

interface XdotOp {
  readonly op: string;
  readonly size?: number;
  readonly pt?: readonly [number, number];
  readonly align?: string;
  readonly width?: number;
  readonly text?: string;
}

interface LayoutObject {
  readonly name?: string;
  readonly pos?: string;
  readonly width?: string;
  readonly height?: string;
  readonly _ldraw_?: readonly XdotOp[];
}

interface Layout {
  readonly objects?: readonly LayoutObject[];
  readonly edges?: readonly (LayoutObject & { readonly tail: number; readonly head: number })[];
}

/** One box per text line Graphviz placed (from the xdot `T` operations). */
function textBoxes(ops: readonly XdotOp[], what: string): Box[] {
  let size = 14;
  const boxes: Box[] = [];
  for (const op of ops) {
    if (op.op === 'F' && op.size !== undefined) size = op.size;
    if (op.op !== 'T' || op.pt === undefined || op.width === undefined) continue;
    const [x, y] = op.pt;
    const w = op.width;
    const x0 = op.align === 'l' ? x : op.align === 'r' ? x - w : x - w / 2;
    boxes.push({ what: `${what} '${op.text ?? ''}'`, x0, y0: y - 0.2 * size, x1: x0 + w, y1: y + 0.75 * size });
  }
  return boxes;
}

/** Node outlines and edge-label text boxes of a Graphviz JSON layout. */
export function layoutBoxes(json: string): { nodes: Box[]; labels: Box[] } {
  const layout: Layout = JSON.parse(json);
  const objects = layout.objects ?? [];
  const nodes: Box[] = [];
  for (const o of objects) {
    if (o.pos === undefined || o.width === undefined || o.height === undefined) continue;
    const [x, y] = o.pos.split(',').map(Number);
    const [hw, hh] = [(Number(o.width) * 72) / 2, (Number(o.height) * 72) / 2];
    if (x === undefined || y === undefined) continue;
    nodes.push({ what: `node '${o.name ?? '?'}'`, x0: x - hw, y0: y - hh, x1: x + hw, y1: y + hh });
  }
  const labels = (layout.edges ?? []).flatMap((e) => {
    const name = `label of ${objects[e.tail]?.name ?? '?'} -> ${objects[e.head]?.name ?? '?'}`;
    return textBoxes(e._ldraw_ ?? [], name);
  });
  return { nodes, labels };
}

function overlap(a: Box, b: Box, slack: number): boolean {
  return a.x0 + slack < b.x1 && b.x0 + slack < a.x1 && a.y0 + slack < b.y1 && b.y0 + slack < a.y1;
}

/** Every pair of edge labels, or edge label and node, that overlap by more than `slack` points. */
export function overlaps(json: string, slack = 1): string[] {
  const { nodes, labels } = layoutBoxes(json);
  const found: string[] = [];
  labels.forEach((a, i) => {
    for (const b of labels.slice(i + 1)) if (overlap(a, b, slack)) found.push(`${a.what} overlaps ${b.what}`);
    for (const n of nodes) if (overlap(a, n, slack)) found.push(`${a.what} overlaps ${n.what}`);
  });
  return found;
}

export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major. */
  readonly rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a non-interlaced 8-bit RGBA or RGB PNG (what resvg writes). */
export function decodePng(png: Buffer): Image {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const length = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (color !== 6 && color !== 2))
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${color}`);
      channels = color === 6 ? 4 : 3;
    }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (out[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (out[(y - 1) * stride + x - channels] ?? 0) : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter] ?? 0;
      out[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(out.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** `#rrggbb` → [r, g, b]. */
function rgb(hex: string): [number, number, number] {
  return [
    Number.parseInt(hex.slice(1, 3), 16),
    Number.parseInt(hex.slice(3, 5), 16),
    Number.parseInt(hex.slice(5, 7), 16),
  ];
}

/** Pixel counts: not (near) white, and within a small distance of the edge blue and edge red. */
export function pixelStats(image: Image): { nonWhite: number; blue: number; red: number; total: number } {
  const near = (r: number, g: number, b: number, [cr, cg, cb]: [number, number, number]): boolean =>
    Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 30;
  const [blueRgb, redRgb] = [rgb(BLUE), rgb(RED)];
  let nonWhite = 0;
  let blue = 0;
  let red = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    const [r, g, b] = [image.rgba[i * 4] ?? 0, image.rgba[i * 4 + 1] ?? 0, image.rgba[i * 4 + 2] ?? 0];
    if (r < 240 || g < 240 || b < 240) nonWhite++;
    if (near(r, g, b, blueRgb)) blue++;
    if (near(r, g, b, redRgb)) red++;
  }
  return { nonWhite, blue, red, total: image.width * image.height };
}
