// The supervisor's side of a call's media: call.join, a receive-only RTCPeerConnection with one audio and one
// video transceiver per other participant (PROTOCOL.md §9 call.offer), and a <video> tile per participant.
// window.__samvaerSupervisor exposes the peer connection for tests.

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
  slots: [],      // account id per slot (from the call at offer time)
};

export function joinedCallId() { return joined.callId; }

function expose() {
  window.__samvaerSupervisor = joined.callId ? { callId: joined.callId, pc: joined.pc, slots: joined.slots.slice() } : null;
}

function tile(account) {
  if (!joined.tiles.has(account)) {
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
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

/** Whose media a received track carries: the answer's msid if it names a participant, else its slot. */
function trackOwner(pc, ev) {
  const named = ev.streams[0] && /^p?(\d+)$/.exec(ev.streams[0].id);
  if (named && joined.slots.includes(Number(named[1]))) return Number(named[1]);
  const slot = slotOf(pc, ev.transceiver, ev.track.kind);
  return joined.slots[slot] !== undefined ? joined.slots[slot] : -1 - slot;
}

/** Offer to receive every party's audio (and video), send the offer, apply the answer. */
async function offer(conn, call, onChange) {
  const pc = new RTCPeerConnection({ iceServers: await iceServers(conn, call.call_id), bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  if (joined.callId !== call.call_id) { pc.close(); return; }
  joined.pc = pc;
  joined.slots = slotParticipants(call).map((p) => p.account);
  expose();
  for (let i = 0; i < Math.max(1, joined.slots.length); i++) {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    if (call.video) pc.addTransceiver('video', { direction: 'recvonly' });
  }
  limitVideoCodecs(pc);
  pc.ontrack = (ev) => {
    const t = tile(trackOwner(pc, ev));
    for (const old of t.stream.getTracks().filter((x) => x.kind === ev.track.kind)) t.stream.removeTrack(old);
    t.stream.addTrack(ev.track);
    onChange();
  };
  pc.onconnectionstatechange = () => onChange();
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  if (joined.pc !== pc) return;
  const answer = await conn.request('call.offer', { call_id: call.call_id, sdp: pc.localDescription.sdp });
  if (joined.pc !== pc) return;
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
}

/** Join a call: call.join, then media. Rejects with the server's refusal (busy, call_state, no_call). */
export async function joinCall(conn, call, onChange) {
  if (joined.callId) throw new Error('You are already in a call. Leave it first.');
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

/** Stop our media and forget the call (after call.leave, call.end, or the call ended). */
export function dropMedia() {
  if (joined.pc) joined.pc.close();
  for (const t of joined.tiles.values()) { t.video.srcObject = null; t.video.remove(); }
  joined.callId = null;
  joined.pc = null;
  joined.tiles = new Map();
  joined.slots = [];
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
  if (!pc) return 'setting up';
  return { new: 'connecting', connecting: 'connecting', connected: 'connected', disconnected: 'interrupted', failed: 'failed', closed: 'closed' }[pc.connectionState] || pc.connectionState;
}
