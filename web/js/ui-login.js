// Login screen: two big inputs, one big button, the server's own words when it says no.

import { t } from './i18n.js';

const $ = (sel) => document.querySelector(sel);

/** Wire the login form; onSubmit(username, password) must return a promise. */
export function initLogin(onSubmit) {
  const form = $('#login-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const username = $('#login-username').value.trim();
    const password = $('#login-password').value;
    if (!username || !password) {
      showLoginError(!username ? t('login.need_name') : t('login.need_password'));
      (!username ? $('#login-username') : $('#login-password')).focus();
      return;
    }
    setBusy(true);
    showLoginError('');
    try {
      await onSubmit(username, password);
      $('#login-password').value = '';
    } catch (err) {
      showLoginError(describe(err), err.code);
      $('#login-password').select();
    } finally {
      setBusy(false);
    }
  });
}

function describe(err) {
  const text = err.message || t('common.failed');
  if (err.code === 'rate_limited' && err.retryAfter) {
    return `${text}\n${t('login.wait', { minutes: Math.ceil(err.retryAfter / 60) })}`;
  }
  return text;
}

function setBusy(busy) {
  const btn = $('#login-submit');
  btn.disabled = busy;
  btn.textContent = busy ? t('common.wait') : t('login.submit');
}

export function showLoginError(text, code = '') {
  const box = $('#login-error');
  box.textContent = text;
  box.dataset.code = code || '';
  box.hidden = !text;
}

export function focusLogin() {
  const name = $('#login-username');
  (name.value ? $('#login-password') : name).focus();
}
