// Devices screen for adults: a pairing code (and its QR) for the child's tablet or their own phone, shown large,
// and the devices already paired, each removable in one step (a lost tablet stops working within a second).

import { el } from './util.js';

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
      }, p.self ? 'A code for my own phone' : `A code for ${p.display_name}`))));
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
    $('#pair-for').textContent = person.self ? 'Type this code on your phone, or scan the picture:'
      : `Type this code on ${person.display_name}’s tablet or phone, or scan the picture:`;
    $('#pair-code-big').textContent = res.code;
    const svg = new DOMParser().parseFromString(res.qr_svg || '<svg/>', 'image/svg+xml').documentElement;
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `QR code for ${res.code}`);
    $('#pair-qr').replaceChildren(document.importNode(svg, true));
    const until = new Date(res.expires_at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    $('#pair-expires').textContent = `It works once, until ${until}.`;
    $('#pair-shown').hidden = false;
    $('#pair-shown').scrollIntoView({ block: 'nearest' });
    loadDevices(person);
  } catch (err) {
    setError(err.message);
  }
}

async function loadDevices(person) {
  chosen = person;
  $('#device-title').textContent = person.self ? 'My devices' : `${person.display_name}’s devices`;
  try {
    const res = await conn.request('device.list', { account_id: person.account_id });
    if (chosen !== person) return;
    const rows = res.devices.map((d) => el('li', { class: 'device-row', 'data-testid': 'device-row' },
      el('span', { class: 'device-name' }, d.name),
      el('span', { class: 'device-seen' }, d.last_seen_at
        ? `last used ${new Date(d.last_seen_at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}`
        : 'not used yet'),
      d.id === res.this_device ? el('span', { class: 'device-this' }, 'this device')
        : el('button', {
          type: 'button', class: 'quiet-button', 'data-testid': 'device-revoke',
          onclick: () => revoke(person, d),
        }, 'Remove')));
    $('#device-list').replaceChildren(...(rows.length ? rows : [el('li', { class: 'muted' }, 'None yet.')]));
  } catch (err) {
    setError(err.message);
  }
}

async function revoke(person, device) {
  if (!confirm(`Remove “${device.name}”? It stops working at once and needs a new code to come back.`)) return;
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
