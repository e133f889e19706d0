# test_calls.py: call signalling through the real server (PROTOCOL.md "Calls") — ring, accept, decline, cancel, timeout,
# busy, refusals, agreement changes mid-call, dropped sessions, and call.offer answered by the media worker.
import asyncio
import datetime
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (ROOT, Case, Server, TestFailure, check, check_eq, expect_error, expect_ok, main, now_ms, short)

RING_S = 2                     # the server runs with --ring-timeout-s 2
ARGS = ("--ring-timeout-s", str(RING_S))
CALLS_ON = {"channels": {"text": "allowed", "voice_call": "allowed", "video_call": "allowed"}}
SDP_DIR = os.path.join(ROOT, "tests", "fuzz", "media", "corpus", "sdp")


def propose(server, p, terms):
    """Change the agreement's terms through a caseworker's proposal and a carer's approval."""
    if "caseworker" not in p:
        for role in ("caseworker", "carer"):
            name, _ = server.add_account(role)
            server.admin("case", "link", p["child"], "--" + role, name)
            p[role] = name
    server.approve_terms(p, terms)


async def pair(server, terms=CALLS_ON):
    """A child and a contact whose agreement has the given terms, both logged in."""
    p = server.add_pair()
    if terms is not None:
        propose(server, p, terms)
    await server.settle()
    return p, await server.login(p["child"]), await server.login(p["contact"])


async def state(client, call_id, want, reason=None, timeout=2.0):
    ev = await client.next_event_where("call.state", lambda d: d.get("call_id") == call_id and d.get("state") == want,
                                       timeout=timeout)
    check_eq(ev.get("reason"), reason, "call.state %s reason" % want)
    return ev


async def ring(p, caller, callee, video=False):
    """caller starts a call; callee gets call.ring. Returns the call id."""
    res = await caller.ok("call.start", agreement_id=p["agreement_id"], video=video)
    check_eq(res["state"], "ringing", "call.start state")
    check_eq(res["decision"]["verdict"], "allow", "call.start decision")
    cid = res["call_id"]
    r = await callee.next_event_where("call.ring", lambda d: d.get("call_id") == cid)
    check_eq((r["agreement_id"], r["from"], r["video"]), (p["agreement_id"], caller.account["id"], video), "call.ring")
    await state(caller, cid, "ringing")
    await state(callee, cid, "ringing")
    return cid


async def active_call(server, terms=CALLS_ON):
    p, child, contact = await pair(server, terms)
    cid = await ring(p, contact, child, video=True)
    check_eq((await child.ok("call.accept", call_id=cid))["state"], "active", "call.accept result")
    await state(contact, cid, "active")
    await state(child, cid, "active")
    return p, child, contact, cid


async def accept_and_hangup(server):
    p, child, contact, cid = await active_call(server)
    res = await contact.ok("call.hangup", call_id=cid)
    check_eq((res["state"], res["reason"]), ("ended", "hangup"), "hangup result")
    await state(child, cid, "ended", "hangup")
    await state(contact, cid, "ended", "hangup")
    expect_error(await child.request("call.hangup", call_id=cid), "no_call", "hangup of an ended call")
    for _ in range(20):                # the call's audit entry joins the turn's commit
        out = server.admin("audit", "list", "--limit", "50").stdout
        rows = [json.loads(l.split(None, 6)[6]) for l in out.splitlines()
                if l.split(None, 6)[3] == "call" and ("agreement=%d" % p["agreement_id"]) in l]
        if rows:
            break
        await asyncio.sleep(0.05)
    check(rows and rows[0]["call_id"] == cid and rows[0]["answered"] is True and rows[0]["reason"] == "hangup"
          and rows[0]["channel"] == "video_call", "audit entry for the call: %r" % rows)
    r = server.admin("audit", "verify", ok=False)
    check_eq(r.returncode, 0, "audit verify after a call: %s" % r.stdout)


async def decline(server):
    p, child, contact = await pair(server)
    cid = await ring(p, child, contact)
    expect_error(await child.request("call.accept", call_id=cid), "call_state", "caller cannot accept")
    expect_error(await child.request("call.decline", call_id=cid), "call_state", "caller cannot decline")
    await contact.ok("call.decline", call_id=cid)
    await state(child, cid, "ended", "declined")
    await state(contact, cid, "ended", "declined")


async def cancel(server):
    p, child, contact = await pair(server)
    cid = await ring(p, contact, child)
    expect_error(await child.request("call.cancel", call_id=cid), "call_state", "callee cannot cancel")
    await contact.ok("call.cancel", call_id=cid)
    await state(child, cid, "ended", "cancelled")
    await state(contact, cid, "ended", "cancelled")


async def ring_timeout(server):
    p, child, contact = await pair(server)
    cid = await ring(p, contact, child)
    await state(child, cid, "ended", "timeout", timeout=RING_S + 2)
    await state(contact, cid, "ended", "timeout", timeout=1)
    expect_error(await child.request("call.accept", call_id=cid), "no_call", "accept after the timeout")


async def busy(server):
    p, child, contact = await pair(server)
    other, other_id = server.add_account("contact")
    out = server.admin("agreement", "add", p["child"], other, "--relationship", "Aunt").stdout.strip()
    q = dict(p, contact=other, contact_id=other_id, agreement_id=int(out))
    propose(server, q, CALLS_ON)
    await server.settle()
    aunt = await server.login(other)
    cid = await ring(p, contact, child)
    expect_error(await contact.request("call.start", agreement_id=p["agreement_id"]), "busy", "caller already in a call")
    res = await aunt.ok("call.start", agreement_id=q["agreement_id"])
    check_eq((res["state"], res["reason"]), ("ended", "busy"), "call to a busy child")
    await state(aunt, res["call_id"], "ended", "busy")
    await asyncio.sleep(0.3)
    rings = [d for d in child.pending_events("call.ring") if d["call_id"] == res["call_id"]]
    check_eq(rings, [], "the busy child is not rung")
    await contact.ok("call.cancel", call_id=cid)


async def refused(server):
    p, child, contact = await pair(server, terms=None)        # default terms: calls off
    err = expect_error(await contact.request("call.start", agreement_id=p["agreement_id"]), "channel_off", "calls off")
    check_eq(err["decision"]["rule"], "channels.voice_call", "rule")
    propose(server, p, {"channels": {"voice_call": "allowed"}})
    await server.settle()
    err = expect_error(await contact.request("call.start", agreement_id=p["agreement_id"], video=True), "channel_off",
                       "video off")
    check_eq(err["decision"]["rule"], "channels.video_call", "rule")
    expect_error(await contact.request("call.start", agreement_id=999999), "no_agreement", "not my agreement")
    expect_error(await contact.request("call.start", agreement_id=p["agreement_id"], video="yes"), "bad_request", "video")
    expect_error(await contact.request("call.accept", call_id=424242), "no_call", "unknown call")


async def outside_window(server):
    day = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    terms = dict(CALLS_ON, windows={"dated": [{"date": day, "start": "10:00", "end": "11:00"}]})
    p, child, contact = await pair(server, terms)
    err = expect_error(await contact.request("call.start", agreement_id=p["agreement_id"]), "outside_window", "window")
    check_eq(err["decision"]["rule"], "windows", "rule")
    check(isinstance(err["decision"]["next_at"], int), "next_at: %s" % short(err))


async def suspended_mid_call(server):
    p, child, contact, cid = await active_call(server)
    await server.admin_async("agreement", "suspend", p["agreement_id"])
    await state(child, cid, "ended", "agreement_changed", timeout=2.5)
    await state(contact, cid, "ended", "agreement_changed", timeout=0.5)


async def dropped_session(server):
    p, child, contact, cid = await active_call(server)
    await contact.close()
    await state(child, cid, "ended", "disconnected")


async def online_supervisor(server, p):
    """A supervisor of the child's case, logged in (a supervised call rings the child only while one is online)."""
    name, _ = server.add_account("supervisor")
    server.admin("case", "link", p["child"], "--supervisor", name)
    await server.settle()
    return await server.login(name)


async def supervised(server):
    p, child, contact = await pair(server, dict(CALLS_ON, supervision={"calls": "supervised"}))
    expect_error(await contact.request("call.start", agreement_id=p["agreement_id"]), "supervisor_absent",
                 "a supervised call while no supervisor is online")
    await child.no_event("call.ring", 0.3)
    sup = await online_supervisor(server, p)
    res = await contact.ok("call.start", agreement_id=p["agreement_id"])
    check_eq(res["decision"]["verdict"], "needs_supervisor", "decision")
    r = await child.next_event_where("call.ring", lambda d: d.get("call_id") == res["call_id"])
    check_eq(r["supervised"], True, "call.ring supervised")
    check_eq((await child.ok("call.accept", call_id=res["call_id"]))["state"], "waiting_for_supervisor", "accept")
    await state(contact, res["call_id"], "waiting_for_supervisor")
    await contact.ok("call.hangup", call_id=res["call_id"])
    await sup.close()


async def limits(server):
    """Answered calls count towards calls_per_day; min_gap_minutes runs from the end of the last call."""
    for lim, reason, wait in (({"calls_per_day": 1}, "limit_calls_per_day", (0, 25 * 3600e3)),
                              ({"min_gap_minutes": 10}, "limit_min_gap", (590e3, 600e3))):
        p, child, contact = await pair(server, dict(CALLS_ON, limits=lim))
        declined = await ring(p, contact, child)
        await child.ok("call.decline", call_id=declined)   # unanswered calls do not count
        cid = await ring(p, contact, child)
        await child.ok("call.accept", call_id=cid)
        await contact.ok("call.hangup", call_id=cid)
        err = expect_error(await child.request("call.start", agreement_id=p["agreement_id"]), reason, "after a call")
        left = err["decision"]["next_at"] - now_ms()
        check(wait[0] < left <= wait[1], "%s: next_at is %.0f s away: %s" % (reason, left / 1e3, short(err)))


def worker_port(server):
    m = re.search(r"media: \d+ worker\(s\), first UDP port (\d+)", server.log_text())
    check(m is not None, "the server logs its media port")
    return int(m.group(1))


async def offer_answer(server):
    with open(os.path.join(SDP_DIR, "chromium-av.sdp"), "rb") as f:
        offer = f.read().decode()
    p, child, contact = await pair(server)
    cid = await ring(p, contact, child, video=True)
    expect_error(await contact.request("call.offer", call_id=cid, sdp=offer), "call_state", "offer while ringing")
    await child.ok("call.accept", call_id=cid)
    other = await server.login(p["contact"])
    expect_error(await other.request("call.offer", call_id=cid, sdp=offer), "call_state", "offer from another session")
    expect_error(await contact.request("call.offer", call_id=cid, sdp="v=0\r\nnonsense"), "sdp_rejected", "bad offer")
    answer = (await contact.ok("call.offer", call_id=cid, sdp=offer))["sdp"]
    for line in ("a=ice-lite", "a=setup:passive"):
        check(line in answer, "answer has %s: %s" % (line, short(answer, 1500)))
    port = worker_port(server)
    cands = [l for l in answer.splitlines() if l.startswith("a=candidate:")]
    check(any(" 127.0.0.1 %d " % port in c for c in cands), "candidate at 127.0.0.1:%d: %r" % (port, cands))
    again = (await contact.ok("call.offer", call_id=cid, sdp=offer))["sdp"]
    check("a=ice-lite" in again, "a second offer (renegotiation) is answered too")
    await child.ok("call.hangup", call_id=cid)
    status, body = server.http_get("/metrics")
    check("samvaer_calls_started_total" in body, "/metrics counts calls")


PEER = os.environ.get("SAMVAER_PEER", os.path.join(ROOT, "build", "call_peer"))
MEDIA_S = 3                    # how long each peer sends media once it has the answer


RECV_SECTIONS = 3              # extra recvonly pairs a peer offers when it renegotiates (room for 4 others)


class PeerProc:
    """A call_peer process joined through call.offer. A pump answers its re-offers; call.renegotiate events
    (PROTOCOL.md §9) make it offer again on the same transport, with room for everyone."""

    def __init__(self, proc, client, cid):
        self.proc, self.client, self.cid = proc, client, cid
        self.report = asyncio.get_running_loop().create_future()
        self.interim = asyncio.Queue()
        self.renegotiated = 0
        self.tasks = [asyncio.ensure_future(self._pump()), asyncio.ensure_future(self._renegotiate())]

    async def _pump(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                if not self.report.done():
                    self.report.set_exception(TestFailure("call_peer ended without a report"))
                return
            obj = json.loads(line)
            if "offer" in obj:
                res = await self.client.request("call.offer", call_id=self.cid, sdp=obj["offer"])
                answer = (res.get("result") or {}).get("sdp") if res.get("ok") else None
                self._send({"answer": answer} if answer else {"stop": True})
            elif "answered" in obj:
                self.renegotiated += 1
            elif "report" in obj:
                self.interim.put_nowait(obj)
            elif "state" in obj and not self.report.done():
                self.report.set_result(obj)

    async def _renegotiate(self):
        while True:
            try:
                await self.client.next_event_where("call.renegotiate", lambda d: d.get("call_id") == self.cid,
                                                   timeout=3600)
            except TestFailure:
                return
            self._send({"reoffer": RECV_SECTIONS})

    def _send(self, obj):
        if self.proc.stdin.is_closing():
            return
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())

    async def counts(self, timeout=5):
        """The peer's counts now, while its media runs ({"report": true})."""
        self._send({"report": True})
        return await asyncio.wait_for(self.interim.get(), timeout)

    def finish(self):
        """Stop sending now; the final report follows (wait_report)."""
        self._send({"stop": True})

    async def wait_report(self, timeout):
        try:
            return await asyncio.wait_for(asyncio.shield(self.report), timeout)
        finally:
            for t in self.tasks:
                t.cancel()
            await self.proc.wait()


async def peer_join(client, cid):
    """Start a call_peer, send its offer through call.offer, hand it the answer. Returns a PeerProc."""
    proc = await asyncio.create_subprocess_exec(PEER, str(MEDIA_S), stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE)
    offer = json.loads(await asyncio.wait_for(proc.stdout.readline(), 5))["offer"]
    answer = (await client.ok("call.offer", call_id=cid, sdp=offer))["sdp"]
    proc.stdin.write((json.dumps({"answer": answer}) + "\n").encode())
    await proc.stdin.drain()
    return PeerProc(proc, client, cid)


async def peer_report(peer):
    return await peer.wait_report(MEDIA_S + 10)


async def media_flows(server):
    """Two real WebRTC peers join through the signalling; each receives the other's audio and video."""
    p, child, contact, cid = await active_call(server)
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    for who in (contact, child):
        for account in (p["contact_id"], p["child_id"]):
            await who.next_event_where("call.media", lambda d: d.get("participant") == account and
                                       d.get("media") == "connected", timeout=MEDIA_S)
    await child.next_event_where("call.media", lambda d: d.get("media") == "flowing", timeout=MEDIA_S)
    reports = [await peer_report(x) for x in peers]
    for name, r in zip(("contact", "child"), reports):
        check_eq(r["state"], "connected", "%s peer transport" % name)
        check(r["audio_rx"] > 20 and r["video_rx"] > 20, "%s peer received the other's media: %s" % (name, r))
    await child.ok("call.hangup", call_id=cid)


async def supervised_media_paused(server):
    """A supervised call waiting for its supervisor: the transports come up, but no media is relayed."""
    p, child, contact = await pair(server, dict(CALLS_ON, supervision={"calls": "supervised"}))
    await online_supervisor(server, p)  # online, but never joins
    cid = (await contact.ok("call.start", agreement_id=p["agreement_id"], video=True))["call_id"]
    await child.ok("call.accept", call_id=cid)
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    reports = [await peer_report(x) for x in peers]
    for name, r in zip(("contact", "child"), reports):
        check_eq(r["state"], "connected", "%s peer transport" % name)
        check(r["audio_tx"] > 20, "%s peer sent media: %s" % (name, r))
        check_eq((r["audio_rx"], r["video_rx"]), (0, 0), "%s peer received nothing while paused" % name)
    await child.ok("call.hangup", call_id=cid)


async def shutdown_mid_call(_):
    """SIGTERM with one call in progress (media up) and one ringing: clients get 1001, the server exits 0."""
    server = Server(extra_args=ARGS)
    try:
        server.start()
        await shutdown_with_calls(server)
    finally:
        server.cleanup()


async def shutdown_with_calls(server):
    p, child, contact, cid = await active_call(server)
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    await child.next_event_where("call.media", lambda d: d.get("media") == "connected", timeout=MEDIA_S)
    q, child2, contact2 = await pair(server)
    await ring(q, contact2, child2)
    server.signal()
    for c in (child, contact, child2, contact2):
        check_eq((await c.wait_closed(10))[0], 1001, "close code after SIGTERM")
    code = await asyncio.get_running_loop().run_in_executor(None, server.wait_exit, 10)
    check_eq(code, 0, "exit status after SIGTERM with live calls")
    server.proc = None
    for x in peers:
        await peer_report(x)


CASES = [Case("shutdown_mid_call", shutdown_mid_call, own_servers=True)] + [
    Case(name, fn, server_args=ARGS) for name, fn in [
    ("supervised_media_paused", supervised_media_paused),
    ("media_flows", media_flows),
    ("accept_and_hangup", accept_and_hangup),
    ("decline", decline),
    ("cancel", cancel),
    ("ring_timeout", ring_timeout),
    ("busy", busy),
    ("refused", refused),
    ("outside_window", outside_window),
    ("limits", limits),
    ("suspended_mid_call", suspended_mid_call),
    ("dropped_session", dropped_session),
    ("supervised", supervised),
    ("offer_answer", offer_answer),
]]

if __name__ == "__main__":
    main(CASES)
