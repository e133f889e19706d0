// Invitations of one case: invite someone (code, link and QR to print or send), the case's invitations, revoke.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, chip, who, note, field, busy, when, crumbs } from './dom.js';
import { zoneLine } from './view-cases.js';

// Each language by its own name, so the person choosing can read it.
const LANGUAGES = () => [['', t('console.invite.language_unset')], ['en', 'English'], ['ro', 'Română'], ['da', 'Dansk'], ['it', 'Italiano'], ['es', 'Español']];
const VALID_FOR = () => [1, 3, 7, 14, 30].map((n) => [n, t('console.invite.days', { count: n })]);
const DAY_S = 24 * 3600;

/** The family app's address, for the link: the console's own origin (the app is served at /). */
const appUrl = () => `${location.origin}/`;

function options(list, selected) {
  return list.map(([value, label]) => el('option', { value, selected: value === selected }, label));
}

/** What to give the person: the code large, the link, the QR code and a print button. */
function handout(made, child, zone) {
  const inv = made.invitation || {};
  const qr = made.qr_svg
    ? el('img', { class: 'invite-qr', 'data-testid': 'invite-qr', alt: t('console.invite.qr_alt'),
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.qr_svg)}` })
    : null;
  const copy = el('button', { type: 'button', class: 'quiet', 'data-testid': 'invite-copy' }, t('console.invite.copy'));
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(made.link); copy.textContent = t('console.invite.copied'); } catch (e) { copy.textContent = t('console.invite.copy_failed'); }
  });
  return el('article', { class: 'card invite-handout', 'data-testid': 'invite-result', 'data-invitation-id': inv.id },
    el('h2', {}, t('console.invite.for', { name: inv.invitee_name, relationship: inv.relationship })),
    el('p', {}, t('console.invite.handout_text', { child: who(child) })),
    el('p', { class: 'invite-code', 'data-testid': 'invite-code' }, made.code),
    el('p', { class: 'invite-link' }, el('a', { href: made.link, 'data-testid': 'invite-link', target: '_blank', rel: 'noopener' }, made.link), ' ', copy),
    qr,
    el('p', { class: 'muted' }, t('console.invite.valid_until'), ' ', when(inv.expires_at, zone), '. ', t('console.invite.works_once')),
    el('p', { class: 'actions no-print' },
      el('button', { type: 'button', 'data-testid': 'invite-print', onclick: () => window.print() }, t('console.print'))));
}

function inviteForm(ctx, c, resultBox, reload) {
  const name = el('input', { name: 'invitee_name', maxlength: 128, required: true, 'data-testid': 'invite-name', autocomplete: 'off' });
  const rel = el('input', { name: 'relationship', maxlength: 63, required: true, 'data-testid': 'invite-relationship', placeholder: t('console.invite.relationship_example') });
  const lang = el('select', { name: 'language', 'data-testid': 'invite-language' }, options(LANGUAGES(), ''));
  const days = el('select', { name: 'valid_for', 'data-testid': 'invite-valid' }, options(VALID_FOR(), 7));
  const out = el('div', { 'data-testid': 'invite-form-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'invite-submit' }, t('console.invite.submit'));
  const form = el('form', { class: 'card invite-form no-print', 'data-testid': 'invite-form' },
    el('h2', {}, t('console.case.invite')),
    el('p', { class: 'muted' }, t('console.invite.intro')),
    field(t('console.invite.name'), name), field(t('console.editor.relationship'), rel, t('console.invite.relationship_hint')),
    field(t('console.invite.language'), lang), field(t('console.invite.valid_for'), days), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const body = { invitee_name: name.value.trim(), relationship: rel.value.trim(), app_url: appUrl(),
        expires_in_s: Number(days.value) * DAY_S };
      if (lang.value) body.language = lang.value;
      const made = await api.post(`/api/cases/${c.id}/invitations`, body);
      resultBox.replaceChildren(handout(made, c.child, c.time_zone));
      form.reset();
      await reload();
    });
  });
  return form;
}

function inviteRow(inv, reload, zone) {
  const out = el('span', {});
  const revoke = inv.state === 'open'
    ? el('button', { type: 'button', class: 'quiet danger', 'data-testid': 'invite-revoke' }, t('console.invite.revoke'))
    : null;
  if (revoke) {
    revoke.addEventListener('click', () => busy(revoke, out, async () => {
      if (!window.confirm(t('console.invite.revoke_confirm', { name: inv.invitee_name }))) return;
      await api.post(`/api/invitations/${inv.id}/revoke`, {});
      await reload();
    }));
  }
  const ended = inv.state === 'used' && inv.agreement_id
    ? el('a', { href: `#/agreement/${inv.agreement_id}`, 'data-testid': 'invite-agreement' }, t('console.invite.joined_as', { name: who(inv.ended_by) }))
    : inv.ended_by ? t('console.invite.ended_by', { name: who(inv.ended_by) }) : '';
  return el('tr', { 'data-testid': `invite-${inv.id}`, 'data-state': inv.state, 'data-name': inv.invitee_name },
    el('td', {}, t('console.person.with_relationship', { name: inv.invitee_name, relationship: inv.relationship })),
    el('td', { class: 'mono' }, `${inv.lookup}-····-····`),
    el('td', {}, chip(inv.state, 'invite-state'), ' ', el('span', { class: 'muted' }, ended)),
    el('td', {}, when(inv.expires_at, zone)),
    el('td', {}, who(inv.created_by)),
    el('td', {}, revoke, out));
}

function invitesTable(list, reload, zone) {
  if (!list.length) return el('p', { class: 'muted', 'data-testid': 'no-invitations' }, t('console.invite.none'));
  return el('table', { class: 'list card', 'data-testid': 'invites-list' },
    el('thead', {}, el('tr', {}, [t('console.invite.col_person'), t('console.invite.col_code'), t('console.invite.col_state'), t('console.invite.valid_until'), t('console.invite.col_by'), t('console.invite.col_actions')].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, list.map((inv) => inviteRow(inv, reload, zone))));
}

/** #/case/ID/invite */
export async function invitesView(ctx, id) {
  const c = await api.get(`/api/cases/${id}`);
  const listBox = el('div', { class: 'no-print' });
  const resultBox = el('div', {});
  const reload = async () => {
    try {
      listBox.replaceChildren(el('h2', {}, t('console.invite.list_title')), invitesTable(api.listOf(await api.get(`/api/cases/${id}/invitations`), 'invitations'), reload, c.time_zone));
    } catch (e) {
      listBox.replaceChildren(note('error', e.message, 'invites-error'));
    }
  };
  await reload();
  return el('section', { class: 'page', 'data-testid': 'invites-page', 'data-case-id': c.id },
    crumbs([t('console.caseload.title'), '#/cases'], [who(c.child), `#/case/${c.id}`], t('console.case.invite')),
    el('h1', { class: 'no-print' }, t('console.invite.title', { child: who(c.child) })),
    el('p', { class: 'muted no-print' }, zoneLine(c.time_zone)),
    inviteForm(ctx, c, resultBox, reload), resultBox, listBox);
}
