// Pairing screen: a device that is not logged in types (or opens a link with) a pairing code from a carer or
// caseworker, names itself, and from then on signs in by itself with the credential it got (never a password).

import { t, fmtDateTime } from './i18n.js';

const $ = (sel) => document.querySelector(sel);

/** The code carried by a pairing link (#pair=CODE), or null. */
export function pairCodeFromHash() {
  const m = /^#pair=([0-9A-Za-z -]{4,20})$/.exec(decodeURIComponent(location.hash));
  return m ? m[1] : null;
}

/** Wire the pairing form; onPair(code, name) must return a promise; onBack() returns to the login form; onOpen()
 *  shows the pairing form (the login form's "I have a pairing code"). */
export function initPair(onPair, onBack, onOpen = () => openPair('')) {
  $('#pair-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = $('#pair-code').value.trim();
    const name = $('#pair-name').value.trim() || defaultName();
    if (code.replace(/[\s-]/g, '').length !== 12) {
      showPairError(t('pair.bad_code'));
      $('#pair-code').focus();
      return;
    }
    setBusy(true);
    showPairError('');
    try {
      await onPair(code, name);
      $('#pair-code').value = '';
    } catch (err) {
      showPairError(err.message || t('common.failed'), err.code);
    } finally {
      setBusy(false);
    }
  });
  $('#pair-back').addEventListener('click', onBack);
  $('#pair-open').addEventListener('click', onOpen);
}

/** Show the form, with a code from a link filled in. */
export function openPair(code) {
  $('#pair-code').value = code || '';
  if (!$('#pair-name').value) $('#pair-name').value = defaultName();
  showPairError('');
  ($('#pair-code').value ? $('#pair-submit') : $('#pair-code')).focus();
}

/** 'tablet', 'phone' or 'computer', from the browser's description of itself. */
export function deviceKind() {
  const ua = navigator.userAgent;
  if (/iPad|Tablet|Android(?!.*Mobile)/.test(ua)) return 'tablet';
  if (/Mobile|iPhone|Android/.test(ua)) return 'phone';
  return 'computer';
}

/** A name for this device in the app's language: "Tablet", "Telefon", "Computer" ... */
export function defaultName() {
  // i18n-keys: device.tablet device.phone device.computer
  return t(`device.${deviceKind()}`);
}

function setBusy(busy) {
  const btn = $('#pair-submit');
  btn.disabled = busy;
  btn.textContent = busy ? t('common.wait') : t('pair.submit');
}

export function showPairError(text, code = '') {
  const box = $('#pair-error');
  box.textContent = text;
  box.dataset.code = code || '';
  box.hidden = !text;
}

/** After a password login: say once that a carer or caseworker reset the password. */
export function showLoginNotice(notice) {
  const box = $('#notice');
  if (!notice || notice.kind !== 'password_reset') {
    box.hidden = true;
    return;
  }
  const when = fmtDateTime(notice.at, undefined, { zoneName: false });
  box.textContent = t('notice.password_reset', { when });
  box.dataset.kind = notice.kind;
  box.hidden = false;
}
