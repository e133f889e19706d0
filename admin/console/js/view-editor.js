// Agreement editor: a new agreement for a case, or proposed new terms for an existing one; refusals are shown
// next to the field the server names.

import * as api from './api.js';
import { el, field, note, who } from './dom.js';
import { termsForm, showFieldError, clearFieldErrors } from './terms-form.js';

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
    head.append(
      field('Contact (user name)', el('input', { 'data-field': 'contact_username', 'data-testid': 'contact-username', autocomplete: 'off', required: true })),
      field('Relationship to the child', el('input', { 'data-field': 'relationship', 'data-testid': 'relationship', autocomplete: 'off', placeholder: 'e.g. Aunt' })));
  }
  const submit = el('button', { type: 'submit', class: 'primary-button', 'data-testid': 'editor-submit' },
    agreement ? 'Propose these terms' : 'Create and propose');
  const formNode = el('form', { class: 'editor', novalidate: true, 'data-testid': 'editor' }, head, form.node, top,
    el('p', { class: 'actions' }, submit,
      el('a', { class: 'button quiet', href: agreement ? `#/agreement/${agreement.id}` : `#/case/${kase.id}` }, 'Cancel')));
  formNode.addEventListener('submit', async (ev) => {
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
      top.replaceChildren(note('error', placed ? `Please check the marked field: ${err.message}` : err.message, 'form-error'));
      if (!placed) top.firstChild.focus?.();
      top.dataset.code = err.code;
      top.dataset.errorField = err.field || '';
    } finally {
      submit.disabled = false;
    }
  });
  const title = agreement ? `Change the agreement with ${who(agreement.contact)}` : `New agreement for ${who(kase.child)}`;
  return el('section', { class: 'page', 'data-testid': agreement ? 'propose-page' : 'new-agreement-page' },
    el('p', { class: 'crumbs' }, el('a', { href: '#/cases' }, 'Caseload'), ' › ', el('a', { href: `#/case/${kase.id}` }, who(kase.child)),
      agreement ? [' › ', el('a', { href: `#/agreement/${agreement.id}` }, who(agreement.contact))] : null),
    el('h1', {}, title),
    agreement
      ? el('p', { class: 'muted' }, 'The current terms stay in force until every required role has approved the change.',
        pending ? ' A change is already waiting for approval; a new one is proposed alongside it.' : '')
      : el('p', { class: 'muted' }, 'The agreement starts as pending; it becomes active once every required role has approved it.'),
    formNode);
}
