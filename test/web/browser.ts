/**
 * Debian's Chromium for the dashboard tests, driven by playwright-core, launched as the
 * project's machines need it (no sandbox as root, no GPU, no background traffic to Google).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { webFolder } from '../../src/server/routes/web.js';

export const CHROMIUM = process.env.AOS_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots for a reviewer (git-ignored). */
export const ARTIFACTS = path.join(import.meta.dirname, '..', 'artifacts');
export const chromiumInstalled = fs.existsSync(CHROMIUM);
if (!chromiumInstalled) console.warn(`NOTICE: ${CHROMIUM} is not installed; the dashboard's browser tests are skipped (.ci/run installs Debian's chromium).`);

/** A headless Chromium, once the dashboard is built (npm run build). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(path.join(webFolder(), 'index.html'))) throw new Error(`the dashboard is not built (${webFolder()}): run npm run build`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
