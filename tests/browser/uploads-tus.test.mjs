// uploads-tus.test.mjs: the npm tus-js-client (Node) against the real server's /files/ (tus 1.0): a photo sent in
// 64 KB chunks, the connection cut in the middle (abort), then a new client given the upload's URL resumes from the
// server's offset (not from zero) and finishes; the processed photo downloads as a JPEG; a clean upload in one go too.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

import { createScenario } from './lib/scenario.mjs';
import { expect } from './lib/harness.mjs';

const sc = createScenario(import.meta.url, { label: 'uploads-tus', tmpPrefix: 'samvaer-tus-', watchdogMs: 240000, loopback: false });
const { runner, tmp: dir } = sc;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return r.stdout;
}

/** Start a tus upload of buf; resolves with {url, firstOffset, chunks} or rejects with the client's error. */
function send(endpoint, token, agreement, buf, { uploadUrl = null, onChunk = null } = {}) {
  return new Promise((resolve, reject) => {
    let firstOffset = null;
    let chunks = 0;
    const up = new tus.Upload(buf, {
      endpoint,
      uploadUrl,
      chunkSize: 64 * 1024,
      retryDelays: [],
      headers: { Authorization: `Bearer ${token}` },
      metadata: { kind: 'photo', agreement_id: String(agreement), filename: 'garden.jpg' },
      onProgress(sent) {
        if (firstOffset === null) firstOffset = sent;
      },
      onChunkComplete(size, accepted) {
        chunks += 1;
        if (onChunk) onChunk(up, accepted);
      },
      onSuccess() { resolve({ url: up.url, firstOffset, chunks }); },
      onError(err) { reject(err); },
    });
    up.start();
  });
}

await sc.run(async () => {
  const data = sc.data;
  sc.admin(['init']);
  sc.admin(['bench-seed', '2', '--tokens', path.join(dir, 'tokens')]);
  const [, contactLine] = fs.readFileSync(path.join(dir, 'tokens'), 'utf8').trim().split('\n');
  const [token, agreement] = contactLine.split(' ');
  run('sqlite3', [path.join(data, 'samvaer.db'), `UPDATE agreements SET ch_photo='allowed' WHERE id=${agreement}`]);
  const jpg = path.join(dir, 'garden.jpg');
  run('convert', ['-size', '1200x900', 'xc:', '+noise', 'Random', '-quality', '95', jpg]);
  const photo = fs.readFileSync(jpg);
  const server = await sc.startServer({ quiet: true });
  const endpoint = `${server.url}/files/`;

  let firstUrl = null;
  await runner.check('an upload cut in the middle stops with bytes on the server', async () => {
    expect(photo.length > 8 * 64 * 1024, `the photo spans many chunks (${photo.length} bytes)`);
    const cut = send(endpoint, token, agreement, photo, {
      onChunk(up, accepted) {
        if (accepted >= 3 * 64 * 1024 && !firstUrl) {
          firstUrl = up.url;
          up.abort(); // drops the connection: what a train tunnel does
        }
      },
    });
    const outcome = await Promise.race([cut.then(() => 'finished'), new Promise((r) => setTimeout(() => r('stopped'), 1500))]);
    expect(outcome === 'stopped', 'the aborted upload did not finish');
    expect(firstUrl && /\/files\/[A-Za-z0-9_-]{22}$/.test(firstUrl), `an upload URL: ${firstUrl}`);
    const head = await fetch(firstUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${token}` } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(head.status === 200 && offset >= 3 * 64 * 1024 && offset < photo.length, `HEAD offset ${offset} of ${photo.length}`);
  });

  await runner.check('a new client resumes from the server offset and finishes', async () => {
    const r = await send(endpoint, token, agreement, photo, { uploadUrl: firstUrl });
    expect(r.url === firstUrl, `the same upload (${r.url})`);
    expect(r.firstOffset >= 3 * 64 * 1024, `resumed at ${r.firstOffset}, not 0`);
    expect(r.chunks < Math.ceil(photo.length / 65536), `only the rest was sent (${r.chunks} chunks)`);
    const id = firstUrl.split('/').pop();
    const res = await fetch(`${server.url}/media/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status === 200 && res.headers.get('content-type') === 'image/jpeg', `GET /media: ${res.status}`);
    expect(body[0] === 0xff && body[1] === 0xd8, 'a JPEG');
    expect(/upload .*: ready/.test(server.log()), 'the server processed it');
  });

  await runner.check('a second upload goes through in one run', async () => {
    const r = await send(endpoint, token, agreement, photo);
    expect(r.url && r.url !== firstUrl && r.firstOffset !== null, `a new upload ${r.url}`);
  });

  await runner.check('a refused upload reports the server error code', async () => {
    let err = null;
    try {
      await send(endpoint, '0'.repeat(64), agreement, photo);
    } catch (e) {
      err = e;
    }
    expect(err && err.originalResponse && err.originalResponse.getStatus() === 401, `401 for a wrong token: ${err}`);
    expect(/unauthenticated/.test(err.originalResponse.getBody()), 'the JSON error code');
  });
});
