// The user's own data as CSV: a header row naming the columns, numeric feature columns, and one
// label column (chosen by name, the last column by default). Parsing is csv-parse's; every
// problem is reported with the file, line and column.
//
// Memory stays bounded by the data, not the file: the file is read in 1 MB chunks into
// csv-parse's streaming parser (driven synchronously), each record becomes float32 features and
// a label id as soon as it is read (csv-parse keeps no records), and the feature buffer is sized
// from the first chunk's bytes per row (growing if the estimate falls short). Peak use is about
// the float32 features plus a few bytes per row.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Parser } from 'csv-parse';
import { RuntimeError, fileProblem } from '../errors.js';
import type { Dataset } from './dataset.js';

export interface CsvOptions {
  /** Label column name; default: the last column (or, with `featureNames`, the one column left). */
  readonly label?: string;
  /**
   * Class names of a trained model, so a file read for eval/predict maps labels the same way as
   * the training file did. Without it, integer labels are class indices and other labels are
   * numbered in sorted order.
   */
  readonly classNames?: readonly string[];
  /**
   * Feature names of a trained model: columns are matched by name (any order), a missing one is
   * an error, and the one remaining column (if any) is the label. Without it, every column but
   * the label is a feature, in file order.
   */
  readonly featureNames?: readonly string[];
  /**
   * Predict: a file with exactly this many columns has no label column (all are features);
   * otherwise the label column is found as usual and ignored by the caller.
   */
  readonly featuresOnlyWhen?: number;
}

/** Largest float32; a feature beyond it would become Infinity in the model. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Integer labels are class indices as written ("2" is class 2 even if 0 and 1 are absent) when
 * they are dense enough to be indices; above this bound they are names (numeric order), so a
 * label like 1e9 never allocates a billion classes.
 */
const MAX_INDEX_LABEL = 4096;

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function parseNumber(cell: string, where: string, column: string): number {
  const v = cell === '' ? Number.NaN : Number(cell);
  if (Number.isFinite(v)) {
    if (Math.abs(v) <= FLOAT32_MAX) return v;
    throw new RuntimeError(
      `${where}: column '${column}' is ${cell}, beyond the float32 range (±3.4e38) the model computes in`,
      'rescale that column (e.g. to thousands or millions) or drop the row',
    );
  }
  const what =
    cell === ''
      ? 'is empty'
      : NON_FINITE.test(cell) || !Number.isNaN(v)
        ? `is ${cell} (not a finite number)`
        : `'${cell}' is not a number`;
  throw new RuntimeError(
    `${where}: column '${column}' ${what}`,
    'every feature must be a finite number; fill in or drop that row',
  );
}

/** Maps the distinct label strings (in first-seen order) to class names, deterministically. */
function classMapping(distinct: readonly string[], known: readonly string[] | undefined): string[] {
  if (known) return [...known];
  if (distinct.every((l) => /^\d+$/.test(l))) {
    let max = 0;
    for (const l of distinct) max = Math.max(max, Number(l));
    if (max < MAX_INDEX_LABEL) return Array.from({ length: max + 1 }, (_, i) => String(i));
    return [...distinct].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return [...distinct].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where each feature comes from and which column is the label, from the header. */
interface Columns {
  readonly names: readonly string[];
  /** File column of each feature, in feature order. */
  readonly featureCols: Int32Array;
  readonly labelCol: number;
}

function resolveColumns(path: string, line: number, header: readonly string[], o: CsvOptions): Columns {
  const where = `${path}:${line}`;
  const find = (name: string): number => header.indexOf(name);
  if (o.label !== undefined && find(o.label) < 0 && o.featuresOnlyWhen !== header.length) {
    throw new RuntimeError(`${where}: no column named '${o.label}'`, `the header has: ${header.join(', ')}`);
  }
  if (o.featureNames !== undefined) {
    const missing = o.featureNames.filter((n) => find(n) < 0);
    if (missing.length > 0) {
      throw new RuntimeError(
        `${where}: no column named ${missing.map((n) => `'${n}'`).join(', ')}; the model was trained on the features ${o.featureNames.join(', ')}`,
        'columns are matched by name (any order); rename the header or pass the data the model expects',
      );
    }
    const featureCols = Int32Array.from(o.featureNames, find);
    const rest = header.map((_, c) => c).filter((c) => !featureCols.includes(c));
    const labelCol = o.label !== undefined ? find(o.label) : rest.length === 1 ? rest[0]! : -1;
    const unknown = rest.filter((c) => c !== labelCol);
    if (unknown.length > 0) {
      throw new RuntimeError(
        `${where}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${header[c]}'`).join(', ')}`,
        `the model was trained on the features ${o.featureNames.join(', ')}${o.label === undefined ? ' plus one label column' : ` and the label '${o.label}'`}; drop the other columns`,
      );
    }
    return { names: header, featureCols, labelCol };
  }
  const unlabelled = o.featuresOnlyWhen === header.length;
  const labelCol = unlabelled ? -1 : o.label !== undefined ? find(o.label) : header.length - 1;
  const featureCols = Int32Array.from(
    header.map((_, c) => c).filter((c) => c !== labelCol),
    (c) => c,
  );
  return { names: header, featureCols, labelCol };
}

/** Bytes read per step: small next to real data, big enough that per-chunk costs vanish. */
const CHUNK_BYTES = 1 << 20;

function cannotRead(path: string, err: unknown): RuntimeError {
  return new RuntimeError(
    `cannot read ${path}: ${fileProblem(err)}`,
    'pass --data mnist|iris|xor|spirals or the path of a CSV file',
  );
}

export function loadCsv(path: string, options: CsvOptions = {}): Dataset {
  let fd: number;
  let fileBytes: number;
  try {
    fd = openSync(path, 'r');
    fileBytes = fstatSync(fd).size;
  } catch (err) {
    throw cannotRead(path, err);
  }
  let columns: Columns | undefined;
  let numRows = 0;
  let features = new Float32Array(1024);
  let labelIds = new Int32Array(256);
  let rowLines = new Int32Array(256);
  const labelId = new Map<string, number>();
  const distinct: string[] = [];

  /** Room for `rows` rows in every per-row buffer. */
  const reserve = (rows: number): void => {
    const f = columns?.featureCols.length ?? 0;
    if (rows * f > features.length) features = grow(features, rows * f);
    if (rows > labelIds.length) {
      labelIds = grow(labelIds, rows);
      rowLines = grow(rowLines, rows);
    }
  };

  const addRow = (record: readonly string[], line: number): void => {
    if (columns === undefined) {
      columns = resolveColumns(path, line, record, options);
      if (columns.featureCols.length < 1)
        throw new RuntimeError(
          `${path}: no feature columns`,
          'the header must name at least one feature column besides the label',
        );
      return;
    }
    const where = `${path}:${line}`;
    if (record.length !== columns.names.length) {
      throw new RuntimeError(
        `${where}: expected ${columns.names.length} columns (as in the header) but found ${record.length}`,
        'every row needs one value per header column; check for missing or extra commas',
      );
    }
    const f = columns.featureCols.length;
    reserve(numRows + 1);
    for (let i = 0; i < f; i++) {
      const c = columns.featureCols[i]!;
      features[numRows * f + i] = parseNumber(record[c]!, where, columns.names[c]!);
    }
    if (columns.labelCol >= 0) {
      const cell = record[columns.labelCol]!;
      let id = labelId.get(cell);
      if (id === undefined) {
        id = distinct.length;
        distinct.push(cell);
        labelId.set(cell, id);
      }
      labelIds[numRows] = id;
    }
    rowLines[numRows] = line;
    numRows++;
  };

  // relax_column_count: we check the counts ourselves to report them with line numbers.
  // on_record returns null, so csv-parse keeps no records: each is consumed as it is read.
  // NOTE: Parser is a Transform stream, but its parsing runs inside write()/end(): records arrive
  // and `errored` is set before they return, so the loop below stays synchronous.
  const parser = new Parser({
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    on_record: (record: string[], context) => {
      addRow(record, context.lines);
      return null;
    },
  });
  parser.on('error', () => {}); // read from `parser.errored` below
  try {
    let read = 0;
    let sized = false;
    for (;;) {
      // A fresh buffer per chunk: the parser may keep a view of a chunk's unfinished record.
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      } catch (err) {
        throw cannotRead(path, err);
      }
      if (n === 0) break;
      read += n;
      parser.write(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n));
      if (parser.errored) break;
      if (!sized && numRows > 0 && read < fileBytes) {
        // Size the buffers for the whole file from this chunk's bytes per row (+10%), once.
        sized = true;
        reserve(Math.ceil((fileBytes / read) * numRows * 1.1) + 16);
      }
    }
    if (!parser.errored) parser.end();
  } finally {
    closeSync(fd);
  }
  const err = parser.errored;
  if (err) {
    if (err instanceof RuntimeError) throw err;
    const e = err as Error & { lines?: number };
    throw new RuntimeError(`${path}${e.lines !== undefined ? `:${e.lines}` : ''}: malformed CSV: ${e.message}`);
  }
  if (columns === undefined)
    throw new RuntimeError(`${path} is empty`, 'the first line must name the columns, e.g. `x1,x2,label`');
  const cols: Columns = columns;
  const numFeatures = cols.featureCols.length;
  const lines = rowLines.slice(0, numRows);

  const classNames = cols.labelCol >= 0 ? classMapping(distinct, options.classNames) : [...(options.classNames ?? [])];
  const index = new Map(classNames.map((name, i) => [name, i]));
  // Class index of each distinct label (-1: not a known class).
  const classOf = Int32Array.from(distinct, (l) => index.get(l) ?? -1);
  const labels = new Int32Array(numRows);
  if (cols.labelCol >= 0) {
    for (let r = 0; r < numRows; r++) {
      const c = classOf[labelIds[r]!]!;
      if (c < 0) {
        throw new RuntimeError(
          `${path}:${lines[r]}: unknown class '${distinct[labelIds[r]!]}' in column '${cols.names[cols.labelCol]}'`,
          `the model was trained on the classes: ${classNames.join(', ')}`,
        );
      }
      labels[r] = c;
    }
  }
  return {
    source: path,
    features: trimmed(features, numRows * numFeatures),
    labels,
    numRows,
    numFeatures,
    numClasses: classNames.length,
    classNames,
    featureNames: Array.from(cols.featureCols, (c) => cols.names[c]!),
    rowLines: lines,
  };
}

/** The first `n` values: a view when little is wasted, else a copy (so a big buffer is not kept alive). */
function trimmed(a: Float32Array, n: number): Float32Array {
  return a.length - n <= a.length / 8 ? a.subarray(0, n) : a.slice(0, n);
}

/** A larger copy (at least `need` elements, doubling), so appends cost amortized O(1). */
function grow<T extends Float32Array | Int32Array>(a: T, need: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}
