// The supervisor's side of a call's media: call.join, a receive-only RTCPeerConnection with one audio and one
// video transceiver per other participant (PROTOCOL.md §9 call.offer), and a <video> tile per participant; the
// microphone only once a supervisor listening in chooses to speak (call.speak).
// window.__samvaerSupervisor exposes the peer connection for tests.
import { playMix } from '/js/call-levels.js';

import { t } from '/js/i18n.js';

const GATHER_MAX_MS = 1500;

/** Who is a party with media (not a supervisor). */
export const isParty = (p) => p.role === 'child' || p.role === 'contact';

/**
 * The participants the server's receive streams belong to, in slot order: "in the order participants joined"
 * (§9). We take the participants array's order; supervisors send nothing and get no slot. When the answer's
 * a=msid names the participant (a stream id that is an account id, or p<id>), that wins (trackOwner).
 */
export function slotParticipants(call) {
  return (call.participants || []).filter((p) => isParty(p) && p.state !== 'left');
}

const joined = {
  callId: null,   // the call we are in, or null
  pc: null,       // RTCPeerConnection
  tiles: new Map(), // account id -> {stream, video}
  slots: [],      // account ids with media here (the call's parties at offer time, then whoever the answers name)
  call: null,     // the last call object seen (for the number of receivers to offer)
  negotiating: true, // an offer is in flight: a renegotiation waits for it
  again: false,   // call.renegotiate came while negotiating
  renegotiated: 0,
  mic: null,      // our microphone's track once we spoke (listen-in, call.speak), else null
};

export function joinedCallId() { return joined.callId; }

function expose() {
  window.__samvaerSupervisor = joined.callId
    ? { callId: joined.callId, pc: joined.pc, slots: joined.slots.slice(), renegotiated: joined.renegotiated, mic: !!joined.mic }
    : null;
}

function tile(account) {
  if (!joined.tiles.has(account)) {
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.account = String(account);
    video.dataset.testid = 'sup-tile';
    const stream = new MediaStream();
    video.srcObject = stream;
    joined.tiles.set(account, { stream, video });
  }
  return joined.tiles.get(account);
}

/** The <video> of a participant (by account id), or null while no media is set up for them. */
export function videoOf(account) {
  return joined.pc && joined.slots.includes(account) ? tile(account).video : null;
}

async function iceServers(conn, callId) {
  try {
    const r = await conn.request('call.ice', { call_id: callId });
    return r.ice_servers || r.iceServers || [];
  } catch (e) {
    return []; // unknown_type on servers without TURN support: loopback and LANs need none
  }
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

/**
 * Offer only the video codecs the server can use (VP8, H.264 and their RTX): Chromium's receive-only video
 * sections otherwise list 34 payload types, more than the server's SDP parser takes (SDP_MAX_CODECS = 32).
 */
function limitVideoCodecs(pc) {
  const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('video');
  if (!caps) return;
  const keep = caps.codecs.filter((c) => /^video\/(vp8|h264|rtx)$/i.test(c.mimeType));
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track.kind !== 'video' || !t.setCodecPreferences) continue;
    try { t.setCodecPreferences(keep); } catch (e) { /* keep the browser's list */ }
  }
}

function slotOf(pc, transceiver, kind) {
  const same = pc.getTransceivers().filter((t) => t.receiver.track && t.receiver.track.kind === kind);
  return Math.max(0, same.indexOf(transceiver));
}

/** Whose media a received track carries: the answer's a=msid stream "samvaer-<account>" (PROTOCOL.md §9). */
function trackOwner(pc, ev) {
  const named = ev.streams[0] && /^samvaer-(\d+)$/.exec(ev.streams[0].id);
  if (named) return Number(named[1]);
  const slot = slotOf(pc, ev.transceiver, ev.track.kind);
  return joined.slots[slot] !== undefined ? joined.slots[slot] : -1 - slot;
}

/** Enough receive-only transceivers of each kind for every party in the call. */
function addReceivers(pc, call) {
  const want = Math.max(1, slotParticipants(call).length);
  for (const kind of call.video ? ['audio', 'video'] : ['audio']) {
    const have = pc.getTransceivers().filter((t) => !t.stopped && t.direction !== 'sendonly' && t.receiver.track.kind === kind).length;
    for (let i = have; i < want; i++) pc.addTransceiver(kind, { direction: 'recvonly' });
  }
  limitVideoCodecs(pc);
}

/** A participant's tracks ended (they left or stopped sending): drop the track, and the tile when empty. */
function onTrackEnded(account, stream, track, onChange) {
  const t = joined.tiles.get(account);
  if (!t || !t.stream.getTracks().includes(track)) return;
  t.stream.removeTrack(track);
  if (!t.stream.getTracks().length) {
    t.video.srcObject = null;
    t.video.remove();
    joined.tiles.delete(account);
    joined.slots = joined.slots.filter((a) => a !== account);
  }
  onChange();
}

/** Offer to receive every party's audio (and video), send the offer, apply the answer. */
async function offer(conn, call, onChange) {
  const pc = new RTCPeerConnection({ iceServers: await iceServers(conn, call.call_id), bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  if (joined.callId !== call.call_id) { pc.close(); return; }
  joined.pc = pc;
  joined.slots = slotParticipants(call).map((p) => p.account);
  joined.call = call;
  expose();
  addReceivers(pc, call);
  pc.ontrack = (ev) => {
    if (playMix(ev)) return; // listening in: the call's mix, one audio stream
    const account = trackOwner(pc, ev);
    if (!joined.slots.includes(account)) joined.slots.push(account);
    const t = tile(account);
    for (const old of t.stream.getTracks().filter((x) => x.kind === ev.track.kind)) t.stream.removeTrack(old);
    t.stream.addTrack(ev.track);
    if (ev.streams[0]) ev.streams[0].addEventListener('removetrack', (e) => onTrackEnded(account, ev.streams[0], e.track, onChange));
    expose();
    onChange();
  };
  pc.onconnectionstatechange = () => onChange();
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  if (joined.pc !== pc) return;
  const answer = await conn.request('call.offer', { call_id: call.call_id, sdp: pc.localDescription.sdp });
  if (joined.pc !== pc) return;
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  joined.negotiating = false;
  if (joined.again) await renegotiate(conn);
}

/**
 * call.renegotiate (PROTOCOL.md §9): a party's media came or went. Offer again on the same connection with a
 * receiver for every party; the answer names each one's tracks and ends those of who left.
 */
export async function renegotiate(conn, call) {
  if (call) joined.call = call;
  const pc = joined.pc;
  if (!pc || joined.negotiating) { joined.again = true; return; }
  joined.negotiating = true;
  try {
    do {
      joined.again = false;
      addReceivers(pc, joined.call);
      await pc.setLocalDescription(await pc.createOffer());
      const answer = await conn.request('call.offer', { call_id: joined.callId, sdp: pc.localDescription.sdp });
      if (joined.pc !== pc) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      joined.renegotiated += 1;
      expose();
    } while (joined.again && joined.pc === pc);
  } finally {
    if (joined.pc === pc) joined.negotiating = false;
  }
}

/** Join a call: call.join, then media. Rejects with the server's refusal (busy, call_state, no_call). */
export async function joinCall(conn, call, onChange) {
  if (joined.callId) throw new Error(t('console.calls.already_in_call'));
  const result = await conn.request('call.join', { call_id: call.call_id });
  joined.callId = call.call_id;
  expose();
  try {
    await offer(conn, result && result.participants ? result : call, onChange);
  } catch (err) {
    await leaveCall(conn).catch(() => {});
    throw err;
  }
}

/**
 * Speak to the others in a call we listen in on (PROTOCOL.md "Listen-in on the mix"), or go quiet again: call.speak,
 * and the first time our microphone on a section of its own (offered again; the server lets it through only while we
 * speak). Rejects with the server's refusal, or when there is no microphone.
 */
export async function speak(conn, on) {
  const callId = joined.callId;
  if (!callId || !joined.pc) throw new Error(t('console.calls.no_media'));
  const result = await conn.request('call.speak', { call_id: callId, on });
  if (joined.mic) joined.mic.enabled = on; // quiet again: silence from here too, not only the server's gate
  if (on && !joined.mic) {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (err) {
      await conn.request('call.speak', { call_id: callId, on: false }).catch(() => {});
      throw new Error(t('console.calls.no_microphone'));
    }
    if (joined.callId !== callId) { stream.getTracks().forEach((x) => x.stop()); return result; }
    joined.mic = stream.getAudioTracks()[0];
    joined.pc.addTransceiver(joined.mic, { direction: 'sendonly', streams: [stream] });
    expose();
    await renegotiate(conn);
  }
  return result;
}

/** Stop our media and forget the call (after call.leave, call.end, or the call ended). */
export function dropMedia() {
  if (joined.mic) joined.mic.stop();
  joined.mic = null;
  if (joined.pc) joined.pc.close();
  for (const t of joined.tiles.values()) { t.video.srcObject = null; t.video.remove(); }
  joined.callId = null;
  joined.pc = null;
  joined.tiles = new Map();
  joined.slots = [];
  joined.call = null;
  joined.negotiating = true;
  joined.again = false;
  joined.renegotiated = 0;
  expose();
}

/** call.leave, then drop the media even if the server already forgot the call. */
export async function leaveCall(conn) {
  const id = joined.callId;
  if (!id) return;
  dropMedia();
  await conn.request('call.leave', { call_id: id });
}

/** The peer connection's state in words, for the panel. */
export function mediaState() {
  const pc = joined.pc;
  if (!pc) return t('console.media.setting_up');
  const key = { new: 'connecting', connecting: 'connecting', connected: 'connected', disconnected: 'interrupted', failed: 'failed', closed: 'closed' }[pc.connectionState];
  // i18n-keys: console.media.connecting console.media.connected console.media.interrupted console.media.failed console.media.closed
  return key ? t(`console.media.${key}`) : pc.connectionState;
}
