// tus 1.0 client (core, creation, termination) for the family app: sends a Blob in PATCH chunks with progress, and
// survives a village connection: a dropped request asks the server where it got to (HEAD) and goes on from there;
// an upload the server no longer knows (restart, expiry: 404) starts again; one it refused (410) stays refused. The upload URL is handed to the
// caller as soon as it exists, so a reloaded page can resume it (see upload-queue.js).

const TUS = '1.0.0';
const CHUNK = 1024 * 1024;              // bytes per PATCH: small enough to lose little when a request drops
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

/** A refusal the user should see (code from the server's JSON, or 'offline' after too many retries). */
export class UploadError extends Error {
  constructor(code, message, status = 0, retryAfter = 0) {
    super(message || code);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The upload id (= attachment id) is the last path segment of the upload URL. */
export function uploadIdOf(url) {
  return new URL(url, location.href).pathname.split('/').filter(Boolean).pop();
}

function b64(text) {
  const bytes = new TextEncoder().encode(String(text));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Upload-Metadata: "key base64value,key base64value" (tus 1.0 creation). */
export function encodeMetadata(meta) {
  return Object.entries(meta)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');
}

/**
 * One HTTP exchange through XMLHttpRequest (fetch cannot report upload progress). Resolves with
 * {status, headers(name), body} for any HTTP answer; rejects only when no answer came (network).
 */
function exchange(method, url, { headers = {}, body = null, onProgress = null, signal = null } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onProgress && xhr.upload) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({
      status: xhr.status, headers: (name) => xhr.getResponseHeader(name), body: xhr.responseText,
    });
    xhr.onerror = () => reject(new UploadError('offline', 'network'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new UploadError('aborted', 'aborted'));
    if (signal) {
      if (signal.aborted) { reject(new UploadError('aborted', 'aborted')); return; }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });
}

/** The server's JSON refusal {error, message} as an UploadError. */
function refusal(res) {
  let code = `http_${res.status}`;
  let message = '';
  try {
    const j = JSON.parse(res.body);
    if (j && typeof j.error === 'string') code = j.error;
    if (j && typeof j.message === 'string') message = j.message;
  } catch (e) { /* not JSON */ }
  const retryAfter = Number(res.headers('Retry-After')) || 0;
  return new UploadError(code, message, res.status, retryAfter);
}

// No answer, a conflict on the offset, busy, or a server error worth another go (not 501/507: no room, no support).
const retryable = (status) => status === 0 || status === 409 || status === 423 || status === 429
  || (status >= 500 && status !== 501 && status !== 507);
const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(new UploadError('aborted', 'aborted')); }, { once: true });
});

/**
 * Upload blob with tus. opts: endpoint ('/files/'), token (Bearer), metadata {kind, agreement_id, ...},
 * url (a known upload URL to resume), onCreated(url), onProgress(sentBytes, totalBytes), signal (AbortSignal),
 * chunkSize, onRetry(error, attempt). Resolves with the upload URL once the server accepted the last byte (and,
 * by the contract, processed it); rejects with UploadError for a refusal, or 'offline' when retries run out.
 */
export async function tusUpload(blob, opts) {
  const up = {
    endpoint: opts.endpoint || '/files/',
    token: opts.token,
    chunk: opts.chunkSize || CHUNK,
    url: opts.url || null,
    offset: 0,
    opts,
  };
  let attempt = 0;
  for (;;) {
    try {
      if (up.url) up.offset = await currentOffset(up);
      if (!up.url) await create(up, blob);
      while (up.offset < blob.size) {
        up.offset = await patch(up, blob);
        attempt = 0; // progress made: a later drop starts its backoff afresh
      }
      if (blob.size === 0) await patch(up, blob);
      return up.url;
    } catch (err) {
      if (err.code === 'aborted' || !(err.status === 0 || retryable(err.status))) throw err;
      if (attempt >= BACKOFF_MS.length) throw new UploadError('offline', err.message, err.status);
      if (opts.onRetry) opts.onRetry(err, attempt);
      const wait = err.retryAfter ? err.retryAfter * 1000 : BACKOFF_MS[attempt];
      attempt += 1;
      await sleep(wait, opts.signal);
    }
  }
}

function authHeaders(up, extra = {}) {
  return { 'Tus-Resumable': TUS, Authorization: `Bearer ${up.token}`, ...extra };
}

/** HEAD: where the server got to. A forgotten upload (404: restart, expiry) clears the URL so it is created again;
 * 410 is an upload the server refused (type, size...): that is final. */
async function currentOffset(up) {
  const res = await exchange('HEAD', up.url, { headers: authHeaders(up), signal: up.opts.signal });
  if (res.status === 404) {
    up.url = null;
    if (up.opts.onCreated) up.opts.onCreated(null);
    return 0;
  }
  if (res.status < 200 || res.status >= 300) throw refusal(res);
  const offset = Number(res.headers('Upload-Offset'));
  if (!Number.isFinite(offset) || offset < 0) throw new UploadError('bad_offset', 'bad Upload-Offset', 0);
  return offset;
}

/** POST the creation request; the Location header names the new upload. */
async function create(up, blob) {
  const headers = authHeaders(up, {
    'Upload-Length': String(blob.size),
    'Upload-Metadata': encodeMetadata(up.opts.metadata || {}),
  });
  const res = await exchange('POST', up.endpoint, { headers, signal: up.opts.signal });
  if (res.status !== 201) throw refusal(res);
  const location = res.headers('Location');
  if (!location) throw new UploadError('bad_location', 'no Location', 0);
  up.url = new URL(location, new URL(up.endpoint, window.location.href)).href;
  up.offset = 0;
  if (up.opts.onCreated) up.opts.onCreated(up.url);
}

/** PATCH one chunk from up.offset; resolves with the server's new offset. */
async function patch(up, blob) {
  const start = up.offset;
  const end = Math.min(blob.size, start + up.chunk);
  const headers = authHeaders(up, {
    'Upload-Offset': String(start),
    'Content-Type': 'application/offset+octet-stream',
  });
  const onProgress = up.opts.onProgress ? (n) => up.opts.onProgress(start + n, blob.size) : null;
  const res = await exchange('PATCH', up.url, {
    headers, body: blob.slice(start, end), onProgress, signal: up.opts.signal,
  });
  if (res.status === 404) {
    up.url = null; // the server forgot it (restart): start again from the first byte
    if (up.opts.onCreated) up.opts.onCreated(null);
    throw new UploadError('upload_gone', 'gone', 503);
  }
  if (res.status !== 204) throw refusal(res);
  const offset = Number(res.headers('Upload-Offset'));
  if (up.opts.onProgress) up.opts.onProgress(offset, blob.size);
  return Number.isFinite(offset) ? offset : end;
}

/** tus termination: the server drops the upload and frees its slot. Best effort. */
export async function tusTerminate(url, token) {
  try {
    await exchange('DELETE', url, { headers: { 'Tus-Resumable': TUS, Authorization: `Bearer ${token}` } });
  } catch (e) { /* offline: the server's expiry frees it */ }
}
