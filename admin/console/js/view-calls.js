// Live calls (supervisors): the calls of their caseload, kept current by calls.live + call.state events on the
// console's WebSocket; Join (receive-only media), per-participant mute toggles, Speak (listening in), Record, Leave
// and End call.

import { t, fmtList } from '/js/i18n.js';
import { el, note, when, roleWord } from './dom.js';
import { directory, zoneOf } from './directory.js';
import { liveConn } from './live-conn.js';
import { applyLevels } from '/js/call-levels.js';
import { joinCall, leaveCall, dropMedia, joinedCallId, videoOf, isParty, mediaState, renegotiate, speak } from './call-peer.js';

// i18n-prefix: console.calls.ended.
// i18n-prefix: console.calls.left.
// i18n-prefix: console.calls.state.
// i18n-prefix: console.calls.ends.
/** A code in words from the area's keys; the code itself when the catalog has no word for it yet. */
const words = (area, code) => {
  const key = `console.calls.${area}.${code}`;
  const text = t(key);
  return text === key ? String(code || '').replace(/_/g, ' ') : text;
};
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
  dir: null,            // names and zones of the caseload (directory.js)
};
const ORDER = { waiting_for_supervisor: 0, active: 1, ringing: 2, ended: 3 };

const fmtLeft = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const childOf = (c) => (c.participants || []).find((p) => p.role === 'child') || { name: roleWord('child') };
const zoneOfCall = (c) => (live.dir ? zoneOf(live.dir, { childId: c.child, caseId: c.case_id }) : 'UTC');
const contactsOf = (c) => (c.participants || []).filter((p) => p.role === 'contact');

function timeLeft(c) {
  if (!c.ends_at || c.state === 'ended') return null;
  return el('p', { class: 'time-left', 'data-testid': 'time-left', 'data-ends-at': c.ends_at },
    el('strong', { class: 'left' }, t('console.calls.left_time', { time: fmtLeft(c.ends_at - Date.now()) })),
    ' · ', t('console.calls.server_ends_at'), ' ', when(c.ends_at, zoneOfCall(c)), ' ', c.ends_because ? words('ends', c.ends_because) : '');
}

function banner(c) {
  if (c.state === 'waiting_for_supervisor') {
    const names = (c.participants || []).filter((p) => isParty(p) && p.state === 'joined').map((p) => p.name);
    return el('div', { class: 'call-banner waiting', role: 'status', 'data-testid': 'waiting-banner' },
      el('strong', {}, t('console.calls.waiting_title')), ' ',
      t('console.calls.waiting_text', { names: names.length ? fmtList(names) : '', count: names.length }));
  }
  if (c.state === 'ended') {
    return el('div', { class: 'call-banner ended', role: 'status', 'data-testid': 'ended-banner', 'data-reason': c.reason || '' },
      el('strong', {}, t('console.calls.ended_title')), ' ', c.reason ? words('ended', c.reason) : t('console.calls.ended.over'));
  }
  const w = live.warnings.get(c.call_id);
  if (w && w.ends_at > Date.now()) {
    return el('div', { class: 'call-banner warning', role: 'status', 'data-testid': 'call-warning', 'data-reason': w.reason || '' },
      el('strong', {}, t('console.calls.ends_soon')), ' ', t('console.calls.ends_in', { time: fmtLeft(w.ends_at - Date.now()) }), ' ', w.reason ? words('ends', w.reason) : '');
  }
  return null;
}

/** A supervisor listening in (a call that is not supervised): true while only listening, false while heard. */
const listensIn = (c, p) => !c.supervised && p.role === 'supervisor' && typeof p.listening === 'boolean';

function participantState(c, p) {
  if (p.state === 'left') return t('console.calls.left_because', { reason: p.left_reason ? words('left', p.left_reason) : '' });
  const bits = [p.state === 'ringing' ? t('console.calls.p_ringing') : t('console.calls.p_in_call')];
  if (p.state === 'joined' && (p.media === 'connected' || p.media === 'flowing')) bits.push(t(p.media === 'connected' ? 'console.calls.p_media_connected' : 'console.calls.p_media_flowing'));
  if (p.consent === 'pending') bits.push(t('console.calls.p_consent'));
  else if (p.state === 'joined' && listensIn(c, p)) bits.push(t(p.listening ? 'console.calls.p_listening' : 'console.calls.p_speaking'));
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
    const label = kind === 'audio' ? (on ? t('console.calls.unmute_sound') : t('console.calls.mute_sound')) : (on ? t('console.calls.unmute_picture') : t('console.calls.mute_picture'));
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
  const muted = [p.audio_muted ? t('console.calls.sound_muted') : null, p.video_muted ? t('console.calls.picture_muted') : null].filter(Boolean).join(', ');
  return el('div', { class: `tile${p.state === 'left' ? ' left' : ''}`, 'data-testid': `tile-${p.account}`, 'data-account': String(p.account), 'data-state': p.state, 'data-media': p.media || '' },
    video ? el('div', { class: 'tile-video' }, video) : null,
    el('p', { class: 'tile-name' }, el('strong', {}, p.name || roleWord(p.role)), ` (${roleWord(p.role)})`),
    el('p', { class: 'muted', 'data-testid': 'participant-state' }, participantState(c, p)),
    muted ? el('p', { class: 'tile-muted', 'data-testid': 'muted-flags' }, t('console.calls.muted_by', { what: muted })) : null,
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
      }, c.state === 'waiting_for_supervisor' ? t('console.calls.join_start') : t('console.calls.join')),
      c.state === 'ringing' ? el('span', { class: 'muted' }, t('console.calls.join_later')) : null);
  }
  return el('p', { class: 'actions' },
    el('span', { class: 'media-state', 'data-testid': 'media-state' }, t('console.calls.your_media', { state: mediaState() })),
    speakButton(c),
    recordButton(c),
    el('button', {
      type: 'button', class: 'big-button', 'data-testid': 'call-leave',
      onclick: (ev) => act(ev.currentTarget, () => leaveCall(liveConn())),
    }, t('console.calls.leave')),
    el('button', {
      type: 'button', class: 'big-button danger', 'data-testid': 'call-end',
      onclick: (ev) => act(ev.currentTarget, () => liveConn().request('call.end', { call_id: c.call_id })),
    }, t('console.calls.end')));
}

/** Speak (a supervisor listening in, once the child agreed): the others hear us while it is pressed (call.speak). */
function speakButton(c) {
  const me = (c.participants || []).filter((p) => p.account === live.me && p.state === 'joined').pop();
  if (!me || !listensIn(c, me) || me.consent === 'pending') return null;
  const speaking = !me.listening;
  return el('button', {
    type: 'button', class: speaking ? 'big-button primary' : 'big-button', 'data-testid': 'call-speak',
    'aria-pressed': speaking ? 'true' : 'false',
    onclick: (ev) => act(ev.currentTarget, () => speak(liveConn(), !speaking)),
  }, t('console.calls.speak'));
}

// i18n-keys: console.calls.recording_requested console.calls.recording_on
/** Record / stop (a supervisor in the call): the server asks every contact first (PROTOCOL.md "Recording a call"). */
function recordButton(c) {
  const on = c.recording && c.recording !== 'off';
  return el('button', {
    type: 'button', class: on ? 'big-button danger' : 'big-button', 'data-testid': 'call-record', 'aria-pressed': on ? 'true' : 'false',
    onclick: (ev) => act(ev.currentTarget, () => liveConn().request('call.record', { call_id: c.call_id, on: !on })),
  }, on ? t('console.calls.record_stop') : t('console.calls.record'));
}

function recordingChip(c) {
  if (!c.recording || c.recording === 'off') return null;
  return el('span', { class: `chip chip-recording ${c.recording}`, role: 'status', 'data-testid': 'call-recording', 'data-recording': c.recording },
    t(`console.calls.recording_${c.recording}`));
}

function callCard(c) {
  const inCall = joinedCallId() === c.call_id;
  const contacts = contactsOf(c).map((p) => p.name);
  return el('article', { class: `card live-call state-${c.state}`, 'data-testid': `live-call-${c.call_id}`, 'data-state': c.state, 'data-joined': inCall ? 'yes' : 'no' },
    el('header', { class: 'case-head' },
      el('h2', {}, t('console.calls.title_with', { child: childOf(c).name, contacts: contacts.length ? fmtList(contacts) : '—' })),
      el('span', { class: `chip chip-call-${c.state}`, 'data-testid': 'call-state' }, words('state', c.state)),
      recordingChip(c)),
    el('p', { class: 'muted' }, t('console.calls.kind', { video: c.video ? 'yes' : 'no', supervised: c.supervised ? 'yes' : 'no' }),
      c.answered_at ? [' · ', t('console.calls.answered'), ' ', when(c.answered_at, zoneOfCall(c))] : null),
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
    live.conn === 'offline' ? note('error', t('console.calls.offline'), 'live-offline') : null,
    live.error ? note('error', live.error, 'action-error') : null,
    ...(calls.length ? calls.map(callCard) : [el('p', { class: 'muted', 'data-testid': 'no-live-calls' }, t('console.calls.none'))]),
  ].filter(Boolean));
}

/** Update only the countdowns each second (no re-render, so buttons keep focus). */
function tick() {
  if (!live.root || !live.root.isConnected) { stop(); return; }
  live.root.querySelectorAll('[data-ends-at] .left').forEach((n) => {
    n.textContent = t('console.calls.left_time', { time: fmtLeft(Number(n.parentNode.dataset.endsAt) - Date.now()) });
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
  live.dir = await directory();
  if (!live.unlisten) live.unlisten = liveConn().listen(onEvent);
  await load();
  live.conn = 'online';
  const list = el('div', { class: 'live-list', 'data-testid': 'live-list' });
  live.root = list;
  clearInterval(live.tick);
  live.tick = setInterval(tick, 1000);
  const page = el('section', { class: 'page', 'data-testid': 'live-calls' },
    el('h1', {}, t('console.nav.calls')),
    el('p', { class: 'muted' }, t('console.calls.intro')),
    list);
  render();
  return page;
}
