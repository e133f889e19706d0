// Devices and passwords of a case's people (the child and the contacts): paired devices with their last use, a
// pairing code shown large with its QR to type or scan on the new device, revoking a device in one step, and a
// password reset that gives a temporary password to pass on (the person is told at their next sign-in).

import * as api from './api.js';
import { el, note, busy, fmtDateTime } from './dom.js';

const APP_URL = () => `${location.origin}/`; // the family app, where #pair=CODE opens the pairing screen

function qrNode(svgText, code) {
  const doc = new DOMParser().parseFromString(svgText || '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `QR code for the pairing code ${code}`);
  svg.setAttribute('class', 'pair-qr');
  return svg;
}

/** The code just made, large, with its QR and link: to read out, print or scan. */
function codePanel(person, res) {
  return el('div', { class: 'card pair-panel', 'data-testid': 'pair-panel', 'data-account': person.username },
    el('p', {}, `Pairing code for ${person.display_name}. It works once, until ${fmtDateTime(res.expires_at)}.`),
    el('p', { class: 'pair-code', 'data-testid': 'pair-code' }, res.code),
    qrNode(res.qr_svg, res.code),
    res.link ? el('p', { class: 'muted' }, 'Or open this link on the device: ',
      el('a', { href: res.link, 'data-testid': 'pair-link' }, res.link)) : null,
    el('p', { class: 'muted' }, 'On the device: open the family app, choose “I have a pairing code” and type it.'));
}

function deviceRow(ctx, caseId, person, d, out) {
  const button = el('button', { type: 'button', class: 'small-button danger-button', 'data-testid': 'device-revoke' }, 'Revoke');
  button.addEventListener('click', () => {
    if (!confirm(`Revoke “${d.name}”? It is signed out within a second and needs a new code to come back.`)) return;
    busy(button, out, async () => {
      await api.post(`/api/cases/${caseId}/devices/${d.id}/revoke`);
      ctx.refresh();
    });
  });
  return el('tr', { 'data-testid': 'device-row', 'data-device-id': d.id },
    el('td', {}, d.name),
    el('td', {}, fmtDateTime(d.created_at)),
    el('td', { 'data-testid': 'device-last-seen' }, d.last_seen_at ? fmtDateTime(d.last_seen_at) : 'never'),
    el('td', {}, button));
}

function personCard(ctx, caseId, p) {
  const out = el('div', { class: 'person-out' });
  const pairButton = el('button', { type: 'button', class: 'button', 'data-testid': 'pair-new' }, 'Pair a new device');
  pairButton.addEventListener('click', () => busy(pairButton, out, async () => {
    const res = await api.post(`/api/cases/${caseId}/accounts/${p.account_id}/pairings`, { app_url: APP_URL() });
    out.replaceChildren(codePanel(p, res));
  }));
  const resetButton = el('button', { type: 'button', class: 'button quiet', 'data-testid': 'reset-password' }, 'Reset password');
  resetButton.addEventListener('click', () => {
    if (!confirm(`Give ${p.display_name} a new temporary password? Their old password stops working; paired devices stay signed in.`)) return;
    busy(resetButton, out, async () => {
      const res = await api.post(`/api/cases/${caseId}/accounts/${p.account_id}/password`, {});
      out.replaceChildren(el('div', { class: 'card pair-panel', 'data-testid': 'reset-panel' },
        el('p', {}, `New temporary password for ${p.display_name} (user name ${p.username}). Pass it on privately; they are told at their next sign-in.`),
        el('p', { class: 'pair-code', 'data-testid': 'temporary-password' }, res.temporary_password)));
    });
  });
  const devices = p.devices || [];
  return el('article', { class: 'card person-card', 'data-testid': `person-${p.username}` },
    el('header', { class: 'case-head' },
      el('h2', {}, p.display_name, p.relationship ? el('span', { class: 'muted' }, ` (${p.relationship})`) : null),
      el('span', { class: 'muted' }, `${p.role} · ${p.username}`)),
    p.password_reset_at ? note('ok', `Password reset ${fmtDateTime(p.password_reset_at)}; not signed in with it yet.`, 'reset-pending') : null,
    devices.length
      ? el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, ['Device', 'Paired', 'Last seen', ''].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, devices.map((d) => deviceRow(ctx, caseId, p, d, out))))
      : el('p', { class: 'muted', 'data-testid': 'no-devices' }, 'No paired devices.'),
    (p.pairings || []).length ? el('p', { class: 'muted', 'data-testid': 'open-codes' },
      `${p.pairings.length} unused code${p.pairings.length > 1 ? 's' : ''} still open.`) : null,
    el('p', { class: 'actions' }, pairButton, ' ', resetButton),
    out);
}

export async function devicesView(ctx, caseId) {
  const [c, data] = await Promise.all([api.get(`/api/cases/${caseId}`), api.get(`/api/cases/${caseId}/devices`)]);
  const child = c.child && (c.child.display_name || c.child.username);
  return el('section', { class: 'page', 'data-testid': 'devices-page' },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ',
      el('a', { href: `#/case/${caseId}` }, child || `Case ${caseId}`), ' › Devices'),
    el('h1', {}, 'Devices and passwords'),
    el('p', { class: 'muted' }, 'A child’s tablet is paired with a code instead of a password. A lost device is revoked here in one step.'),
    (data.people || []).map((p) => personCard(ctx, caseId, p)));
}
