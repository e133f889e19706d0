// Join screen: an invited person opens the link (#join=CODE) or types the code, sees who invited them for whom,
// then creates an account (or joins with the one they are logged in with) and waits for approval. A new account on a
// phone or tablet stays signed in on that device by default (a device credential, no password); a password is the
// other choice.

import { defaultName, deviceKind } from './ui-pair.js';
import { t } from './i18n.js';

const $ = (sel) => document.querySelector(sel);

/** The code in a #join=CODE link, or null. */
export function joinCodeFromHash(hash = location.hash) {
  const m = /^#join=([A-Za-z0-9 .-]{1,64})$/.exec(decodeURIComponent(hash || ''));
  return m ? m[1] : null;
}

function showError(err) {
  const box = $('#join-error');
  let text = err ? (err.message || t('common.failed')) : '';
  if (err && err.code === 'rate_limited' && err.retryAfter) text += `\n${t('login.wait', { minutes: Math.ceil(err.retryAfter / 60) })}`;
  box.textContent = text;
  box.dataset.code = (err && err.code) || '';
  box.hidden = !text;
}

/** Show the fields of the chosen way to sign in: this device, or a password. */
function showWay() {
  const device = $('#join-way-device').checked;
  $('#join-device-fields').hidden = !device;
  $('#join-password-fields').hidden = device;
}

/** The default way: no password on a phone or tablet, a password on a computer (which others may share). */
function chooseDefaultWay() {
  $(deviceKind() === 'computer' ? '#join-way-password' : '#join-way-device').checked = true;
  if (!$('#join-device-name').value) $('#join-device-name').value = defaultName();
  showWay();
}

function describe(inv) {
  return t('join.intro', {
    inviter: (inv.inviter && inv.inviter.display_name) || '', invitee: inv.invitee_name || '',
    child: (inv.child && inv.child.first_name) || '', relationship: inv.relationship || '',
  });
}

/**
 * Wire the join screen. hooks: open(code) -> invitation, accept(params) -> result, me() -> account or null,
 * onJoined(result, invitation).
 */
export function initJoin(hooks) {
  let code = null;
  let invitation = null;

  async function openCode(typed) {
    showError(null);
    $('#join-open').disabled = true;
    try {
      invitation = await hooks.open(typed);
      code = typed;
    } catch (err) {
      invitation = null;
      showError(err);
      $('#join-code-form').hidden = false;
      $('#join-code').focus();
      return;
    } finally {
      $('#join-open').disabled = false;
    }
    const me = hooks.me();
    $('#join-intro').textContent = describe(invitation);
    $('#join-intro').hidden = false;
    $('#join-code-form').hidden = true;
    $('#join-account-form').hidden = !!me;
    $('#join-as-me').hidden = !me;
    if (me) {
      $('#join-as-me').textContent = t('join.as_me', { name: me.display_name || me.username });
      $('#join-as-me').focus();
    } else {
      $('#join-name').value = $('#join-name').value || invitation.invitee_name || '';
      if (invitation.language) $('#join-language').value = invitation.language;
      chooseDefaultWay();
      $('#join-username').focus();
    }
  }

  async function accept(params, button) {
    showError(null);
    button.disabled = true;
    try {
      const result = await hooks.accept({ code, ...params });
      $('#join-password').value = '';
      hooks.onJoined(result, invitation);
    } catch (err) {
      showError(err);
      if (['invite_used', 'invite_expired', 'invite_revoked', 'invite_locked'].includes(err.code)) reset();
    } finally {
      button.disabled = false;
    }
  }

  function reset() {
    $('#join-code-form').hidden = false;
    $('#join-account-form').hidden = true;
    $('#join-as-me').hidden = true;
    $('#join-intro').hidden = true;
  }

  $('#join-code-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const typed = $('#join-code').value.trim();
    if (!typed) { showError({ message: t('join.need_code') }); return; }
    openCode(typed);
  });
  $('#join-account-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params = {
      display_name: $('#join-name').value.trim(),
      username: $('#join-username').value.trim(),
    };
    if ($('#join-way-device').checked) params.device_name = $('#join-device-name').value.trim() || defaultName();
    else params.password = $('#join-password').value;
    if ($('#join-language').value) params.language = $('#join-language').value;
    if (!params.display_name || !params.username) { showError({ message: t('join.need_names') }); return; }
    if (!params.device_name && params.password.length < 8) { showError({ message: t('join.need_password') }); return; }
    accept(params, $('#join-submit'));
  });
  $('#join-way-device').addEventListener('change', showWay);
  $('#join-way-password').addEventListener('change', showWay);
  $('#join-as-me').addEventListener('click', () => accept({}, $('#join-as-me')));

  /** Show the screen, opening `typed` at once when the link carried a code. */
  return function showJoin(typed) {
    reset();
    showError(null);
    if (typed) {
      $('#join-code').value = typed;
      openCode(typed);
    } else {
      $('#join-code').focus();
    }
  };
}
