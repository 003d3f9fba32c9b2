// Chooses the prelude helpers (prelude.ts) a generated module needs: the declarations its code
// names, then whatever those name, in the prelude's order. The prelude's text comes from
// prelude-source.ts, generated from prelude.ts by `npm run gen:prelude` (a test keeps it current),
// so the helpers ship with the compiler however it is built.
import { PRELUDE_SOURCE } from './prelude-source.js';

export interface PreludeItem {
  readonly name: string;
  /** The declaration as the module carries it: no `export`, `FloatArray` still a placeholder. */
  readonly text: string;
}

/** The prelude's top-level declarations (without the `FloatArray` placeholder itself). */
export function preludeItems(source: string = PRELUDE_SOURCE): PreludeItem[] {
  const items: PreludeItem[] = [];
  for (const chunk of source.split(/\n\n(?=\/\*\*|export )/)) {
    const m = /^export (?:async )?(?:function|const|interface|type|class) ([A-Za-z_$][\w$]*)/m.exec(chunk);
    if (m === null) continue;
    const name = m[1] as string;
    if (name === 'FloatArray') continue;
    items.push({ name, text: chunk.trim().replace(/^export /gm, '') });
  }
  return items;
}

let cached: PreludeItem[] | undefined;

/** Code with comments and quoted strings blanked, so only real references count as uses. */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/gm, ' ');
}

/** The helpers `code` uses (directly or through each other), as text for a module over `floatArray`. */
export function preludeFor(code: string, floatArray: string): string[] {
  return usedItems(code).map((it) => it.text.replace(/\bFloatArray\b/g, floatArray));
}

/** The names of the prelude functions `code` calls (directly or through each other), in prelude order. */
export function helperFunctions(code: string): string[] {
  return usedItems(code)
    .filter((it) => /^(?:\/\*\*[\s\S]*?\*\/\s*)?(?:async )?function /.test(it.text))
    .map((it) => it.name);
}

function usedItems(code: string): PreludeItem[] {
  cached ??= preludeItems();
  const items = cached;
  const uses = (text: string): Set<string> => {
    const words = new Set(codeOnly(text).match(/[A-Za-z_$][\w$]*/g) ?? []);
    return new Set(items.filter((it) => words.has(it.name)).map((it) => it.name));
  };
  const wanted = uses(code);
  const queue = [...wanted];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const item = items.find((it) => it.name === name);
    for (const dep of uses(item?.text ?? '')) {
      if (!wanted.has(dep)) {
        wanted.add(dep);
        queue.push(dep);
      }
    }
  }
  return items.filter((it) => wanted.has(it.name));
}
