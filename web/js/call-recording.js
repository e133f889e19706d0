// Recording in the family app (PROTOCOL.md §9 "Recording a call"): a red label on the call screen for everyone while
// a supervisor records the call (or has asked to), and, for a contact, the question with Yes and No.
// The elements are made here, inside #view-call, so the call screen's markup needs nothing for it.

import { t } from './i18n.js';

const rec = { conn: null, asked: null, state: 'off' };
const $ = (sel) => document.querySelector(sel);

function node(id, make) {
  let n = document.getElementById(id);
  if (!n) {
    n = make();
    n.id = id;
    const view = $('#view-call');
    view.insertBefore(n, view.querySelector('.call-info') || view.firstChild);
  }
  return n;
}

function label() {
  return node('call-recording', () => {
    const p = document.createElement('p');
    p.className = 'call-recording';
    p.setAttribute('role', 'status');
    p.dataset.testid = 'call-recording';
    p.hidden = true;
    return p;
  });
}

function dialog() {
  return node('call-record-ask', () => {
    const d = document.createElement('div');
    d.className = 'call-consent';
    d.setAttribute('role', 'alertdialog');
    d.dataset.testid = 'call-record-ask';
    d.hidden = true;
    const p = document.createElement('p');
    p.id = 'call-record-ask-text';
    d.setAttribute('aria-labelledby', p.id);
    const buttons = document.createElement('div');
    buttons.className = 'call-buttons';
    for (const [allow, cls] of [[false, 'decline'], [true, 'accept']]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `call-round ${cls}`;
      b.dataset.testid = allow ? 'call-record-yes' : 'call-record-no';
      b.dataset.i18n = allow ? 'call.recording.yes' : 'call.recording.no';
      b.textContent = t(b.dataset.i18n);
      b.addEventListener('click', () => answer(allow));
      buttons.append(b);
    }
    d.append(p, buttons);
    return d;
  });
}

/** Wire the connection once. */
export function initRecording(conn) {
  rec.conn = conn;
}

async function answer(allow) {
  const asked = rec.asked;
  rec.asked = null;
  dialog().hidden = true;
  if (!asked) return;
  try {
    await rec.conn.request('call.record_consent', { call_id: asked, allow });
  } catch (err) { /* the request is gone (stopped, or the call ended): nothing to answer */ }
}

// i18n-keys: call.recording.requested call.recording.on
/** A call.state of the shown call: the label follows its `recording` (off, requested, on); an ended call clears it. */
export function recordingOnState(data) {
  const state = data.state === 'ended' ? 'off' : (data.recording || 'off');
  rec.state = state;
  const l = label();
  l.hidden = state === 'off';
  l.dataset.recording = state;
  if (state !== 'off') l.textContent = t(`call.recording.${state}`);
  if (state === 'off' && rec.asked === data.call_id) {
    rec.asked = null;
    dialog().hidden = true;
  }
}

/** call.record_request for the shown call (a contact is asked); returns true when handled. */
export function onRecordingEvent(event, data, callId) {
  if (event !== 'call.record_request') return false;
  if (callId === null || data.call_id !== callId) return true;
  rec.asked = data.call_id;
  const d = dialog();
  d.querySelector('p').textContent = t('call.recording.ask');
  d.hidden = false;
  d.querySelector('[data-testid="call-record-yes"]').focus();
  return true;
}

/** The call is gone (ended, or signed out). */
export function resetRecording() {
  rec.asked = null;
  rec.state = 'off';
  if (document.getElementById('call-recording')) label().hidden = true;
  if (document.getElementById('call-record-ask')) dialog().hidden = true;
}
