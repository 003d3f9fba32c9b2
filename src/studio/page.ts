// The studio page: TypeScript and CSS in studio/ bundled by esbuild into index.html, app.js,
// app.css and worker.js. Built once per server process on first request (about half a second),
// or read from a prebuilt folder (`writeStudioPage`, for a packaged install without the sources).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { packageFile } from '../package-file.js';

/** Built page files by URL path (`/app.js`), with their content type. */
export type PageFiles = ReadonlyMap<string, { readonly body: string; readonly type: string }>;

/** Where the page sources live (studio/ at the package root). */
export const STUDIO_SOURCES = packageFile('studio/');
/** Where a build step may put the prebuilt page (`writeStudioPage(PREBUILT_PAGE)`). */
export const PREBUILT_PAGE = packageFile('dist/studio/');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const PAGE_FILES = ['index.html', 'app.js', 'app.css', 'worker.js'] as const;

function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf('.'));
  return TYPES[ext] ?? 'application/octet-stream';
}

/** Bundles the page from its sources (minified, no source maps: the page is small and self-contained). */
export async function buildStudioPage(sources: string = STUDIO_SOURCES): Promise<PageFiles> {
  const result = await build({
    entryPoints: { app: join(sources, 'main.ts'), worker: join(sources, 'worker.ts') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    write: false,
    outdir: '/',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, { body: string; type: string }>();
  for (const out of result.outputFiles) files.set(out.path, { body: out.text, type: contentType(out.path) });
  files.set('/index.html', { body: readFileSync(join(sources, 'index.html'), 'utf8'), type: TYPES['.html']! });
  return files;
}

/** Writes the built page into `dir` (for a package build step). */
export async function writeStudioPage(dir: string = PREBUILT_PAGE): Promise<void> {
  const files = await buildStudioPage();
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of files) writeFileSync(join(dir, path), file.body);
}

function readPrebuilt(dir: string): PageFiles | undefined {
  if (!PAGE_FILES.every((f) => existsSync(join(dir, f)))) return undefined;
  return new Map(PAGE_FILES.map((f) => [`/${f}`, { body: readFileSync(join(dir, f), 'utf8'), type: contentType(f) }]));
}

let cached: Promise<PageFiles> | undefined;

/** The page: from the sources when they are here (always current), else the prebuilt copy. */
export function studioPage(): Promise<PageFiles> {
  cached ??= existsSync(join(STUDIO_SOURCES, 'main.ts'))
    ? buildStudioPage()
    : Promise.resolve(
        readPrebuilt(PREBUILT_PAGE) ??
          Promise.reject(
            new Error(`the studio page is missing: neither ${STUDIO_SOURCES} nor ${PREBUILT_PAGE} has it`),
          ),
      );
  return cached;
}
