// Data protection for one case (caseworkers): retention periods, erasure of a person or of the whole case on a lawful
// request, and a person's data as a zip (subject access). docs/ADMIN-API.md "Retention and erasure".

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, who, note, field, busy, crumbs, roleWord } from './dom.js';

// i18n-keys: console.privacy.messages_days console.privacy.media_days console.privacy.recordings_days
const PERIODS = ['messages_days', 'media_days', 'recordings_days'];

function retentionForm(c, current) {
  const inputs = PERIODS.map((name) => el('input', { type: 'number', min: 0, max: 36500, step: 1, name,
    value: current[name] || 0, 'data-testid': `retention-${name}` }));
  const out = el('div', { 'data-testid': 'retention-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'retention-save' }, t('console.privacy.save'));
  const form = el('form', { class: 'card', 'data-testid': 'retention-form' },
    el('h2', {}, t('console.privacy.retention_title')),
    el('p', { class: 'muted' }, t('console.privacy.retention_hint')),
    PERIODS.map((name, i) => field(t(`console.privacy.${name}`), inputs[i])), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const body = {};
      PERIODS.forEach((name, i) => { body[name] = Number(inputs[i].value); });
      const saved = await api.post(`/api/cases/${c.id}/retention`, body);
      out.replaceChildren(note('ok', t('console.privacy.saved', { days: saved.messages_days || 0 }), 'retention-saved'));
    });
  });
  return form;
}

/** "Andrei (Dad)" or "Mia (child)". */
const personLabel = (p) => t('console.person.with_relationship', { name: who(p), relationship: ['child', 'contact'].includes(p.role) ? roleWord(p.role) : p.role });

/** The people whose data the case holds: the child and each contact. */
function people(c) {
  const list = [{ ...c.child, role: 'child' }];
  for (const a of c.agreements || []) if (a.contact && !list.some((p) => p.id === a.contact.id)) list.push({ ...a.contact, role: a.relationship || 'contact' });
  return list.filter((p) => p && p.id);
}

/** Erase: a reference and an explicit confirmation, then one request. */
function eraseForm(c, ctx) {
  const person = el('select', { 'data-testid': 'erase-person' },
    el('option', { value: 'case' }, t('console.privacy.whole_case', { child: who(c.child) })),
    people(c).map((p) => el('option', { value: p.id }, personLabel(p))));
  const ref = el('input', { maxlength: 200, required: true, 'data-testid': 'erase-reference', placeholder: t('console.privacy.reference_example') });
  const sure = el('input', { type: 'checkbox', id: 'erase-confirm', required: true, 'data-testid': 'erase-confirm' });
  const out = el('div', { 'data-testid': 'erase-result' });
  const submit = el('button', { type: 'submit', class: 'danger-button', 'data-testid': 'erase-submit' }, t('console.privacy.erase'));
  const form = el('form', { class: 'card', 'data-testid': 'erase-form' },
    el('h2', {}, t('console.privacy.erase_title')),
    el('p', { class: 'muted' }, t('console.privacy.erase_hint')),
    field(t('console.privacy.whose'), person), field(t('console.privacy.reference'), ref),
    el('div', { class: 'field check' }, sure, el('label', { for: 'erase-confirm' }, t('console.privacy.erase_sure'))), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const path = person.value === 'case' ? `/api/cases/${c.id}/erase` : `/api/accounts/${person.value}/erase`;
      const r = await api.post(path, { reference: ref.value.trim() });
      out.replaceChildren(note('ok', t('console.privacy.erased', { messages: r.messages, conversations: r.conversations, details: r.audit_entries, seq: r.audit_seq }), 'erase-done'));
      form.reset();
    });
  });
  return form;
}

/** Subject access: one person's data as a zip, downloaded by the caseworker to hand over. */
function exportForm(c) {
  const person = el('select', { 'data-testid': 'export-person' },
    people(c).map((p) => el('option', { value: p.id, 'data-username': p.username || '' }, personLabel(p))));
  const ref = el('input', { maxlength: 200, required: true, 'data-testid': 'export-reference', placeholder: t('console.privacy.reference_example') });
  const out = el('div', { 'data-testid': 'export-result' });
  const submit = el('button', { type: 'submit', 'data-testid': 'export-submit' }, t('console.privacy.export'));
  const form = el('form', { class: 'card', 'data-testid': 'export-form' },
    el('h2', {}, t('console.privacy.export_title')),
    el('p', { class: 'muted' }, t('console.privacy.export_hint')),
    field(t('console.privacy.whose'), person), field(t('console.privacy.reference'), ref), out, submit);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, out, async () => {
      const blob = await api.postForFile(`/api/accounts/${person.value}/export`, { reference: ref.value.trim() });
      const name = `samvaer-export-${person.selectedOptions[0].dataset.username || person.value}.zip`;
      const link = el('a', { href: URL.createObjectURL(blob), download: name, 'data-testid': 'export-link' }, t('console.privacy.download', { name }));
      out.replaceChildren(note('ok', t('console.privacy.ready', { kb: Math.ceil(blob.size / 1024) }), 'export-ready'), link);
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
    crumbs([t('console.caseload.title'), '#/cases'], [who(c.child), `#/case/${c.id}`], t('console.case.privacy')),
    el('h1', {}, t('console.privacy.title', { child: who(c.child) })),
    editable ? retentionForm(c, current)
      : el('p', { 'data-testid': 'retention-readonly' }, t('console.privacy.kept', { days: current.messages_days || 0 })),
    editable ? exportForm(c) : null,
    editable ? eraseForm(c, ctx) : null);
}
