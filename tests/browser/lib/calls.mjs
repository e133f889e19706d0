// Helpers for call tests: inbound-rtp packet counts from a page's RTCPeerConnection, "did it grow" checks,
// and a weekly contact window (HH:MM in a time zone) that closes at a chosen instant.

/** inbound-rtp packetsReceived per kind from the peer connection at window[global].pc (default the family app's). */
export function inbound(page, global = '__samvaerCall') {
  return page.evaluate(async (name) => {
    const holder = window[name];
    if (!holder || !holder.pc) return { audio: 0, video: 0, conn: 'no pc' };
    const out = { audio: 0, video: 0, conn: holder.pc.connectionState };
    (await holder.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') out[s.kind] += s.packetsReceived || 0;
    });
    return out;
  }, global);
}

/** inbound-rtp packetsReceived per receiving transceiver mid ("kind:mid" -> count), to see which slot got media. */
export function inboundByMid(page, global = '__samvaerCall') {
  return page.evaluate(async (name) => {
    const holder = window[name];
    const out = {};
    if (!holder || !holder.pc) return out;
    (await holder.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') out[`${s.kind}:${s.mid}`] = s.packetsReceived || 0;
    });
    return out;
  }, global);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Counts at the start and end of `ms` for each named page: {name: {a, b, grew: {audio, video}}}. */
export async function growth(pages, ms, global) {
  const before = {};
  for (const [name, page] of Object.entries(pages)) before[name] = await inbound(page, global);
  await sleep(ms);
  const out = {};
  for (const [name, page] of Object.entries(pages)) {
    const b = await inbound(page, global);
    const a = before[name];
    out[name] = { a, b, grew: { audio: b.audio - a.audio, video: b.video - a.video } };
  }
  return out;
}

/** Poll until every page's audio and video counts grow (within ms); returns the last growth() or throws. */
export async function waitGrowing(pages, ms, global, step = 1500) {
  const end = Date.now() + ms;
  let last = null;
  while (Date.now() < end) {
    last = await growth(pages, step, global);
    if (Object.values(last).every((g) => g.grew.audio > 0 && g.grew.video > 0)) return last;
  }
  throw new Error(`media did not grow everywhere: ${JSON.stringify(last)}`);
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Local weekday (mon..sun) and HH:MM of instant ms in an IANA zone. */
export function localParts(ms, zone) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const day = DAYS.find((d) => d === parts.weekday.toLowerCase().slice(0, 3));
  return { day, hhmm: `${parts.hour}:${parts.minute}` };
}

/**
 * A weekly window of `lengthMin` minutes that ends at the first whole minute at least `leadMs` from now.
 * Returns {window: {day, start, end}, endsAt (ms)}; windows belong to the day they start (ADMIN-API.md).
 */
export function windowEndingSoon(zone, leadMs, lengthMin = 30, now = Date.now()) {
  const endsAt = Math.ceil((now + leadMs) / 60000) * 60000;
  const start = localParts(endsAt - lengthMin * 60000, zone);
  const end = localParts(endsAt, zone);
  return { window: { day: start.day, start: start.hhmm, end: end.hhmm }, endsAt };
}

/**
 * inbound-rtp packetsReceived per remote participant: {"<account>": {audio, video}}. The server's answer names
 * the source of each m-section (a=msid:samvaer-<account>); inbound-rtp carries the mid it arrived on.
 */
export function inboundByParticipant(page, global = '__samvaerCall') {
  return page.evaluate(async (name) => {
    const holder = window[name];
    const out = {};
    if (!holder || !holder.pc || !holder.pc.remoteDescription) return out;
    const owner = {};
    for (const sec of holder.pc.remoteDescription.sdp.split(/\r\nm=/).slice(1)) {
      const mid = /\r\na=mid:(\S+)/.exec(sec);
      const msid = /\r\na=msid:samvaer-(\d+) /.exec(sec);
      if (mid && msid && !/\r\na=(inactive|recvonly)/.test(sec)) owner[mid[1]] = msid[1];
    }
    (await holder.pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp' || !owner[s.mid]) return;
      const o = out[owner[s.mid]] || (out[owner[s.mid]] = { audio: 0, video: 0 });
      o[s.kind] += s.packetsReceived || 0;
    });
    return out;
  }, global);
}

/**
 * Wait until the page receives each of `accounts` on a stream of its own whose packets grow (audio, and video
 * unless video is false), and nobody else. Returns {grew: {account: {audio, video}}, names: [...]} or throws.
 */
export async function waitEachGrowing(page, accounts, ms, { global = '__samvaerCall', video = true, step = 1500 } = {}) {
  const want = accounts.map(String);
  const end = Date.now() + ms;
  let last = null;
  let names = [];
  while (Date.now() < end) {
    const a = await inboundByParticipant(page, global);
    await sleep(step);
    const b = await inboundByParticipant(page, global);
    names = Object.keys(b).sort();
    last = {};
    for (const id of want) {
      const x = a[id] || { audio: 0, video: 0 };
      const y = b[id] || { audio: 0, video: 0 };
      last[id] = { audio: y.audio - x.audio, video: y.video - x.video };
    }
    const each = want.every((id) => last[id].audio > 0 && (!video || last[id].video > 0));
    if (each && names.join() === want.slice().sort().join()) return { grew: last, names };
  }
  throw new Error(`not each of ${want.join(', ')} on a growing stream of their own: ${JSON.stringify(last)}, streams of ${names.join(', ')}`);
}

/** For each <video> matching selector: its data-account, size, a signature of the current frame and its brightness. */
export function tileFrames(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].map((v) => {
    const c = document.createElement('canvas');
    c.width = 32;
    c.height = 24;
    const g = c.getContext('2d');
    let sig = 0;
    let light = 0;
    if (v.videoWidth) {
      g.drawImage(v, 0, 0, 32, 24);
      const d = g.getImageData(0, 0, 32, 24).data;
      for (let i = 0; i < d.length; i += 4) {
        sig = (sig * 31 + d[i] + 3 * d[i + 1] + 7 * d[i + 2]) >>> 0;
        light += d[i] + d[i + 1] + d[i + 2];
      }
    }
    return { account: v.dataset.account || null, w: v.videoWidth, h: v.videoHeight, sig, light: light / (32 * 24 * 3) };
  }), selector);
}

/** Wait until the tile of each of `accounts` plays video that is not black and changes from frame to frame. */
export async function waitFramesChanging(page, selector, accounts, ms = 10000) {
  const want = accounts.map(String);
  const end = Date.now() + ms;
  let last = null;
  while (Date.now() < end) {
    const a = await tileFrames(page, selector);
    await sleep(700);
    const b = await tileFrames(page, selector);
    last = want.map((id) => {
      const x = a.find((t) => t.account === id);
      const y = b.find((t) => t.account === id);
      return { id, w: y ? y.w : 0, light: y ? Math.round(y.light) : 0, changed: !!(x && y && x.sig !== y.sig) };
    });
    if (last.every((t) => t.w > 0 && t.light > 8 && t.changed)) return last;
  }
  throw new Error(`a remote tile is black, frozen or missing: ${JSON.stringify(last)}`);
}

/**
 * A protocol session of its own, opened inside page (any page of the server's origin), logged in as username: for a
 * party the test drives without a screen (a supervisor who joins and records). Events it gets are kept.
 * Returns {request(type, params) -> the answer {ok, result | error}, events(name) -> [data], close()}.
 */
export async function rawSession(page, username, password) {
  const slot = `__raw_${username.replace(/\W/g, '_')}`;
  await page.evaluate(async ([name, user, pass]) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'samvaer.v1');
    const s = { ws, events: [], waits: new Map(), next: 0 };
    window[name] = s;
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.event) s.events.push(m);
      else if (s.waits.has(m.id)) { s.waits.get(m.id)(m); s.waits.delete(m.id); }
    };
    s.request = (type, params) => new Promise((resolve) => {
      s.next += 1;
      s.waits.set(s.next, resolve);
      ws.send(JSON.stringify({ id: s.next, type, ...params }));
    });
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('no socket')); });
    const r = await s.request('auth.login', { username: user, password: pass });
    if (!r.ok) throw new Error(`auth.login ${user}: ${JSON.stringify(r)}`);
  }, [slot, username, password]);
  return {
    request: (type, params = {}) => page.evaluate(([name, t, p]) => window[name].request(t, p), [slot, type, params]),
    events: (event) => page.evaluate(([name, e]) => window[name].events.filter((m) => m.event === e).map((m) => m.data), [slot, event]),
    close: () => page.evaluate((name) => window[name].ws.close(), slot),
  };
}
