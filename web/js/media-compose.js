// The "+" in the chat's send box: a sheet of four big choices (take a photo, film a clip, pick from the gallery,
// record a voice note), then a preview with Send before anything leaves the phone. Only the channels the agreement
// has (not "off") are offered.

import { el } from './util.js';
import { t } from './i18n.js';
import { mediaIcon } from './media-icons.js';
import { kindOf, sendMedia } from './media-send.js';
import { openRecorder } from './voice-rec.js';

const $ = (sel) => document.querySelector(sel);
let getContact = () => null;  // the open chat's contacts.list entry
let getAid = () => null;      // the open chat's agreement id
let sheet = null;

function fileInput(testid, accept, capture) {
  const input = el('input', {
    type: 'file', accept, capture: capture || null, class: 'visually-hidden', tabindex: '-1',
    'aria-hidden': 'true', 'data-testid': testid,
  });
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    input.value = '';
    closeSheet();
    if (file) preview(file, kindOf(file));
  });
  return input;
}

/** Wire once: the attach button goes into the send box, the sheet and file inputs into the page. */
export function initCompose(contactOf, openAid) {
  getContact = contactOf;
  getAid = openAid;
  const inputs = {
    camera: fileInput('media-input-camera', 'image/*', 'environment'),
    video: fileInput('media-input-video', 'video/*', 'environment'),
    gallery: fileInput('media-input-gallery', 'image/*,video/*'),
  };
  const choice = (id, picture, words, onclick) => el('button', {
    type: 'button', class: 'sheet-choice', 'data-testid': `media-${id}`, 'data-choice': id, onclick,
  }, mediaIcon(picture), el('span', {}, words));
  sheet = el('div', {
    class: 'media-sheet', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('media.attach'),
    'data-testid': 'media-sheet', hidden: true,
  },
  el('div', { class: 'sheet-grid' },
    choice('camera', 'camera', t('media.choice.photo'), () => inputs.camera.click()),
    choice('video', 'video', t('media.choice.video'), () => inputs.video.click()),
    choice('gallery', 'image', t('media.choice.gallery'), () => inputs.gallery.click()),
    choice('voice', 'mic', t('media.choice.voice'), () => { closeSheet(); openRecorder(send); })),
  el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'media-sheet-close', onclick: closeSheet },
    t('media.cancel')),
  ...Object.values(inputs));
  document.body.append(sheet);
  const attach = el('button', {
    type: 'button', id: 'chat-attach', class: 'attach-button', 'data-testid': 'chat-attach',
    'aria-label': t('media.attach'), onclick: openSheet,
  }, mediaIcon('plus'));
  $('#chat-form').prepend(attach);
  sheet.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeSheet(); });
}

/** Which media channels the open contact has, for the sheet and the attach button. */
function allowed(contact) {
  const ch = (contact && contact.channels) || {};
  const on = (name) => ch[name] && ch[name] !== 'off';
  return { photo: on('photo'), video_clip: on('video_clip'), voice_note: on('voice_note') };
}

/** Show or hide the attach button for the open chat (called on each chat render). */
export function renderAttach(contact) {
  const button = $('#chat-attach');
  if (!button) return;
  const a = allowed(contact);
  const active = contact && contact.status === 'active';
  button.hidden = !active || !(a.photo || a.video_clip || a.voice_note);
}

function openSheet() {
  const a = allowed(getContact());
  for (const b of sheet.querySelectorAll('[data-choice]')) {
    const need = { camera: a.photo, video: a.video_clip, gallery: a.photo || a.video_clip, voice: a.voice_note };
    b.hidden = !need[b.dataset.choice];
  }
  const gallery = sheet.querySelector('[data-testid="media-input-gallery"]');
  gallery.accept = [a.photo ? 'image/*' : '', a.video_clip ? 'video/*' : ''].filter(Boolean).join(',');
  sheet.hidden = false;
  const first = sheet.querySelector('[data-choice]:not([hidden])');
  if (first) first.focus();
}

function closeSheet() {
  if (sheet) sheet.hidden = true;
}

function send(blob, kind, caption) {
  const aid = getAid();
  if (aid !== null) sendMedia(aid, blob, kind, caption);
}

/** Look before sending: the picture or clip, an optional caption, Send and Cancel (both big). */
export function preview(file, kind) {
  const url = URL.createObjectURL(file);
  const media = kind === 'video_clip'
    ? el('video', { class: 'preview-media', src: url, controls: true, playsinline: true, muted: true })
    : el('img', { class: 'preview-media', src: url, alt: '' });
  const caption = el('input', {
    class: 'preview-caption', maxlength: '2000', 'data-testid': 'media-caption', 'aria-label': t('media.caption'),
    placeholder: t('media.caption'),
  });
  const close = () => { box.remove(); URL.revokeObjectURL(url); $('#chat-input').focus(); };
  const sendButton = el('button', {
    type: 'button', class: 'big-button send-media', 'data-testid': 'media-send',
    onclick: () => { send(file, kind, caption.value.trim()); close(); },
  }, t('media.send'));
  const box = el('div', {
    class: 'media-viewer media-preview-box', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('media.preview'),
    'data-testid': 'media-preview',
  },
  el('div', { class: 'viewer-body' }, media), caption,
  el('div', { class: 'preview-buttons' },
    el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'media-preview-cancel', onclick: close },
      t('media.cancel')),
    sendButton));
  box.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
  document.body.append(box);
  sendButton.focus();
}
