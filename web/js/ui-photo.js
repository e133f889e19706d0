// Profile photos: tap your own picture in the top bar to set it; a carer or caseworker sets the photo of the people
// in their care from the devices screen. The upload is a tus `profile_photo` (processed like a shared photo:
// metadata stripped), then profile.set_photo makes it the picture and the server tells everyone who sees that person.

import { el, avatar, photoOf, initialsOf } from './util.js';
import { t } from './i18n.js';
import { tusUpload, uploadIdOf } from './tus.js';

const $ = (sel) => document.querySelector(sel);
let ctx = null; // {conn, getMe(), onMine(account)}

/** Wire once: the top bar's picture becomes a button for the signed-in person's own photo. */
export function initPhoto(conn, getMe, onMine) {
  ctx = { conn, getMe, onMine };
  conn.addEventListener('event', ({ detail }) => { // set on another device, or by a carer
    const who = getMe();
    if (detail.event === 'profile' && who && detail.data.account_id === who.id) onMine(detail.data.photo || null);
  });
  const me = $('#me-avatar');
  me.setAttribute('role', 'button');
  me.setAttribute('tabindex', '0');
  me.setAttribute('data-testid', 'me-photo');
  me.setAttribute('aria-label', t('media.profile.mine'));
  me.classList.add('me-photo');
  const open = () => {
    const who = getMe();
    if (who) openPhoto({ account_id: who.id, display_name: who.display_name, photo: who.photo, self: true });
  };
  me.addEventListener('click', open);
  me.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      open();
    }
  });
}

/** The picture button's name includes what it shows (its visible text must be part of its name): the initials
 * while there is no photo. Call after each new avatar in the top bar. */
export function labelMine(person) {
  const shown = person && !photoOf(person) ? initialsOf(person) : '';
  $('#me-avatar').setAttribute('aria-label', shown ? t('media.profile.mine_initials', { initials: shown }) : t('media.profile.mine'));
}

/** On the devices screen of a carer or caseworker: a "photo" button for each person in their care. */
export async function showPhotoTargets() {
  let section = $('#photo-targets');
  if (!section) {
    section = el('section', { id: 'photo-targets', class: 'photo-targets', 'aria-labelledby': 'photo-targets-title' },
      el('h2', { id: 'photo-targets-title' }, t('media.profile.title')),
      el('ul', { class: 'pair-targets', 'data-testid': 'photo-targets' }));
    $('#pair-targets').after(section);
  }
  const list = section.querySelector('ul');
  try {
    const { people } = await ctx.conn.request('pairing.targets');
    const others = people.filter((p) => !p.self);
    section.hidden = others.length === 0;
    list.replaceChildren(...others.map((p) => el('li', {},
      el('button', {
        type: 'button', class: 'big-button quiet-dark', 'data-testid': `photo-for-${p.username}`,
        onclick: () => openPhoto({ account_id: p.account_id, display_name: p.display_name, photo: p.photo }),
      }, t('media.profile.for', { name: p.display_name })))));
  } catch (err) {
    section.hidden = true;
  }
}

function fileInput(testid, capture, onFile) {
  const input = el('input', {
    type: 'file', accept: 'image/*', capture: capture || null, class: 'visually-hidden', tabindex: '-1',
    'aria-hidden': 'true', 'data-testid': testid,
  });
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (file) onFile(file);
  });
  return input;
}

/** The photo dialog for one person: the picture now, take or pick a new one, look, save. */
export function openPhoto(person) {
  const back = document.activeElement;
  const picture = el('div', { class: 'photo-now', 'data-testid': 'photo-now' }, bigAvatar(person));
  const status = el('p', { class: 'photo-status', role: 'status', 'data-testid': 'photo-status' });
  const progress = el('progress', { class: 'media-progress', max: 1, value: 0, hidden: true });
  const save = el('button', { type: 'button', class: 'big-button send-media', 'data-testid': 'photo-save', hidden: true },
    t('media.profile.save'));
  let chosen = null;
  let url = null;
  const pick = (file) => {
    chosen = file;
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    picture.replaceChildren(el('img', { class: 'avatar avatar-huge', src: url, alt: '' }));
    save.hidden = false;
    status.textContent = '';
    save.focus();
  };
  const camera = fileInput('photo-input-camera', 'user', pick);
  const gallery = fileInput('photo-input-gallery', null, pick);
  const close = () => {
    if (url) URL.revokeObjectURL(url);
    box.remove();
    if (back && back.focus) back.focus();
  };
  save.addEventListener('click', async () => {
    if (!chosen) return;
    save.disabled = true;
    progress.hidden = false;
    status.textContent = t('media.profile.saving');
    try {
      const done = await tusUpload(chosen, {
        token: ctx.conn.token,
        metadata: { kind: 'profile_photo', account_id: person.account_id, filename: chosen.name || '' },
        onProgress: (sent, total) => { progress.max = total || 1; progress.value = sent; },
      });
      const set = await ctx.conn.request('profile.set_photo', {
        attachment_id: uploadIdOf(done), account_id: person.account_id,
      });
      const photo = set.photo || null;
      status.textContent = t('media.profile.done');
      box.dataset.saved = 'yes';
      if (person.self && ctx.onMine) ctx.onMine(photo);
      else showPhotoTargets();
      setTimeout(close, 600);
    } catch (err) {
      status.textContent = err.message && err.message !== err.code && err.message !== 'network'
        ? err.message : t('media.error.other');
      save.disabled = false;
    }
    progress.hidden = true;
  });
  const box = el('div', {
    class: 'media-viewer photo-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'photo-title',
    'data-testid': 'photo-dialog',
  },
  el('h1', { id: 'photo-title' }, person.self ? t('media.profile.mine') : t('media.profile.for', { name: person.display_name })),
  picture,
  el('div', { class: 'preview-buttons' },
    el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'photo-camera', onclick: () => camera.click() },
      t('media.choice.photo')),
    el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'photo-gallery', onclick: () => gallery.click() },
      t('media.choice.gallery'))),
  status, progress,
  el('div', { class: 'preview-buttons' },
    el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'photo-close', onclick: close }, t('media.close')),
    save),
  camera, gallery);
  box.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
  document.body.append(box);
  box.querySelector('[data-testid="photo-gallery"]').focus();
}

function bigAvatar(person) {
  return avatar({ id: person.account_id, display_name: person.display_name, photo: person.photo }, 'huge');
}
