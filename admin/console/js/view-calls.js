// Live calls (supervisors): the calls of their caseload, kept current by calls.live + call.state events on the
// console's WebSocket; Join (receive-only media), per-participant mute toggles, Leave and End call.

import { el, note, fmtDateTime } from './dom.js';
import { liveConn } from './live-conn.js';
import { applyLevels } from '/js/call-levels.js';
import { joinCall, leaveCall, dropMedia, joinedCallId, videoOf, isParty, mediaState, renegotiate } from './call-peer.js';

const ENDED_WORDS = {
  declined: 'nobody answered: it was declined',
  cancelled: 'the caller stopped before an answer',
  timeout: 'nobody answered in time',
  hangup: 'a participant hung up',
  busy: 'the other side was in another call',
  agreement_changed: 'the agreement no longer allows it',
  window_closed: 'the contact window closed',
  time_limit: 'the agreed call length was reached',
  supervisor_ended: 'a supervisor ended it',
  disconnected: 'a participant lost their connection',
  media_lost: 'a participant’s media failed',
  failed: 'the server could not set up the media',
  shutdown: 'the server stopped',
};
const LEFT_WORDS = { ...ENDED_WORDS, declined: 'declined', consent_declined: 'the child said no to listening in', busy: 'busy' };
const STATE_WORDS = {
  ringing: 'Ringing',
  active: 'In progress',
  waiting_for_supervisor: 'Waiting for a supervisor',
  ended: 'Ended',
};
const ENDS_WORDS = { window_closes: 'when the contact window closes', time_limit: 'when the agreed call length is reached' };
const ENDED_SHOW_MS = 15000;

const live = {
  calls: new Map(),     // call_id -> call object (ended ones linger ENDED_SHOW_MS)
  warnings: new Map(),  // call_id -> last call.warning
  root: null,           // the view's list element while shown
  error: null,          // last refusal to show
  conn: 'connecting',
  tick: null,
  unlisten: null,
  onCount: null,        // fn(waiting calls) for the menu badge
};
const ORDER = { waiting_for_supervisor: 0, active: 1, ringing: 2, ended: 3 };

const fmtLeft = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const childOf = (c) => (c.participants || []).find((p) => p.role === 'child') || { name: `child #${c.child}` };
const contactsOf = (c) => (c.participants || []).filter((p) => p.role === 'contact');

function timeLeft(c) {
  if (!c.ends_at || c.state === 'ended') return null;
  return el('p', { class: 'time-left', 'data-testid': 'time-left', 'data-ends-at': c.ends_at },
    el('strong', { class: 'left' }, `${fmtLeft(c.ends_at - Date.now())} left`),
    ` · the server ends it at ${fmtDateTime(c.ends_at)} ${ENDS_WORDS[c.ends_because] || ''}`);
}

function banner(c) {
  if (c.state === 'waiting_for_supervisor') {
    const names = (c.participants || []).filter((p) => isParty(p) && p.state === 'joined').map((p) => p.name).join(' and ');
    return el('div', { class: 'call-banner waiting', role: 'status', 'data-testid': 'waiting-banner' },
      el('strong', {}, 'Waiting for a supervisor.'),
      ` ${names || 'The participants'} ${names.includes(' and ') ? 'are' : 'is'} connected, but no sound or picture passes until a supervisor joins.`);
  }
  if (c.state === 'ended') {
    return el('div', { class: 'call-banner ended', role: 'status', 'data-testid': 'ended-banner', 'data-reason': c.reason || '' },
      el('strong', {}, 'Call ended: '), ENDED_WORDS[c.reason] || c.reason || 'over', '.');
  }
  const w = live.warnings.get(c.call_id);
  if (w && w.ends_at > Date.now()) {
    return el('div', { class: 'call-banner warning', role: 'status', 'data-testid': 'call-warning', 'data-reason': w.reason || '' },
      el('strong', {}, 'Ends soon: '), `the server ends this call in about ${fmtLeft(w.ends_at - Date.now())}, ${ENDS_WORDS[w.reason] || ''}.`);
  }
  return null;
}

function participantState(p) {
  if (p.state === 'left') return `left — ${LEFT_WORDS[p.left_reason] || p.left_reason || ''}`;
  const bits = [p.state === 'ringing' ? 'ringing' : 'in the call'];
  if (p.state === 'joined' && p.media && p.media !== 'none') bits.push({ connected: 'media connected', flowing: 'media flowing' }[p.media] || p.media);
  if (p.consent === 'pending') bits.push('waiting for the child’s consent');
  return bits.join(', ');
}

async function act(button, fn) {
  button.disabled = true;
  live.error = null;
  try {
    await fn();
  } catch (err) {
    live.error = err.message || String(err);
  } finally {
    button.disabled = false;
    render();
  }
}

function muteButtons(c, p) {
  const mute = (kind) => {
    const on = kind === 'audio' ? !!p.audio_muted : !!p.video_muted;
    const label = kind === 'audio' ? (on ? 'Unmute sound' : 'Mute sound') : (on ? 'Turn picture back on' : 'Mute picture');
    return el('button', {
      type: 'button', class: on ? 'big-button muted-on' : 'big-button', 'aria-pressed': on ? 'true' : 'false',
      'data-testid': `mute-${kind}-${p.account}`, 'data-muted': on ? 'yes' : 'no',
      onclick: (ev) => act(ev.currentTarget, () => liveConn().request('call.mute', {
        call_id: c.call_id, participant: p.account,
        audio: kind === 'audio' ? !on : !!p.audio_muted, video: kind === 'video' ? !on : !!p.video_muted,
      })),
    }, label);
  };
  return el('div', { class: 'tile-buttons' }, mute('audio'), c.video ? mute('video') : null);
}

function participantTile(c, p, inCall) {
  const video = inCall && p.state !== 'left' ? videoOf(p.account) : null;
  const muted = [p.audio_muted ? 'sound muted' : null, p.video_muted ? 'picture muted' : null].filter(Boolean).join(', ');
  return el('div', { class: `tile${p.state === 'left' ? ' left' : ''}`, 'data-testid': `tile-${p.account}`, 'data-account': String(p.account), 'data-state': p.state, 'data-media': p.media || '' },
    video ? el('div', { class: 'tile-video' }, video) : null,
    el('p', { class: 'tile-name' }, el('strong', {}, p.name || `#${p.account}`), ` (${p.role === 'contact' ? 'contact' : p.role})`),
    el('p', { class: 'muted' }, participantState(p)),
    muted ? el('p', { class: 'tile-muted', 'data-testid': 'muted-flags' }, `By a supervisor: ${muted}`) : null,
    inCall && isParty(p) && p.state === 'joined' ? muteButtons(c, p) : null);
}

function callButtons(c) {
  const inCall = joinedCallId() === c.call_id;
  if (c.state === 'ended') return null;
  if (!inCall) {
    const canJoin = c.state !== 'ringing' && !joinedCallId();
    return el('p', { class: 'actions' },
      el('button', {
        type: 'button', class: 'big-button primary', 'data-testid': 'call-join', disabled: !canJoin,
        onclick: (ev) => act(ev.currentTarget, () => joinCall(liveConn(), c, render)),
      }, c.state === 'waiting_for_supervisor' ? 'Join — start the call' : 'Join call'),
      c.state === 'ringing' ? el('span', { class: 'muted' }, 'You can join once someone answers.') : null);
  }
  return el('p', { class: 'actions' },
    el('span', { class: 'media-state', 'data-testid': 'media-state' }, `Your media: ${mediaState()}`),
    el('button', {
      type: 'button', class: 'big-button', 'data-testid': 'call-leave',
      onclick: (ev) => act(ev.currentTarget, () => leaveCall(liveConn())),
    }, 'Leave (pauses a supervised call)'),
    el('button', {
      type: 'button', class: 'big-button danger', 'data-testid': 'call-end',
      onclick: (ev) => act(ev.currentTarget, () => liveConn().request('call.end', { call_id: c.call_id })),
    }, 'End call for everyone'));
}

function callCard(c) {
  const inCall = joinedCallId() === c.call_id;
  const contacts = contactsOf(c).map((p) => p.name).join(', ') || '—';
  return el('article', { class: `card live-call state-${c.state}`, 'data-testid': `live-call-${c.call_id}`, 'data-state': c.state, 'data-joined': inCall ? 'yes' : 'no' },
    el('header', { class: 'case-head' },
      el('h2', {}, `${childOf(c).name} with ${contacts}`),
      el('span', { class: `chip chip-call-${c.state}`, 'data-testid': 'call-state' }, STATE_WORDS[c.state] || c.state)),
    el('p', { class: 'muted' }, `${c.video ? 'Video' : 'Voice'} call · ${c.supervised ? 'supervised' : 'not supervised (joining is listening in)'}`,
      c.answered_at ? ` · answered ${fmtDateTime(c.answered_at)}` : ''),
    banner(c),
    timeLeft(c),
    el('div', { class: 'tiles' }, (c.participants || []).filter((p) => isParty(p) || p.state !== 'left').map((p) => participantTile(c, p, inCall))),
    callButtons(c));
}

function render() {
  if (live.onCount) live.onCount([...live.calls.values()].filter((c) => c.state === 'waiting_for_supervisor').length);
  const root = live.root;
  if (!root) return;
  const calls = [...live.calls.values()].sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || a.call_id - b.call_id);
  root.replaceChildren(...[
    live.conn === 'offline' ? note('error', 'No connection to the server: this list may be out of date. Reconnecting…', 'live-offline') : null,
    live.error ? note('error', live.error, 'action-error') : null,
    ...(calls.length ? calls.map(callCard) : [el('p', { class: 'muted', 'data-testid': 'no-live-calls' }, 'No calls right now. New calls appear here by themselves.')]),
  ].filter(Boolean));
}

/** Update only the countdowns each second (no re-render, so buttons keep focus). */
function tick() {
  if (!live.root || !live.root.isConnected) { stop(); return; }
  live.root.querySelectorAll('[data-ends-at] .left').forEach((n) => {
    n.textContent = `${fmtLeft(Number(n.parentNode.dataset.endsAt) - Date.now())} left`;
  });
}

function onEvent(event, data) {
  if (event === 'conn') {
    live.conn = data.state;
    if (data.state === 'online') load().catch(() => {});
  } else if (event === 'call.state') {
    live.calls.set(data.call_id, data);
    if (data.state === 'ended') {
      if (joinedCallId() === data.call_id) dropMedia();
      live.warnings.delete(data.call_id);
      setTimeout(() => { if ((live.calls.get(data.call_id) || {}).state === 'ended') { live.calls.delete(data.call_id); render(); } }, ENDED_SHOW_MS);
    }
    if (joinedCallId() === data.call_id) {
      const me = (data.participants || []).filter((p) => p.role === 'supervisor' && p.account === live.me).pop();
      if (me && me.state === 'left') dropMedia(); // e.g. the child refused listening in
    }
  } else if (event === 'call.levels') {
    applyLevels(live.root, data); // who talks: attributes only, no re-render 5 times a second
    return;
  } else if (event === 'call.renegotiate') {
    if (joinedCallId() === data.call_id) renegotiate(liveConn(), live.calls.get(data.call_id)).catch(() => {});
    return;
  } else if (event === 'call.warning') {
    live.warnings.set(data.call_id, { ...data, ends_at: Date.now() + (data.seconds_left || 0) * 1000 });
  } else if (event === 'call.media') {
    const c = live.calls.get(data.call_id);
    const p = c && (c.participants || []).find((x) => x.account === data.participant);
    if (p) p.media = data.media;
  } else {
    return;
  }
  render();
}

async function load() {
  const r = await liveConn().request('calls.live');
  const fresh = new Map((r.calls || []).map((c) => [c.call_id, c]));
  for (const [id, c] of live.calls) if (c.state === 'ended' && !fresh.has(id)) fresh.set(id, c);
  live.calls = fresh;
  live.error = null;
  render();
}

function stop() {
  clearInterval(live.tick);
  live.tick = null;
  live.root = null;
}

/** Supervisors: follow live calls from sign-in on (the menu shows how many wait); onCount(n) on each change. */
export function watchLiveCalls(me, onCount) {
  live.me = me && me.id;
  live.onCount = onCount;
  if (!live.unlisten) live.unlisten = liveConn().listen(onEvent);
  load().catch(() => {});
}

/** Log out: stop following, forget the calls, drop any media. */
export function unwatchLiveCalls() {
  if (live.unlisten) live.unlisten();
  live.unlisten = null;
  live.calls = new Map();
  live.warnings = new Map();
  if (live.onCount) live.onCount(0);
  live.onCount = null;
  dropMedia();
  stop();
}

/** #/calls */
export async function liveCallsView(ctx) {
  live.me = ctx.me && ctx.me.id;
  if (!live.unlisten) live.unlisten = liveConn().listen(onEvent);
  await load();
  live.conn = 'online';
  const list = el('div', { class: 'live-list', 'data-testid': 'live-list' });
  live.root = list;
  clearInterval(live.tick);
  live.tick = setInterval(tick, 1000);
  const page = el('section', { class: 'page', 'data-testid': 'live-calls' },
    el('h1', {}, 'Live calls'),
    el('p', { class: 'muted' }, 'Calls of the children you supervise. A supervised call carries no sound or picture until a supervisor joins; leaving pauses it again.'),
    list);
  render();
  return page;
}
