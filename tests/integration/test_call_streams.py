# test_call_streams.py: who each participant hears, per stream (issue 13) — every other participant on its own m-section
# (msid, MID, a distinct tone identified by spectrum), and NACKs that cannot pull media past a mute, a pause or a gate.
import asyncio
import json
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, main, short
from test_calls import ARGS, CALLS_ON, PEER, pair
from test_call_supervision import NO_CONSENT, SUPERVISED, answered, change, link_supervisor, second_contact

TONES = (440, 660, 880)        # Hz, one per sender; 220 Hz apart, far beyond the analysis' 20 Hz steps
MIN_SHARE = 0.5                # the tone's share of a stream's energy (a clean sine decodes to ~0.9+)
FLOW_S = 10                    # how long a stream may take to appear once every peer has its answer
WATCH_S = 2.0                  # the window in which a held-back stream must deliver nothing


class StreamPeer:
    """One call_peer process with stream reports: join through call.offer, re-offer on call.renegotiate, report.
    recv_sections: recvonly pairs of the first offer; want: of every re-offer (default the same)."""

    def __init__(self, name, account, tone=None, recv_sections=1, hostile=False, seconds=60, want=None):
        self.name, self.account, self.tone = name, account, tone
        self.recv_sections, self.hostile, self.seconds = recv_sections, hostile, seconds
        self.want = recv_sections if want is None else want
        self.proc = None
        self.lines = asyncio.Queue()
        self.lock = asyncio.Lock()     # one command and its reply at a time
        self.errors = []               # re-offers the peer or the server refused
        self.answers = []
        self.watcher = None

    async def start(self):
        args = [PEER, "--streams", "--recv-sections", str(self.recv_sections)]
        args += ["--tone", str(self.tone)] if self.tone else []
        args += ["--hostile-nack"] if self.hostile else []
        self.proc = await asyncio.create_subprocess_exec(*args, str(self.seconds), stdin=asyncio.subprocess.PIPE,
                                                         stdout=asyncio.subprocess.PIPE)
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await self.lines.put(None)
                return
            await self.lines.put(json.loads(line))

    async def _expect(self, keys, timeout=10):
        while True:
            obj = await asyncio.wait_for(self.lines.get(), timeout)
            check(obj is not None, "%s: call_peer exited early (status %s)" % (self.name, self.proc.returncode))
            if any(k in obj for k in keys):
                return obj

    async def _send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        await self.proc.stdin.drain()

    async def join(self, client, cid):
        """The first offer through call.offer; the peer starts ICE/DTLS with the answer."""
        async with self.lock:
            offer = (await self._expect(["offer"]))["offer"]
            answer = (await client.ok("call.offer", call_id=cid, sdp=offer))["sdp"]
            self.answers.append(answer)
            await self._send({"answer": answer})
        self.watcher = asyncio.ensure_future(self._renegotiations(client, cid))
        return self

    async def reoffer(self, client, cid, recv_sections):
        """A re-offer on the same transport; the peer refuses an answer that changes the transport."""
        async with self.lock:
            await self._send({"reoffer": recv_sections})
            offer = (await self._expect(["offer", "offer_error"]))
            check("offer" in offer, "%s: the peer could not re-offer: %s" % (self.name, offer))
            resp = await client.request("call.offer", call_id=cid, sdp=offer["offer"])
            if not resp.get("ok"):
                self.errors.append("call.offer (re-offer) refused: %s" % short(resp))
                return
            answer = resp["result"]["sdp"]
            self.answers.append(answer)
            await self._send({"answer": answer})
            res = await self._expect(["answered", "answer_error"])
            if "answer_error" in res:
                self.errors.append(res["answer_error"])
            else:
                self.recv_sections = recv_sections
            return res

    async def _renegotiations(self, client, cid):
        """PROTOCOL.md call.renegotiate: offer again, on the same transport, with room for everyone."""
        while not client.closed.done():
            try:
                await client.next_event_where("call.renegotiate", lambda d: d.get("call_id") == cid, timeout=3600)
            except Exception:
                return
            await self.reoffer(client, cid, self.want)

    async def report(self):
        async with self.lock:
            await self._send({"report": True})
            return await self._expect(["report"])

    async def stop(self):
        if self.watcher:
            self.watcher.cancel()
        if self.proc.returncode is None:
            try:
                await self._send({"stop": True})
                final = await self._expect(["streams"], timeout=5)
            except Exception:
                final = None
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
            return final


async def stop_all(peers):
    for x in peers:
        await x.stop()


def streams(rep, kind):
    return [s for s in rep["streams"] if s["kind"] == kind]


def by_ssrc(rep):
    return dict((s["ssrc"], s) for s in rep["streams"])


def msid_of(account):
    return "samvaer-%d" % account


def growth(before, after, ssrc, what="packets"):
    old = by_ssrc(before).get(ssrc)
    return after_of(after, ssrc)[what] - (old[what] if old else 0)


def after_of(rep, ssrc):
    return by_ssrc(rep)[ssrc]


def describe(rep, before=None):
    """A stream report short enough for a failure message; with before, what each stream got since."""
    keep = ("ssrc", "kind", "packets", "rtx", "msid", "sdp_mid", "mid", "tone_hz", "tone_share", "announced")
    out = []
    for s in rep["streams"]:
        d = dict((k, round(s[k], 3) if isinstance(s[k], float) else s[k]) for k in keep if k in s)
        if before is not None:
            d["new_packets"] = growth(before, rep, s["ssrc"])
            d["new_rtx"] = growth(before, rep, s["ssrc"], "rtx")
        out.append(d)
    return json.dumps(out) + " rx_bad=%s rx_untracked=%s" % (rep.get("rx_bad"), rep.get("rx_untracked"))


async def wait_streams(peer, senders, timeout=FLOW_S, deadline=None):
    """Polls the peer's reports until it has an audio and a video stream with packets per sender (by msid);
    returns the last report either way (the assertions say what is missing)."""
    deadline = deadline or asyncio.get_running_loop().time() + timeout
    while True:
        rep = await peer.report()
        have = set((s["msid"], s["kind"]) for s in rep["streams"] if s["packets"] > 0)
        if all((msid_of(a), k) in have for a in senders for k in ("audio", "video")):
            return rep
        if asyncio.get_running_loop().time() > deadline:
            return rep
        await asyncio.sleep(0.25)


async def wait_flowing(peer, timeout=FLOW_S):
    """Polls the peer's reports until some audio and some video stream has packets (whatever names it has)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rep = await peer.report()
        if all(any(s["packets"] > 10 for s in streams(rep, k)) for k in ("audio", "video")):
            return rep
        if asyncio.get_running_loop().time() > deadline:
            return rep
        await asyncio.sleep(0.25)


def own_mids(peer, kind):
    """The mids of the receiver's offer for kind: audio "0", "2", ...; video "1", "3", ..."""
    first = 0 if kind == "audio" else 1
    return set(str(first + 2 * i) for i in range(1 + peer.recv_sections))


def check_hears(peer, before, after, senders, tones):
    """peer has, per sender, exactly one audio and one video stream that grew between the two reports, named by
    the server's answer (msid samvaer-<id>, track <kind>-<id>, cname samvaer-<id>), its packets carrying the
    receiver's own mid of that section; the audio carries the sender's tone (and no stream carries the
    receiver's own)."""
    for kind in ("audio", "video"):
        grown = [s for s in streams(after, kind) if growth(before, after, s["ssrc"]) > 10]
        check_eq(sorted(s["msid"] for s in grown), sorted(msid_of(a) for a in senders),
                 "%s: msids of the growing %s streams (one per other participant): %s"
                 % (peer.name, kind, describe(after)))
        mids = set()
        for s in grown:
            who = int(s["msid"].rsplit("-", 1)[1])
            check_eq((s["track"], s["cname"]), ("%s-%d" % (kind, who), msid_of(who)),
                     "%s: track and cname of the %s stream of %s" % (peer.name, kind, s["msid"]))
            check(s["sdp_mid"] in own_mids(peer, kind), "%s: the %s stream of %s is announced in section %r, not one "
                  "of the receiver's %s sections %s" % (peer.name, kind, s["msid"], s["sdp_mid"], kind,
                                                         sorted(own_mids(peer, kind))))
            check(s["mid_packets"] > 0 and s["mid"] == s["sdp_mid"],
                  "%s: packets of the %s stream of %s carry MID %r (in %d packets), the receiver's mid for it is %r"
                  % (peer.name, kind, s["msid"], s["mid"], s["mid_packets"], s["sdp_mid"]))
            mids.add(s["sdp_mid"])
            if kind == "audio":
                want = tones[who]
                check(s["tone_hz"] == want and s["tone_share"] >= MIN_SHARE,
                      "%s hears %d Hz (share %.2f) on the stream named %s, whose sender plays %d Hz: %s"
                      % (peer.name, s["tone_hz"], s["tone_share"], s["msid"], want, describe(after)))
        check_eq(len(mids), len(grown), "%s: each %s stream on a section of its own" % (peer.name, kind))
    for s in streams(after, "audio"):
        check(not (s["tone_hz"] == peer.tone and s["tone_share"] >= MIN_SHARE),
              "%s hears its own tone (%d Hz) on stream %s" % (peer.name, peer.tone, s["ssrc"]))


async def snapshot_pair(peers, wait_s=1.5):
    before = [await x.report() for x in peers]
    await asyncio.sleep(wait_s)
    return before, [await x.report() for x in peers]


def check_no_renegotiation_errors(peers):
    for x in peers:
        check_eq(x.errors, [], "%s: re-offers on the same transport" % x.name)


# ---------------------------------------------------------------------------------------------------
# Who hears whom


async def group_tones(server):
    """A group call (child + two contacts), each playing its own tone: every receiver has one growing audio and video
    stream per other participant, named by msid, on its own mid, and hears the right tone on each."""
    p, child, mum = await pair(server)
    q = second_contact(server, p)
    await server.settle()
    gran = await server.login(q["contact"])
    cid = (await child.ok("call.start", agreement_ids=[p["agreement_id"], q["agreement_id"]], video=True))["call_id"]
    for c in (mum, gran):
        await c.next_event_where("call.ring", lambda d: d.get("call_id") == cid)
        await c.ok("call.accept", call_id=cid)
    ids = {"child": p["child_id"], "mum": p["contact_id"], "gran": q["contact_id"]}
    tones = dict(zip(ids.values(), TONES))
    clients = {"child": child, "mum": mum, "gran": gran}
    # the child joins first with one pair of sections; the server's call.renegotiate makes it offer room for two
    peers = [await StreamPeer(n, ids[n], tones[ids[n]], recv_sections=0 if n == "child" else 1, want=1).start()
             for n in ("child", "mum", "gran")]
    try:
        for x in peers:
            await x.join(clients[x.name], cid)
        deadline = asyncio.get_running_loop().time() + FLOW_S
        for x in peers:
            await wait_streams(x, [ids[o] for o in ids if o != x.name], deadline=deadline)
        before, after = await snapshot_pair(peers)
        for x, b, a in zip(peers, before, after):
            check_eq(a["state"], "connected", "%s transport" % x.name)
            check_hears(x, b, a, [ids[o] for o in ids if o != x.name], tones)
        check_no_renegotiation_errors(peers)
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def supervised_tones(server):
    """A supervised call: the supervisor hears the child and the contact, each on its own stream with its own
    tone; the child hears the contact."""
    p, child, contact = await pair(server, SUPERVISED)
    sup_name, sup_id = link_supervisor(server, p)
    sup = await server.login(sup_name)
    cid = await answered(p, child, contact)
    ids = {"child": p["child_id"], "contact": p["contact_id"], "supervisor": sup_id}
    tones = dict(zip(ids.values(), TONES))
    # two parties until the supervisor comes: its arrival renegotiates, and they offer room for it
    peers = [await StreamPeer(n, ids[n], tones[ids[n]], recv_sections=0, want=1).start() for n in ("child", "contact")]
    try:
        await peers[0].join(child, cid)
        await peers[1].join(contact, cid)
        await sup.ok("call.join", call_id=cid)
        peers.append(await StreamPeer("supervisor", sup_id, tones[sup_id]).start())
        await peers[2].join(sup, cid)
        ev = await change(child, cid, "supervisor_joined", timeout=FLOW_S)
        check_eq(ev["state"], "active", "the call is active once the supervisor's media is up")
        deadline = asyncio.get_running_loop().time() + FLOW_S
        await wait_streams(peers[2], [ids["child"], ids["contact"]], deadline=deadline)
        await wait_streams(peers[0], [ids["contact"]], deadline=deadline)
        before, after = await snapshot_pair([peers[2], peers[0]])
        check_hears(peers[2], before[0], after[0], [ids["child"], ids["contact"]], tones)
        hears = [s for s in streams(after[1], "audio") if s["msid"] == msid_of(ids["contact"])]
        check(len(hears) == 1 and hears[0]["tone_hz"] == tones[ids["contact"]] and
              growth(before[1], after[1], hears[0]["ssrc"]) > 10,
              "the child hears the contact's %d Hz on the contact's stream: %s"
              % (tones[ids["contact"]], describe(after[1])))
        check_no_renegotiation_errors(peers)
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def reoffer_keeps_transport(server):
    """A client re-offer with more sections is answered on the same transport (same ICE credentials and DTLS
    fingerprint): every offered section answered, media goes on without a new handshake."""
    p, child, contact = await pair(server)
    cid = await answered(p, child, contact)
    peers = [await StreamPeer("contact", p["contact_id"], 660, recv_sections=0).start(),
             await StreamPeer("child", p["child_id"], 440, recv_sections=0).start()]
    try:
        await peers[0].join(contact, cid)
        await peers[1].join(child, cid)
        rep = await wait_flowing(peers[1])
        res = await peers[1].reoffer(child, cid, 2)
        check_eq(peers[1].errors, [], "the child's re-offer with two more pairs of sections")
        check_eq(res, {"answered": True}, "the peer takes the answer to its re-offer")
        sections = [l for l in peers[1].answers[-1].splitlines() if l.startswith("m=")]
        check_eq(len(sections), 6, "m-sections in the answer to the re-offer")
        before, after = await snapshot_pair(peers[1:])
        check_eq(after[0]["state"], "connected", "the child's transport after the re-offer")
        heard = [s for s in streams(after[0], "audio") if growth(before[0], after[0], s["ssrc"]) > 25]
        check(len(heard) == 1 and heard[0]["tone_hz"] == 660 and heard[0]["ssrc"] in by_ssrc(rep),
              "the child still hears the contact, on the same stream as before the re-offer: %s"
              % describe(after[0], before[0]))
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


# ---------------------------------------------------------------------------------------------------
# NACKs from a hostile receiver


def held_back(before, after, kinds):
    """Everything of the given kinds (RTP and RTX) and every untracked packet the receiver got in between."""
    n = sum(growth(before, after, s["ssrc"], w) for s in after["streams"] if s["kind"] in kinds
            for w in ("packets", "rtx"))
    return n + after["rx_untracked"] - before["rx_untracked"]


async def nack_control(server):
    """Nothing muted: the hostile receiver's NACKs are answered with RFC 4588 retransmissions (so the zero counts
    of the other cases mean the gates hold, not that NACKs are ignored)."""
    p, child, contact, _, cid = await call_with(server, CALLS_ON)
    peers = [await StreamPeer("contact", p["contact_id"], 660).start(),
             await StreamPeer("child", p["child_id"], 440, hostile=True).start()]
    try:
        await peers[0].join(contact, cid)
        await peers[1].join(child, cid)
        await wait_flowing(peers[1])
        before, after = await snapshot_pair(peers[1:], WATCH_S)
        video = streams(after[0], "video")
        check(video and any(growth(before[0], after[0], s["ssrc"]) > 10 for s in video),
              "the child receives the contact's video: %s" % describe(after[0]))
        rtx = sum(growth(before[0], after[0], s["ssrc"], "rtx") for s in video)
        check(rtx > 0, "NACKs for received video are answered as RTX (RFC 4588, on the announced RTX SSRC): got %d "
              "RTX in %.1f s; %d packets failed SRTP (a retransmission on the original SSRC and sequence number "
              "is a replay): %s" % (rtx, WATCH_S, after[0]["rx_bad"] - before[0]["rx_bad"], describe(after[0])))
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def call_with(server, terms, supervisor=False):
    """An answered call; with supervisor, a supervisor of the child's case logged in (linked before the call)."""
    p, child, contact = await pair(server, terms)
    sup = None
    if supervisor:
        sup_name, p["supervisor_id"] = link_supervisor(server, p)
        sup = await server.login(sup_name)
    return p, child, contact, sup, await answered(p, child, contact)


async def nack_while_muted(server):
    """A supervisor mutes the contact's video while it flows: the child, NACKing every recent and future sequence
    number, gets none of it (neither RTP nor RTX) while it still hears the contact."""
    p, child, contact, sup, cid = await call_with(server, NO_CONSENT, supervisor=True)
    await sup.ok("call.join", call_id=cid)                      # listening in, no media of its own
    peers = [await StreamPeer("contact", p["contact_id"], 660).start(),
             await StreamPeer("child", p["child_id"], 440, hostile=True).start()]
    try:
        await peers[0].join(contact, cid)
        await peers[1].join(child, cid)
        rep = await wait_flowing(peers[1])
        check(any(s["packets"] > 10 for s in streams(rep, "video")), "video flows before the mute: %s" % describe(rep))
        await sup.ok("call.mute", call_id=cid, participant=p["contact_id"], video=True)
        await change(child, cid, "muted")
        await asyncio.sleep(0.3)                                # packets already on the wire
        before, after = await snapshot_pair(peers[1:], WATCH_S)
        leaked = held_back(before[0], after[0], ("video",))
        check_eq(leaked, 0, "video packets (RTP + RTX) of the muted contact the NACKing child got in %.1f s (%s)"
                 % (WATCH_S, describe(after[0], before[0])))
        heard = sum(growth(before[0], after[0], s["ssrc"]) for s in streams(after[0], "audio"))
        check(heard > 25, "the child still hears the contact (%d audio packets in %.1f s)" % (heard, WATCH_S))
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def nack_while_paused(server):
    """A supervised call whose supervisor leaves pauses; the child, NACKing everything, gets nothing of the
    contact while the call waits for a supervisor."""
    p, child, contact = await pair(server, SUPERVISED)
    sup_name, sup_id = link_supervisor(server, p)
    sup = await server.login(sup_name)
    cid = await answered(p, child, contact)
    peers = [await StreamPeer("contact", p["contact_id"], 660).start(),
             await StreamPeer("child", p["child_id"], 440, hostile=True).start()]
    try:
        await peers[0].join(contact, cid)
        await peers[1].join(child, cid)
        await sup.ok("call.join", call_id=cid)
        speer = await StreamPeer("supervisor", sup_id, 880).start()
        peers.append(speer)
        await speer.join(sup, cid)
        await change(child, cid, "supervisor_joined", timeout=FLOW_S)
        rep = await wait_flowing(peers[1])
        check(any(s["packets"] > 10 for s in streams(rep, "video")), "media flows while supervised: %s" % describe(rep))
        await sup.ok("call.leave", call_id=cid)
        ev = await change(child, cid, "supervisor_left")
        check_eq(ev["state"], "waiting_for_supervisor", "the call waits for a supervisor")
        await asyncio.sleep(0.3)
        before, after = await snapshot_pair(peers[:2], WATCH_S)
        leaked = held_back(before[1], after[1], ("audio", "video"))
        check_eq(leaked, 0, "packets (RTP + RTX) the NACKing child got in %.1f s of a paused call (%s)"
                 % (WATCH_S, describe(after[1], before[1])))
        sent = after[0]["audio_tx"] - before[0]["audio_tx"]
        check(sent > 25, "the contact kept sending meanwhile (%d audio packets)" % sent)
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def nack_receive_gate_off(server):
    """A supervisor listening in waits for the child's consent: its receive gate is off. NACKing every stream the
    answer announced (around the predictable first sequence numbers), it gets nothing, while the child and the
    contact hear each other."""
    p, child, contact, sup, cid = await call_with(server, dict(CALLS_ON, supervision={"listen_in_needs_consent": True}),
                                                  supervisor=True)
    sup_id = p["supervisor_id"]
    peers = [await StreamPeer("contact", p["contact_id"], 660).start(),
             await StreamPeer("child", p["child_id"], 440).start()]
    try:
        await peers[0].join(contact, cid)
        await peers[1].join(child, cid)
        await wait_flowing(peers[1])
        res = await sup.ok("call.join", call_id=cid)
        check_eq(next(x for x in res["participants"] if x["account"] == sup_id)["consent"], "pending",
                 "listen-in waits for consent")
        speer = await StreamPeer("supervisor", sup_id, 880, hostile=True).start()
        peers.append(speer)
        await speer.join(sup, cid)
        await asyncio.sleep(1.0)                                # ICE + DTLS, then NACKs every 20 ms
        before, after = await snapshot_pair([speer, peers[1]], WATCH_S + 1)
        check_eq(after[0]["state"], "connected", "the supervisor's transport")
        check(after[0]["tx_nack"] - before[0]["tx_nack"] > 100,
              "the supervisor's peer NACKed the streams its answer announced: %s" % short(after[0]))
        leaked = held_back(before[0], after[0], ("audio", "video"))
        check_eq(leaked, 0, "packets (RTP + RTX) the NACKing supervisor got in %.1f s without consent (%s)"
                 % (WATCH_S + 1, describe(after[0], before[0])))
        heard = [s for s in streams(after[1], "audio") if growth(before[1], after[1], s["ssrc"]) > 25]
        check(heard, "the child still hears the contact: %s" % describe(after[1]))
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


CASES = [Case(name, fn, server_args=ARGS, timeout=60) for name, fn in [
    ("group_tones", group_tones),
    ("supervised_tones", supervised_tones),
    ("reoffer_keeps_transport", reoffer_keeps_transport),
    ("nack_control", nack_control),
    ("nack_while_muted", nack_while_muted),
    ("nack_while_paused", nack_while_paused),
    ("nack_receive_gate_off", nack_receive_gate_off),
]]

if __name__ == "__main__":
    main(CASES)
