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
