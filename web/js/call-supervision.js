// Calls with a supervisor, time limits and several people (PROTOCOL.md §9), for the family app's call view:
// "waiting for the supervisor", who is muted, the 2-minute warning, the child's listen-in consent,
// friendly end reasons, one tile per remote participant, and what each person sends (call.sending: a label in place
// of a hidden or sound-only picture); a supervisor listening in who speaks (call.speak) is heard, not seen.
// call.js calls these hooks.

import { t, fmtList } from './i18n.js';

import { playMix } from './call-levels.js';

const $ = (sel) => document.querySelector(sel);

/** End reasons added by supervision and windows, in words a child understands (keys call.ended.*). */
const END_KEYS = {
  window_closed: 'call.ended.window_closed',
  time_limit: 'call.ended.time_limit',
  supervisor_ended: 'call.ended.supervisor_ended',
  agreement_changed: 'call.ended.agreement_changed',
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
  $('#call-sending').hidden = true;
  $('#call-remote-off').hidden = true;
  delete $('#view-call').dataset.remoteSending;
  for (const audio of document.querySelectorAll('audio.call-sup-audio')) { audio.srcObject = null; audio.remove(); }
  for (const tile of sup.tiles.slice(1)) tile.video.remove();
  const first = $('#call-remote');
  first.srcObject = null;
  delete first.dataset.account;
  sup.tiles = [];
  $('#call-videos').dataset.remotes = '1';
}

/** Friendly words for an end reason this module knows, else null. */
export function endWords(reason) {
  return END_KEYS[reason] ? t(END_KEYS[reason]) : null;
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
    return name ? t('call.sup_back', { name }) : t('call.sup_wait');
  }
  const here = (data.participants || []).filter((p) => isSupervisor(p) && p.state === 'joined' && p.consent !== 'pending');
  if (!here.length) return '';
  const names = fmtList(here.map((p) => p.name || t('call.sup_someone')));
  const talking = data.supervised ? [] : here.filter((p) => p.listening === false); // listening in, then call.speak
  if (!talking.length) return t('call.sup_here', { count: here.length, names });
  return `${t('call.sup_here', { count: here.length, names })} ${t('call.sup_speaking', {
    count: talking.length, names: fmtList(talking.map((p) => p.name || t('call.sup_someone'))) })}`;
}

/** "Dad's sound is off · Your camera is off" from the participants' muted flags. */
function mutedText(data) {
  const parts = [];
  for (const p of (data.participants || []).filter((x) => isParty(x) && x.state === 'joined')) {
    const mine = p.account === sup.me;
    const name = nameOf(p);
    let what = '';
    if (p.audio_muted && p.video_muted) what = 'both';
    else if (p.audio_muted) what = 'sound';
    else if (p.video_muted) what = 'camera';
    if (what) parts.push(mine ? t(`call.muted_mine_${what}`) : t(`call.muted_theirs_${what}`, { name }));
  }
  // i18n-keys: call.muted_mine_both call.muted_mine_sound call.muted_mine_camera
  // i18n-keys: call.muted_theirs_both call.muted_theirs_sound call.muted_theirs_camera
  return parts.length ? t('call.muted_by_supervisor', { list: parts.join(' · ') }) : '';
}

/** The name of a participant as the reader knows them (call.js sets it: the relationship for the child). */
let nameOf = (p) => p.name || t('words.someone');

/** call.js tells how to name a participant: "Dad" rather than "Andrei Popescu" for the child. */
export function setParticipantNamer(fn) { nameOf = fn; }

/**
 * What the others send (the server's call.sending, in every call.state): in a call with one other person their
 * picture gives way to a label when they hide their face or go sound only; in a group, their tile goes dark and the
 * line under the title says who. My own sound-only choice is labelled the same way.
 */
function renderSending() {
  const view = $('#view-call');
  const others = ((sup.last && sup.last.participants) || [])
    .filter((p) => isParty(p) && p.state === 'joined' && p.account !== sup.me);
  const off = others.filter((p) => p.sending === 'hidden' || p.sending === 'sound_only');
  const words = (p) => t(p.sending === 'hidden' ? 'call.remote_hidden' : 'call.remote_sound_only', { name: nameOf(p) });
  for (const tile of sup.tiles) {
    const p = others.find((x) => x.account === tile.account);
    if (p && p.sending && p.sending !== 'on') tile.video.dataset.sending = p.sending;
    else delete tile.video.dataset.sending;
  }
  const label = $('#call-remote-off');
  const mineSoundOnly = view.dataset.soundOnly === 'yes';
  if (others.length <= 1 && (off.length === 1 || mineSoundOnly)) {
    view.dataset.remoteSending = off.length ? off[0].sending : 'sound_only';
    label.textContent = off.length ? words(off[0]) : t('call.self_sound_only');
    label.hidden = false;
  } else {
    delete view.dataset.remoteSending;
    label.hidden = true;
  }
  const line = $('#call-sending');
  line.textContent = others.length > 1 ? off.map(words).join(' · ') : '';
  line.hidden = !line.textContent;
}

/** The call.sending event: one person changed what they send (call.state with change "sending" follows too). */
export function onSendingEvent(data) {
  const p = ((sup.last && sup.last.participants) || []).find((x) => x.account === data.participant);
  if (p) p.sending = data.video;
  renderSending();
}

/** My own sound-only choice changed: the label in place of the pictures follows it. */
export function refreshSending() { renderSending(); }

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
  renderSending();
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
  if (contacts.length > 1 && who && who.account !== sup.me) return t('call.warn_other', { name: nameOf(who), left });
  return t('call.warn', { left });
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
  $('#call-consent-text').textContent = data.name ? t('call.consent_ask', { name: data.name }) : t('call.consent_ask_someone');
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

/** Supervisors listening in who chose to speak (call.speak, PROTOCOL.md "Listen-in on the mix"): heard by all. */
function speakersInCall() {
  const c = sup.last;
  return ((c && !c.supervised && c.participants) || []).filter((p) => isSupervisor(p) && p.state === 'joined' && p.listening === false);
}

/**
 * Enough receiving transceivers for everyone else (PROTOCOL.md §9 call.offer): the server puts each other
 * participant on a section of its own and names them in the answer's a=msid. Called before every offer, so a
 * renegotiation (call.renegotiate) after someone joined has a section for them. A speaking supervisor gets an
 * audio section only.
 */
export function addGroupReceivers(pc, video) {
  const want = Math.max(1, othersInCall().length);
  for (const kind of video ? ['audio', 'video'] : ['audio']) {
    const have = pc.getTransceivers().filter((t) => !t.stopped && t.receiver.track.kind === kind
      && (t.direction === 'recvonly' || t.direction === 'sendrecv')).length;
    const n = kind === 'audio' ? want + speakersInCall().length : want;
    for (let i = have; i < n; i++) pc.addTransceiver(kind, { direction: 'recvonly' });
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
  if (account === null || hearSupervisor(ev, account)) return;
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

/** A supervisor's sound (they spoke up while listening in): a hidden <audio> of its own, no tile. True if handled. */
function hearSupervisor(ev, account) {
  const p = ((sup.last && sup.last.participants) || []).find((x) => x.account === account);
  if (!p || !isSupervisor(p)) return false;
  if (ev.track.kind !== 'audio') return true;
  let audio = document.querySelector(`audio.call-sup-audio[data-account="${account}"]`);
  if (!audio) {
    audio = document.createElement('audio');
    audio.className = 'call-sup-audio';
    audio.autoplay = true;
    audio.hidden = true;
    audio.dataset.account = String(account);
    audio.dataset.testid = 'call-sup-audio';
    document.body.append(audio);
  }
  audio.srcObject = new MediaStream([ev.track]);
  audio.play().catch(() => {});
  return true;
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
