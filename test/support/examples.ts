// The bundled example specs, read once for tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { GraphSpec } from '../../compiler/frontend/graph-spec.js';

const dir = new URL('../../examples/', import.meta.url);

/** Every examples/*.json, by file stem (`mnist_mlp`). */
export function exampleSpecs(): ReadonlyMap<string, GraphSpec> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return new Map(files.map((f) => [f.replace(/\.json$/, ''), parseSpec(readFileSync(new URL(f, dir), 'utf8'))]));
}

/** The example of that stem; throws when it does not exist. */
export function exampleSpec(name: string): GraphSpec {
  const spec = exampleSpecs().get(name);
  if (spec === undefined) throw new Error(`no example '${name}'`);
  return spec;
}

function parseSpec(text: string): GraphSpec {
  // NOTE: test input only; the product loads specs through src/frontend with full validation.
  const value: GraphSpec = JSON.parse(text);
  return value;
}

const learnDir = new URL('../../examples/learn/', import.meta.url);

/** Every examples/learn/*.json (the steps of docs/learn.md), by `learn/<stem>`. */
export function learnSpecs(): ReadonlyMap<string, GraphSpec> {
  if (!existsSync(learnDir)) return new Map();
  const files = readdirSync(learnDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return new Map(
    files.map((f) => [`learn/${f.replace(/\.json$/, '')}`, parseSpec(readFileSync(new URL(f, learnDir), 'utf8'))]),
  );
}
