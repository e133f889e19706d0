// Devices screen for adults: a pairing code (and its QR) for the child's tablet or their own phone, shown large,
// and the devices already paired, each removable in one step (a lost tablet stops working within a second).

import { el } from './util.js';
import { t, fmtDateTime } from './i18n.js';

const $ = (sel) => document.querySelector(sel);

let conn = null;
let chosen = null; // account_id whose devices are shown

/** Wire the screen to the connection (pairing.targets, pairing.create, device.list, device.revoke). */
export function initDevices(c, onBack) {
  conn = c;
  $('#devices-back').addEventListener('click', onBack);
}

/** Load the people this account may pair devices for, and show the first (the child, when a carer). */
export async function showDevices() {
  $('#pair-shown').hidden = true;
  setError('');
  try {
    const { people } = await conn.request('pairing.targets');
    const list = $('#pair-targets');
    list.replaceChildren(...people.map((p) => el('li', {},
      el('button', {
        type: 'button', class: 'big-button pair-target', 'data-testid': `pair-for-${p.username}`,
        onclick: () => makeCode(p),
      }, p.self ? t('devices.code_self') : t('devices.code_for', { name: p.display_name })))));
    const first = people.find((p) => !p.self) || people[0];
    if (first) loadDevices(first);
  } catch (err) {
    setError(err.message);
  }
}

async function makeCode(person) {
  setError('');
  try {
    const appUrl = `${location.origin}${location.pathname}`;
    const res = await conn.request('pairing.create', { account_id: person.account_id, app_url: appUrl });
    $('#pair-for').textContent = person.self ? t('devices.shown_self') : t('devices.shown_for', { name: person.display_name });
    $('#pair-code-big').textContent = res.code;
    const svg = new DOMParser().parseFromString(res.qr_svg || '<svg/>', 'image/svg+xml').documentElement;
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', t('devices.qr', { code: res.code }));
    $('#pair-qr').replaceChildren(document.importNode(svg, true));
    const until = fmtDateTime(res.expires_at, undefined, { zoneName: false });
    $('#pair-expires').textContent = t('devices.expires', { until });
    $('#pair-shown').hidden = false;
    $('#pair-shown').scrollIntoView({ block: 'nearest' });
    loadDevices(person);
  } catch (err) {
    setError(err.message);
  }
}

async function loadDevices(person) {
  chosen = person;
  $('#device-title').textContent = person.self ? t('devices.mine') : t('devices.theirs', { name: person.display_name });
  try {
    const res = await conn.request('device.list', { account_id: person.account_id });
    if (chosen !== person) return;
    const rows = res.devices.map((d) => el('li', { class: 'device-row', 'data-testid': 'device-row' },
      el('span', { class: 'device-name' }, d.name),
      el('span', { class: 'device-seen' }, d.last_seen_at
        ? t('devices.last_used', { when: fmtDateTime(d.last_seen_at, undefined, { zoneName: false }) })
        : t('devices.not_used')),
      d.id === res.this_device ? el('span', { class: 'device-this' }, t('devices.this'))
        : el('button', {
          type: 'button', class: 'quiet-button', 'data-testid': 'device-revoke',
          onclick: () => revoke(person, d),
        }, t('devices.remove'))));
    $('#device-list').replaceChildren(...(rows.length ? rows : [el('li', { class: 'muted' }, t('devices.none'))]));
  } catch (err) {
    setError(err.message);
  }
}

async function revoke(person, device) {
  if (!confirm(t('devices.confirm_remove', { name: device.name }))) return;
  try {
    await conn.request('device.revoke', { device_id: device.id });
  } catch (err) {
    setError(err.message);
  }
  loadDevices(person);
}

function setError(text) {
  const box = $('#devices-error');
  box.textContent = text;
  box.hidden = !text;
}
