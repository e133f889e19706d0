// Recording a voice note in the browser with MediaRecorder (Ogg or WebM Opus, whichever the browser makes): one big
// button to start and stop, the time running, then listen, Send or Delete.

import { el } from './util.js';
import { t } from './i18n.js';
import { formatDuration } from './media-view.js';

const MAX_MS = 3 * 60 * 1000;   // a voice note stops by itself after three minutes
const TYPES = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm'];

/** The recording type this browser can make, or '' when it cannot record. */
export function recordingType() {
  if (typeof MediaRecorder === 'undefined') return '';
  return TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || '';
}

/** Open the recorder; onDone(blob, 'voice_note', '') is called when the user taps Send. */
export function openRecorder(onDone) {
  const status = el('p', { class: 'rec-status', role: 'status', 'data-testid': 'rec-status' }, t('media.voice.ready'));
  const time = el('p', { class: 'rec-time', 'data-testid': 'rec-time' }, formatDuration(0));
  const big = el('button', { type: 'button', class: 'rec-button', 'data-testid': 'rec-toggle', 'data-state': 'idle' },
    t('media.voice.start'));
  const player = el('audio', { controls: true, class: 'rec-player', 'data-testid': 'rec-player', hidden: true });
  const sendButton = el('button', { type: 'button', class: 'big-button', 'data-testid': 'rec-send', hidden: true },
    t('media.send'));
  const cancel = el('button', { type: 'button', class: 'big-button quiet-dark', 'data-testid': 'rec-cancel' },
    t('media.cancel'));
  const box = el('div', {
    class: 'media-viewer recorder', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('media.choice.voice'),
    'data-testid': 'recorder',
  }, status, time, big, player, el('div', { class: 'preview-buttons' }, cancel, sendButton));
  document.body.append(box);
  big.focus();

  const rec = { stream: null, recorder: null, chunks: [], started: 0, timer: null, blob: null, url: null };
  const stopTracks = () => { if (rec.stream) for (const tr of rec.stream.getTracks()) tr.stop(); rec.stream = null; };
  const close = () => {
    clearInterval(rec.timer);
    if (rec.recorder && rec.recorder.state !== 'inactive') rec.recorder.stop();
    stopTracks();
    if (rec.url) URL.revokeObjectURL(rec.url);
    box.remove();
  };

  const start = async () => {
    const type = recordingType();
    if (!type) {
      status.textContent = t('media.voice.unsupported');
      return;
    }
    try {
      rec.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      status.textContent = t('media.voice.no_mic');
      return;
    }
    rec.chunks = [];
    rec.recorder = new MediaRecorder(rec.stream, { mimeType: type, audioBitsPerSecond: 32000 });
    rec.recorder.ondataavailable = (ev) => { if (ev.data && ev.data.size) rec.chunks.push(ev.data); };
    rec.recorder.onstop = () => {
      stopTracks();
      rec.blob = new Blob(rec.chunks, { type: type.split(';')[0] });
      rec.url = URL.createObjectURL(rec.blob);
      player.src = rec.url;
      player.hidden = false;
      sendButton.hidden = false;
      big.dataset.state = 'done';
      big.textContent = t('media.voice.again');
      status.textContent = t('media.voice.done');
      sendButton.focus();
    };
    rec.recorder.start(1000);
    rec.started = Date.now();
    big.dataset.state = 'recording';
    big.textContent = t('media.voice.stop');
    status.textContent = t('media.voice.recording');
    player.hidden = true;
    sendButton.hidden = true;
    rec.timer = setInterval(() => {
      const ms = Date.now() - rec.started;
      time.textContent = formatDuration(ms);
      if (ms >= MAX_MS) stop();
    }, 250);
  };
  const stop = () => {
    clearInterval(rec.timer);
    if (rec.recorder && rec.recorder.state !== 'inactive') rec.recorder.stop();
  };

  big.addEventListener('click', () => {
    if (big.dataset.state === 'recording') stop();
    else {
      if (rec.url) URL.revokeObjectURL(rec.url);
      rec.url = null;
      start();
    }
  });
  cancel.addEventListener('click', close);
  sendButton.addEventListener('click', () => {
    const blob = rec.blob;
    close();
    if (blob && blob.size) onDone(blob, 'voice_note', '');
  });
  box.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });
}
