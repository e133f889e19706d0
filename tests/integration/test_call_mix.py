# test_call_mix.py: mixed receive in calls (issue 19) — call.mix gives a weak link one audio stream that holds everyone
# but itself; a supervisor listening in hears the mix and is heard only after call.speak; call.levels says who talks.
import asyncio
import sys
import time

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, main
from test_calls import ARGS, pair
from test_call_supervision import NO_CONSENT, answered, change, link_supervisor, party, second_contact
from test_call_streams import FLOW_S, TONES, StreamPeer, describe, growth, msid_of, snapshot_pair, stop_all, streams

HEARD = 0.15   # share of a mix's energy at a tone that counts as hearing it (two tones: about 0.5 each)
ABSENT = 0.03


def mix_of(rep):
    mixes = [s for s in streams(rep, "audio") if s["msid"] == "samvaer-mix" and s["announced"]]
    return mixes[0] if mixes else None


async def wait_mix(peer, timeout=FLOW_S):
    """Polls the peer's reports until its announced mix stream has packets; returns the last report."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rep = await peer.report()
        m = mix_of(rep)
        if m and m["packets"] > 50:
            return rep
        if asyncio.get_running_loop().time() > deadline:
            return rep
        await asyncio.sleep(0.25)


def check_mix(name, before, after, hears, not_hears):
    m = mix_of(after)
    check(m is not None and growth(before, after, m["ssrc"]) > 40,
          "%s receives the mix (msid samvaer-mix) and it grows: %s" % (name, describe(after, before)))
    if not m:
        return
    for hz in hears:
        check(m["shares"][str(hz)] >= HEARD, "%s hears %d Hz in the mix (share %.3f)" % (name, hz, m["shares"][str(hz)]))
    for hz in not_hears:
        check(m["shares"][str(hz)] < ABSENT,
              "%s does not hear %d Hz in the mix (share %.3f)" % (name, hz, m["shares"][str(hz)]))
    others = [s for s in streams(after, "audio") if s is not m and growth(before, after, s["ssrc"]) > 10]
    check_eq(others, [], "%s: no per-person audio stream grows beside the mix" % name)


async def weak_connection(server):
    """A group call (child + mum + gran); the child asks for call.mix: after its renegotiation it gets one audio
    stream with mum's and gran's tones and not its own, the others keep their per-person streams, and call.levels
    events (at most 5 a second) say mum and gran talk."""
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
    peers = [await StreamPeer(n, ids[n], tones[ids[n]], recv_sections=1).start() for n in ("child", "mum", "gran")]
    try:
        for x in peers:
            await x.join(clients[x.name], cid)
        bad = await child.request("call.mix", call_id=cid, on="yes")
        check_eq(bad.get("error", {}).get("code"), "bad_request", "call.mix with 'on' not a boolean")
        res = await child.ok("call.mix", call_id=cid, on=True)
        check_eq(res, {"call_id": cid, "on": True}, "call.mix reply")
        rep = await wait_mix(peers[0])
        check(mix_of(rep) is not None, "the child's answer announces the mix: %s" % describe(rep))
        before, after = await snapshot_pair(peers[:2])
        check_mix("child", before[0], after[0], [tones[ids["mum"]], tones[ids["gran"]]], [tones[ids["child"]]])
        heard = [s for s in streams(after[1], "audio") if s["msid"] == msid_of(ids["child"]) and
                 growth(before[1], after[1], s["ssrc"]) > 25]
        check(len(heard) == 1 and heard[0]["tone_hz"] == tones[ids["child"]],
              "mum still hears the child on the child's own stream: %s" % describe(after[1], before[1]))
        await asyncio.sleep(2.0)
        now = time.monotonic()
        recent = [d for (t, n, d) in child.events if n == "call.levels" and d.get("call_id") == cid and t > now - 2.0]
        seen = len(recent)
        talking = set(l["participant"] for d in recent for l in d["levels"] if l["talking"])
        check(ids["mum"] in talking and ids["gran"] in talking, "call.levels: mum and gran talk (%s)" % talking)
        check(seen <= 11, "call.levels at most 5 a second: %d in 2 s" % seen)
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


async def listen_in(server):
    """A supervisor listens in (no consent rule): its answer carries the mix, it hears the child and the contact,
    and they do not hear it until it sends call.speak; everyone's call.state shows it in the call, listening."""
    p, child, contact = await pair(server, NO_CONSENT)
    sup_name, sup_id = link_supervisor(server, p)
    sup = await server.login(sup_name)
    cid = await answered(p, child, contact)
    ids = {"child": p["child_id"], "contact": p["contact_id"], "supervisor": sup_id}
    tones = dict(zip(ids.values(), TONES))
    peers = [await StreamPeer("child", ids["child"], tones[ids["child"]], recv_sections=1).start(),
             await StreamPeer("contact", ids["contact"], tones[ids["contact"]], recv_sections=1).start()]
    try:
        await peers[0].join(child, cid)
        await peers[1].join(contact, cid)
        res = await sup.ok("call.join", call_id=cid)
        check_eq(party(res, sup_id)["listening"], True, "a supervisor listening in starts unheard")
        ev = await change(child, cid, "joined")
        check_eq((party(ev, sup_id)["role"], party(ev, sup_id)["listening"]), ("supervisor", True),
                 "the child sees the supervisor in the call, listening")
        speer = await StreamPeer("supervisor", sup_id, tones[sup_id], recv_sections=1).start()
        peers.append(speer)
        await speer.join(sup, cid)
        check("a=msid:samvaer-mix audio-mix" in speer.answers[0], "the supervisor's first answer carries the mix")
        rep = await wait_mix(speer)
        before, after = await snapshot_pair([speer, peers[0]])
        check_mix("supervisor", before[0], after[0], [tones[ids["child"]], tones[ids["contact"]]], [tones[sup_id]])
        sup_streams = [s for s in streams(after[1], "audio") if s["msid"] == msid_of(sup_id)]
        check(all(growth(before[1], after[1], s["ssrc"]) == 0 for s in sup_streams),
              "the child does not hear the supervisor before call.speak: %s" % describe(after[1], before[1]))
        res = await sup.ok("call.speak", call_id=cid, on=True)
        check_eq(party(res, sup_id)["listening"], False, "call.speak: the supervisor is heard")
        await change(child, cid, "supervisor_speaks")
        deadline = asyncio.get_running_loop().time() + FLOW_S
        while True:
            before, after = await snapshot_pair(peers[:1], 1.2)
            grown = [s for s in streams(after[0], "audio") if s["msid"] == msid_of(sup_id) and
                     growth(before[0], after[0], s["ssrc"]) > 25]
            if grown or asyncio.get_running_loop().time() > deadline:
                break
        check(grown and grown[0]["tone_hz"] == tones[sup_id],
              "after call.speak the child hears the supervisor's %d Hz: %s" % (tones[sup_id], describe(after[0])))
        expect = await child.request("call.speak", call_id=cid, on=True)
        check_eq(expect.get("error", {}).get("code"), "call_state", "only a supervisor uses call.speak")
    finally:
        await stop_all(peers)
    await child.ok("call.hangup", call_id=cid)


CASES = [Case(name, fn, server_args=ARGS, timeout=60) for name, fn in [
    ("weak_connection", weak_connection),
    ("listen_in", listen_in),
]]

if __name__ == "__main__":
    main(CASES)
