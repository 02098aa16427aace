// The dashboard during a slow recovery (issue 15 defect 5): the HTTP side port is up before log
// recovery, and the page says "not ready" with the reason (recovering partitions, n of m topics)
// until the broker serves, then "ready". The slowness is real: 1,500 partitions and a kill -9, so
// every active segment is scanned again on start. Saves a screenshot of the recovering page to
// test-artifacts/. Skips, saying why, where /usr/bin/chromium is not installed.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { tempDataDir } from '../helpers/broker.ts';
import { dataDirNeedingRecovery, startUntilHttp } from '../regressions/issue15-slow-recovery.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

interface PageDocument {
  getElementById(id: string): { dataset: Record<string, string | undefined>; textContent: string | null } | null;
}
if (!haveChromium) console.warn(`SKIP readiness browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)(`readiness on the dashboard during recovery (needs ${CHROMIUM})`, () => {
  const dataDir = tempDataDir();
  let browser: Browser;
  beforeAll(async () => {
    await dataDirNeedingRecovery(dataDir, 1500);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the status shows "not ready: recovering partitions" while recovering, then "ready"', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const broker = await startUntilHttp(dataDir);
    try {
      await page.goto(`http://127.0.0.1:${broker.httpPort}/`);
      await page.waitForFunction(() => {
        const status = (globalThis as unknown as { document: PageDocument }).document.getElementById('status');
        return status?.dataset.readiness === 'not-ready' && /recovering partitions/.test(status.textContent ?? '');
      }, undefined, { timeout: 30_000 });
      const during = await page.locator('#status').textContent();
      expect(during).toMatch(/^not ready: recovering partitions: \d+ of \d+ topics opened$/);
      expect(await page.locator('#status').getAttribute('class')).toContain('bad');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-recovering.png'), fullPage: true });

      await broker.ready;
      await page.waitForSelector('#status.ok', { timeout: 30_000 });
      expect(await page.locator('#status').textContent()).toBe('ready');
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
      await broker.stop();
    }
  }, 120_000);
});
