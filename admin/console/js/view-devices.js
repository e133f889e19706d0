// Devices and passwords of a case's people (the child and the contacts): paired devices with their last use, a
// pairing code shown large with its QR to type or scan on the new device, revoking a device in one step, and a
// password reset that gives a temporary password to pass on (the person is told at their next sign-in).

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, note, busy, when, roleWord, crumbs } from './dom.js';
import { zoneLine } from './view-cases.js';

const APP_URL = () => `${location.origin}/`; // the family app, where #pair=CODE opens the pairing screen

function qrNode(svgText, code) {
  const doc = new DOMParser().parseFromString(svgText || '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('console.devices.qr_label', { code }));
  svg.setAttribute('class', 'pair-qr');
  return svg;
}

/** The code just made, large, with its QR and link: to read out, print or scan. */
function codePanel(person, res, zone) {
  return el('div', { class: 'card pair-panel', 'data-testid': 'pair-panel', 'data-account': person.username },
    el('p', {}, t('console.devices.code_for', { name: person.display_name }), ' ', when(res.expires_at, zone)),
    el('p', { class: 'pair-code', 'data-testid': 'pair-code' }, res.code),
    qrNode(res.qr_svg, res.code),
    res.link ? el('p', { class: 'muted' }, t('console.devices.or_link'), ' ',
      el('a', { href: res.link, 'data-testid': 'pair-link' }, res.link)) : null,
    el('p', { class: 'muted' }, t('console.devices.how')));
}

function deviceRow(ctx, caseId, d, out, zone) {
  const button = el('button', { type: 'button', class: 'small-button danger-button', 'data-testid': 'device-revoke',
    'aria-label': t('console.devices.revoke_named', { name: d.name }) }, t('console.invite.revoke'));
  button.addEventListener('click', () => {
    if (!confirm(t('console.devices.revoke_confirm', { name: d.name }))) return;
    busy(button, out, async () => {
      await api.post(`/api/cases/${caseId}/devices/${d.id}/revoke`);
      ctx.refresh();
    });
  });
  return el('tr', { 'data-testid': 'device-row', 'data-device-id': d.id },
    el('td', {}, d.name),
    el('td', {}, when(d.created_at, zone)),
    el('td', { 'data-testid': 'device-last-seen' }, d.last_seen_at ? when(d.last_seen_at, zone) : t('console.devices.never')),
    el('td', {}, button));
}

function personCard(ctx, caseId, p, zone) {
  const out = el('div', { class: 'person-out' });
  const pairButton = el('button', { type: 'button', class: 'button', 'data-testid': 'pair-new' }, t('console.devices.pair'));
  pairButton.addEventListener('click', () => busy(pairButton, out, async () => {
    const res = await api.post(`/api/cases/${caseId}/accounts/${p.account_id}/pairings`, { app_url: APP_URL() });
    out.replaceChildren(codePanel(p, res, zone));
  }));
  const resetButton = el('button', { type: 'button', class: 'button quiet', 'data-testid': 'reset-password' }, t('console.devices.reset'));
  resetButton.addEventListener('click', () => {
    if (!confirm(t('console.devices.reset_confirm', { name: p.display_name }))) return;
    busy(resetButton, out, async () => {
      const res = await api.post(`/api/cases/${caseId}/accounts/${p.account_id}/password`, {});
      out.replaceChildren(el('div', { class: 'card pair-panel', 'data-testid': 'reset-panel' },
        el('p', {}, t('console.devices.new_password', { name: p.display_name, username: p.username })),
        el('p', { class: 'pair-code', 'data-testid': 'temporary-password' }, res.temporary_password)));
    });
  });
  const devices = p.devices || [];
  return el('article', { class: 'card person-card', 'data-testid': `person-${p.username}` },
    el('header', { class: 'case-head' },
      el('h2', {}, p.display_name, p.relationship ? el('span', { class: 'muted' }, ` (${p.relationship})`) : null),
      el('span', { class: 'muted' }, `${roleWord(p.role)} · ${p.username}`)),
    p.password_reset_at ? el('p', { class: 'note note-ok', role: 'status', 'data-testid': 'reset-pending' }, t('console.devices.reset_at'), ' ', when(p.password_reset_at, zone), ' ', t('console.devices.reset_unused')) : null,
    devices.length
      ? el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, [t('console.devices.col_device'), t('console.devices.col_paired'), t('console.devices.col_seen'), t('console.invite.col_actions')].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, devices.map((d) => deviceRow(ctx, caseId, d, out, zone))))
      : el('p', { class: 'muted', 'data-testid': 'no-devices' }, t('console.devices.none')),
    (p.pairings || []).length ? el('p', { class: 'muted', 'data-testid': 'open-codes' },
      t('console.devices.open_codes', { count: p.pairings.length })) : null,
    el('p', { class: 'actions' }, pairButton, ' ', resetButton),
    out);
}

export async function devicesView(ctx, caseId) {
  const [c, data] = await Promise.all([api.get(`/api/cases/${caseId}`), api.get(`/api/cases/${caseId}/devices`)]);
  const child = c.child && (c.child.display_name || c.child.username);
  return el('section', { class: 'page', 'data-testid': 'devices-page' },
    crumbs([t('console.caseload.title'), '#/cases'], [child || t('console.person.unknown'), `#/case/${caseId}`], t('console.case.devices')),
    el('h1', {}, t('console.case.devices')),
    el('p', { class: 'muted' }, t('console.devices.intro')),
    el('p', { class: 'muted' }, zoneLine(c.time_zone)),
    (data.people || []).map((p) => personCard(ctx, caseId, p, c.time_zone)));
}
