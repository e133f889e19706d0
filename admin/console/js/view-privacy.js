// Data protection for one case (caseworkers): retention periods, erasure of a person or of the whole case on a lawful
// request, and a person's data as a zip (subject access). docs/ADMIN-API.md "Retention and erasure".

import * as api from './api.js';
import { el, who, note, field, busy } from './dom.js';

const PERIODS = [['messages_days', 'Messages'], ['media_days', 'Photos and clips'], ['recordings_days', 'Call recordings']];

function retentionForm(c, current) {
  const inputs = PERIODS.map(([name]) => el('input', { type: 'number', min: 0, max: 36500, step: 1, name,
    value: current[name] || 0, 'data-testid': `retention-${name}` }));
  const out = el('div', { 'data-testid': 'retention-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'retention-save' }, 'Save periods');
  const form = el('form', { class: 'card', 'data-testid': 'retention-form' },
    el('h2', {}, 'How long things are kept'),
    el('p', { class: 'muted' }, 'In days; 0 keeps them for ever. Older messages are removed within the hour, for good.'),
    PERIODS.map(([, label], i) => field(label, inputs[i])), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const body = {};
      PERIODS.forEach(([name], i) => { body[name] = Number(inputs[i].value); });
      const saved = await api.post(`/api/cases/${c.id}/retention`, body);
      out.replaceChildren(note('ok', `Saved: messages are kept ${saved.messages_days ? `${saved.messages_days} days` : 'for ever'}.`, 'retention-saved'));
    });
  });
  return form;
}

/** The people whose data the case holds: the child and each contact. */
function people(c) {
  const list = [{ ...c.child, role: 'child' }];
  for (const a of c.agreements || []) if (a.contact && !list.some((p) => p.id === a.contact.id)) list.push({ ...a.contact, role: a.relationship || 'contact' });
  return list.filter((p) => p && p.id);
}

/** Erase: a reference and an explicit confirmation, then one request. */
function eraseForm(c, ctx) {
  const person = el('select', { 'data-testid': 'erase-person' },
    el('option', { value: 'case' }, `The whole case of ${who(c.child)}`),
    people(c).map((p) => el('option', { value: p.id }, `${who(p)} (${p.role})`)));
  const ref = el('input', { maxlength: 200, required: true, 'data-testid': 'erase-reference', placeholder: 'Case file or letter number' });
  const sure = el('input', { type: 'checkbox', id: 'erase-confirm', required: true, 'data-testid': 'erase-confirm' });
  const out = el('div', { 'data-testid': 'erase-result' });
  const submit = el('button', { type: 'submit', class: 'danger-button', 'data-testid': 'erase-submit' }, 'Erase');
  const form = el('form', { class: 'card', 'data-testid': 'erase-form' },
    el('h2', {}, 'Erase on request'),
    el('p', { class: 'muted' }, 'For a lawful erasure request. Messages, names and notes go for good; the audit trail keeps that something happened, not what.'),
    field('Whose data', person), field('Reference of the request', ref),
    el('div', { class: 'field check' }, sure, el('label', { for: 'erase-confirm' }, 'I understand this cannot be undone.')), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const path = person.value === 'case' ? `/api/cases/${c.id}/erase` : `/api/accounts/${person.value}/erase`;
      const r = await api.post(path, { reference: ref.value.trim() });
      out.replaceChildren(note('ok', `Erased: ${r.messages} messages in ${r.conversations} conversations, ${r.audit_entries} audit details (audit entry ${r.audit_seq}).`, 'erase-done'));
      form.reset();
    });
  });
  return form;
}

/** Subject access: one person's data as a zip, downloaded by the caseworker to hand over. */
function exportForm(c) {
  const person = el('select', { 'data-testid': 'export-person' },
    people(c).map((p) => el('option', { value: p.id, 'data-username': p.username || '' }, `${who(p)} (${p.role})`)));
  const ref = el('input', { maxlength: 200, required: true, 'data-testid': 'export-reference', placeholder: 'Case file or letter number' });
  const out = el('div', { 'data-testid': 'export-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'export-submit' }, 'Prepare the download');
  const form = el('form', { class: 'card', 'data-testid': 'export-form' },
    el('h2', {}, 'A person\'s data (subject access)'),
    el('p', { class: 'muted' }, 'Everything the server keeps about one person, as a zip: their messages, agreements and the audit entries about them. The export is recorded in the audit trail.'),
    field('Whose data', person), field('Reference of the request', ref), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const blob = await api.postForFile(`/api/accounts/${person.value}/export`, { reference: ref.value.trim() });
      const name = `samvaer-export-${person.selectedOptions[0].dataset.username || person.value}.zip`;
      const link = el('a', { href: URL.createObjectURL(blob), download: name, 'data-testid': 'export-link' }, `Download ${name}`);
      out.replaceChildren(note('ok', `Ready (${Math.ceil(blob.size / 1024)} KB). `, 'export-ready'), link);
      link.click();
    });
  });
  return form;
}

export async function privacyView(ctx, id) {
  const c = await api.get(`/api/cases/${id}`);
  const current = await api.get(`/api/cases/${id}/retention`);
  const editable = ctx.me.role === 'caseworker';
  return el('section', { class: 'page', 'data-testid': 'privacy-page', 'data-case-id': c.id },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ', el('a', { href: `#/case/${c.id}` }, who(c.child)), ' › Data protection'),
    el('h1', {}, `Data protection: ${who(c.child)}`),
    editable ? retentionForm(c, current)
      : el('p', { 'data-testid': 'retention-readonly' }, `Messages are kept ${current.messages_days ? `${current.messages_days} days` : 'for ever'}.`),
    editable ? exportForm(c) : null,
    editable ? eraseForm(c, ctx) : null);
}
