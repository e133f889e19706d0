// Invitations of one case: invite someone (code, link and QR to print or send), the case's invitations, revoke.

import * as api from './api.js';
import { el, chip, who, note, field, busy, fmtDateTime } from './dom.js';

const LANGUAGES = [['', 'Not set'], ['en', 'English'], ['ro', 'Română'], ['da', 'Dansk'], ['it', 'Italiano'], ['es', 'Español']];
const VALID_FOR = [[7, '7 days'], [1, '1 day'], [3, '3 days'], [14, '14 days'], [30, '30 days']];
const DAY_S = 24 * 3600;

/** The family app's address, for the link: the console's own origin (the app is served at /). */
const appUrl = () => `${location.origin}/`;

function options(list, selected) {
  return list.map(([value, label]) => el('option', { value, selected: value === selected }, label));
}

/** What to give the person: the code large, the link, the QR code and a print button. */
function handout(made, child) {
  const inv = made.invitation || {};
  const qr = made.qr_svg
    ? el('img', { class: 'invite-qr', 'data-testid': 'invite-qr', alt: 'QR code of the link',
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.qr_svg)}` })
    : null;
  const copy = el('button', { type: 'button', class: 'quiet', 'data-testid': 'invite-copy' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(made.link); copy.textContent = 'Copied'; } catch (e) { copy.textContent = 'Select the link to copy it'; }
  });
  return el('article', { class: 'card invite-handout', 'data-testid': 'invite-result', 'data-invitation-id': inv.id },
    el('h2', {}, `Invitation for ${inv.invitee_name} (${inv.relationship})`),
    el('p', {}, `To stay in contact with ${who(child)}, open the link or scan the code with a phone, or open the Samvaer app and type this code:`),
    el('p', { class: 'invite-code', 'data-testid': 'invite-code' }, made.code),
    el('p', { class: 'invite-link' }, el('a', { href: made.link, 'data-testid': 'invite-link', target: '_blank', rel: 'noopener' }, made.link), ' ', copy),
    qr,
    el('p', { class: 'muted' }, `Valid until ${fmtDateTime(inv.expires_at)}. It works once. Contact starts only after approval.`),
    el('p', { class: 'actions no-print' },
      el('button', { type: 'button', 'data-testid': 'invite-print', onclick: () => window.print() }, 'Print')));
}

function inviteForm(ctx, c, resultBox, reload) {
  const name = el('input', { name: 'invitee_name', maxlength: 128, required: true, 'data-testid': 'invite-name', autocomplete: 'off' });
  const rel = el('input', { name: 'relationship', maxlength: 63, required: true, 'data-testid': 'invite-relationship', placeholder: 'Mother, Grandad, Aunt …' });
  const lang = el('select', { name: 'language', 'data-testid': 'invite-language' }, options(LANGUAGES, ''));
  const days = el('select', { name: 'valid_for', 'data-testid': 'invite-valid' }, options(VALID_FOR, 7));
  const out = el('div', { 'data-testid': 'invite-form-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'invite-submit' }, 'Create invitation');
  const form = el('form', { class: 'card invite-form no-print', 'data-testid': 'invite-form' },
    el('h2', {}, 'Invite someone'),
    el('p', { class: 'muted' }, 'The person gets a one-time code to join. You or a colleague approve before any contact.'),
    field('Their name', name), field('Relationship to the child', rel, 'Shown to the child, e.g. "Mother".'),
    field('Language (optional)', lang), field('Valid for', days), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const body = { invitee_name: name.value.trim(), relationship: rel.value.trim(), app_url: appUrl(),
        expires_in_s: Number(days.value) * DAY_S };
      if (lang.value) body.language = lang.value;
      const made = await api.post(`/api/cases/${c.id}/invitations`, body);
      resultBox.replaceChildren(handout(made, c.child));
      form.reset();
      await reload();
    });
  });
  return form;
}

function inviteRow(inv, reload) {
  const out = el('span', {});
  const revoke = inv.state === 'open'
    ? el('button', { type: 'button', class: 'quiet danger', 'data-testid': 'invite-revoke' }, 'Revoke')
    : null;
  if (revoke) {
    revoke.addEventListener('click', () => busy(revoke, out, async () => {
      if (!window.confirm(`Revoke the invitation for ${inv.invitee_name}? The code will stop working.`)) return;
      await api.post(`/api/invitations/${inv.id}/revoke`, {});
      await reload();
    }));
  }
  const ended = inv.state === 'used' && inv.agreement_id
    ? el('a', { href: `#/agreement/${inv.agreement_id}`, 'data-testid': 'invite-agreement' }, `joined as ${who(inv.ended_by)}`)
    : inv.ended_by ? `by ${who(inv.ended_by)}` : '';
  return el('tr', { 'data-testid': `invite-${inv.id}`, 'data-state': inv.state, 'data-name': inv.invitee_name },
    el('td', {}, `${inv.invitee_name} (${inv.relationship})`),
    el('td', { class: 'mono' }, `${inv.lookup}-····-····`),
    el('td', {}, chip(inv.state, 'invite-state'), ' ', el('span', { class: 'muted' }, ended)),
    el('td', {}, fmtDateTime(inv.expires_at)),
    el('td', {}, who(inv.created_by)),
    el('td', {}, revoke, out));
}

function invitesTable(list, reload) {
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-invitations' }, 'No invitations yet.');
  return el('table', { class: 'list card', 'data-testid': 'invites-list' },
    el('thead', {}, el('tr', {}, ['Person', 'Code', 'State', 'Valid until', 'Invited by', ''].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, list.map((inv) => inviteRow(inv, reload))));
}

/** #/case/ID/invite */
export async function invitesView(ctx, id) {
  const c = await api.get(`/api/cases/${id}`);
  const listBox = el('div', { class: 'no-print' });
  const resultBox = el('div', {});
  const reload = async () => {
    try {
      listBox.replaceChildren(el('h2', {}, 'Invitations'), invitesTable(api.listOf(await api.get(`/api/cases/${id}/invitations`), 'invitations'), reload));
    } catch (e) {
      listBox.replaceChildren(note('error', e.message, 'invites-error'));
    }
  };
  await reload();
  return el('section', { class: 'page', 'data-testid': 'invites-page', 'data-case-id': c.id },
    el('p', { class: 'crumbs no-print' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ', el('a', { href: `#/case/${c.id}` }, who(c.child)), ' › Invite someone'),
    el('h1', { class: 'no-print' }, `Invite someone for ${who(c.child)}`),
    inviteForm(ctx, c, resultBox, reload), resultBox, listBox);
}
