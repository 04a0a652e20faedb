// Drives a real Chromium through upload steps for tests/tests/browser.rs and
// the examples' browser tests (examples/tests/upload_{demo,widgets}.rs).
//
//   node run.mjs SPEC.json
//
// SPEC: {"chromium": path, "playwright": dir holding node_modules/playwright-core,
//        "artifacts": dir, "steps": [{"name", "kind": "form" | "xhr" | "demo" | "widget",
//        "page": url, "file": path, "files": [path, ...] (demo, widget),
//        "skip_checks": bool (demo, widget), "drop": bool (demo only),
//        "input": selector (widget only)}]}
//
// "form": opens the page, picks the file in the page's <form>, submits it and
// records the storage's answer (the navigation's response).
// "xhr": opens the page, picks the file, clicks #upload and waits for the
// page to set window.uploadResult (see upload.html).
// "demo": opens the upload demo's page, ticks its "skip the page's checks" box
// when skip_checks, picks the files (step.files, or step.file) at once (or,
// when drop, drops them on the page's drop zone) and waits for the page to
// set window.demoResult (see examples/upload_demo/page.html).
// "widget": opens a page of examples/upload_widgets (Uppy, Dropzone), ticks
// its "skip the page's checks" box when skip_checks, gives all the files at
// once to the widget's file input (the CSS selector `input`) and waits for
// the page to set window.widgetResult; reports it with what the widget
// (#widget) and the page's list of outcomes (#outcomes) show.
//
// Every step keeps a screenshot and the page's console log under
// artifacts/; the paths are in the output. Prints one JSON object on stdout:
// {"browser": version, "ms": total, "steps": [{"name", "ok", "error", ...}]}.
// Assertions are the Rust test's job; this exits non-zero only when it
// cannot run at all (no spec, no playwright-core, no browser).

import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';

// The media type a browser gives a dropped file, by extension.
const MEDIA_TYPES = { '.png': 'image/png', '.txt': 'text/plain' };

const started = Date.now();
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(import.meta.url);
const { chromium } = require(require.resolve('playwright-core', { paths: [spec.playwright] }));

mkdirSync(spec.artifacts, { recursive: true });
const userDataDir = mkdtempSync(join(tmpdir(), 'post-policy-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: spec.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

const results = [];
try {
  for (const step of spec.steps) {
    results.push(await run(step));
  }
} finally {
  const version = context.browser()?.version() ?? 'unknown';
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ browser: version, ms: Date.now() - started, steps: results }) + '\n');
}

async function run(step) {
  const t0 = Date.now();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const log = [];
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e}`));
  page.on('requestfailed', (r) =>
    log.push(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => log.push(`[response] ${r.status()} ${r.request().method()} ${r.url()}`));
  const out = { name: step.name, kind: step.kind, ok: false };
  try {
    await page.goto(step.page);
    if (step.kind === 'form') {
      Object.assign(out, await submitForm(page, step));
    } else if (step.kind === 'xhr') {
      Object.assign(out, await uploadXhr(page, step));
    } else if (step.kind === 'demo') {
      Object.assign(out, await uploadDemo(page, step));
    } else if (step.kind === 'widget') {
      Object.assign(out, await uploadWidget(page, step));
    } else {
      throw new Error(`unknown step kind ${step.kind}`);
    }
    out.ok = true;
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
    log.push(`[step error] ${out.error}`);
  }
  out.final_url = page.url();
  out.screenshot = join(spec.artifacts, `${step.name}.png`);
  try {
    await page.screenshot({ path: out.screenshot, fullPage: true, timeout: 5000 });
  } catch (e) {
    log.push(`[screenshot failed] ${e}`);
    out.screenshot = null;
  }
  out.console = log;
  out.console_log = join(spec.artifacts, `${step.name}.console.log`);
  writeFileSync(out.console_log, log.join('\n') + '\n');
  out.ms = Date.now() - t0;
  await page.close();
  return out;
}

// Picks the file in the runtime's form and submits it as a user would.
async function submitForm(page, step) {
  const form = page.locator('form');
  const action = await form.getAttribute('action');
  await form.locator('input[type=file]').setInputFiles(step.file);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(action)),
    form.locator('[type=submit]').click(),
  ]);
  await page.waitForLoadState('load');
  return {
    status: response.status(),
    content_type: response.headers()['content-type'] ?? null,
    body: await response.text(),
  };
}

// Picks the file and lets the page upload it with XMLHttpRequest.
async function uploadXhr(page, step) {
  await page.locator('#file').setInputFiles(step.file);
  await page.locator('#upload').click();
  const handle = await page.waitForFunction(() => window.uploadResult);
  return await handle.jsonValue();
}

// Picks the files (step.files, or the one step.file) in the upload demo's
// page (or drops them on the page's drop zone when step.drop), which uploads
// them at once; reports the page's result, what its list of uploads shows
// and the file picker's accept filter.
async function uploadDemo(page, step) {
  if (step.skip_checks) await page.locator('#skip-checks').check();
  const accept = await page.locator('#file').getAttribute('accept');
  const files = step.files ?? [step.file];
  if (step.drop) {
    const dropped = files.map((file) => {
      const name = basename(file);
      const type = MEDIA_TYPES[extname(name).toLowerCase()] ?? '';
      return { name, type, data: readFileSync(file).toString('base64') };
    });
    const transfer = await page.evaluateHandle((dropped) => {
      const transfer = new DataTransfer();
      for (const { data, name, type } of dropped) {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type }));
      }
      return transfer;
    }, dropped);
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: transfer });
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
  } else {
    await page.locator('#file').setInputFiles(files);
  }
  const handle = await page.waitForFunction(() => window.demoResult);
  const uploaded = await page.locator('#uploaded a').evaluateAll(
    (links) => links.map((a) => ({ text: a.textContent, href: a.href })));
  return { accept, uploaded, ...(await handle.jsonValue()) };
}

// Gives the files to the widget at once, as a multiple-file pick; reports
// the page's outcomes, the widget's text and the labels of its controls
// (Uppy's Dashboard keeps a file's error on its "?" button's label).
async function uploadWidget(page, step) {
  if (step.skip_checks) await page.locator('#skip-checks').check();
  await page.locator(step.input).first().setInputFiles(step.files);
  const handle = await page.waitForFunction(() => window.widgetResult);
  const result = await handle.jsonValue();
  // The widget's last state, once its finite animations (progress bars,
  // marks) have ended: what is read and shot.
  await page.waitForFunction(() => document.getAnimations()
    .every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity));
  const shown = await page.evaluate(() => {
    const widget = document.getElementById('widget');
    return {
      widget_text: widget.innerText,
      widget_labels: [...widget.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label')),
      outcomes_text: document.getElementById('outcomes').innerText,
    };
  });
  return { ...result, ...shown };
}
