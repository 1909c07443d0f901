// GraphiQL in headless Chromium, as a newcomer uses it.
//
//   node graphiql.mjs <base-url> token <bearer-token> <case-id>
//     loads /graphiql, pastes the token into the Headers tab, re-fetches the
//     schema, opens the docs, runs a query, and uploads a file from the page
//     through FormData, reading it back.
//   node graphiql.mjs <base-url> sign-in-as <email>
//     signs in through "sign in as" and runs a query with no token.
//   node graphiql.mjs <base-url> operator <login>
//     signs in at the OpenID Provider (its login and consent pages) and runs
//     a query on the session.
//
// Prints one JSON object of what the page showed; exits 1 when a step fails.
import { run } from './browser.mjs';

const [base, mode, arg, caseId] = process.argv.slice(2);

const editor = '.graphiql-query-editor .CodeMirror';
const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

// Types `text` into a CodeMirror editor as a user would: select all, paste.
async function replaceText(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

// Runs `query` from the editor; answers the result pane's text once it holds
// `expect`.
async function runQuery(page, query, expect) {
  await replaceText(page, editor, query);
  await page.click('button[aria-label^="Execute query"]');
  await page.waitForFunction(
    (expect) => document.querySelector('.result-window')?.innerText.includes(expect),
    expect,
  );
  return page.innerText('.result-window');
}

async function openGraphiql(page) {
  await page.goto(`${base}/graphiql`);
  // A blank or "Loading…" page fails here.
  await page.waitForSelector(editor);
}

// Re-fetches the schema once GraphiQL sends the pasted header (it takes
// the headers editor's text after a short debounce).
async function refetchSchemaWith(page, authorization) {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const sent = page
      .waitForRequest(
        (r) => r.url().endsWith('/graphql') && r.headers().authorization === authorization,
        { timeout: 1000 },
      )
      .catch(() => null);
    await page.click('button[aria-label="Re-fetch GraphQL schema"]');
    if (await sent) return;
  }
  throw new Error('GraphiQL never sent the pasted Authorization header');
}

async function docsRootTypes(page) {
  await page.click('button[aria-label="Show Documentation Explorer"]');
  await page.waitForFunction(() =>
    /Subscription/.test(document.querySelector('.graphiql-doc-explorer')?.innerText ?? ''),
  );
  return page.innerText('.graphiql-doc-explorer');
}

// Uploads a file from the page with the browser's own FormData (and its
// boundary), then downloads it again.
async function upload(page, token, caseId) {
  return page.evaluate(
    async ({ token, caseId }) => {
      const content = `uploaded from ${navigator.userAgent}\n`;
      const form = new FormData();
      form.append(
        'operations',
        JSON.stringify({
          query:
            'mutation ($caseId: ID!, $file: Upload!) { addCaseAttachment(caseId: $caseId, file: $file) { fileName downloadUrl } }',
          variables: { caseId, file: null },
        }),
      );
      form.append('map', JSON.stringify({ 0: ['variables.file'] }));
      form.append('0', new File([content], 'from-browser.txt', { type: 'text/plain' }));
      const auth = { Authorization: `Bearer ${token}` };
      const response = await fetch('/graphql', { method: 'POST', headers: auth, body: form });
      const body = await response.json();
      const url = body?.data?.addCaseAttachment?.downloadUrl;
      const back = url ? await (await fetch(url, { headers: auth })).text() : null;
      return { status: response.status, body, sent: content, back };
    },
    { token, caseId },
  );
}

await run(async (page) => {
  if (mode === 'token') {
    await openGraphiql(page);
    await replaceText(page, headersEditor, JSON.stringify({ Authorization: `Bearer ${arg}` }));
    await refetchSchemaWith(page, `Bearer ${arg}`);
    const docs = await docsRootTypes(page);
    const result = await runQuery(page, '{ me { name email } }', '"name"');
    return { docs, result, upload: await upload(page, arg, caseId) };
  }
  if (mode === 'sign-in-as') {
    await page.goto(`${base}/graphiql`);
    await page.selectOption('select[name="email"]', arg);
    await Promise.all([page.waitForURL(`${base}/graphiql`), page.click('form.sign-in-as button')]);
    await page.waitForSelector(editor);
    const banner = await page.innerText('header');
    const docs = await docsRootTypes(page);
    const result = await runQuery(page, '{ me { name email } }', '"email"');
    return { banner, docs, result };
  }
  if (mode === 'operator') {
    await page.goto(`${base}/graphiql`);
    // The provider's login page, then its consent page.
    await page.waitForSelector('input[name="login"]');
    await page.fill('input[name="login"]', arg);
    await page.fill('input[name="password"]', 'any');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/graphiql`);
    await page.waitForSelector(editor);
    const banner = await page.innerText('header');
    const result = await runQuery(page, '{ me { name email } }', '"email"');
    return { banner, result };
  }
  throw new Error(`unknown mode ${mode}`);
});
