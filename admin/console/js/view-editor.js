// Agreement editor: a new agreement for a case, or proposed new terms for an existing one; refusals are shown
// in plain words next to the field the server names, and once more at the top of the form.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, field, note, who, crumbs } from './dom.js';
import { termsForm, showFieldError, clearFieldErrors } from './terms-form.js';
import { contactName } from './view-cases.js';

function submitter(ctx, { formNode, form, agreement, kase, top, submit }) {
  return async (ev) => {
    ev.preventDefault();
    clearFieldErrors(formNode);
    top.replaceChildren();
    submit.disabled = true;
    try {
      if (agreement) {
        await api.post(`/api/agreements/${agreement.id}/proposals`, { terms: form.read() });
        ctx.go(`#/agreement/${agreement.id}`);
      } else {
        const body = {
          contact_username: formNode.querySelector('[data-field="contact_username"]').value.trim(),
          relationship: formNode.querySelector('[data-field="relationship"]').value.trim(),
          terms: form.read(),
        };
        const made = await api.post(`/api/cases/${kase.id}/agreements`, body);
        const id = made && (made.id || made.agreement_id || (made.agreement && made.agreement.id));
        ctx.go(id ? `#/agreement/${id}` : `#/case/${kase.id}`);
      }
      ctx.refreshCounts();
    } catch (err) {
      const placed = err.field ? showFieldError(formNode, err.field, err.message) : null;
      top.replaceChildren(note('error', placed ? t('console.editor.check_field', { problem: placed.text }) : err.message, 'form-error'));
      top.dataset.code = err.code;
      top.dataset.errorField = err.field || '';
    } finally {
      submit.disabled = false;
    }
  };
}

/** args: {caseId} for a new agreement, or {agreementId} to propose a change. */
export async function editorView(ctx, { caseId, agreementId }) {
  let agreement = null;
  let kase;
  if (agreementId) {
    agreement = await api.get(`/api/agreements/${agreementId}`);
    kase = await api.get(`/api/cases/${agreement.case_id}`);
  } else {
    kase = await api.get(`/api/cases/${caseId}`);
  }
  const zone = kase.time_zone || 'UTC';
  const pending = agreement && (agreement.proposals || []).find((p) => p.status === 'pending');
  const form = termsForm(agreement ? agreement.terms : null, zone);
  const top = el('div', { 'data-testid': 'form-status' });
  const head = el('div', { class: 'grid' });
  if (!agreement) {
    const contact = el('input', { 'data-field': 'contact_username', 'data-testid': 'contact-username', autocomplete: 'off', required: true });
    const rel = el('input', { 'data-field': 'relationship', 'data-testid': 'relationship', autocomplete: 'off', placeholder: t('console.editor.relationship_example') });
    contact.dataset.label = t('console.editor.contact_username');
    rel.dataset.label = t('console.editor.relationship');
    head.append(field(contact.dataset.label, contact), field(rel.dataset.label, rel));
  }
  const submit = el('button', { type: 'submit', class: 'primary-button', 'data-testid': 'editor-submit' },
    agreement ? t('console.editor.submit_change') : t('console.editor.submit_new'));
  const formNode = el('form', { class: 'editor', novalidate: true, 'data-testid': 'editor' }, head, form.node, top,
    el('p', { class: 'actions' }, submit,
      el('a', { class: 'button quiet', href: agreement ? `#/agreement/${agreement.id}` : `#/case/${kase.id}` }, t('console.editor.cancel'))));
  formNode.addEventListener('submit', submitter(ctx, { formNode, form, agreement, kase, top, submit }));
  const title = agreement ? t('console.editor.title_change', { contact: who(agreement.contact) })
    : t('console.editor.title_new', { child: who(kase.child) });
  const child = who(kase.child);
  return el('section', { class: 'page', 'data-testid': agreement ? 'propose-page' : 'new-agreement-page' },
    agreement
      ? crumbs([t('console.caseload.title'), '#/cases'], [child, `#/case/${kase.id}`], [contactName(agreement), `#/agreement/${agreement.id}`], t('console.editor.crumb_change'))
      : crumbs([t('console.caseload.title'), '#/cases'], [child, `#/case/${kase.id}`], t('console.editor.crumb_new')),
    el('h1', {}, title),
    agreement
      ? el('p', { class: 'muted' }, t('console.editor.change_intro'), pending ? [' ', t('console.editor.change_pending')] : null)
      : el('p', { class: 'muted' }, t('console.editor.new_intro')),
    formNode);
}
