// The title and legend, drawn as the graph's own label (an HTML-like table under the diagram, or
// left-justified plain lines for Graphviz builds without HTML labels) so they can never overlap a
// node or an edge. Only the kinds present in the diagram are explained.
import { escapeHtml, type Html, html } from './dot-text.js';
import { type EdgeKind, edgeMeaning, edgeSwatch, type NodeKind, nodeLook } from './style.js';

const NODE_ORDER: readonly NodeKind[] = [
  'input',
  'target',
  'param',
  'state',
  'forward',
  'output',
  'loss',
  'seed',
  'grad',
  'sum',
  'update',
];
const EDGE_ORDER: readonly EdgeKind[] = ['forward', 'backward', 'saved', 'tie', 'update', 'assign'];
const PER_ROW = 3;

/** One legend entry: table cells for the HTML legend, a phrase for the plain one. */
interface Entry {
  readonly cells: string;
  readonly text: string;
}

function nodeEntry(kind: NodeKind): Entry {
  const look = nodeLook(kind);
  const border = kind === 'output' ? '2' : '1';
  const swatch = `<TD BGCOLOR="${look.fill}" COLOR="${look.border}" BORDER="${border}" WIDTH="22" HEIGHT="12"> </TD>`;
  const shape = look.shape === 'box' ? 'rounded box' : look.shape;
  return {
    cells: `${swatch}<TD ALIGN="LEFT">${escapeHtml(look.meaning)} <FONT COLOR="#757575">(${shape})</FONT></TD>`,
    text: `${look.colour} ${shape}: ${look.meaning}`,
  };
}

function edgeEntry(kind: EdgeKind, letters: boolean): Entry {
  const swatch = edgeSwatch(kind);
  const meaning = edgeMeaning(kind, letters);
  return {
    cells: `<TD><FONT COLOR="${swatch.color}">${escapeHtml(swatch.text)}</FONT></TD><TD ALIGN="LEFT">${escapeHtml(meaning)}</TD>`,
    text: `${swatch.words}: ${meaning}`,
  };
}

/**
 * The legend: a title, one entry per node and edge kind present, then free-text notes; `letters`
 * when shapes are drawn with the lecture's letters (the notes then say what each letter is).
 */
export function legendLabel(
  title: string,
  nodeKinds: ReadonlySet<NodeKind>,
  edgeKinds: ReadonlySet<EdgeKind>,
  notes: readonly string[] = [],
  letters = false,
): Html {
  const entries = [
    ...NODE_ORDER.filter((k) => nodeKinds.has(k)).map(nodeEntry),
    ...EDGE_ORDER.filter((k) => edgeKinds.has(k)).map((k) => edgeEntry(k, letters)),
  ];
  const rows: string[] = [];
  const lines = [title];
  for (let i = 0; i < entries.length; i += PER_ROW) {
    const row = entries.slice(i, i + PER_ROW);
    rows.push(`<TR>${row.map((e) => e.cells).join('')}</TR>`);
    lines.push(row.map((e) => e.text).join('   ·   '));
  }
  for (const note of notes) rows.push(`<TR><TD COLSPAN="${2 * PER_ROW}" ALIGN="LEFT">${escapeHtml(note)}</TD></TR>`);
  lines.push(...notes);
  const head = `<TR><TD COLSPAN="${2 * PER_ROW}" ALIGN="LEFT"><FONT POINT-SIZE="13"><B>${escapeHtml(title)}</B></FONT></TD></TR>`;
  const table = `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">${head}${rows.join('')}</TABLE>`;
  return html(table, lines.join('\n'), 'left');
}
