// What the widget pages share: the rules of the service's post_policy!
// declaration (RULES, injected into each page), sizes in words, S3's
// refusals in words, and the list of outcomes beside the widget. When every
// file added has an outcome, window.widgetResult holds them (for the
// browser test).
'use strict';

const $ = (id) => document.getElementById(id);

// 5000000 -> "5 MB", 784123 -> "784.1 kB", 12 -> "12 bytes" (S3 counts
// bytes; 1 MB = 1,000,000 bytes).
function humanSize(bytes) {
  const units = ['kB', 'MB', 'GB'];
  if (bytes < 1000) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes;
  let unit = '';
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${Number(value.toFixed(1))} ${unit}`;
}

// A file's size in words, exact where rounding would hide that it is over
// or under a limit: "5 MB (5,000,001 bytes)".
function fileSize(bytes) {
  const words = humanSize(bytes);
  const limits = [RULES.min, RULES.max].map(humanSize);
  return limits.includes(words) && bytes !== RULES.min && bytes !== RULES.max
    ? `${words} (${bytes.toLocaleString('en')} bytes)`
    : words;
}

// The store's refusal in words, from the Code and Message of its XML error.
function s3Refusal(status, body) {
  const doc = new DOMParser().parseFromString(body || '', 'application/xml');
  const text = (tag) => doc.getElementsByTagName(tag)[0]?.textContent || '';
  const code = text('Code') || (status ? `HTTP ${status}` : 'no answer (network or CORS error)');
  const message = text('Message');
  return { status, code, message, words: `Refused by the store: ${code}${message ? ` (${message})` : ''}` };
}

// The text of a PostResponse element (201's XML body).
function postResponse(body, tag) {
  const doc = new DOMParser().parseFromString(body || '', 'application/xml');
  return doc.getElementsByTagName(tag)[0]?.textContent || '';
}

// A freshly signed {"url", "fields"} from the service, one per file.
async function signedForm() {
  const reply = await fetch('/uploads/new');
  if (!reply.ok) throw new Error(`the service did not sign a form: ${reply.status} ${await reply.text()}`);
  return reply.json();
}

// What the page says about the rules, and its own checks.
$('rules').textContent =
  `Images (${RULES.type_prefix}*) of ${humanSize(RULES.min)} to ${humanSize(RULES.max)}, several at once.`;
const skipChecks = () => $('skip-checks').checked;

// The page's own check of a file against the rules, in words; null when it
// passes or the checks are skipped.
function pageCheck(file) {
  if (skipChecks()) return null;
  if (file.size < RULES.min || file.size > RULES.max) {
    return `Not sent: files of ${humanSize(RULES.min)} to ${humanSize(RULES.max)} are allowed`;
  }
  if (!(file.type || '').startsWith(RULES.type_prefix)) {
    return `Not sent: only ${RULES.type_prefix}* is allowed, not ${file.type || 'a file of unknown type'}`;
  }
  return null;
}

// Outcomes by file name: {outcome: "stored" | "refused" | "rejected",
// words, progress: [percent, ...], key, status, code}.
const outcomes = new Map();
let expected = 0;

function added(file) {
  expected += 1;
  outcomes.set(file.name, { name: file.name, size: file.size, type: file.type, progress: [] });
}

function progressed(name, percent) {
  const entry = outcomes.get(name);
  if (entry && entry.progress.at(-1) !== percent) entry.progress.push(percent);
}

// Records a file's outcome and lists it under "What happened".
function settled(name, outcome) {
  const entry = Object.assign(outcomes.get(name) || { name, progress: [] }, outcome);
  outcomes.set(name, entry);
  const item = document.createElement('li');
  item.className = entry.outcome;
  const title = document.createElement('strong');
  title.textContent = entry.name;
  item.append(title, `, ${fileSize(entry.size)}: ${entry.words}`);
  $('outcomes').append(item);
  $('nothing-yet').hidden = true;
  const done = [...outcomes.values()].filter((e) => e.outcome);
  if (done.length === expected) {
    window.widgetResult = { files: Object.fromEntries(done.map((e) => [e.name, e])) };
  }
}
