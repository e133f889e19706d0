// Call recordings of a case (docs/ADMIN-API.md "Call recordings"): one card per recording with a player per file
// (the mix, then each person's video), its length and whether a crash cut it; the case's caseworker may delete it.
// Players load /media/recordings/<id> with the media cookie (POST /media/session), so seeking uses Range requests.

import { t } from '/js/i18n.js';
import * as api from './api.js';
import { el, note, when } from './dom.js';
import { mediaSession } from '/js/media-cookie.js';


const minutes = (ms) => t('console.recordings.length', { minutes: Math.floor(ms / 60000), seconds: Math.round((ms % 60000) / 1000) });

function fileRow(f, names) {
  const player = f.kind === 'audio'
    ? el('audio', { controls: '', preload: 'metadata', src: f.url, 'data-testid': `recording-audio-${f.id}` })
    : el('video', { controls: '', preload: 'metadata', src: f.url, playsinline: '', 'data-testid': `recording-video-${f.id}` });
  const whose = f.kind === 'audio' ? t('console.recordings.mix') : t('console.recordings.video_of', { name: names.get(f.account_id) || t('console.recordings.someone') });
  return el('li', { class: 'recording-file', 'data-kind': f.kind },
    el('p', {}, el('strong', {}, whose), ' · ', minutes(f.duration_ms)),
    player,
    el('p', {}, el('a', { href: f.url, download: '', 'data-testid': `recording-download-${f.id}` }, t('console.recordings.download'))));
}

function recordingCard(ctx, c, files, names, onDeleted) {
  const first = files[0];
  const isCaseworker = (c.members || []).some((m) => m.id === ctx.me.id && m.role === 'caseworker');
  const card = el('article', { class: 'card recording-card', 'data-testid': `recording-${first.recording}` },
    el('header', { class: 'case-head' },
      el('h3', {}, t('console.recordings.call_at'), ' ', when(first.started_at, c.time_zone)),
      first.interrupted ? el('span', { class: 'chip', 'data-testid': 'recording-interrupted' }, t('console.recordings.interrupted')) : null),
    el('ul', { class: 'recording-files' }, files.map((f) => fileRow(f, names))));
  if (isCaseworker) {
    const button = el('button', { type: 'button', class: 'big-button danger', 'data-testid': 'recording-delete' }, t('console.recordings.delete'));
    button.onclick = async () => {
      if (!window.confirm(t('console.recordings.delete_confirm'))) return;
      button.disabled = true;
      try {
        await api.post(`/api/cases/${c.id}/recordings/delete`, { recording: first.recording });
        onDeleted(card);
      } catch (e) {
        card.append(note('error', e.message, 'recording-error'));
        button.disabled = false;
      }
    };
    card.append(el('p', { class: 'actions' }, button));
  }
  return card;
}

/** The recordings section of a case page (c: the case from GET /api/cases/ID). */
export async function recordingsSection(ctx, c) {
  const data = await api.get(`/api/cases/${c.id}/recordings`);
  await mediaSession(api.token());
  const names = new Map((c.members || []).map((m) => [m.id, m.display_name]));
  if (c.child) names.set(c.child.id, c.child.display_name);
  for (const a of c.agreements || []) if (a.contact) names.set(a.contact.id, a.contact.display_name);
  const groups = new Map();
  for (const f of data.files || []) {
    if (!groups.has(f.recording)) groups.set(f.recording, []);
    groups.get(f.recording).push(f);
  }
  const section = el('section', { class: 'recordings', 'data-testid': 'recordings' }, el('h2', {}, t('console.recordings.title')));
  const empty = () => el('p', { class: 'muted', 'data-testid': 'no-recordings' }, t('console.recordings.none'));
  const onDeleted = (card) => {
    card.remove();
    if (!section.querySelector('.recording-card')) section.append(empty());
  };
  if (!groups.size) section.append(empty());
  for (const files of groups.values()) section.append(recordingCard(ctx, c, files, names, onDeleted));
  return section;
}
