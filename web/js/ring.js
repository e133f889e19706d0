// Ringing for an incoming call: a two-tone ringtone made with Web Audio (no sound file), vibration where the
// device has it, and a system notification while the page is hidden ("Dad is calling"). It follows the call view:
// it starts when the ringing screen shows and stops the moment the call stops ringing here (answered, declined,
// cancelled, timed out, taken elsewhere). The tones are scheduled ahead on the audio clock, so a background page
// with slowed timers still rings in rhythm. State for tests: <body data-ringing> and window.__samvaerRing.

import { showNotice, closeNotice } from './notify.js';
import { t } from './i18n.js';
import { personLabel } from './words.js';

const TONES = [[660, 0, 0.4], [880, 0.45, 0.4]]; // [Hz, start s, length s] within one cycle
const CYCLE_S = 2;
const AHEAD_S = 20;    // how far ahead tones are scheduled
const TOP_UP_MS = 5000; // how often the schedule is extended
const VOLUME = 0.25;
const VIBRATE = [600, 300, 600, 500];

let audio = null;      // {ctx, out, analyser}
let ring = null;       // {id, aid, oscillators, until, timer, noticed}
let started = 0;       // tones started since the page opened
let silenced = null;   // id of a call whose Answer or Not now was just tapped
let current = () => null;
let contactOf = () => null;

function audioOut() {
  if (audio) return audio;
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  const ctx = new AC();
  const out = ctx.createGain();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  out.gain.value = VOLUME;
  out.connect(analyser);
  analyser.connect(ctx.destination);
  audio = { ctx, out, analyser };
  return audio;
}

/** Browsers keep sound off until the person has touched the page: wake the audio on the first touch or key. */
function unlock() {
  const a = audioOut();
  if (a && a.ctx.state === 'suspended') a.ctx.resume().catch(() => {});
}

/** Tones from `ring.until` on, up to AHEAD_S from now. */
function schedule() {
  const a = audioOut();
  if (!a || !ring) return;
  if (a.ctx.state === 'suspended') a.ctx.resume().catch(() => {});
  const now = a.ctx.currentTime;
  if (ring.until < now) ring.until = now + 0.05;
  ring.oscillators = ring.oscillators.filter((o) => o.end > now);
  while (ring.until < now + AHEAD_S) {
    for (const [hz, at, len] of TONES) {
      const t = ring.until + at;
      const osc = a.ctx.createOscillator();
      const env = a.ctx.createGain();
      osc.frequency.value = hz;
      env.gain.setValueAtTime(0, t);
      env.gain.linearRampToValueAtTime(1, t + 0.02);
      env.gain.setValueAtTime(1, t + len - 0.04);
      env.gain.linearRampToValueAtTime(0, t + len);
      osc.connect(env).connect(a.out);
      osc.onended = () => { env.disconnect(); };
      osc.start(t);
      osc.stop(t + len);
      ring.oscillators.push({ osc, start: t, end: t + len });
      started += 1;
    }
    ring.until += CYCLE_S;
  }
}

/** Tones that have actually begun on the audio clock (scheduled ones count when their time comes). */
function tonesPlayed() {
  if (!audio || audio.ctx.state !== 'running') return 0;
  const now = audio.ctx.currentTime;
  const pending = ring ? ring.oscillators.filter((o) => o.start > now).length : 0;
  return started - pending;
}

/** The loudest sample now leaving the ringtone (0 when silent): evidence that sound is really produced. */
function peak() {
  if (!audio) return 0;
  const buf = new Float32Array(audio.analyser.fftSize);
  audio.analyser.getFloatTimeDomainData(buf);
  return buf.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function expose() {
  document.body.dataset.ringing = ring ? 'yes' : 'no';
  window.__samvaerRing = {
    ringing: !!ring,
    callId: ring ? ring.id : null,
    audio: audio ? audio.ctx.state : 'none',
    tones: tonesPlayed,
    peak,
  };
}

function callNotice() {
  if (!ring || document.visibilityState !== 'hidden' || ring.noticed) return;
  ring.noticed = true;
  const contact = contactOf(ring.aid);
  showNotice(`call-${ring.id}`, t('notify.calling', { name: callerLabel(contact) }), {
    body: t('notify.calling_body'), requireInteraction: true, vibrate: VIBRATE, url: '/',
  });
}

function start(now) {
  ring = { id: now.id, aid: now.aid, oscillators: [], until: 0, timer: null, noticed: false };
  schedule();
  ring.timer = setInterval(() => {
    schedule();
    if (navigator.vibrate) navigator.vibrate(VIBRATE);
  }, TOP_UP_MS);
  if (navigator.vibrate) navigator.vibrate(VIBRATE);
  callNotice();
}

function stop() {
  const r = ring;
  ring = null;
  clearInterval(r.timer);
  const now = audio ? audio.ctx.currentTime : 0;
  for (const o of r.oscillators) {
    try { o.osc.stop(); } catch (e) { /* already stopped */ }
    if (o.start > now) started -= 1; // never played
  }
  if (navigator.vibrate) navigator.vibrate(0);
  closeNotice(`call-${r.id}`);
}

/** Ring or be quiet, as the call view says now. */
function sync() {
  let now = current();
  if (now && now.id === silenced) now = null;
  if (ring && (!now || now.id !== ring.id)) stop();
  if (now && !ring) start(now);
  expose();
}

/** The words for the caller on a notification: the relationship ("Dad") when the caller is an adult, else the name. */
export function callerLabel(contact) {
  return personLabel(contact);
}

/**
 * Start following the call view. ringingCall() gives {id, aid} of the call ringing on screen or null;
 * contactFor(aid) gives the contacts.list entry of an agreement (for the caller's label).
 */
export function initRinging(ringingCall, contactFor) {
  current = ringingCall;
  contactOf = contactFor;
  new MutationObserver(sync).observe(document.body, { attributes: true, attributeFilter: ['data-call'] });
  // Tapping Answer or Not now silences at once, before the server's answer comes back.
  for (const id of ['call-accept', 'call-decline']) {
    document.getElementById(id).addEventListener('click', () => {
      if (ring) silenced = ring.id;
      sync();
    });
  }
  for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, unlock, { capture: true, passive: true });
  document.addEventListener('visibilitychange', () => {
    if (!ring) return;
    if (document.visibilityState === 'hidden') callNotice();
    else if (ring.noticed) {
      ring.noticed = false;
      closeNotice(`call-${ring.id}`);
    }
  });
  expose();
}
