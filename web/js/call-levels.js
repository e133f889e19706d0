// Talking indicators and the mixed sound of a call (PROTOCOL.md "Mixed receive and talking indicators"), shared by
// the family app's call view and the console's live calls: call.levels marks who talks on the element of each
// person (data-talking="yes"), and the one mixed audio stream (a=msid "samvaer-mix") plays in a hidden <audio>.

const MIX_STREAM = 'samvaer-mix';

/** The accounts that talk in a call.levels event. */
export function talkers(data) {
  return new Set((data.levels || []).filter((l) => l.talking).map((l) => l.participant));
}

/** Mark every element under root that names a participant (attribute attr, e.g. data-account) as talking or not.
 *  Only attributes change, so a view re-rendered later keeps its focus and scroll. */
export function applyLevels(root, data, attr = 'data-account') {
  if (!root) return;
  const now = talkers(data);
  root.querySelectorAll(`[${attr}]`).forEach((n) => {
    const talking = now.has(Number(n.getAttribute(attr)));
    if ((n.dataset.talking === 'yes') !== talking) n.dataset.talking = talking ? 'yes' : 'no';
  });
  root.dataset.talkers = [...now].sort((a, b) => a - b).join(' ');
}

/** A received track of the mix: play it (once per track) and return true; any other track: false. */
export function playMix(ev) {
  if (!ev.streams[0] || ev.streams[0].id !== MIX_STREAM || ev.track.kind !== 'audio') return false;
  let audio = document.getElementById('call-mix');
  if (!audio) {
    audio = document.createElement('audio');
    audio.id = 'call-mix';
    audio.autoplay = true;
    audio.dataset.testid = 'call-mix';
    audio.hidden = true;
    document.body.append(audio);
  }
  audio.srcObject = new MediaStream([ev.track]);
  audio.play().catch(() => {});
  return true;
}

/** The call is over: the mix element goes. */
export function dropMix() {
  const audio = document.getElementById('call-mix');
  if (audio) { audio.srcObject = null; audio.remove(); }
}
