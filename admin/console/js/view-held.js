// The moderation queue: messages, photos, video clips and voice notes held for review, each with its thumbnail or
// player, approved or rejected with a reason the sender is told (admin API /api/messages/held, docs/ADMIN-API.md).

import * as api from './api.js';
import { el, whenText, who, note, busy, newId } from './dom.js';
import { directory, zoneOf } from './directory.js';
import { t, hasMessage, initI18n } from '/js/i18n.js';
import { mediaSession } from '/js/media-cookie.js';

// i18n-keys: console.held.reason.contact_details console.held.reason.links console.held.reason.word_list
// i18n-keys: console.held.reason.held_for_review console.held.reason.review_before console.held.reason.other
const REASONS = ['contact_details', 'links', 'word_list', 'held_for_review', 'review_before'];
const reasonText = (r) => t(`console.held.reason.${REASONS.includes(r) ? r : 'other'}`);


/** The thumbnail or player of a held attachment. */
function preview(a) {
  if (a.kind === 'photo') {
    return el('a', { href: a.url, target: '_blank', rel: 'noopener', class: 'held-media' },
      el('img', { src: a.thumb || a.url, alt: t('console.held.photo_alt'), 'data-testid': 'held-photo', loading: 'lazy' }));
  }
  if (a.kind === 'video_clip') {
    const attrs = { controls: '', preload: 'metadata', class: 'held-media', 'data-testid': 'held-video',
      'aria-label': t('console.held.video_label') };
    if (a.poster) attrs.poster = a.poster;
    return el('video', attrs, el('source', { src: a.url, type: a.mime }));
  }
  return el('audio', { controls: '', preload: 'metadata', src: a.url, class: 'held-media', 'data-testid': 'held-audio',
    'aria-label': t('console.held.voice_label') });
}

function heldItem(m, dir) {
  const zone = zoneOf(dir, { agreementId: m.agreement_id });
  const out = el('div', { role: 'status' });
  const reasonId = newId('held-reason');
  const reason = el('textarea', { id: reasonId, rows: '2', maxlength: '500', 'data-testid': 'held-reject-reason' });
  const act = (what, button) => busy(button, out, async () => {
    const why = reason.value.trim();
    if (what === 'reject' && !why) {
      out.replaceChildren(note('error', t('console.held.reason_needed'), 'held-reason-needed'));
      reason.focus();
      return;
    }
    await api.post(`/api/messages/held/${m.id}/${what}`, why ? { reason: why } : {});
    const item = button.closest('article');
    item.dataset.state = what === 'release' ? 'released' : 'rejected';
    item.querySelector('.held-decision').replaceWith(note('ok',
      t(what === 'release' ? 'console.held.released' : 'console.held.rejected'), 'held-done'));
  });
  const release = el('button', { type: 'button', class: 'primary-button', 'data-testid': 'held-release' }, t('console.held.approve'));
  const reject = el('button', { type: 'button', class: 'danger-button', 'data-testid': 'held-reject' }, t('console.held.reject'));
  release.addEventListener('click', () => act('release', release));
  reject.addEventListener('click', () => act('reject', reject));
  const att = m.attachment;
  return el('article', { class: 'card inbox-item', 'data-testid': `held-${m.id}`, 'data-agreement-id': m.agreement_id,
    'data-state': 'held', 'data-kind': att ? att.kind : 'text' },
  el('p', { class: 'muted' },
    t('console.held.from_to', { from: who(m.from), to: who(m.to), when: whenText(m.sent_at, zone) }), ' · ',
    el('a', { href: `#/agreement/${m.agreement_id}` }, t('console.held.agreement'))),
  el('p', { 'data-testid': 'held-why' }, t('console.held.why', { reason: reasonText(m.reason) })),
  att ? preview(att) : null,
  m.text ? el('blockquote', { class: 'held-text' }, m.text) : null,
  el('div', { class: 'held-decision no-print' },
    el('label', { for: reasonId }, t('console.held.reason_label')), reason,
    el('p', { class: 'actions' }, release, reject)),
  out);
}

export async function heldView() {
  if (!hasMessage('console.held.title')) await initI18n('/admin/i18n/');
  let items;
  try {
    items = api.listOf(await api.get('/api/messages/held'), 'messages');
  } catch (err) {
    if (err.status === 404) { // no such endpoint on this server (yet)
      return el('section', { class: 'page', 'data-testid': 'held-page' }, el('h1', {}, t('console.held.title')),
        el('p', { class: 'muted', 'data-testid': 'held-unavailable' }, t('console.held.unavailable')));
    }
    throw err;
  }
  if (items.some((m) => m.attachment)) await mediaSession(api.token()); // <img>/<video> cannot send a Bearer token
  const dir = await directory();
  return el('section', { class: 'page', 'data-testid': 'held-page' },
    el('h1', {}, t('console.held.title')),
    items.length ? items.map((m) => heldItem(m, dir)) : el('p', { class: 'muted', 'data-testid': 'held-empty' }, t('console.held.empty')));
}
