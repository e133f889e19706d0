// Audit entries as sentences (server/store/audit.h lists each kind's detail): "Paused contact as carer: Mia is ill,
// until 8 Dec 2026, 10:00 EET." People by name from the caseload, times in the child's zone.

import { t, fmtDateTime } from '/js/i18n.js';
import { roleWord, statusWord } from './dom.js';
import { personName } from './directory.js';

const yes = (v) => (v ? 'yes' : 'no');
const word = (code) => String(code || '').replace(/_/g, ' ');
// i18n-prefix: console.channel.
// i18n-prefix: console.reason.
// i18n-prefix: console.calls.ended.
/** A code in words from an area of the catalog (policy reasons, call endings); the code itself when unknown. */
const coded = (area, code) => {
  const key = `console.${area}.${code}`;
  const text = t(key);
  return text === key ? word(code) : text.replace(/\.$/, '');
};
const channel = (c) => {
  const key = `console.channel.${c}`;
  const text = t(key);
  return text === key ? word(c) : text;
};

/** What each kind says: a function of (detail, helpers) giving a catalog key's arguments, or null to fall back. */
const KINDS = {
  login: (d) => ({ ok: yes(d.ok !== false), username: d.username || '', reason: word(d.reason) }),
  refusal: (d) => ({ channel: channel(d.channel), reason: coded('reason', d.reason) }),
  hold: (d) => ({ channel: channel(d.channel), reason: coded('reason', d.reason) }),
  agreement_created: (d, h) => ({ contact: h.name(d.contact) || d.contact || '', relationship: d.relationship || '', invitation: yes(d.via === 'invitation') }),
  agreement_status: (d) => ({ from: statusWord(d.from), to: statusWord(d.to), reason: d.reason === 'approved' ? statusWord('approved') : (d.reason || ''), has_reason: yes(d.reason) }),
  terms_changed: (d) => (d.channel ? { cli: 'yes', channel: channel(d.channel), mode: word(d.mode) } : { cli: 'no', channel: '', mode: '' }),
  proposal: (d) => ({ role: roleWord(d.role), invitation: yes(d.via === 'invitation') }),
  approval: (d) => ({ decision: d.decision === 'reject' ? 'reject' : 'approve', role: roleWord(d.role), note: d.note || '', has_note: yes(d.note) }),
  pause: (d, h) => ({ role: roleWord(d.by_role), reason: d.reason || '', has_reason: yes(d.reason), until: d.expires_at ? h.time(d.expires_at) : '', has_until: yes(d.expires_at) }),
  unpause: (d) => ({ role: roleWord(d.by_role) }),
  message_review: (d) => ({ decision: d.decision === 'reject' ? 'reject' : 'release' }),
  account: (d) => ({ action: ['add', 'disable', 'enable', 'link'].includes(d.action) ? d.action : 'other', username: d.username || '', role: roleWord(d.role) }),
  case: (d, h) => ({ action: { add: 'create', link: 'add', unlink: 'remove' }[d.action] || 'other', member: h.name(d.member || d.child) || '', role: roleWord(d.role) }),
  call: (d, h) => ({ video: yes(d.channel === 'video_call'), answered: yes(d.answered), minutes: Math.round((d.duration_s || 0) / 6) / 10,
    reason: coded('calls.ended', d.reason), supervised: yes(d.supervised), by: h.name(d.ended_by) || '', has_by: yes(d.ended_by) }),
  call_supervision: (d, h) => ({ action: ['join', 'leave', 'mute', 'end', 'consent_given', 'consent_declined'].includes(d.action) ? d.action : 'other',
    participant: h.name(d.participant) || '', audio: yes(d.audio), video: yes(d.video), listen_in: yes(d.listen_in) }),
  pairing: (d, h) => ({ action: ['created', 'revoked', 'used', 'failed_try', 'locked'].includes(d.action) ? d.action : 'other', person: h.name(d.account) || d.username || '' }),
  device: (d, h) => ({ action: d.action === 'revoked' ? 'revoked' : 'added', name: d.name || '', person: h.name(d.account) || '' }),
  password_reset: (d, h) => ({ person: h.name(d.account) || d.username || '' }),
  invitation: (d) => ({ action: ['created', 'used', 'failed_try', 'locked', 'revoked'].includes(d.action) ? d.action : 'other', name: d.invitee_name || '' }),
  push: (d) => ({ action: ['subscribed', 'unsubscribed', 'expired', 'failing'].includes(d.action) ? d.action : 'other' }),
  erasure: (d) => ({ subject: d.subject === 'case' ? 'case' : 'account', reference: d.reference || '', messages: d.messages || 0 }),
  retention: (d) => ({ action: d.action === 'sweep' ? 'sweep' : 'set', days: d.messages_days || 0, messages: d.messages || d.removed || 0 }),
  export: (d, h) => ({ person: h.name(d.account_id || d.account) || '', reference: d.reference || '', messages: d.messages || 0 }),
  audit_upgraded: (d) => ({ entries: d.entries || 0 }),
  call_recording: (d) => ({ action: ['requested', 'consent_given', 'consent_declined', 'started', 'stopped', 'cancelled', 'refused', 'saved', 'failed', 'played', 'deleted', 'expired'].includes(d.action) ? d.action : 'other' }),
};
// i18n-prefix: console.audit.d.

/** Any other detail: "key: value" pairs, times in the zone (for kinds this console does not know yet). */
function fallback(d, h) {
  return Object.entries(d).filter(([k]) => k !== 'terms').map(([k, v]) => {
    let shown = v;
    if (/_at$/.test(k) && typeof v === 'number') shown = v ? h.time(v) : '—';
    else if (typeof v === 'object' && v !== null) shown = JSON.stringify(v);
    return `${word(k)}: ${shown}`;
  }).join('; ');
}

/** The detail of one entry as a sentence. */
export function auditSentence(entry, dir, zone) {
  const d = entry.detail && typeof entry.detail === 'object' ? entry.detail : {};
  if (d.erased) return t('console.audit.erased');
  const h = {
    name: (v) => (typeof v === 'number' ? personName(dir, v) : (typeof v === 'string' ? (personName(dir, v) || v) : null)),
    time: (ms) => fmtDateTime(ms, zone),
  };
  const args = KINDS[entry.kind] ? KINDS[entry.kind](d, h) : null;
  if (args) return t(`console.audit.d.${entry.kind}`, args);
  return fallback(d, h);
}

// i18n-prefix: console.audit.kind.
/** The kind of entry in words ("pause" -> "Pause"). */
export function kindWord(kind) {
  const key = `console.audit.kind.${kind}`;
  const text = t(key);
  return text === key ? word(kind) : text;
}

