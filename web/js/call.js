// Calls: the full-screen call view (ringing, calling, in a call, ended) and the WebRTC side.
// Signalling is proto/PROTOCOL.md §9; the server is ICE-lite, so we send one offer with our
// gathered candidates and apply its answer. ICE servers (a TURN relay for networks that block UDP)
// come from call.ice. The caller picks camera and microphone, and can hide their face or switch to "Sound only":
// both are told to the server (call.sending), which stops that video and tells the other side, who then sees a
// label ("Dad turned the camera off") instead of a frozen picture. The ringing screen shows the caller's picture and
// who they are to the child, large.
// window.__samvaerCall exposes the live call for tests; `?relay=1` in the page URL, or
// window.__samvaerCallOptions = {relay: true}, forces relay-only ICE (the TURN test).

import { initRecording, recordingOnState, onRecordingEvent, resetRecording } from './call-recording.js';
import { applyLevels, dropMix } from './call-levels.js';
import { avatar, formatCallNextAt } from './util.js';
import {
  initSupervision, resetSupervision, supervisionOnState, onSupervisionEvent, endWords, addGroupReceivers, onRemoteTrack,
  groupAids, myLeftReason, stillRinging, pruneTiles, onSendingEvent, setParticipantNamer, refreshSending,
} from './call-supervision.js';
import { t, fmtList } from './i18n.js';
import { personLabel, reasonWords } from './words.js';

const $ = (sel) => document.querySelector(sel);
const GATHER_MAX_MS = 1500;

// i18n-prefix: call.ended.
const ENDED = new Set(['declined', 'cancelled', 'timeout', 'hangup', 'busy', 'agreement_changed', 'disconnected',
  'media_lost', 'time_limit', 'failed', 'shutdown']);

let conn = null;
let store = null;
let call = null; // {id, aid, video, role: 'caller'|'callee', state, pc, stream, audioOnly, soundOnly, mine}
let ice = null; // {servers, expiresAt} from call.ice, reused until shortly before it expires

function peerName(aid) {
  if (call && call.group && call.group.length > 1) return fmtList(call.group.map(onePeerName));
  return onePeerName(aid);
}

/** Who they are to the reader: "Dad" for the child, the child's name for a contact. */
function onePeerName(aid) {
  return personLabel(store && store.contacts.get(aid));
}

/** The big picture of the other person (ringing, calling, ended); hidden in a group call and while in the call. */
function showFace(aid, on) {
  const c = store && store.contacts.get(aid);
  const face = $('#call-face');
  face.hidden = !on || !c || !!(call && call.group && call.group.length > 1);
  if (!face.hidden) face.replaceChildren(avatar(c.peer, 'huge'));
}

function expose() {
  window.__samvaerCall = call ? {
    id: call.id, state: call.state, pc: call.pc, reason: call.reason || null,
    relay: !!call.relay, soundOnly: !!call.soundOnly, iceServers: call.iceServers || [], peers: call.peers || 0,
    renegotiated: call.renegotiated || 0,
  } : null;
}

// ---- the view ----

function showView(kind, title, text) {
  const view = $('#view-call');
  view.hidden = false;
  view.dataset.state = kind;
  document.body.dataset.call = kind;
  $('#call-title').textContent = title;
  $('#call-text').textContent = text || '';
  $('#call-ring-buttons').hidden = kind !== 'ringing';
  $('#call-controls').hidden = !(kind === 'active' || kind === 'calling');
  $('#call-audio-only').hidden = kind !== 'active' || !!(call && call.soundOnly);
  $('#call-sound-only').hidden = kind !== 'active' || !(call && call.video);
  $('#call-devices').hidden = kind !== 'active';
  $('#call-done').hidden = kind !== 'ended' && kind !== 'refused';
  $('#call-videos').hidden = kind !== 'active';
  showFace(call ? call.aid : null, kind === 'ringing' || kind === 'calling');
}

function hideView() {
  $('#view-call').hidden = true;
  delete document.body.dataset.call;
}

// ---- ICE servers (TURN relay) ----

/** Force relay-only ICE? (test hook: ?relay=1 or window.__samvaerCallOptions.relay) */
function relayOnly() {
  const opts = window.__samvaerCallOptions || {};
  return !!opts.relay || new URLSearchParams(location.search).get('relay') === '1';
}

/** The ICE servers from call.ice; [] when the server has none or refuses (the direct path may still work). */
async function iceServers() {
  if (ice && (ice.expiresAt === null || ice.expiresAt - Date.now() > 60000)) return ice.servers;
  try {
    const r = await conn.request('call.ice', {});
    ice = { servers: r.ice_servers || [], expiresAt: r.expires_at || null };
  } catch (err) {
    ice = { servers: [], expiresAt: Date.now() + 60000 };
  }
  return ice.servers;
}

// ---- media ----

/** Camera (unless audio only or no video call) and microphone, using the chosen devices when set. */
async function openStream(mine) {
  const audio = mine.micId ? { deviceId: { exact: mine.micId } } : true;
  const wantVideo = mine.video && !mine.soundOnly;
  const video = wantVideo && (mine.cameraId ? { deviceId: { exact: mine.cameraId } } : true);
  try {
    return await navigator.mediaDevices.getUserMedia({ audio, video });
  } catch (err) {
    return navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
  }
}

async function startMedia() {
  if (call.pc || call.starting) return;
  const mine = call;
  mine.starting = true;
  const stream = await openStream(mine);
  if (call !== mine) { if (stream) stream.getTracks().forEach((t) => t.stop()); return; }
  mine.stream = stream || new MediaStream();
  $('#call-self').srcObject = mine.stream;
  await connectPeer(mine);
  fillDevices().catch(() => {});
}

/** A new RTCPeerConnection for the call's current stream, offered with call.offer. Replaces any earlier one:
 *  the server then replaces this party's media (PROTOCOL.md call.offer). */
async function connectPeer(mine) {
  const servers = await iceServers();
  if (call !== mine) return;
  if (mine.pc) mine.pc.close();
  mine.relay = relayOnly();
  mine.iceServers = servers;
  const pc = new RTCPeerConnection({
    iceServers: servers, iceTransportPolicy: mine.relay ? 'relay' : 'all',
    bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require',
  });
  mine.pc = pc;
  mine.peers = (mine.peers || 0) + 1;
  mine.videoSender = null;
  mine.audioSender = null;
  expose();
  pc.ontrack = (ev) => onRemoteTrack(pc, ev);
  pc.onconnectionstatechange = () => { if (mine.pc === pc) $('#view-call').dataset.media = pc.connectionState; };
  addTracks(mine, pc);
  mine.negotiating = true;
  try {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await gathered(pc);
    if (call !== mine || mine.pc !== pc) return;
    const result = await conn.request('call.offer', { call_id: mine.id, sdp: pc.localDescription.sdp });
    if (call !== mine || mine.pc !== pc) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });
  } finally {
    if (mine.pc === pc) mine.negotiating = false;
  }
  if (mine.again) await renegotiate(mine);
}

/**
 * call.renegotiate: someone's media came or went, so offer again on the same connection (same ICE and DTLS)
 * with a receiver for everyone; the answer gives each person their own tracks and ends those of who left.
 */
async function renegotiate(mine) {
  if (!mine.pc || mine.negotiating) { mine.again = true; return; }
  const pc = mine.pc;
  mine.negotiating = true;
  try {
    do {
      mine.again = false;
      addGroupReceivers(pc, mine.video && !mine.soundOnly);
      await pc.setLocalDescription(await pc.createOffer());
      const result = await conn.request('call.offer', { call_id: mine.id, sdp: pc.localDescription.sdp });
      if (call !== mine || mine.pc !== pc) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });
      mine.renegotiated = (mine.renegotiated || 0) + 1;
      expose();
    } while (mine.again && call === mine && mine.pc === pc);
  } finally {
    if (mine.pc === pc) mine.negotiating = false;
  }
}

/** Send what we have; receive audio always and video unless this is a voice call or "Sound only" is on. */
function addTracks(mine, pc) {
  const stream = mine.stream;
  for (const track of stream.getTracks()) {
    const sender = pc.addTrack(track, stream);
    if (track.kind === 'video') mine.videoSender = sender;
    else mine.audioSender = sender;
  }
  if (mine.videoSender && mine.audioOnly) mine.videoSender.replaceTrack(null);
  if (!stream.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' });
  if (mine.video && !mine.soundOnly && !stream.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });
  addGroupReceivers(pc, mine.video && !mine.soundOnly);
}

function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, GATHER_MAX_MS);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });
}

function stopMedia(c) {
  if (c.stream) c.stream.getTracks().forEach((t) => t.stop());
  if (c.pc) c.pc.close();
  $('#call-remote').srcObject = null;
  $('#call-self').srcObject = null;
  dropMix();
  resetChoices();
  resetSupervision();
  resetRecording();
}

/** Back to video with the default look for the next call. */
function resetChoices() {
  $('#call-sound-only').dataset.on = 'no';
  $('#call-audio-only').dataset.on = 'no';
  labelChoices();
  delete $('#view-call').dataset.soundOnly;
  $('#call-self').hidden = false;
}

/** The words on the two switches follow their state (and the language). */
function labelChoices() {
  const face = $('#call-audio-only').dataset.on === 'yes';
  const sound = $('#call-sound-only').dataset.on === 'yes';
  $('#call-audio-only').textContent = face ? t('call.show_face') : t('call.hide_face');
  $('#call-sound-only').textContent = sound ? t('call.show_video') : t('call.sound_only');
}

async function setAudioOnly(on) {
  if (!call) return;
  call.audioOnly = on;
  const button = $('#call-audio-only');
  button.dataset.on = on ? 'yes' : 'no';
  labelChoices();
  const mine = call;
  const track = mine.stream && mine.stream.getVideoTracks()[0];
  if (mine.videoSender) await mine.videoSender.replaceTrack(on ? null : track || null);
  $('#call-self').hidden = on;
  await tellSending(mine);
}

/** Tell the server what we send now, so it enforces it and the others see a label (call.sending). */
async function tellSending(mine) {
  if (!mine.id) return;
  let video = 'on';
  if (mine.soundOnly) video = 'sound_only';
  else if (mine.audioOnly) video = 'hidden';
  try {
    await conn.request('call.sending', { call_id: mine.id, video });
  } catch (err) { /* the call ended meanwhile, or an older server without call.sending: nothing to tell */ }
}

// ---- camera and microphone choice ----

/** Fill the two selectors from enumerateDevices (labels appear once the browser allowed getUserMedia). */
async function fillDevices() {
  if (!call || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  const inUse = (kind) => {
    const t = call && call.stream && call.stream.getTracks().find((x) => x.kind === kind);
    return t && t.getSettings ? t.getSettings().deviceId : '';
  };
  fillSelect($('#call-camera'), devices.filter((d) => d.kind === 'videoinput'), (call && call.cameraId) || inUse('video'), 'call.camera_n');
  fillSelect($('#call-mic'), devices.filter((d) => d.kind === 'audioinput'), (call && call.micId) || inUse('audio'), 'call.mic_n');
  $('#call-camera-field').hidden = !(call && call.video) || !$('#call-camera').options.length;
  $('#call-mic-field').hidden = !$('#call-mic').options.length;
}

function fillSelect(select, devices, current, key) {
  select.textContent = '';
  devices.forEach((d, i) => {
    const option = document.createElement('option');
    option.value = d.deviceId;
    option.textContent = d.label || t(key, { n: i + 1 });
    select.append(option);
  });
  if (current && devices.some((d) => d.deviceId === current)) select.value = current;
}

/** Use another camera or microphone mid-call: the new track replaces the old one on the same sender. */
async function switchDevice(kind, deviceId) {
  if (!call || !call.stream) return;
  const mine = call;
  if (kind === 'video') mine.cameraId = deviceId; else mine.micId = deviceId;
  if (kind === 'video' && mine.soundOnly) return; // used when the camera comes back
  const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
  const track = fresh.getTracks()[0];
  if (call !== mine) { track.stop(); return; }
  const sender = kind === 'video' ? mine.videoSender : mine.audioSender;
  if (sender && !(kind === 'video' && mine.audioOnly)) await sender.replaceTrack(track);
  for (const old of mine.stream.getTracks().filter((t) => t.kind === kind)) {
    mine.stream.removeTrack(old);
    old.stop();
  }
  mine.stream.addTrack(track);
  $('#call-self').srcObject = mine.stream;
  $('#view-call').dataset[kind === 'video' ? 'camera' : 'mic'] = deviceId;
}

// ---- sound only (weak connections) ----

/** "Sound only": no video either way. The camera is switched off and the call is offered again with audio
 *  alone, so the server stops sending us video too; turning it off offers video again. */
async function setSoundOnly(on) {
  if (!call || !call.pc || !!call.soundOnly === on) return;
  const mine = call;
  mine.soundOnly = on;
  const button = $('#call-sound-only');
  button.dataset.on = on ? 'yes' : 'no';
  labelChoices();
  $('#view-call').dataset.soundOnly = on ? 'yes' : 'no';
  refreshSending();
  $('#call-audio-only').hidden = on;
  $('#call-self').hidden = on || !!mine.audioOnly;
  if (on) {
    for (const t of mine.stream.getVideoTracks()) { mine.stream.removeTrack(t); t.stop(); }
  } else {
    const video = mine.cameraId ? { deviceId: { exact: mine.cameraId } } : true;
    const cam = await navigator.mediaDevices.getUserMedia({ video }).catch(() => null);
    if (call !== mine) { if (cam) cam.getTracks().forEach((t) => t.stop()); return; }
    if (cam) mine.stream.addTrack(cam.getVideoTracks()[0]);
  }
  await tellSending(mine);
  await connectPeer(mine);
  expose();
}

// ---- state ----

function onState(data) {
  if (!call || call.id !== data.call_id) return;
  call.state = data.state;
  recordingOnState(data);
  if (data.state === 'ended') return endCall(data.reason);
  const me = store && store.me && store.me.id;
  const left = myLeftReason(data, me);
  if (left) return endCall(left);
  if (!call.mine && stillRinging(data, me)) return expose(); // another party answered first: keep ringing
  if (data.state === 'active' || data.state === 'waiting_for_supervisor') {
    showView('active', peerName(call.aid), supervisionOnState(data, store && store.me && store.me.id));
    pruneTiles();
    $('#view-call').dataset.callState = data.state;
    if (call.mine) {
      startMedia().catch((err) => {
        $('#call-text').textContent = t('call.not_connected');
        $('#view-call').dataset.error = String(err && err.message || err);
      });
    }
  }
  expose();
}

function endCall(reason) {
  const c = call;
  c.state = 'ended';
  c.reason = reason;
  stopMedia(c);
  expose();
  call = null;
  $('#view-call').dataset.reason = reason || '';
  const words = endWords(reason) || (ENDED.has(reason) ? t(`call.ended.${reason}`) : t('call.ended.hangup'));
  showView('ended', t('call.ended_title'), words);
}

async function hangup() {
  if (!call) return hideView();
  const c = call;
  try {
    await conn.request('call.hangup', { call_id: c.id });
  } catch (err) {
    if (call === c) endCall('hangup');
  }
}

// ---- public ----

/** Wire the call view once. */
export function initCall(theConn, theStore) {
  conn = theConn;
  store = theStore;
  initSupervision(conn);
  initRecording(conn);
  labelChoices();
  document.addEventListener('i18n:change', labelChoices);
  setParticipantNamer((p) => {
    const c = store && [...store.contacts.values()].find((x) => x.peer && x.peer.id === p.account);
    return c ? personLabel(c) : (p.name || t('words.someone'));
  });
  $('#call-accept').addEventListener('click', async () => {
    if (!call) return;
    const c = call;
    c.mine = true;
    try {
      await conn.request('call.accept', { call_id: c.id });
    } catch (err) {
      if (call === c) endCall(err.code === 'no_call' ? 'cancelled' : 'failed');
    }
  });
  $('#call-decline').addEventListener('click', async () => {
    if (!call) return;
    const c = call;
    try { await conn.request('call.decline', { call_id: c.id }); } catch (err) { if (call === c) endCall('declined'); }
  });
  $('#call-hangup').addEventListener('click', hangup);
  $('#call-audio-only').addEventListener('click', () => setAudioOnly(!(call && call.audioOnly)));
  initCallChoices();
  $('#call-done').addEventListener('click', () => { if (!call) hideView(); });
  $('#call-group').addEventListener('click', () => { const aids = groupAids(); if (aids.length > 1) startCall(aids[0], aids); });
}

/** Device selectors and "Sound only" (kept apart from the other controls). */
function initCallChoices() {
  const failed = (err) => { $('#view-call').dataset.error = String((err && err.message) || err); };
  $('#call-camera').addEventListener('change', (ev) => switchDevice('video', ev.target.value).catch(failed));
  $('#call-mic').addEventListener('change', (ev) => switchDevice('audio', ev.target.value).catch(failed));
  $('#call-sound-only').addEventListener('click', () => setSoundOnly(!(call && call.soundOnly)).catch(failed));
  if (navigator.mediaDevices) navigator.mediaDevices.addEventListener('devicechange', () => fillDevices().catch(() => {}));
}

/** The store was replaced (log out / log in): drop any call and its media. */
export function setCallStore(theStore) {
  store = theStore;
  ice = null; // TURN credentials name the account
  if (call) stopMedia(call);
  call = null;
  expose();
  hideView();
}

/** Call the person of agreement aid (video); a child may call several at once (group: their agreement ids). */
export async function startCall(aid, group = null) {
  if (call) return;
  call = { id: null, aid, video: true, role: 'caller', state: 'starting', mine: true, group };
  showView('calling', t('call.calling', { name: peerName(aid) }), t('call.wait'));
  const mine = call;
  try {
    const target = group && group.length > 1 ? { agreement_ids: group } : { agreement_id: aid };
    const r = await conn.request('call.start', { ...target, video: true });
    if (call !== mine) return;
    mine.id = r.call_id;
    expose();
    if (r.state === 'ended') endCall(r.reason);
  } catch (err) {
    if (call !== mine) return;
    call = null;
    expose();
    const nextText = err.decision ? formatCallNextAt(err.decision.next_at) : '';
    const why = reasonWords(err.code, store && store.contacts.get(aid), store && store.me, err.message);
    $('#view-call').dataset.reason = err.code || '';
    showView('refused', t('call.refused_title'), [why, nextText].filter(Boolean).join(' '));
  }
}

/** Server events for calls; returns true when handled. */
export function onCallEvent(event, data) {
  if (event === 'call.ring') {
    if (call) return true;
    call = { id: data.call_id, aid: data.agreement_id, video: !!data.video, role: 'callee', state: 'ringing', mine: false };
    expose();
    // The person large, as the child knows them ("Dad"), with their picture; what kind of call under it.
    showView('ringing', peerName(data.agreement_id), data.video ? t('call.ring_video') : t('call.ring_voice'));
    return true;
  }
  if (event === 'call.state') {
    if (call && call.id === null && call.role === 'caller' && call.aid === data.agreement_id) call.id = data.call_id;
    onState(data);
    return true;
  }
  if (onSupervisionEvent(event, data, call ? call.id : null)) return true;
  if (onRecordingEvent(event, data, call ? call.id : null)) return true;
  if (event === 'call.renegotiate') {
    if (call && call.id === data.call_id && call.mine) {
      renegotiate(call).catch((err) => { $('#view-call').dataset.error = String((err && err.message) || err); });
    }
    return true;
  }
  if (event === 'call.sending') {
    if (call && call.id === data.call_id) onSendingEvent(data);
    return true;
  }
  if (event === 'call.media') {
    if (call && call.id === data.call_id) $('#view-call').dataset[`media${data.participant}`] = data.media;
    return true;
  }
  if (event === 'call.levels') {
    if (call && call.id === data.call_id) applyLevels($('#view-call'), data);
    return true;
  }
  return false;
}

/** The call ringing on this screen ({id, aid}) or null: the ringtone and its notification follow it (ring.js). */
export function ringingCall() {
  if (!call || call.mine || call.role !== 'callee' || document.body.dataset.call !== 'ringing') return null;
  return { id: call.id, aid: call.aid };
}

/** The agreement has a call channel and the server says a call may start now (window, pause, status). */
export function canCallNow(contact) {
  return canCall(contact) && !!contact.call && contact.call.verdict !== 'deny';
}

export function canCall(contact) {
  return !!(contact && contact.status === 'active' && contact.channels
    && (contact.channels.video_call === 'allowed' || contact.channels.video_call === 'supervised'));
}

