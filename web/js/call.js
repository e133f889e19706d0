// Calls: the full-screen call view (ringing, calling, in a call, ended) and the WebRTC side.
// Signalling is proto/PROTOCOL.md §9; the server is ICE-lite, so we send one offer with our
// gathered candidates and apply its answer. window.__samvaerCall exposes the live call for tests.

import { formatNextAt } from './util.js';
import {
  initSupervision, resetSupervision, supervisionOnState, onSupervisionEvent, endWords, addGroupReceivers, onRemoteTrack,
  groupAids, myLeftReason, stillRinging,
} from './call-supervision.js';

const $ = (sel) => document.querySelector(sel);
const GATHER_MAX_MS = 1500;

const ENDED_WORDS = {
  declined: 'They could not answer right now.',
  cancelled: 'The call was stopped before anyone answered.',
  timeout: 'Nobody answered.',
  hangup: 'The call is over.',
  busy: 'They are in another call.',
  agreement_changed: 'Calling is not possible right now.',
  disconnected: 'The connection was lost.',
  media_lost: 'The connection was lost.',
  time_limit: 'Time is up for this call.',
  failed: 'The call did not work. Please try again.',
  shutdown: 'The call had to stop.',
};

let conn = null;
let store = null;
let call = null; // {id, aid, video, role: 'caller'|'callee', state, pc, stream, audioOnly, mine}

function peerName(aid) {
  if (call && call.group && call.group.length > 1) return call.group.map(onePeerName).join(' and ');
  return onePeerName(aid);
}

function onePeerName(aid) {
  const c = store && store.contacts.get(aid);
  return (c && c.peer && c.peer.display_name) || 'Someone';
}

function expose() {
  window.__samvaerCall = call ? { id: call.id, state: call.state, pc: call.pc, reason: call.reason || null } : null;
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
  $('#call-audio-only').hidden = kind !== 'active';
  $('#call-done').hidden = kind !== 'ended' && kind !== 'refused';
  $('#call-videos').hidden = kind !== 'active';
}

function hideView() {
  $('#view-call').hidden = true;
  delete document.body.dataset.call;
}

// ---- media ----

async function startMedia() {
  if (call.pc) return;
  const mine = call;
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  mine.pc = pc;
  expose();
  pc.ontrack = (ev) => onRemoteTrack(pc, ev);
  pc.onconnectionstatechange = () => { $('#view-call').dataset.media = pc.connectionState; };
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mine.video });
  } catch (err) {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
  }
  if (call !== mine) { if (stream) stream.getTracks().forEach((t) => t.stop()); return; }
  mine.stream = stream;
  if (stream) {
    $('#call-self').srcObject = stream;
    for (const track of stream.getTracks()) {
      const sender = pc.addTrack(track, stream);
      if (track.kind === 'video') mine.videoSender = sender;
    }
  }
  // Receive both kinds even when we have no camera or microphone.
  if (!stream || !stream.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' });
  if (mine.video && (!stream || !stream.getVideoTracks().length)) pc.addTransceiver('video', { direction: 'recvonly' });
  addGroupReceivers(pc, mine.video);
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await gathered(pc);
  if (call !== mine) return;
  const result = await conn.request('call.offer', { call_id: mine.id, sdp: pc.localDescription.sdp });
  if (call !== mine) return;
  await pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });
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
  resetSupervision();
}

async function setAudioOnly(on) {
  if (!call) return;
  call.audioOnly = on;
  const button = $('#call-audio-only');
  button.dataset.on = on ? 'yes' : 'no';
  button.textContent = on ? 'Show my face' : 'Hide my face';
  const track = call.stream && call.stream.getVideoTracks()[0];
  if (call.videoSender) await call.videoSender.replaceTrack(on ? null : track || null);
  $('#call-self').hidden = on;
}

// ---- state ----

function onState(data) {
  if (!call || call.id !== data.call_id) return;
  call.state = data.state;
  if (data.state === 'ended') return endCall(data.reason);
  const me = store && store.me && store.me.id;
  const left = myLeftReason(data, me);
  if (left) return endCall(left);
  if (!call.mine && stillRinging(data, me)) return expose(); // another party answered first: keep ringing
  if (data.state === 'active' || data.state === 'waiting_for_supervisor') {
    showView('active', peerName(call.aid), supervisionOnState(data, store && store.me && store.me.id));
    $('#view-call').dataset.callState = data.state;
    if (call.mine) {
      startMedia().catch((err) => {
        $('#call-text').textContent = 'The call did not connect.';
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
  showView('ended', 'Call ended', endWords(reason) || ENDED_WORDS[reason] || 'The call is over.');
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
  $('#call-done').addEventListener('click', () => { if (!call) hideView(); });
  $('#call-group').addEventListener('click', () => { const aids = groupAids(); if (aids.length > 1) startCall(aids[0], aids); });
}

/** The store was replaced (log out / log in): drop any call and its media. */
export function setCallStore(theStore) {
  store = theStore;
  if (call) stopMedia(call);
  call = null;
  expose();
  hideView();
}

/** Call the person of agreement aid (video); a child may call several at once (group: their agreement ids). */
export async function startCall(aid, group = null) {
  if (call) return;
  call = { id: null, aid, video: true, role: 'caller', state: 'starting', mine: true, group };
  showView('calling', `Calling ${peerName(aid)}…`, 'Wait a moment.');
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
    const next = err.decision ? formatNextAt(err.decision.next_at) : '';
    const nextText = next ? `Calling opens ${next.replace(/^Again /, 'again ')}` : '';
    $('#view-call').dataset.reason = err.code || '';
    showView('refused', 'You cannot call right now', [err.message, nextText].filter(Boolean).join(' '));
  }
}

/** Server events for calls; returns true when handled. */
export function onCallEvent(event, data) {
  if (event === 'call.ring') {
    if (call) return true;
    call = { id: data.call_id, aid: data.agreement_id, video: !!data.video, role: 'callee', state: 'ringing', mine: false };
    expose();
    showView('ringing', `${peerName(data.agreement_id)} is calling!`, data.video ? 'A video call' : 'A voice call');
    return true;
  }
  if (event === 'call.state') {
    if (call && call.id === null && call.role === 'caller' && call.aid === data.agreement_id) call.id = data.call_id;
    onState(data);
    return true;
  }
  if (onSupervisionEvent(event, data, call ? call.id : null)) return true;
  if (event === 'call.media') {
    if (call && call.id === data.call_id) $('#view-call').dataset[`media${data.participant}`] = data.media;
    return true;
  }
  return false;
}

/** May this contact entry be called now (video)? */
export function canCall(contact) {
  return !!(contact && contact.status === 'active' && contact.channels
    && (contact.channels.video_call === 'allowed' || contact.channels.video_call === 'supervised'));
}

