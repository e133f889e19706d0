// The gallery of one contact: every photo and clip either side sent, newest first, as big tiles; a tap opens it
// full screen. It reads older history pages until it has them all (or a sane number of pages).

import { el } from './util.js';
import { t } from './i18n.js';
import { mediaIcon } from './media-icons.js';
import { conv, addHistory, sortedMessages, isMine } from './store.js';
import { openViewer } from './media-view.js';
import { loadWhenReady } from './media-cookie.js';

const MAX_PAGES = 40;  // 2,000 messages back: enough for a gallery, bounded for a slow phone
let ctx = null;        // {conn, getStore}
let box = null;

/** Wire once: the gallery button goes into the chat header. */
export function initGallery(conn, getStore) {
  ctx = { conn, getStore };
  const button = el('button', {
    type: 'button', id: 'chat-gallery', class: 'gallery-button', 'data-testid': 'chat-gallery',
    'aria-label': t('media.gallery.open'), onclick: () => openGallery(getStore().openId),
  }, mediaIcon('image'));
  const header = document.querySelector('.chat-header');
  header.insertBefore(button, document.querySelector('#chat-call'));
}

/** Show the gallery button only where there is a media channel (or already media in the chat). */
export function renderGalleryButton(contact) {
  const button = document.querySelector('#chat-gallery');
  if (!button) return;
  const ch = (contact && contact.channels) || {};
  button.hidden = !['photo', 'video_clip'].some((k) => ch[k] && ch[k] !== 'off');
}

async function loadAll(aid) {
  const store = ctx.getStore();
  const c = conv(store, aid);
  for (let page = 0; page < MAX_PAGES && c.more !== false; page++) {
    const params = { agreement_id: aid, limit: 50 };
    if (c.msgs.size) params.before = Math.min(...c.msgs.keys());
    const result = await ctx.conn.request('msg.history', params);
    addHistory(store, aid, result.messages, result.more, c.msgs.size > 0);
    c.more = !!result.more;
    if (!result.messages || !result.messages.length) break;
  }
}

function tile(store, m, onOpen) {
  const att = m.attachment;
  const img = el('img', { class: 'gallery-img', alt: '', loading: 'lazy', 'data-testid': 'gallery-img' });
  const src = att.kind === 'video_clip' ? att.poster : (att.thumb || att.url);
  if (src) loadWhenReady(img, 'src', src);
  const who = isMine(store, m) ? 'me' : 'them';
  const label = att.kind === 'video_clip' ? t('media.gallery.clip', { who }) : t('media.gallery.photo', { who });
  return el('li', {},
    el('button', {
      type: 'button', class: `gallery-tile media-kind-${att.kind}`, 'data-testid': 'gallery-tile',
      'data-kind': att.kind, 'aria-label': label, onclick: () => onOpen(att),
    }, img, att.kind === 'video_clip' ? el('span', { class: 'gallery-play' }, mediaIcon('play')) : null));
}

function render(aid, status) {
  const store = ctx.getStore();
  const items = sortedMessages(store, aid)
    .filter((m) => m.attachment && !m.attachment.expired
      && (m.attachment.kind === 'photo' || m.attachment.kind === 'video_clip'))
    .reverse();
  const grid = box.querySelector('.gallery-grid');
  grid.replaceChildren(...items.map((m) => tile(store, m, openViewer)));
  const note = box.querySelector('.gallery-note');
  note.textContent = status || (items.length ? '' : t('media.gallery.empty'));
  note.hidden = !note.textContent;
}

/** Open the gallery of agreement aid (over the chat). */
export async function openGallery(aid) {
  if (aid === null || aid === undefined) return;
  if (box) box.remove();
  const back = document.activeElement;
  const close = () => { box.remove(); box = null; if (back) back.focus(); };
  const closeButton = el('button', { type: 'button', class: 'big-button', 'data-testid': 'gallery-close', onclick: close },
    t('media.close'));
  box = el('div', {
    class: 'media-gallery', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'gallery-title',
    'data-testid': 'gallery',
  },
  el('h1', { id: 'gallery-title' }, t('media.gallery.title')),
  el('p', { class: 'gallery-note', role: 'status', 'data-testid': 'gallery-note' }),
  el('ul', { class: 'gallery-grid', 'data-testid': 'gallery-grid' }),
  closeButton);
  box.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !document.querySelector('.media-viewer')) close(); });
  document.body.append(box);
  closeButton.focus();
  render(aid, t('media.gallery.loading'));
  try {
    await loadAll(aid);
    if (box) render(aid, '');
  } catch (err) {
    if (box) render(aid, err.message || t('media.error.other'));
  }
}
