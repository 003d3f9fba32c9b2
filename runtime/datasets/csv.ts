// The user's own data as CSV: a header row naming the columns, numeric feature columns, and one
// label column (chosen by name, the last column by default). Parsing is csv-parse's; every
// problem is reported with the file, line and column.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { RuntimeError, fileProblem } from '../errors.js';
import type { Dataset } from './dataset.js';

export interface CsvOptions {
  /** Label column name; default: the last column. */
  readonly label?: string;
  /**
   * Class names of a trained model, so a file read for eval/predict maps labels the same way as
   * the training file did. Without it, integer labels are class indices and other labels are
   * numbered in sorted order.
   */
  readonly classNames?: readonly string[];
  /**
   * Predict: a file with exactly this many columns has no label column (all are features);
   * otherwise the label column is found as usual and ignored by the caller.
   */
  readonly featuresOnlyWhen?: number;
}

interface CsvRecord {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

function readRecords(path: string): CsvRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuntimeError(
      `cannot read ${path}: ${fileProblem(err)}`,
      'pass --data mnist|iris|xor|spirals or the path of a CSV file',
    );
  }
  try {
    const lines: number[] = [];
    // relax_column_count: we check the counts ourselves to report them with line numbers.
    const records = parse(text, {
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      on_record: (record, context) => {
        lines.push(context.lines);
        return record;
      },
    });
    return records.map((record, i) => ({ record, info: { lines: lines[i] ?? 0 } }));
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new RuntimeError(`${path}${e.lines !== undefined ? `:${e.lines}` : ''}: malformed CSV: ${e.message}`);
  }
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function parseNumber(cell: string, where: string, column: string): number {
  const v = cell === '' ? Number.NaN : Number(cell);
  if (Number.isFinite(v)) return v;
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

/** Maps label strings to class indices deterministically. */
function classMapping(labels: readonly string[], known: readonly string[] | undefined): string[] {
  if (known) return [...known];
  const distinct = [...new Set(labels)];
  if (distinct.every((l) => /^\d+$/.test(l))) {
    // Integer labels are class indices as written (so "2" is class 2 even if 0 and 1 are absent).
    const max = Math.max(...distinct.map(Number));
    return Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function loadCsv(path: string, options: CsvOptions = {}): Dataset {
  const records = readRecords(path);
  const header = records[0];
  if (!header) throw new RuntimeError(`${path} is empty`, 'the first line must name the columns, e.g. `x1,x2,label`');
  const columns = header.record;
  const unlabelled = options.featuresOnlyWhen === columns.length;
  const labelCol = options.label !== undefined ? columns.indexOf(options.label) : unlabelled ? -1 : columns.length - 1;
  if (options.label !== undefined && labelCol < 0 && !unlabelled) {
    throw new RuntimeError(
      `${path}:${header.info.lines}: no column named '${options.label}'`,
      `the header has: ${columns.join(', ')}`,
    );
  }
  const rows = records.slice(1);
  const numFeatures = columns.length - (labelCol >= 0 ? 1 : 0);
  if (numFeatures < 1)
    throw new RuntimeError(
      `${path}: no feature columns`,
      'the header must name at least one feature column besides the label',
    );

  const features = new Float64Array(rows.length * numFeatures);
  const rawLabels: string[] = [];
  const rowLines = new Int32Array(rows.length);
  rows.forEach(({ record, info }, r) => {
    const where = `${path}:${info.lines}`;
    if (record.length !== columns.length) {
      throw new RuntimeError(
        `${where}: expected ${columns.length} columns (as in the header) but found ${record.length}`,
        'every row needs one value per header column; check for missing or extra commas',
      );
    }
    let f = 0;
    record.forEach((cell, c) => {
      if (c === labelCol) rawLabels.push(cell);
      else features[r * numFeatures + f++] = parseNumber(cell, where, columns[c]!);
    });
    rowLines[r] = info.lines;
  });

  const classNames = labelCol >= 0 ? classMapping(rawLabels, options.classNames) : [...(options.classNames ?? [])];
  const index = new Map(classNames.map((name, i) => [name, i]));
  const labels = new Int32Array(rows.length);
  rawLabels.forEach((l, r) => {
    const c = index.get(l);
    if (c === undefined) {
      throw new RuntimeError(
        `${path}:${rowLines[r]}: unknown class '${l}' in column '${columns[labelCol]}'`,
        `the model was trained on the classes: ${classNames.join(', ')}`,
      );
    }
    labels[r] = c;
  });
  return {
    source: path,
    features,
    labels,
    numRows: rows.length,
    numFeatures,
    numClasses: classNames.length,
    classNames,
    featureNames: columns.filter((_, c) => c !== labelCol),
    rowLines,
  };
}
