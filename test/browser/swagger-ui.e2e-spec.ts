import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';

/*
 * Drives Swagger UI in a real browser, as a user would: authorize with an API key, then "Try it
 * out" on Update Session Id. Playwright cannot download its own browsers here, so this drives
 * Debian's Chromium (apt-get install chromium), or the one CHROMIUM_PATH points at.
 */

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
const MISSING =
  `Chromium not found at ${CHROMIUM}: install Debian's chromium to run the browser test ` +
  '(apt-get install -y chromium), or set CHROMIUM_PATH.';
const SCREENSHOT = path.join(os.tmpdir(), 'monitor-swagger-ui-rename.png');

// Ids with a space and a slash: Swagger UI must percent-encode them for the rename to find them.
const OLD_SESSION = 'browser chat/42';
const NEW_SESSION = 'browser chat/42 archived';
const RENAME_PATH = '/api/v1/monitor/messages/session/{session_id}';

if (!HAS_CHROMIUM && process.env.CI) {
  // In CI a skipped browser test would hide a broken Swagger UI: it fails instead.
  describe('Swagger UI in Chromium', () => {
    it('needs Chromium', () => {
      throw new Error(MISSING);
    });
  });
} else if (!HAS_CHROMIUM) {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n!! SKIPPED the Swagger UI browser test. ${MISSING}\n${line}\n`);
}

const describeInBrowser = HAS_CHROMIUM ? describe : describe.skip;

describeInBrowser('Swagger UI in Chromium', () => {
  let testApp: TestApp;
  let context: BrowserContext;
  let userDataDir: string;

  // A browser start and a page load take seconds; testTimeout in a Jest project entry is ignored.
  jest.setTimeout(60_000);

  beforeAll(async () => {
    // Swagger UI does not depend on the database, so SQLite alone is enough.
    const [sqlite] = testDatabases();
    fs.mkdirSync(path.join(os.tmpdir(), 'monitor-e2e'), { recursive: true });
    testApp = await startTestApp(sqlite);
    // A fresh profile each run, so no remembered authorization can make the test pass.
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1600 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) {
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
    await testApp?.close();
  });

  async function authorize(page: Page, key: string): Promise<void> {
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.getByText('api_key (apiKey)').waitFor();
    await dialog.getByText('Name: x-api-key').waitFor();
    await dialog.locator('input').fill(key);
    // The dialog's "Authorize" and "Logout" buttons are named by their aria-labels.
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    // Swagger UI swaps the form for "Logout" once it has taken the key.
    await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** The operation from its summary down to the server's answer: what a user looks at. */
  async function screenshotUpTo(page: Page, operation: Locator, answer: Locator): Promise<void> {
    await answer.scrollIntoViewIfNeeded();
    const top = await operation.boundingBox();
    const bottom = await answer.boundingBox();
    if (!top || !bottom) {
      throw new Error('the operation is not on screen');
    }
    // Bounding boxes are relative to the viewport, a full-page clip to the page. A string, as
    // the test's TypeScript has no DOM types.
    const scroll = await page.evaluate<{ x: number; y: number }>(
      '({ x: window.scrollX, y: window.scrollY })',
    );
    await page.screenshot({
      path: SCREENSHOT,
      fullPage: true,
      clip: {
        x: top.x + scroll.x,
        y: top.y + scroll.y,
        width: top.width,
        height: bottom.y + bottom.height - top.y,
      },
    });
    console.log(`PATCH ${RENAME_PATH} in Swagger UI: screenshot at ${SCREENSHOT}`);
  }

  it('renames a session through "Try it out", authorized with x-api-key', async () => {
    const stored = await ingestSession(testApp, ADMIN_KEY, { sessionId: OLD_SESSION, count: 3 });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // The service's Content-Security-Policy must not block anything the page needs.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    let status: string;
    let body: string;
    let requestUrl: string;
    try {
      await page.goto(`${testApp.api.baseUrl}/docs`);
      await page.locator('.swagger-ui .information-container').waitFor();

      await authorize(page, ADMIN_KEY);

      const operation = page.locator('#operations-Monitor-updateSessionId');
      await operation.locator('.opblock-summary').click();
      expect(await operation.locator('.opblock-summary-method').innerText()).toBe('PATCH');
      expect(await operation.locator('.opblock-summary-path').getAttribute('data-path')).toBe(
        RENAME_PATH,
      );
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.locator('tr[data-param-name="session_id"] input').fill(OLD_SESSION);
      await operation.locator('tr[data-param-name="new_session_id"] input').fill(NEW_SESSION);
      await operation.getByRole('button', { name: 'Execute' }).click();

      // The server's answer, as opposed to the documented responses listed below it.
      const answer = operation.locator('.live-responses-table tr.response');
      await answer.waitFor();
      status = (await answer.locator('.response-col_status').innerText()).trim();
      body = await answer
        .locator('.response-col_description .highlight-code pre')
        .first()
        .innerText();
      requestUrl = await operation.locator('.request-url pre').innerText();
      await screenshotUpTo(page, operation, answer);
    } catch (error) {
      await page.screenshot({ path: SCREENSHOT.replace('.png', '-failure.png'), fullPage: true });
      throw error;
    } finally {
      await page.close();
    }

    expect(violations).toEqual([]);
    expect(status).toBe('200');
    expect(requestUrl).toBe(
      `${testApp.api.baseUrl}/api/v1/monitor/messages/session/browser%20chat%2F42` +
        // Swagger UI preselects on_conflict's example, merge: Langflow's behaviour, the default.
        '?new_session_id=browser%20chat%2F42%20archived&on_conflict=merge',
    );
    const renamed = JSON.parse(body) as { id: string; session_id: string }[];
    expect(renamed.map((message) => message.id)).toEqual(stored.map((message) => message.id));
    expect(renamed.every((message) => message.session_id === NEW_SESSION)).toBe(true);

    // The page's word is not taken for it: the session really moved.
    const moved = await testApp.api.get('/api/v1/monitor/messages', {
      key: ADMIN_KEY,
      query: { session_id: NEW_SESSION },
    });
    const left = await testApp.api.get('/api/v1/monitor/messages', {
      key: ADMIN_KEY,
      query: { session_id: OLD_SESSION },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.map((message: any) => message.id)).toEqual(
      stored.map((message) => message.id),
    );
    expect(left.body).toEqual([]);
  });
});
