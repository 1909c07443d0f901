// Debian's Chromium, headless, as the end-to-end tests drive it. No browser
// is downloaded: playwright-core only speaks the DevTools protocol to the
// system's /usr/bin/chromium (CHROMIUM overrides the path).
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
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

// Runs `body(page)` in a fresh page; prints its result as JSON on stdout.
// On failure, prints what the page showed and its console, and exits 1.
export async function run(body) {
  const browser = await launch();
  const page = await browser.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console_.push(`pageerror: ${e.message}`));
  page.setDefaultTimeout(20000);
  try {
    const result = await body(page);
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch (error) {
    let shown = '';
    try {
      shown = (await page.innerText('body')).slice(0, 2000);
    } catch {}
    process.stderr.write(
      `${error.stack}\n--- page at ${page.url()} ---\n${shown}\n--- console ---\n${console_.join('\n')}\n`,
    );
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
