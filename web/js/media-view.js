// What an attachment looks like in a chat bubble: a photo's thumbnail (tap: full screen), a video clip with its
// poster, a voice note with a play button and its waveform. Media is read with the cookie (media-cookie.js).

import { el } from './util.js';
import { t } from './i18n.js';
import { mediaIcon } from './media-icons.js';
import { loadWhenReady } from './media-cookie.js';

export { mediaSession } from './media-cookie.js';

function mediaImg(url, alt, att, testid) {
  const img = el('img', {
    class: 'media-img', alt, 'data-testid': testid, decoding: 'async',
    width: att.width || null, height: att.height || null,
  });
  loadWhenReady(img, 'src', url);
  return img;
}

/** "0:42" from milliseconds. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The content of a bubble for message m with m.attachment; onOpen(att) shows a photo full screen. */
export function attachmentView(att, onOpen) {
  if (att.expired) return expiredView(att);
  if (att.kind === 'photo' || att.kind === 'profile_photo') return photoView(att, onOpen);
  if (att.kind === 'video_clip') return videoView(att);
  if (att.kind === 'voice_note') return voiceView(att);
  return el('span', { class: 'media-unknown' }, t('media.unknown'));
}

/** An attachment the case's media period removed (PROTOCOL.md §16): a note in its place, nothing to load. */
function expiredView(att) {
  return el('div', {
    class: 'media media-expired', 'data-testid': 'media-expired', 'data-kind': att.kind, 'data-attachment': att.id,
  }, t('media.expired', { kind: att.kind }));
}

function photoView(att, onOpen) {
  const button = el('button', {
    type: 'button', class: 'media-photo', 'data-testid': 'media-open', 'aria-label': t('media.photo.open'),
    onclick: () => onOpen(att),
  }, mediaImg(att.thumb || att.url, t('media.photo.alt'), att, 'media-thumb'));
  return el('div', { class: 'media media-kind-photo', 'data-kind': 'photo', 'data-attachment': att.id }, button);
}

function videoView(att) {
  const video = el('video', {
    class: 'media-video', controls: true, playsinline: true, preload: 'none', 'data-testid': 'media-video',
    'aria-label': t('media.video.label', { duration: formatDuration(att.duration_ms) }),
  });
  if (att.poster) loadWhenReady(video, 'poster', att.poster);
  loadWhenReady(video, 'src', att.url);
  return el('div', { class: 'media media-kind-video', 'data-kind': 'video_clip', 'data-attachment': att.id }, video,
    att.duration_ms ? el('span', { class: 'media-duration' }, formatDuration(att.duration_ms)) : null);
}

/** 64 (or however many) bars from the server's waveform (0..1 or 0..255 values); flat when there is none. */
function waveformSvg(points) {
  const ns = 'http://www.w3.org/2000/svg';
  const values = Array.isArray(points) && points.length ? points.map(Number) : new Array(32).fill(0.15);
  const max = Math.max(1, ...values) > 1 ? Math.max(...values) : 1;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${values.length * 3} 32`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'voice-wave');
  values.forEach((v, i) => {
    const h = Math.max(2, Math.round((v / max) * 30));
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', String(i * 3));
    bar.setAttribute('y', String(16 - h / 2));
    bar.setAttribute('width', '2');
    bar.setAttribute('height', String(h));
    svg.append(bar);
  });
  return svg;
}

function voiceView(att) {
  const audio = el('audio', { preload: 'none', 'data-testid': 'media-audio' });
  loadWhenReady(audio, 'src', att.url);
  const wave = waveformSvg(att.waveform);
  const time = el('span', { class: 'media-duration' }, formatDuration(att.duration_ms));
  const play = el('button', {
    type: 'button', class: 'voice-play', 'data-testid': 'voice-play', 'aria-label': t('media.voice.play'),
  }, mediaIcon('play'));
  const showState = () => {
    const playing = !audio.paused && !audio.ended;
    play.replaceChildren(mediaIcon(playing ? 'pause' : 'play'));
    play.setAttribute('aria-label', playing ? t('media.voice.pause') : t('media.voice.play'));
    play.dataset.playing = playing ? 'yes' : 'no';
  };
  play.addEventListener('click', () => { if (audio.paused) audio.play().catch(() => {}); else audio.pause(); });
  for (const ev of ['play', 'pause', 'ended']) audio.addEventListener(ev, showState);
  audio.addEventListener('timeupdate', () => {
    const total = audio.duration && Number.isFinite(audio.duration) ? audio.duration : (att.duration_ms || 0) / 1000;
    const part = total ? audio.currentTime / total : 0;
    const bars = wave.children;
    const upTo = Math.round(part * bars.length);
    for (let i = 0; i < bars.length; i++) bars[i].classList.toggle('played', i < upTo);
    time.textContent = formatDuration((audio.ended ? total : audio.currentTime) * 1000);
  });
  return el('div', { class: 'media media-kind-voice voice', 'data-kind': 'voice_note', 'data-attachment': att.id },
    play, el('span', { class: 'voice-track' }, wave), time, audio);
}

/** A photo full screen, with a Close button (Escape closes too). */
export function openViewer(att) {
  const close = () => {
    box.remove();
    document.removeEventListener('keydown', onKey);
    if (back) back.focus();
  };
  const onKey = (ev) => { if (ev.key === 'Escape') close(); };
  const back = document.activeElement;
  const content = att.kind === 'video_clip'
    ? videoView(att)
    : mediaImg(att.url, t('media.photo.alt'), att, 'viewer-img');
  const closeButton = el('button', {
    type: 'button', class: 'big-button viewer-close', 'data-testid': 'viewer-close', onclick: close,
  }, t('media.close'));
  const box = el('div', {
    class: 'media-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('media.photo.alt'),
    'data-testid': 'media-viewer',
  }, el('div', { class: 'viewer-body' }, content), closeButton);
  document.body.append(box);
  document.addEventListener('keydown', onKey);
  closeButton.focus();
  return close;
}
