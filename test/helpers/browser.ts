/**
 * Chromium for the browser tests, through playwright-core and the system's Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium). A missing Chromium prints a loud SKIP line, or
 * fails the run under CI=true.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium headless with the project's flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Call in a before(): skips the suite loudly when Chromium is missing, fails under CI=true. */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.warn(`\n  ######## SKIP: browser tests — ${reason}. ########\n`);
  ctx.skip();
}
