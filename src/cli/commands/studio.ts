// `chainrule studio [SPEC]`: a local web page to edit a spec, see its forward and backward graphs
// and gradient equations, and train it live in the browser. Prints the URL as the first line.
import { spawn } from 'node:child_process';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadSpecFile } from '../../frontend/load.js';
import type { Studio } from '../../studio/server.js';
import { renderLoadReport } from '../spec-input.js';

/** Tried first; when it is taken the server takes any free port (the URL line says which). */
export const DEFAULT_STUDIO_PORT = 5180;

interface StudioFlags {
  readonly port?: number;
  readonly host: string;
  readonly open: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535)
    throw new InvalidArgumentError(`expected a port 0–65535, got '${value}'.`);
  return n;
}

export function studioCommand(): Command {
  return new Command('studio')
    .description(
      'Open chainrule studio in the browser: edit a spec with live diagnostics, see its forward and backward graphs and gradient equations, train it in the page.\nPrints the URL as the first line of stdout; Ctrl-C stops the server.',
    )
    .argument('[spec]', 'spec to open (default: examples/spirals_mlp.json)')
    .addOption(
      new Option(
        '--port <n>',
        `port to listen on (default ${DEFAULT_STUDIO_PORT}, or any free port when that one is taken; 0: any free port)`,
      ).argParser(parsePort),
    )
    .option('--host <host>', 'address to bind (the page is only reachable from this machine by default)', '127.0.0.1')
    .option('--no-open', 'do not open a browser')
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainrule studio examples/spirals_mlp.json\n  $ chainrule studio --port 8080 --no-open',
    )
    .action(async (spec: string | undefined, flags: StudioFlags) => {
      if (spec !== undefined) {
        // A spec with errors still opens (the page shows them); an unreadable file does not.
        const loaded = loadSpecFile(spec);
        if (!loaded.ok && loaded.errors.some((e) => e.loc === undefined && e.message.startsWith('cannot read'))) {
          process.stderr.write(renderLoadReport(loaded, spec));
          process.exitCode = 1;
          return;
        }
      }
      const studio = await listen(spec, flags);
      process.stdout.write(`${studio.url}\n`);
      process.stderr.write('chainrule studio is running; press Ctrl-C to stop\n');
      if (flags.open) openBrowser(studio.url);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void studio.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

/** Listens on the asked port; without `--port`, falls back to a free port when the default is taken. */
async function listen(spec: string | undefined, flags: StudioFlags): Promise<Studio> {
  // Loaded here, not at CLI start: the server pulls in esbuild, Graphviz and the whole compiler.
  const { startStudio } = await import('../../studio/server.js');
  const options = { ...(spec === undefined ? {} : { spec }), host: flags.host };
  try {
    return await startStudio({ ...options, port: flags.port ?? DEFAULT_STUDIO_PORT });
  } catch (err) {
    const busy = err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
    if (!busy || flags.port !== undefined) throw err;
    return startStudio({ ...options, port: 0 });
  }
}

/** Best effort: a missing opener or a headless machine only means the user opens the URL. */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // Nothing to do: the URL is printed.
  }
}
