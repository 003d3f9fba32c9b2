// Small helper functions emitted once at the bottom of every generated module (the module
// imports nothing, so it carries its own seeded RNG and validation helpers).
import { StructureKind, VariableDeclarationKind, type StatementStructures } from 'ts-morph';

export function runtimeHelpers(floatArray: string): StatementStructures[] {
  const fn = (name: string, params: string, returnType: string, body: string, doc: string): StatementStructures => ({
    kind: StructureKind.Function,
    name,
    docs: [doc],
    parameters:
      params === ''
        ? []
        : params.split(';').map((p) => {
            const [n, t] = p.split(':').map((s) => s.trim()) as [string, string];
            return { name: n, type: t };
          }),
    returnType,
    statements: body,
  });
  return [
    {
      kind: StructureKind.VariableStatement,
      declarations: [
        { name: 'EMPTY_F', initializer: `new ${floatArray}(0)` },
        { name: 'EMPTY_I32', initializer: 'new Int32Array(0)' },
      ],
      declarationKind: VariableDeclarationKind.Const,
    },
    fn(
      'fillUniform',
      `out: ${floatArray}; limit: number; seed: number; name: string`,
      'void',
      [
        '// A mulberry32 stream keyed by (seed, parameter name): adding a layer never shifts the others.',
        'let s = (seed ^ 0x9e3779b9) >>> 0;',
        'for (let i = 0; i < name.length; i++) s = Math.imul(s ^ name.charCodeAt(i), 0x01000193) >>> 0;',
        'for (let i = 0; i < out.length; i++) {',
        '  s = (s + 0x6d2b79f5) >>> 0;',
        '  let z = s;',
        '  z = Math.imul(z ^ (z >>> 15), z | 1);',
        '  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);',
        '  const u = ((z ^ (z >>> 14)) >>> 0) / 4294967296;',
        '  out[i] = (2 * u - 1) * limit;',
        '}',
      ].join('\n'),
      'Uniform(−limit, limit) from a seeded stream (Glorot/He limits are computed at compile time).',
    ),
    fn(
      'assertFinite',
      `name: string; data: ${floatArray}; row: number`,
      'void',
      [
        'for (let i = 0; i < data.length; i++) {',
        '  const v = data[i] as number;',
        '  if (v - v !== 0) {',
        '    throw new RangeError(`${name}: non-finite value ${v} at row ${Math.floor(i / row)}, column ${i % row} (clean the data, or pass { checkFinite: false } to createModel)`);',
        '  }',
        '}',
      ].join('\n'),
      'Rejects NaN and ±Infinity with the row and column of the first bad value.',
    ),
    fn(
      'assertClasses',
      'name: string; data: Int32Array; classes: number',
      'void',
      [
        'for (let i = 0; i < data.length; i++) {',
        '  const c = data[i] as number;',
        '  if (c < 0 || c >= classes) {',
        '    throw new RangeError(`${name}: class index ${c} at row ${i} is out of range [0, ${classes})`);',
        '  }',
        '}',
      ].join('\n'),
      'Class-index targets must select one of the output columns.',
    ),
    fn(
      'describeValue',
      'value: unknown',
      'string',
      [
        "if (value === undefined) return 'nothing (missing key)';",
        "if (value === null) return 'null';",
        "if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';",
        'return typeof value;',
      ].join('\n'),
      'Names what the caller passed, for type errors.',
    ),
    fn(
      'copyRecord',
      `what: string; from: Readonly<Record<string, ArrayLike<number>>>; into: Readonly<Record<string, ${floatArray}>>; complete: boolean`,
      'void',
      [
        'for (const key of Object.keys(from)) {',
        "  if (!(key in into)) throw new RangeError(`${what}: unknown name '${key}' (expected one of ${Object.keys(into).join(', ')})`);",
        '}',
        'for (const key of Object.keys(into)) {',
        '  const src = from[key];',
        '  const dst = into[key] as ' + floatArray + ';',
        '  if (src === undefined) {',
        "    if (complete) throw new RangeError(`${what}: missing '${key}'`);",
        '    continue;',
        '  }',
        "  if (src.length !== dst.length) throw new RangeError(`${what}: '${key}' needs ${dst.length} values, got ${src.length}`);",
        '  for (let i = 0; i < dst.length; i++) dst[i] = src[i] as number;',
        '}',
      ].join('\n'),
      'Copies named arrays into the arena after checking every name and length.',
    ),
    fn(
      'geluDerivative',
      'x: number',
      'number',
      [
        '// d/dx of 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³)',
        'const c = Math.sqrt(2 / Math.PI);',
        'const t = Math.tanh(c * (x + 0.044715 * x * x * x));',
        'return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);',
      ].join('\n'),
      'Derivative of the tanh-approximated GELU.',
    ),
  ];
}
