// Tensors as text for `chainrule run`: VALUES given on the command line (inline JSON or a CSV
// file) read into flat row-major arrays with located errors, and tensors printed as aligned
// tables.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { fileProblem, RuntimeError } from '../../runtime/errors.js';

/** Values for one leaf, flat row-major, and how many rows they hold. */
export interface ParsedValues {
  readonly data: number[];
  readonly rows: number;
}

/** Where a value came from, for messages: `--input x` plus an optional file. */
interface Source {
  readonly flag: string;
  readonly file?: string;
}

function where(source: Source, detail: string): string {
  return source.file === undefined ? `${source.flag}: ${detail}` : `${source.file}:${detail}`;
}

function cellText(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
}

/** One row of `width` finite numbers, or a located error. */
function checkRow(row: readonly unknown[], width: number, at: (col: number) => string, shape: string): number[] {
  if (row.length !== width) {
    throw new RuntimeError(
      `${at(-1)} has ${row.length} value${row.length === 1 ? '' : 's'}, but a row of ${shape} has ${width}`,
      `give ${width} number${width === 1 ? '' : 's'} per row`,
    );
  }
  return row.map((v, col) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new RuntimeError(
        `${at(col)} is ${cellText(v)}, not a finite number`,
        'every value must be a finite number',
      );
    return v;
  });
}

/** Inline JSON: a number, a row `[1,2,0]`, rows `[[1,2,0],[-1,0,1]]`, or class indices `[0,2,1]`. */
function fromJson(value: unknown, width: number, source: Source, shape: string): ParsedValues {
  const rows: unknown[][] = !Array.isArray(value)
    ? [[value]]
    : value.every((v) => Array.isArray(v))
      ? value
      : width === 1
        ? value.map((v) => [v])
        : [value];
  if (rows.length === 0) throw new RuntimeError(`${source.flag}: no rows`, 'give at least one row, e.g. [[1,2,3]]');
  const data = rows.flatMap((row, r) =>
    checkRow(row, width, (col) => where(source, col < 0 ? `row ${r + 1}` : `row ${r + 1}, column ${col + 1}`), shape),
  );
  return { data, rows: rows.length };
}

/** A CSV file of numbers; a first line with a non-number is a header and skipped. */
function fromCsv(path: string, width: number, source: Source, shape: string): ParsedValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RuntimeError(`${source.flag}: cannot read ${path}: ${fileProblem(err)}`, 'check the path');
  }
  const records: string[][] = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true });
  const isNumber = (cell: string): boolean => cell !== '' && Number.isFinite(Number(cell));
  const header = records.length > 0 && !(records[0] ?? []).every(isNumber) ? 1 : 0;
  const file = { ...source, file: path };
  const rows = records.slice(header);
  if (rows.length === 0) throw new RuntimeError(`${path}: no data rows`, 'one row of numbers per line');
  const data = rows.flatMap((row, r) =>
    checkRow(
      row.map((cell) => (isNumber(cell) ? Number(cell) : cell)),
      width,
      (col) => where(file, col < 0 ? `${r + header + 1}: the row` : `${r + header + 1}:${col + 1}: the value`),
      shape,
    ),
  );
  return { data, rows: rows.length };
}

/**
 * VALUES of `--input NAME=VALUES` for a leaf whose rows hold `width` numbers (`shape` says so in
 * messages): inline JSON, or the path of a CSV file.
 */
export function parseValues(raw: string, width: number, flag: string, shape: string): ParsedValues {
  const text = raw.trim();
  const source = { flag };
  if (/^[[\-+\d.]/.test(text) && !existsSync(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new RuntimeError(
        `${flag}: '${text}' is neither JSON nor a file: ${(err as Error).message}`,
        `write rows as JSON, e.g. ${flag.split(' ')[0]} NAME='[[1,2,0],[-1,0,1]]', or give a CSV file`,
      );
    }
    return fromJson(value, width, source, shape);
  }
  return fromCsv(text, width, source, shape);
}

/** `NAME=VALUES` → [NAME, VALUES]. */
export function splitAssignment(raw: string, flag: string): [string, string] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new RuntimeError(`${flag} '${raw}' is not NAME=VALUES`, `e.g. ${flag} x='[[1,2,0]]'`);
  return [raw.slice(0, eq).trim(), raw.slice(eq + 1)];
}

/** A number in at most 6 significant digits; exponent form for very small or large magnitudes. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  return String(Number(v.toPrecision(6)));
}

const MAX_ROWS = 12;
const MAX_COLS = 10;

/**
 * A tensor as an aligned table, one line per row (a scalar is one number, a vector one row);
 * long tensors show their first rows and columns and say how many more there are.
 */
export function formatTable(shape: readonly number[], data: ArrayLike<number>, indent = '  '): string[] {
  if (shape.length === 0) return [`${indent}${formatNumber(data[0] ?? Number.NaN)}`];
  const cols = shape.length === 1 ? (shape[0] ?? 0) : shape.slice(1).reduce((a, d) => a * d, 1);
  const rows = shape.length === 1 ? 1 : (shape[0] ?? 0);
  const shownRows = Math.min(rows, MAX_ROWS);
  const shownCols = Math.min(cols, MAX_COLS);
  const cells: string[][] = [];
  for (let r = 0; r < shownRows; r++) {
    const row: string[] = [];
    for (let c = 0; c < shownCols; c++) row.push(formatNumber(data[r * cols + c] ?? Number.NaN));
    if (cols > shownCols) row.push(`… ${cols - shownCols} more`);
    cells.push(row);
  }
  const widths = Array.from({ length: shownCols }, (_, c) =>
    cells.reduce((w, row) => Math.max(w, (row[c] ?? '').length), 0),
  );
  const lines = cells.map(
    (row) =>
      indent +
      row
        .map((cell, c) => (c < shownCols ? cell.padStart(widths[c] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
  );
  if (rows > shownRows) lines.push(`${indent}… ${rows - shownRows} more rows`);
  return lines;
}
