// The CLI imports only the command it runs (start-up time): which commands `main` loads for an argv.
import { describe, expect, it } from 'vitest';
import { commandsFor } from '../../../src/cli/main.js';

describe('commandsFor', () => {
  it('loads just the named command, whatever options follow', () => {
    expect(commandsFor(['check', 'examples/xor_mlp.json'])).toEqual(['check']);
    expect(commandsFor(['compile', '--help'])).toEqual(['compile']);
  });

  it('loads nothing for a bare --version or -V', () => {
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
  });

  it('loads every command for the help list, a misspelt command, or no command', () => {
    const all = commandsFor(['--help']);
    expect(all).toContain('check');
    expect(all).toContain('demo');
    expect(commandsFor([])).toEqual(all);
    expect(commandsFor(['chek', 'x.json'])).toEqual(all);
    expect(commandsFor(['help'])).toEqual(all);
  });
});
