// Sending a photo, clip or voice note: upload with tus (progress in the bubble), then msg.send with the attachment
// id. Each send is kept in IndexedDB until its message is sent or refused, so a reload resumes it where the server
// got to; the client_key makes the final msg.send safe to repeat.

import { el, newClientKey } from './util.js';
import { conv, addMessage } from './store.js';
import { tusUpload, tusTerminate, uploadIdOf, UploadError } from './tus.js';
import { queuePut, queueSetUrl, queueDelete, queueList } from './upload-queue.js';
import { t } from './i18n.js';
import { mediaIcon } from './media-icons.js';

let ctx = null;              // {conn, store: () => store, rerender}
const running = new Map();   // client_key -> AbortController of an upload in progress

/** Wire once. conn: the Conn; getStore(): the current store; rerender(): redraw the open view. */
export function initMediaSend(conn, getStore, rerender) {
  ctx = { conn, getStore, rerender };
  // The log's own buttons for media sends (kept apart from the text sends' data-retry).
  document.querySelector('#chat-log').addEventListener('click', (ev) => {
    const retry = ev.target.closest('[data-media-retry]');
    if (retry) retrySend(retry.dataset.mediaRetry);
    const cancel = ev.target.closest('[data-media-cancel]');
    if (cancel) cancelSend(cancel.dataset.mediaCancel);
  });
  window.addEventListener('online', () => resumeSends());
  conn.addEventListener('event', (e) => onHeld(e.detail));
}

/** The kind a picked file is sent as; the server decides the real type from the content. */
export function kindOf(file) {
  const type = String(file.type || '');
  if (type.startsWith('video/')) return 'video_clip';
  if (type.startsWith('audio/')) return 'voice_note';
  if (type.startsWith('image/')) return 'photo';
  if (/\.(mp4|webm|mov|m4v)$/i.test(file.name || '')) return 'video_clip';
  if (/\.(ogg|opus|oga|weba)$/i.test(file.name || '')) return 'voice_note';
  return 'photo';
}

/** Start sending blob as kind to agreement aid, with an optional caption. */
export async function sendMedia(aid, blob, kind, caption = '') {
  const store = ctx.getStore();
  const rec = {
    key: newClientKey(), account: store.me.id, aid, kind, blob, caption,
    name: blob.name || '', url: null, created: Date.now(),
  };
  pendingOf(rec); // the bubble shows at once; the copy for resuming is kept meanwhile
  redraw(aid);
  await queuePut(rec);
  run(rec);
}

/** Sends left unfinished (reload, closed tab, lost connection): go on with them. */
export async function resumeSends() {
  const store = ctx && ctx.getStore();
  if (!store || !store.me) return;
  for (const rec of await queueList(store.me.id)) {
    const p = conv(store, rec.aid).pending.find((x) => x.key === rec.key);
    if (running.has(rec.key) || (p && p.state !== 'failed')) continue;
    run(rec);
  }
}

function pendingOf(rec) {
  const c = conv(ctx.getStore(), rec.aid);
  let p = c.pending.find((x) => x.key === rec.key);
  if (!p) {
    p = { key: rec.key, text: rec.caption || '', state: 'uploading', error: null, media: null };
    c.pending.push(p);
  }
  if (!p.media) {
    p.media = { rec, kind: rec.kind, sent: 0, total: rec.blob.size, preview: null };
    if (rec.kind === 'photo' || rec.kind === 'profile_photo') p.media.preview = URL.createObjectURL(rec.blob);
  }
  return p;
}

function redraw(aid) {
  const store = ctx.getStore();
  if (store.openId === aid) ctx.rerender();
}

/** Move the progress bar of one send in place (no re-render per chunk). */
function showProgress(key, sent, total) {
  const bar = document.querySelector(`[data-upload-key="${CSS.escape(key)}"] progress`);
  if (bar) {
    bar.max = total || 1;
    bar.value = sent;
  }
}

async function run(rec) {
  const p = pendingOf(rec);
  const abort = new AbortController();
  running.set(rec.key, abort);
  p.state = 'uploading';
  p.error = null;
  redraw(rec.aid);
  try {
    const url = await tusUpload(rec.blob, {
      token: ctx.conn.token,
      url: rec.url,
      metadata: { kind: rec.kind, agreement_id: rec.aid, filename: rec.name },
      signal: abort.signal,
      onCreated: (u) => { rec.url = u; queueSetUrl(rec.key, u); },
      onProgress: (sent, total) => { p.media.sent = sent; p.media.total = total; showProgress(rec.key, sent, total); },
    });
    p.state = 'sending';
    redraw(rec.aid);
    await send(rec, p, uploadIdOf(url));
  } catch (err) {
    failed(rec, p, err);
  } finally {
    running.delete(rec.key);
  }
  redraw(rec.aid);
}

async function send(rec, p, attachmentId) {
  const params = { agreement_id: rec.aid, client_key: rec.key, attachment_id: attachmentId };
  if (rec.caption) params.text = rec.caption;
  const r = await ctx.conn.request('msg.send', params);
  const store = ctx.getStore();
  const c = conv(store, rec.aid);
  queueDelete(rec.key);
  if (r.held) {
    p.state = 'held'; // a grown-up checks it first; it arrives as a normal message once approved
    p.holdId = r.hold_id;
    p.note = r.decision && r.decision.message;
    return;
  }
  c.pending = c.pending.filter((x) => x !== p);
  const attachment = r.attachment || {
    id: attachmentId, kind: rec.kind, url: `/media/${attachmentId}`,
    thumb: rec.kind === 'photo' ? `/media/${attachmentId}/thumb` : undefined,
    poster: rec.kind === 'video_clip' ? `/media/${attachmentId}/poster` : undefined,
  };
  addMessage(store, {
    agreement_id: rec.aid, seq: r.seq, from: store.me.id, text: rec.caption || '', sent_at: r.sent_at, attachment,
  });
  if (p.media.preview) URL.revokeObjectURL(p.media.preview);
}

/** Words for a refusal: the server's message (in the account's language), else a plain one of ours. */
function messageFor(err) {
  const fromServer = err.message && err.message !== err.code && err.message !== 'network';
  if (fromServer) return err.message;
  if (err.code === 'offline') return t('media.error.offline');
  if (err.code === 'upload_busy') return t('media.error.upload_busy');
  return t('media.error.other');
}

function failed(rec, p, err) {
  if (err.code === 'aborted') return;
  const again = err.code === 'offline' || err.code === 'store_unavailable' || err.code === 'internal'
    || err.code === 'upload_busy' || (err instanceof UploadError && err.status >= 500 && err.status !== 507);
  p.state = 'failed';
  p.error = { code: err.code || 'internal', message: messageFor(err), again };
  if (!again) queueDelete(rec.key); // refused for good (type, size, rules): nothing to resume
  const store = ctx.getStore();
  const contact = store.contacts.get(rec.aid);
  if (contact && err.decision) conv(store, rec.aid).notice = err;
}

function retrySend(key) {
  const store = ctx.getStore();
  const p = store.openId !== null && conv(store, store.openId).pending.find((x) => x.key === key);
  if (p && p.media && !running.has(key)) run(p.media.rec);
}

function cancelSend(key) {
  const store = ctx.getStore();
  if (store.openId === null) return;
  const c = conv(store, store.openId);
  const p = c.pending.find((x) => x.key === key);
  if (!p || !p.media) return;
  const abort = running.get(key);
  if (abort) abort.abort();
  if (p.media.rec.url) tusTerminate(p.media.rec.url, ctx.conn.token);
  queueDelete(key);
  if (p.media.preview) URL.revokeObjectURL(p.media.preview);
  c.pending = c.pending.filter((x) => x !== p);
  ctx.rerender();
}

/** A supervisor decided on a held media send: a rejection keeps the bubble with the reason given. */
function onHeld({ event, data }) {
  if (event !== 'held' || !data) return;
  const store = ctx.getStore();
  const p = conv(store, data.agreement_id).pending.find((x) => x.holdId === data.hold_id && x.media);
  if (p && data.state !== 'released') {
    p.state = 'rejected';
    p.note = data.reason || data.message || '';
    redraw(data.agreement_id);
  }
}

/** The signature of a media send's bubble (it is rebuilt only when this changes). */
export function pendingMediaSig(p) {
  return `${p.state}:${p.error ? p.error.code : ''}:${p.note || ''}`;
}

/** The bubble of a media send in progress, held, refused or rejected. */
export function pendingMediaBubble(p) {
  const m = p.media;
  const picture = m.preview
    ? el('img', { class: 'media-img media-preview', src: m.preview, alt: '' })
    : el('span', { class: `media-placeholder media-kind-${m.kind}` }, mediaIcon(m.kind === 'voice_note' ? 'mic' : 'video'));
  const words = {
    uploading: t('media.state.uploading'),
    sending: t('media.state.sending'),
    held: p.note || t('media.state.held'),
    rejected: p.note ? t('media.state.rejected_reason', { reason: p.note }) : t('media.state.rejected'),
    failed: (p.error && p.error.message) || t('media.error.other'),
  };
  const progress = p.state === 'uploading'
    ? el('progress', { class: 'media-progress', max: m.total || 1, value: m.sent, 'aria-label': t('media.state.uploading') })
    : null;
  const buttons = [];
  if (p.state === 'failed' && p.error && p.error.again) {
    buttons.push(el('button', { type: 'button', class: 'link-button', 'data-media-retry': p.key, 'data-testid': 'media-retry' },
      t('media.retry')));
  }
  if (p.state === 'uploading' || p.state === 'failed') {
    buttons.push(el('button', { type: 'button', class: 'link-button', 'data-media-cancel': p.key, 'data-testid': 'media-cancel' },
      t('media.cancel')));
  }
  const cls = { held: 'held', rejected: 'failed', failed: 'failed', uploading: 'sending', sending: 'sending' }[p.state];
  return el('li', {
    class: `bubble mine media-bubble ${cls}`, 'data-testid': 'bubble', 'data-pending': p.state, 'data-key': p.key,
    'data-mine': 'yes', 'data-upload-key': p.key, 'data-kind': m.kind,
  },
  el('div', { class: 'media' }, picture),
  p.text ? el('span', { class: 'bubble-text' }, p.text) : null,
  progress,
  el('span', { class: 'bubble-meta', 'data-testid': 'media-state' }, words[p.state] || '', ...buttons));
}
