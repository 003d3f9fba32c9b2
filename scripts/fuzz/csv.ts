// CSV data: a random table written in one of many valid ways (CRLF, BOM, quotes, spaces, blank
// lines, number spellings, label kinds), or with one defect (NaN/Inf, empty, non-numeric, ragged,
// beyond float32, bad quoting, non-UTF-8, no rows). Each case carries what a correct loader must
// produce: the exact rows (float32 values and label text), or a rejection.
import type { Rng } from '../../runtime/rng.js';
import { between, caseRng, pick } from './rand.js';

export interface CsvExpect {
  /** Float32 feature values, row-major. */
  readonly features: Float32Array;
  readonly numFeatures: number;
  /** Each row's label as written (trimmed). */
  readonly labels: readonly string[];
}

export interface CsvCase {
  readonly label: string;
  readonly bytes: Uint8Array;
  /** The rows a correct loader returns, `reject` when it must refuse, `either` when both are fine. */
  readonly expect: CsvExpect | 'reject' | 'either';
  readonly timeoutMs?: number;
}

interface Table {
  header: string[];
  cells: string[][];
  values: number[][];
  labels: string[];
}

/** Valid spellings of a number (what Number() reads back as the same value). */
function spell(r: Rng, v: number): string {
  switch (r.int(6)) {
    case 0:
      return v.toExponential(between(r, 0, 8));
    case 1:
      return v.toFixed(between(r, 0, 6));
    case 2:
      return String(v).replace(/^0\./, '.').replace(/^-0\./, '-.');
    case 3:
      return v >= 0 ? `+${v}` : String(v);
    default:
      return String(v);
  }
}

function labelSpace(r: Rng): () => string {
  switch (r.int(7)) {
    case 0:
      return () => String(r.int(3));
    case 1:
      return () => pick(r, ['setosa', 'versicolor', 'virginica']);
    case 2:
      return () => String(r.int(3) - 1); // negative labels: names
    case 3:
      return () => pick(r, ['0.5', '1.5', '2.25']); // fractional labels: names
    case 4:
      return () => String(pick(r, [1e9, 4096, 70000, 123456789])); // huge integers: names
    case 5:
      return () => pick(r, ['1', '3', '9']); // gaps: indices as written
    default:
      return () => pick(r, ['yes', 'no', 'Ünïcode', '🙂']);
  }
}

function table(r: Rng, rows: number, features: number): Table {
  const header = [...Array.from({ length: features }, (_, i) => `f${i}`), 'label'];
  const nextLabel = labelSpace(r);
  const values: number[][] = [];
  const cells: string[][] = [];
  const labels: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: features }, () => {
      const scale = pick(r, [1, 1, 1e-3, 1e6, 1e30, 1e-30]);
      const v = Number((r.normal() * scale).toPrecision(between(r, 1, 9)));
      return v;
    });
    const written = row.map((v) => spell(r, v));
    values.push(written.map(Number));
    const label = nextLabel();
    labels.push(label);
    cells.push([...written, label]);
  }
  return { header, cells, values, labels };
}

interface Style {
  eol: string;
  bom: boolean;
  quote: boolean;
  pad: boolean;
  blankLines: boolean;
  finalEol: boolean;
}

function render(r: Rng, t: Table, s: Style): string {
  const cell = (c: string): string => {
    const q = s.quote && r.int(3) === 0 ? `"${c}"` : c;
    return s.pad && r.int(3) === 0 ? ` ${q}  ` : q;
  };
  const lines = [t.header.map(cell).join(','), ...t.cells.map((row) => row.map(cell).join(','))];
  const withBlanks = s.blankLines ? lines.flatMap((l, i) => (i > 0 && r.int(4) === 0 ? ['', l] : [l])) : lines;
  return `${s.bom ? '\uFEFF' : ''}${withBlanks.join(s.eol)}${s.finalEol ? s.eol : ''}`;
}

function expectOf(t: Table): CsvExpect {
  const numFeatures = t.header.length - 1;
  const features = new Float32Array(t.values.length * numFeatures);
  t.values.forEach((row, i) => features.set(row, i * numFeatures));
  return { features, numFeatures, labels: t.labels };
}

const enc = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** Defects a loader must refuse, as (label, cell text). */
const BAD_CELLS = [
  'NaN',
  'nan',
  'Inf',
  '-Infinity',
  'inf',
  '',
  'abc',
  '1,5',
  '1e39',
  '-1e39',
  '1e999',
  '0x',
  '--1',
  '1e',
];

export function csvCase(seed: number, index: number): CsvCase {
  const r = caseRng(seed, 'csv', index);
  const rows = between(r, 1, 60);
  const features = between(r, 1, 6);
  const t = table(r, rows, features);
  const style: Style = {
    eol: pick(r, ['\n', '\r\n', '\n', '\r']),
    bom: r.int(4) === 0,
    quote: r.int(3) === 0,
    pad: r.int(3) === 0,
    blankLines: r.int(4) === 0,
    finalEol: r.int(2) === 0,
  };
  const styleLabel = `${JSON.stringify(style.eol)}${style.bom ? ' bom' : ''}${style.quote ? ' quotes' : ''}${style.pad ? ' spaces' : ''}${style.blankLines ? ' blanks' : ''}`;
  const kind = index % 4 === 0 ? 'valid' : pick(r, ['cell', 'ragged', 'structure', 'bytes', 'size', 'cell', 'ragged']);
  switch (kind) {
    case 'valid':
      return { label: `valid ${rows}x${features} ${styleLabel}`, bytes: enc(render(r, t, style)), expect: expectOf(t) };
    case 'cell': {
      const row = r.int(rows);
      const col = r.int(features);
      const bad = pick(r, BAD_CELLS);
      t.cells[row]![col] = bad;
      // '1,5' unquoted splits the row: ragged, also refused.
      return {
        label: `cell ${JSON.stringify(bad)} at row ${row + 1}`,
        bytes: enc(render(r, t, style)),
        expect: 'reject',
      };
    }
    case 'ragged': {
      const row = r.int(rows);
      if (r.int(2) === 0) t.cells[row]!.pop();
      else t.cells[row]!.push('1');
      return { label: `ragged row ${row + 1}`, bytes: enc(render(r, t, style)), expect: 'reject' };
    }
    case 'structure':
      return structure(r, t, style, styleLabel);
    case 'bytes': {
      const text = render(r, t, { ...style, quote: false, pad: false, bom: false });
      const lines = text.split(style.eol === '\r' ? '\r' : /\r?\n/);
      const bytes = Buffer.from(text, 'utf8');
      // A non-UTF-8 byte inside a feature cell of the first data row: that cell is not a number.
      const at = Buffer.byteLength(lines[0] ?? '') + style.eol.length;
      const out = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xfe]), bytes.subarray(at)]);
      return { label: 'non-UTF-8 bytes in a feature cell', bytes: new Uint8Array(out), expect: 'reject' };
    }
    default:
      return size(r);
  }
}

function structure(r: Rng, t: Table, style: Style, styleLabel: string): CsvCase {
  switch (r.int(8)) {
    case 0:
      return { label: 'header only', bytes: enc(t.header.join(',') + style.eol), expect: 'reject' };
    case 1:
      return { label: 'empty file', bytes: new Uint8Array(0), expect: 'reject' };
    case 2:
      return { label: 'BOM only', bytes: enc('\uFEFF'), expect: 'reject' };
    case 3: {
      const text = render(r, t, style);
      return { label: `unterminated quote ${styleLabel}`, bytes: enc(`${text}"1.5,2`), expect: 'reject' };
    }
    case 4:
      return { label: 'label column only', bytes: enc(`label\n1\n2\n`), expect: 'reject' };
    case 5: {
      const text = render(r, { ...t, header: [...t.header.slice(0, -2), t.header.at(-1)!, t.header.at(-1)!] }, style);
      return { label: 'duplicate header names', bytes: enc(text), expect: 'either' };
    }
    case 6: {
      // In the header a NUL is part of a column name (fine); in a data row it spoils a number.
      const header = r.int(2) === 0;
      const text = render(r, t, { ...style, quote: false, pad: false });
      const at = header ? text.indexOf(',') : text.indexOf(',', text.search(/[\r\n]+./));
      return {
        label: `NUL byte in the ${header ? 'header' : 'first data row'}`,
        bytes: enc(`${text.slice(0, at + 1)}\u0000${text.slice(at + 1)}`),
        expect: header ? 'either' : 'reject',
      };
    }
    default: {
      const text = render(r, t, style);
      return {
        label: 'stray quote in a cell',
        bytes: enc(text.replace(/(\n|\r)([^,\r\n"]+),/, '$1$2"x,')),
        expect: 'either',
      };
    }
  }
}

/** Big inputs: many distinct labels, wide rows, long cells. */
function size(r: Rng): CsvCase {
  switch (r.int(4)) {
    case 0: {
      const n = 200_000;
      const parts: string[] = ['a,label'];
      const values = new Float32Array(n);
      const labels: string[] = [];
      for (let i = 0; i < n; i++) {
        parts.push(`${i % 7},${i}`);
        values[i] = i % 7;
        labels.push(String(i));
      }
      return {
        label: '200,000 distinct labels',
        bytes: enc(`${parts.join('\n')}\n`),
        expect: { features: values, numFeatures: 1, labels },
        timeoutMs: 60_000,
      };
    }
    case 1: {
      const f = 20_000;
      const header = [...Array.from({ length: f }, (_, i) => `c${i}`), 'label'].join(',');
      const row = [...Array.from({ length: f }, (_, i) => String(i % 10)), '1'].join(',');
      const values = Float32Array.from({ length: 2 * f }, (_, i) => (i % f) % 10);
      return {
        label: '20,000 columns',
        bytes: enc(`${header}\n${row}\n${row}\n`),
        expect: { features: values, numFeatures: f, labels: ['1', '1'] },
        timeoutMs: 60_000,
      };
    }
    case 2: {
      const cell = `1${'0'.repeat(1_000_000)}`;
      return { label: 'a 1 MB number', bytes: enc(`a,label\n${cell},0\n`), expect: 'reject', timeoutMs: 60_000 };
    }
    default: {
      const digits = `0.${'1'.repeat(100_000)}`;
      return {
        label: 'a 100 kB fraction',
        bytes: enc(`a,label\n${digits},0\n`),
        expect: { features: Float32Array.of(Number(digits)), numFeatures: 1, labels: ['0'] },
        timeoutMs: 60_000,
      };
    }
  }
}
