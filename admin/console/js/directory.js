// Names and zones for ids: the caller's caseload (GET /api/cases) read once per page, so every view can say
// "Mia" and "Andrei (Dad)" instead of "Case 1" and "Agreement 1", and show times in the right child's zone.

import * as api from './api.js';
import { who } from './dom.js';

let cached = null; // {at, promise}
const FRESH_MS = 3000;

function build(cases) {
  const byCase = new Map();
  const byAgreement = new Map();
  const byChild = new Map();
  const people = new Map();
  const person = (p, role) => {
    if (p && typeof p === 'object' && p.id && !people.has(p.id)) {
      people.set(p.id, { ...p, role: p.role || role });
      if (p.username) people.set(p.username, people.get(p.id));
    }
  };
  for (const c of cases) {
    const zone = c.time_zone || 'UTC';
    const childId = c.child && typeof c.child === 'object' ? c.child.id : c.child;
    const entry = { id: c.id, child: c.child, childId, zone, name: who(c.child) };
    byCase.set(c.id, entry);
    if (childId) byChild.set(childId, entry);
    person(c.child, 'child');
    for (const m of c.members || []) person(m, m.role);
    for (const a of c.agreements || []) {
      person(a.contact, 'contact');
      byAgreement.set(a.id, { id: a.id, caseId: c.id, zone, child: c.child, contact: a.contact, relationship: a.relationship || '' });
    }
  }
  return { byCase, byAgreement, byChild, people };
}

/** The caller's directory (cached a few seconds; an empty one when the server cannot say). */
export function directory() {
  const now = Date.now();
  if (!cached || now - cached.at > FRESH_MS) {
    cached = {
      at: now,
      promise: api.get('/api/cases').then((d) => build(api.listOf(d, 'cases')), () => build([])),
    };
  }
  return cached.promise;
}

/** Forget what was read (after a change of caseload). */
export function forgetDirectory() { cached = null; }

/** The child's zone for a case, an agreement or a child account; 'UTC' when unknown. */
export function zoneOf(dir, { caseId, agreementId, childId } = {}) {
  const hit = (caseId && dir.byCase.get(caseId)) || (agreementId && dir.byAgreement.get(agreementId))
    || (childId && dir.byChild.get(childId));
  return (hit && hit.zone) || 'UTC';
}

/** A person's name by account id or user name, or null when not in the caseload. */
export function personName(dir, id) {
  const p = id && dir.people.get(id);
  return p ? who(p) : null;
}
