// Development stand-in for the admin API (docs/ADMIN-API.md) inside a browser context: WebSocket auth.login plus
// /api routes over an in-memory demo case. For working on the console without the server; not for CI.

const PEOPLE = {
  mia: { id: 1, username: 'mia', display_name: 'Mia', role: 'child' },
  andrei: { id: 2, username: 'andrei', display_name: 'Andrei Popescu', role: 'contact' },
  radu: { id: 3, username: 'radu', display_name: 'Radu Popescu', role: 'contact' },
  ioana: { id: 4, username: 'ioana', display_name: 'Ioana Marin', role: 'contact' },
  elena: { id: 5, username: 'elena', display_name: 'Elena Popescu', role: 'carer' },
  ana: { id: 6, username: 'ana', display_name: 'Ana Ionescu', role: 'caseworker' },
  sofie: { id: 7, username: 'sofie', display_name: 'Sofie Holm', role: 'supervisor' },
};
const REQUIRED = ['caseworker', 'carer'];
const pub = (p) => ({ id: p.id, username: p.username, display_name: p.display_name, role: p.role });

export function createConsoleWorld() {
  const now = Date.now();
  const text = { text: 'allowed', photo: 'off', video_clip: 'off', voice_note: 'off', voice_call: 'off', video_call: 'off' };
  return {
    tokens: new Map(),
    agreements: [
      { id: 1, case_id: 1, contact: 'andrei', relationship: 'Dad', status: 'active', status_reason: '', terms: { channels: text, windows: { weekly: [{ day: 'tue', start: '17:00', end: '18:30' }], dated: [], blackouts: [] } }, pauses: [] },
      { id: 2, case_id: 1, contact: 'radu', relationship: 'Uncle', status: 'suspended', status_reason: 'Paused while the caseworker reviews contact', terms: { channels: text }, pauses: [] },
    ],
    proposals: [],
    notices: [{ id: 1, case_id: 1, agreement_id: 1, kind: 'carer_pause', detail: { by_role: 'carer', reason: 'Mia is unwell', expires_at: now + 36e5 * 40 }, at: now - 36e5 * 8, read: false }],
    held: [{ id: 1, agreement_id: 1, case_id: 1, from: pub(PEOPLE.andrei), to: pub(PEOPLE.mia), text: 'Call me on 0722 123 456', sent_at: now - 6e5, reason: 'held_for_review' }],
    audit: [
      { seq: 1, at: now - 864e5, actor: pub(PEOPLE.ana), kind: 'agreement_created', case_id: 1, agreement_id: 1, detail: {} },
      { seq: 2, at: now - 36e5, actor: pub(PEOPLE.elena), kind: 'pause', case_id: 1, agreement_id: 1, detail: { by_role: 'carer', reason: 'Mia is unwell', expires_at: now + 36e5 * 40 } },
    ],
  };
}

function validate(terms) {
  const weekly = (terms.windows && terms.windows.weekly) || [];
  for (let i = 0; i < weekly.length; i++) {
    for (const k of ['start', 'end']) {
      const m = /^(\d\d):(\d\d)$/.exec(weekly[i][k] || '');
      if (!m || Number(m[1]) > (k === 'end' ? 24 : 23) || Number(m[2]) > 59) {
        return { field: `windows.weekly[${i}].${k}`, message: `windows.weekly[${i}].${k}: expected HH:MM` };
      }
    }
  }
  return null;
}

function agreementOut(w, a) {
  return { ...a, contact: pub(PEOPLE[a.contact]), child: pub(PEOPLE.mia), proposals: w.proposals.filter((p) => p.agreement_id === a.id).map((p) => proposalOut(w, p)) };
}
function proposalOut(w, p) {
  const a = w.agreements.find((x) => x.id === p.agreement_id);
  return {
    ...p, proposed_by: pub(PEOPLE[p.proposed_by]), contact: pub(PEOPLE[a.contact]), child: pub(PEOPLE.mia), relationship: a.relationship,
    time_zone: 'Europe/Bucharest', agreement_status: a.status, current_terms: a.terms,
    needs: REQUIRED.filter((r) => !p.approvals.some((x) => x.role === r)),
  };
}
function caseOut(w, full) {
  const ags = w.agreements.map((a) => (full ? agreementOut(w, a) : { id: a.id, contact: pub(PEOPLE[a.contact]), relationship: a.relationship, status: a.status }));
  return {
    id: 1, child: { ...pub(PEOPLE.mia), initials: 'M' }, time_zone: 'Europe/Bucharest',
    members: ['elena', 'ana', 'sofie'].map((u) => pub(PEOPLE[u])), agreements: ags,
    pending_proposals: w.proposals.filter((p) => p.status === 'pending').length,
    open_notices: w.notices.filter((n) => !n.read).length,
  };
}

function propose(w, a, terms, me) {
  const p = { id: w.proposals.length + 1, agreement_id: a.id, terms, proposed_role: me.role, proposed_by: me.username, status: 'pending', created_at: Date.now(), approvals: [{ account: pub(me), role: me.role, decision: 'approve', at: Date.now(), note: '' }] };
  w.proposals.push(p);
  return p;
}

/** One API call: returns [status, body]. */
function handle(w, me, method, path, body) {
  const err = (status, code, message, field) => [status, { error: { code, message, ...(field ? { field } : {}) } }];
  let m;
  if (!me) return err(401, 'unauthenticated', 'Please log in.');
  if (method === 'GET' && path === '/api/me') return [200, pub(me)];
  if (method === 'GET' && path === '/api/cases') return [200, [caseOut(w, false)]];
  if (method === 'GET' && path === '/api/cases/1') return [200, caseOut(w, true)];
  if (method === 'GET' && (m = path.match(/^\/api\/agreements\/(\d+)$/))) {
    const a = w.agreements.find((x) => x.id === Number(m[1]));
    return a ? [200, agreementOut(w, a)] : err(404, 'not_found', 'No such agreement.');
  }
  if (method === 'POST' && path === '/api/cases/1/agreements') {
    if (!PEOPLE[body.contact_username]) return err(400, 'bad_request', 'No such contact.', 'contact_username');
    const bad = validate(body.terms || {});
    if (bad) return err(400, 'invalid_terms', bad.message, bad.field);
    const a = { id: w.agreements.length + 1, case_id: 1, contact: body.contact_username, relationship: body.relationship, status: 'pending', status_reason: '', terms: {}, pauses: [] };
    w.agreements.push(a);
    propose(w, a, body.terms, me);
    return [201, agreementOut(w, a)];
  }
  if (method === 'POST' && (m = path.match(/^\/api\/agreements\/(\d+)\/(proposals|pause|unpause|suspend|resume|end)$/))) {
    const a = w.agreements.find((x) => x.id === Number(m[1]));
    if (!a) return err(404, 'not_found', 'No such agreement.');
    if (m[2] === 'proposals') {
      const bad = validate(body.terms || {});
      if (bad) return err(400, 'invalid_terms', bad.message, bad.field);
      return [201, propose(w, a, body.terms, me)];
    }
    if (m[2] === 'pause') {
      if (!body.reason) return err(400, 'bad_request', 'A reason is required.', 'reason');
      a.pauses.push({ id: a.pauses.length + 1, by_role: me.role, by: pub(me), reason: body.reason, started_at: Date.now(), expires_at: Date.now() + (body.hours || 48) * 36e5, ended_at: 0 });
    }
    if (m[2] === 'unpause') a.pauses.forEach((p) => { if (!p.ended_at) p.ended_at = Date.now(); });
    if (m[2] === 'suspend') { a.status = 'suspended'; a.status_reason = body.reason; }
    if (m[2] === 'resume') { a.status = 'active'; a.status_reason = ''; }
    if (m[2] === 'end') { a.status = 'ended'; a.status_reason = body.reason; }
    return [200, agreementOut(w, a)];
  }
  if (method === 'GET' && path === '/api/approvals') {
    return [200, w.proposals.filter((p) => p.status === 'pending' && REQUIRED.includes(me.role) && !p.approvals.some((x) => x.role === me.role)).map((p) => proposalOut(w, p))];
  }
  if (method === 'POST' && (m = path.match(/^\/api\/proposals\/(\d+)\/(approve|reject)$/))) {
    const p = w.proposals.find((x) => x.id === Number(m[1]));
    if (!p) return err(404, 'not_found', 'No such proposal.');
    if (p.status !== 'pending') return err(409, 'conflict', 'Already decided.');
    p.approvals.push({ account: pub(me), role: me.role, decision: m[2], at: Date.now(), note: body.note || '' });
    if (m[2] === 'reject') p.status = 'rejected';
    else if (REQUIRED.every((r) => p.approvals.some((x) => x.role === r))) {
      p.status = 'approved';
      const a = w.agreements.find((x) => x.id === p.agreement_id);
      a.terms = p.terms;
      if (a.status === 'pending') a.status = 'active';
    }
    return [200, proposalOut(w, p)];
  }
  if (method === 'GET' && path === '/api/notices') return [200, w.notices];
  if (method === 'POST' && (m = path.match(/^\/api\/notices\/(\d+)\/read$/))) {
    const n = w.notices.find((x) => x.id === Number(m[1]));
    if (n) n.read = true;
    return [200, {}];
  }
  if (method === 'GET' && path === '/api/messages/held') return [200, { messages: w.held }];
  if (method === 'POST' && (m = path.match(/^\/api\/messages\/held\/(\d+)\/(release|reject)$/))) {
    const h = w.held.find((x) => x.id === Number(m[1]));
    if (!h) return err(409, 'conflict', 'Already decided.');
    w.held = w.held.filter((x) => x !== h);
    return [200, { id: h.id, state: m[2] === 'release' ? 'released' : 'rejected' }];
  }
  if (method === 'GET' && path === '/api/audit') return [200, { entries: [...w.audit].reverse() }];
  if (method === 'GET' && path === '/api/audit/verify') return [200, { ok: true, entries: w.audit.length }];
  return err(404, 'not_found', 'No such API endpoint.');
}

/** Route /ws (auth.login only) and /api/* of every page in `context` to the world. */
export async function installConsoleMock(context, w) {
  await context.routeWebSocket(/\/ws$/, (ws) => {
    let me = null;
    ws.onMessage((raw) => {
      const req = JSON.parse(String(raw));
      let res;
      if (req.type === 'auth.login') {
        const p = PEOPLE[req.username];
        if (!p || req.password !== 'samvaer-demo') res = { ok: false, error: { code: 'bad_credentials', message: 'Wrong user name or password.' } };
        else { const t = `tok-${p.username}-${Date.now()}`; w.tokens.set(t, p); me = p; res = { ok: true, result: { token: t, expires_at: Date.now() + 864e5, account: pub(p) } }; }
      } else if (req.type === 'auth.resume') {
        me = w.tokens.get(req.token) || null;
        res = me ? { ok: true, result: { account: pub(me) } } : { ok: false, error: { code: 'token_invalid', message: 'Please log in again.' } };
      } else if (req.type === 'auth.logout') {
        res = { ok: true, result: {} };
      } else {
        res = { ok: false, error: { code: 'bad_request', message: 'Not mocked.' } };
      }
      ws.send(JSON.stringify({ id: req.id, ...res }));
    });
  });
  await context.route('**/api/**', async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const auth = req.headers().authorization || '';
    const me = w.tokens.get(auth.replace(/^Bearer /, '')) || null;
    let body = {};
    try { body = req.postData() ? JSON.parse(req.postData()) : {}; } catch (e) { body = {}; }
    const [status, out] = handle(w, me, req.method(), url.pathname, body);
    if (req.method() === 'POST' && status < 300) {
      w.audit.push({ seq: w.audit.length + 1, at: Date.now(), actor: pub(me), kind: url.pathname.split('/').pop(), case_id: 1, detail: body });
    }
    await route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(out) });
  });
}
