// The AWS SDK for JavaScript's side of tests/tests/frontends.rs.
//
//   node js_sdk.mjs < spec.json
//
// spec: {"modules": DIR holding node_modules, "sign": [...], "upload": [...]}
//
// - sign: createPresignedPost (@aws-sdk/s3-presigned-post) for each
//   {"now", "client": S3Client options, "input": createPresignedPost input},
//   with the clock pinned to `now`. It only signs: no network.
// - upload: for each {"post": "{\"url\": ..., \"fields\": {...}}" (the JSON
//   text a service hands its page), "file": {"name", "type", "text"}}, the
//   upload code of a page written for the JS SDK or boto3, unchanged: every
//   field appended to a FormData in order, the Content-Type, then the file,
//   posted with fetch.
//
// Prints {"signed": [{url, fields}], "uploaded": [{status, body}]}.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(0, 'utf8'));
const require = createRequire(import.meta.url);
const load = (name) => require(require.resolve(name, { paths: [spec.modules] }));
const { S3Client } = load('@aws-sdk/client-s3');
const { createPresignedPost } = load('@aws-sdk/s3-presigned-post');

/** Runs `f` with `new Date()` and `Date.now()` at `iso`. */
async function at(iso, f) {
  const fixed = Date.parse(iso);
  const RealDate = globalThis.Date;
  globalThis.Date = class extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [fixed]));
    }
    static now() {
      return fixed;
    }
  };
  try {
    return await f();
  } finally {
    globalThis.Date = RealDate;
  }
}

/** A page's upload code, as the JS SDK's and boto3's guides write it. */
async function upload({ url, fields }, file) {
  const form = new FormData();
  Object.entries(fields).forEach(([name, value]) => form.append(name, value));
  form.append('Content-Type', file.type);
  form.append('file', new Blob([file.text], { type: file.type }), file.name);
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}

const signed = [];
for (const { now, client, input } of spec.sign ?? []) {
  const s3 = new S3Client(client);
  signed.push(await at(now, () => createPresignedPost(s3, input)));
}
const uploaded = [];
for (const { post, file } of spec.upload ?? []) {
  uploaded.push(await upload(JSON.parse(post), file));
}
process.stdout.write(JSON.stringify({ signed, uploaded }));
