// Debian's Chromium driven by playwright-core for the browser tests (no browser download works
// here). CI installs it (.ci/run); a developer machine without it skips those tests.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests run: Chromium is installed, or this is CI (where its absence must fail). */
export const chromiumAvailable = existsSync(CHROMIUM) || process.env['CI'] !== undefined;

/** A headless Chromium with a fresh profile and no network side traffic. */
export function launchChromium(
  options: { readonly acceptDownloads?: boolean; readonly viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chainrule-chromium-')), {
    ...options,
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
