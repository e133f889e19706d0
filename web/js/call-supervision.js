// Calls with a supervisor, time limits and several people (PROTOCOL.md §9), for the family app's call view:
// "waiting for the supervisor", who is muted, the 2-minute warning, the child's listen-in consent,
// friendly end reasons, and one tile per remote participant. call.js calls these hooks.

import { playMix } from './call-levels.js';

const $ = (sel) => document.querySelector(sel);

/** End reasons added by supervision and windows, in words a child understands. */
const END_WORDS = {
  window_closed: 'Calling time is over. You can call again next time.',
  time_limit: 'Time is up for this call.',
  supervisor_ended: 'The supervisor ended the call.',
  agreement_changed: 'Calling is not possible right now.',
};

const WARN_TICK_MS = 1000;

const sup = {
  conn: null,       // the app's Conn
  last: null,       // the last call object seen
  me: null,         // my account id
  warnTimer: null,  // countdown interval
  warnUntil: 0,     // local ms when the warned part ends
  consent: null,    // {call_id, supervisor} being asked
  tiles: [],        // remote tiles: [{account, stream, video}], one per other participant
};

const isParty = (p) => p.role === 'child' || p.role === 'contact';
const isSupervisor = (p) => p.role === 'supervisor';

/** Wire the consent buttons once. */
export function initSupervision(conn) {
  sup.conn = conn;
  $('#call-consent-yes').addEventListener('click', () => answerConsent(true));
  $('#call-consent-no').addEventListener('click', () => answerConsent(false));
}

/** Forget everything about the last call (it ended, or the user logged out). */
export function resetSupervision() {
  clearInterval(sup.warnTimer);
  sup.warnTimer = null;
  sup.last = null;
  sup.consent = null;
  $('#call-warning').hidden = true;
  $('#call-muted').hidden = true;
  $('#call-consent').hidden = true;
  for (const t of sup.tiles.slice(1)) t.video.remove();
  const first = $('#call-remote');
  first.srcObject = null;
  delete first.dataset.account;
  sup.tiles = [];
  $('#call-videos').dataset.remotes = '1';
}

/** Friendly words for an end reason this module knows, else null. */
export function endWords(reason) {
  return END_WORDS[reason] || null;
}

// ---- state ----

function supervisorName(data) {
  const gone = (data.participants || []).filter(isSupervisor).reverse().find((p) => p.name);
  return data.change === 'supervisor_left' && gone ? gone.name : null;
}

/** The line under the title while answered: waiting for the supervisor, or who is with us. */
function statusText(data) {
  if (data.state === 'waiting_for_supervisor') {
    const name = supervisorName(data);
    return name ? `Waiting for ${name} (the supervisor) to come back…` : 'Waiting for the supervisor to join…';
  }
  const here = (data.participants || []).filter((p) => isSupervisor(p) && p.state === 'joined' && p.consent !== 'pending');
  if (!here.length) return '';
  return `${here.map((p) => p.name || 'The supervisor').join(' and ')} ${here.length > 1 ? 'are' : 'is'} in the call too.`;
}

/** "Dad's sound is off · Your camera is off" from the participants' muted flags. */
function mutedText(data) {
  const parts = [];
  for (const p of (data.participants || []).filter((x) => isParty(x) && x.state === 'joined')) {
    const whose = p.account === sup.me ? 'Your' : `${p.name || 'Someone'}'s`;
    if (p.audio_muted && p.video_muted) parts.push(`${whose} sound and camera are off`);
    else if (p.audio_muted) parts.push(`${whose} sound is off`);
    else if (p.video_muted) parts.push(`${whose} camera is off`);
  }
  return parts.length ? `${parts.join(' · ')} (the supervisor did this)` : '';
}

/**
 * A call.state for the shown call (not ended): remember it, show mutes and consent state.
 * Returns the text for under the title ('' for nothing).
 */
export function supervisionOnState(data, me) {
  sup.last = data;
  sup.me = me;
  const view = $('#view-call');
  view.dataset.supervised = data.supervised ? 'yes' : 'no';
  const muted = mutedText(data);
  const line = $('#call-muted');
  line.textContent = muted;
  line.hidden = !muted;
  view.dataset.muted = (data.participants || []).filter((p) => p.audio_muted || p.video_muted)
    .map((p) => `${p.account}:${p.audio_muted ? 'a' : ''}${p.video_muted ? 'v' : ''}`).join(',');
  // One other person whose picture a supervisor turned off: show a dark screen, not their last frame.
  const others = (data.participants || []).filter((p) => isParty(p) && p.state === 'joined' && p.account !== me);
  view.dataset.remoteVideo = others.length === 1 && others[0].video_muted ? 'off' : 'on';
  if (sup.consent) {
    const still = (data.participants || []).find((p) => p.account === sup.consent.supervisor);
    if (!still || still.state !== 'joined' || still.consent !== 'pending') hideConsent();
  }
  return statusText(data);
}

/** In a group call a contact can leave while the call goes on: my left_reason once I am out, else null. */
export function myLeftReason(data, me) {
  const mine = (data.participants || []).find((p) => p.account === me);
  return mine && mine.state === 'left' ? mine.left_reason || 'hangup' : null;
}

/** In a group call someone else may answer first: am I still ringing? */
export function stillRinging(data, me) {
  const mine = (data.participants || []).find((p) => p.account === me);
  return !!mine && mine.state === 'ringing';
}

// ---- the 2-minute warning ----

function fmtLeft(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function warningText(data) {
  const left = fmtLeft(sup.warnUntil - Date.now());
  const contacts = ((sup.last && sup.last.participants) || []).filter((p) => p.role === 'contact' && p.state !== 'left');
  const who = contacts.find((p) => p.account === data.participant);
  if (contacts.length > 1 && who && who.account !== sup.me) return `${who.name || 'Someone'} has to go in ${left}`;
  return `Almost time to say goodbye: ${left} left`;
}

function onWarning(data) {
  const box = $('#call-warning');
  const seconds = Number.isFinite(data.seconds_left) ? data.seconds_left : Math.round((data.ends_at - Date.now()) / 1000);
  sup.warnUntil = Date.now() + Math.max(0, seconds) * 1000;
  box.dataset.reason = data.reason || '';
  box.dataset.endsAt = String(data.ends_at || '');
  box.hidden = false;
  const tick = () => { box.textContent = warningText(data); };
  tick();
  clearInterval(sup.warnTimer);
  sup.warnTimer = setInterval(tick, WARN_TICK_MS);
}

// ---- listen-in consent (child) ----

function onConsentRequest(data) {
  sup.consent = { call_id: data.call_id, supervisor: data.supervisor };
  $('#call-consent-text').textContent = `${data.name || 'A supervisor'} would like to listen to your call. Is that OK?`;
  $('#call-consent').hidden = false;
  $('#call-consent-yes').focus();
}

function hideConsent() {
  sup.consent = null;
  $('#call-consent').hidden = true;
}

async function answerConsent(allow) {
  const asked = sup.consent;
  if (!asked) return;
  hideConsent();
  try {
    await sup.conn.request('call.consent', { call_id: asked.call_id, supervisor: asked.supervisor, allow });
  } catch (err) { /* the request is gone (they left, or the call ended): nothing to answer */ }
}

/** call.warning / call.consent_request for the shown call; returns true when handled. */
export function onSupervisionEvent(event, data, callId) {
  if (event !== 'call.warning' && event !== 'call.consent_request') return false;
  if (callId === null || data.call_id !== callId) return true;
  if (event === 'call.warning') onWarning(data);
  else onConsentRequest(data);
  return true;
}

// ---- several people: one tile per remote participant, named by the server's a=msid ----

/**
 * Offer only the video codecs the server can use (VP8, H.264 and their RTX). Chromium's receive-only video
 * sections otherwise list 34 payload types, more than the server's SDP parser takes (SDP_MAX_CODECS = 32).
 */
export function limitVideoCodecs(pc) {
  const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('video');
  if (!caps) return;
  const keep = caps.codecs.filter((c) => /^video\/(vp8|h264|rtx)$/i.test(c.mimeType));
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track.kind !== 'video' || !t.setCodecPreferences) continue;
    try { t.setCodecPreferences(keep); } catch (e) { /* keep the browser's list */ }
  }
}

/** The other people in the call who send media (child and contacts; supervisors only listen). */
function othersInCall() {
  return ((sup.last && sup.last.participants) || []).filter((p) => isParty(p) && p.state !== 'left' && p.account !== sup.me);
}

/**
 * Enough receiving transceivers for everyone else (PROTOCOL.md §9 call.offer): the server puts each other
 * participant on a section of its own and names them in the answer's a=msid. Called before every offer, so a
 * renegotiation (call.renegotiate) after someone joined has a section for them.
 */
export function addGroupReceivers(pc, video) {
  const want = Math.max(1, othersInCall().length);
  for (const kind of video ? ['audio', 'video'] : ['audio']) {
    const have = pc.getTransceivers().filter((t) => !t.stopped && t.receiver.track.kind === kind
      && (t.direction === 'recvonly' || t.direction === 'sendrecv')).length;
    for (let i = have; i < want; i++) pc.addTransceiver(kind, { direction: 'recvonly' });
  }
  limitVideoCodecs(pc);
}

/** Whose media a track carries: the answer's a=msid stream "samvaer-<account>" (PROTOCOL.md §9). */
function ownerOf(ev) {
  const named = ev.streams[0] && /^samvaer-(\d+)$/.exec(ev.streams[0].id);
  return named ? Number(named[1]) : null;
}

/** The tile of a participant: the big #call-remote for the first, an extra <video> for each further one. */
function tile(account) {
  let t = sup.tiles.find((x) => x.account === account);
  if (t) return t;
  const free = sup.tiles.find((x) => x.account === null);
  if (free) {
    free.account = account;
    free.video.dataset.account = String(account);
    return free;
  }
  const first = sup.tiles.length === 0;
  const video = first ? $('#call-remote') : document.createElement('video');
  if (!first) {
    video.className = 'call-remote call-remote-extra';
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.testid = `call-remote-${sup.tiles.length}`;
    $('#call-self').before(video);
  }
  video.dataset.account = String(account);
  t = { account, stream: new MediaStream(), video };
  video.srcObject = t.stream;
  sup.tiles.push(t);
  $('#call-videos').dataset.remotes = String(sup.tiles.filter((x) => x.account !== null).length || 1);
  return t;
}

/** A participant's media ended (they left, or stopped sending): their tile goes. The big #call-remote stays;
 *  if it was theirs, the last extra tile's person moves into it, so the layout matches the tiles shown. */
function dropTile(t) {
  for (const old of t.stream.getTracks()) t.stream.removeTrack(old);
  let gone = t;
  if (t.video.id === 'call-remote') {
    const last = sup.tiles.length > 1 ? sup.tiles[sup.tiles.length - 1] : null;
    t.account = last ? last.account : null;
    t.stream = last ? last.stream : new MediaStream();
    t.video.srcObject = t.stream;
    if (t.account === null) delete t.video.dataset.account;
    else t.video.dataset.account = String(t.account);
    gone = last;
  }
  if (gone) {
    gone.video.remove();
    sup.tiles.splice(sup.tiles.indexOf(gone), 1);
  }
  $('#call-videos').dataset.remotes = String(sup.tiles.filter((x) => x.account !== null).length || 1);
}

/** pc.ontrack: put the track into its participant's tile; take it out when the server ends it. */
export function onRemoteTrack(pc, ev) {
  if (playMix(ev)) return; // the one mixed audio stream (call.mix): no tile of its own
  const account = ownerOf(ev);
  if (account === null) return;
  const t = tile(account);
  for (const old of t.stream.getTracks().filter((x) => x.kind === ev.track.kind)) t.stream.removeTrack(old);
  t.stream.addTrack(ev.track);
  if (t.video.srcObject !== t.stream) t.video.srcObject = t.stream;
  ev.streams[0].addEventListener('removetrack', (e) => {
    const now = sup.tiles.find((x) => x.account === account);
    if (!now || !now.stream.getTracks().includes(e.track)) return;
    now.stream.removeTrack(e.track);
    if (!now.stream.getTracks().length) dropTile(now);
  });
}

/** Tiles of people who left the call go away (their tracks end with the next renegotiation too). */
export function pruneTiles() {
  const here = new Set(othersInCall().map((p) => p.account));
  for (const t of sup.tiles.slice()) if (t.account !== null && !here.has(t.account)) dropTile(t);
}

// ---- group calls (the child calls up to 4 people at once) ----

const GROUP_MAX = 4;

/** Show "Call everyone together" to a child with two or more people who may be called now. */
export function renderGroupCall(store, canCall) {
  const button = $('#call-group');
  const me = store && store.me;
  const aids = me && me.role === 'child'
    ? [...store.contacts.values()].filter(canCall).map((c) => c.agreement_id).slice(0, GROUP_MAX) : [];
  button.hidden = aids.length < 2;
  button.dataset.aids = aids.join(',');
}

/** The agreements the group button calls. */
export function groupAids() {
  return ($('#call-group').dataset.aids || '').split(',').filter(Boolean).map(Number);
}

/** For tests and the call view: how many remote tiles there are. */
export function remoteTiles() { return sup.tiles.length; }
