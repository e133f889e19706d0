// getStats() readers for call tests: inbound packet counts per kind, their growth, and the selected ICE pair.

/** inbound-rtp packetsReceived per kind on the page's live call (0 when there is none). */
export function inboundStats(page) {
  return page.evaluate(async () => {
    const call = window.__samvaerCall;
    const out = { audio: 0, video: 0 };
    if (!call || !call.pc) return out;
    (await call.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') out[s.kind] += s.packetsReceived || 0;
    });
    return out;
  });
}

/** Wait up to `ms` until every page receives audio and video, then `hold` ms more: {first, last} per page. */
export async function waitFlowing(pages, ms, hold) {
  const deadline = Date.now() + ms;
  let first = null;
  let t0 = 0;
  let last = null;
  while (Date.now() < deadline) {
    last = {};
    for (const [who, page] of Object.entries(pages)) last[who] = await inboundStats(page);
    const all = Object.values(last).every((s) => s.audio > 0 && s.video > 0);
    if (all && !first) { first = last; t0 = Date.now(); }
    if (first && Date.now() - t0 >= hold) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!first) throw new Error(`no media: ${JSON.stringify(last)}`);
  return { first, last };
}

/** Packets received per kind during `window` ms, after `settle` ms. Counters of a replaced connection restart. */
export async function growth(page, settle, window) {
  await page.waitForTimeout(settle);
  const peers = () => page.evaluate(() => window.__samvaerCall && window.__samvaerCall.peers);
  const p0 = await peers();
  const a = await inboundStats(page);
  await page.waitForTimeout(window);
  const b = await inboundStats(page);
  if (await peers() !== p0) throw new Error('the peer connection was replaced while measuring');
  return { audio: b.audio - a.audio, video: b.video - a.video };
}

/** The selected candidate pair: local and remote candidate types, bytes, and any non-relay local candidates. */
export function selectedPair(page) {
  return page.evaluate(async () => {
    const stats = await window.__samvaerCall.pc.getStats();
    let id = null;
    const others = [];
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) id = s.selectedCandidatePairId;
      if (s.type === 'local-candidate' && s.candidateType !== 'relay') others.push(s.candidateType);
    });
    const pair = id && stats.get(id);
    if (!pair) return { local: 'none', remote: 'none', bytes: 0, others };
    return {
      local: stats.get(pair.localCandidateId).candidateType,
      remote: stats.get(pair.remoteCandidateId).candidateType,
      relayProtocol: stats.get(pair.localCandidateId).relayProtocol,
      bytes: (pair.bytesReceived || 0) + (pair.bytesSent || 0),
      others,
    };
  });
}

/** What the page's call looks like, for failure messages. */
export function callInfo(page) {
  return page.evaluate(() => {
    const c = window.__samvaerCall;
    const view = document.querySelector('#view-call').dataset;
    return c ? { ...c, pc: c.pc && `${c.pc.connectionState}/${c.pc.iceConnectionState}`, view: { ...view } } : { view: { ...view } };
  });
}
