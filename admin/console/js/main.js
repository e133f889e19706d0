// Console shell: session (login/logout), navigation by #/route, and the per-role menu and inbox counts.

import * as api from './api.js';
import { el, note } from './dom.js';
import { caseloadView, caseView } from './view-cases.js';
import { agreementView } from './view-agreement.js';
import { editorView } from './view-editor.js';
import { approvalsView, noticesView } from './view-inbox.js';
import { heldView } from './view-held.js';
import { auditView, verifyView } from './view-audit.js';
import { liveCallsView, watchLiveCalls, unwatchLiveCalls } from './view-calls.js';
import { liveConn } from './live-conn.js';
import { invitesView } from './view-invites.js';
import { devicesView } from './view-devices.js';
import { privacyView } from './view-privacy.js';

const STAFF = new Set(['caseworker', 'supervisor', 'carer']);
const $ = (sel) => document.querySelector(sel);
const state = { me: null, renderId: 0 };

/** Routes: pattern → view(ctx, ...numeric args). */
const ROUTES = [
  [/^#\/cases$/, caseloadView],
  [/^#\/case\/(\d+)$/, caseView],
  [/^#\/case\/(\d+)\/new$/, (ctx, caseId) => editorView(ctx, { caseId })],
  [/^#\/case\/(\d+)\/invite$/, invitesView],
  [/^#\/case\/(\d+)\/privacy$/, privacyView],
  [/^#\/agreement\/(\d+)$/, agreementView],
  [/^#\/agreement\/(\d+)\/propose$/, (ctx, aid) => editorView(ctx, { agreementId: aid })],
  [/^#\/approvals$/, approvalsView],
  [/^#\/notices$/, noticesView],
  [/^#\/held$/, heldView],
  [/^#\/audit\/(\d+)$/, auditView],
  [/^#\/verify$/, verifyView],
  [/^#\/calls$/, liveCallsView],
  [/^#\/case\/(\d+)\/devices$/, devicesView],
];

const ctx = {
  get me() { return state.me; },
  go(hash) { if (location.hash === hash) route(); else location.hash = hash; },
  refresh: () => route(),
  refreshCounts,
};

function showLogin(message) {
  state.me = null;
  $('#nav').hidden = true;
  $('#me').hidden = true;
  document.body.dataset.view = 'login';
  const view = $('#view');
  view.replaceChildren($('#login-template').content.cloneNode(true));
  const form = $('#login-form');
  const err = $('#login-error');
  if (message) { err.textContent = message; err.hidden = false; }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    err.hidden = true;
    err.dataset.code = '';
    try {
      const me = await api.login($('#login-username').value.trim(), $('#login-password').value);
      signedIn(me);
      if (!location.hash || location.hash === '#/login') location.hash = '#/cases';
      else route();
    } catch (e) {
      err.textContent = e.message;
      err.dataset.code = e.code;
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  $('#login-username').focus();
}

function signedIn(me) {
  state.me = me;
  $('#me-name').textContent = me.display_name || me.username;
  $('#me-role').textContent = me.role;
  $('#me').hidden = false;
  $('#nav').hidden = !STAFF.has(me.role);
  document.querySelectorAll('#nav [data-roles]').forEach((a) => {
    a.hidden = !a.dataset.roles.split(',').includes(me.role);
  });
  if (me.role === 'supervisor') {
    watchLiveCalls(me, (n) => {
      const c = $('[data-testid="count-calls"]');
      c.textContent = n ? `${n} waiting` : '';
      c.dataset.n = String(n);
    });
  }
}

/** Numbers next to Approvals and Notices (quietly skipped when the server cannot say). */
async function refreshCounts() {
  const me = state.me;
  if (!me || !STAFF.has(me.role)) return;
  const put = (sel, n) => { const c = $(sel); c.textContent = n ? String(n) : ''; c.dataset.n = String(n || 0); };
  try { put('[data-testid="count-approvals"]', api.listOf(await api.get('/api/approvals'), 'approvals').length); } catch (e) { /* not yet */ }
  if (me.role === 'caseworker') {
    try {
      put('[data-testid="count-notices"]', api.listOf(await api.get('/api/notices'), 'notices').filter((n) => !n.read).length);
    } catch (e) { /* not yet */ }
  }
}

function markNav(hash) {
  const name = (hash.match(/^#\/(\w+)/) || [])[1];
  document.querySelectorAll('#nav a').forEach((a) => {
    const current = a.dataset.route === name || (a.dataset.route === 'cases' && ['case', 'agreement', 'audit', 'privacy'].includes(name));
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
}

function roleHome() {
  return state.me && state.me.role === 'operator' ? '#/verify' : '#/cases';
}

async function route() {
  if (!api.token()) { showLogin(); return; }
  if (!state.me) {
    try {
      signedIn(await api.me());
    } catch (e) {
      if (e.status === 401) { api.forgetToken(); showLogin('Your session has ended. Please sign in again.'); return; }
      $('#view').replaceChildren(note('error', e.message, 'load-error'));
      return;
    }
  }
  const view = $('#view');
  if (!STAFF.has(state.me.role) && state.me.role !== 'operator') {
    view.replaceChildren(el('section', { class: 'card page' }, el('h1', {}, 'Not for this account'),
      el('p', {}, 'The console is for caseworkers, supervisors and carers.'), el('p', {}, el('a', { href: '/' }, 'Open the family app'))));
    return;
  }
  let hash = location.hash;
  if (!hash || hash === '#/' || hash === '#/login') { location.replace(roleHome()); hash = roleHome(); }
  const hit = ROUTES.map(([re, fn]) => [hash.match(re), fn]).find(([m]) => m);
  markNav(hash);
  refreshCounts();
  const id = ++state.renderId;
  document.body.dataset.view = hash.slice(2).split('/')[0];
  view.setAttribute('aria-busy', 'true');
  let node;
  try {
    node = hit ? await hit[1](ctx, ...hit[0].slice(1).map(Number)) : el('p', {}, 'No such page. ', el('a', { href: roleHome() }, 'Back'));
  } catch (e) {
    if (e.status === 401) { api.forgetToken(); showLogin('Your session has ended. Please sign in again.'); return; }
    node = el('section', { class: 'card page' }, note('error', e.status === 404 ? 'Not found, or not in your caseload.' : e.message, 'load-error'));
  }
  if (id !== state.renderId) return; // a newer route won
  view.replaceChildren(node);
  view.setAttribute('aria-busy', 'false');
}

$('#logout').addEventListener('click', async () => {
  unwatchLiveCalls();
  liveConn().close();
  await api.logout();
  location.hash = '#/login';
  showLogin();
});
// A menu link to the page already shown reloads it (the inbox may have changed).
$('#nav').addEventListener('click', (ev) => {
  const a = ev.target.closest('a');
  if (a && a.getAttribute('href') === location.hash) { ev.preventDefault(); route(); }
});
window.addEventListener('hashchange', route);
route();
