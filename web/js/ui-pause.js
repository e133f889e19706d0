// The child's pause, asked once more in simple words with the person's picture: "Pause Dad? Dad cannot call or write
// to you until you turn it back on." Two big answers; Escape or "No" keeps things as they are.

import { el, avatar, icon } from './util.js';
import { t } from './i18n.js';
import { personLabel } from './words.js';

const $ = (sel) => document.querySelector(sel);

/** Ask before pausing `contact`; resolves true when the child says yes. */
export function confirmPause(contact) {
  const dialog = $('#pause-dialog');
  const name = personLabel(contact);
  $('#pause-dialog-face').replaceChildren(avatar(contact && contact.peer, 'huge'),
    el('span', { class: 'pause-sign' }, icon('pause')));
  $('#pause-dialog-title').textContent = t('pause.confirm_title', { name });
  $('#pause-dialog-text').textContent = t('pause.confirm_text', { name });
  $('#pause-dialog-yes').textContent = t('pause.confirm_yes', { name });
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    $('#pause-dialog-no').focus();
  });
}

/** Close the question without pausing (the chat closed, or the person logged out). */
export function closePauseQuestion() {
  const dialog = $('#pause-dialog');
  if (dialog.open) dialog.close('no');
}
