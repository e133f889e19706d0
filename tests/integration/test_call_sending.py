# test_call_sending.py: call.sending (PROTOCOL.md §9) — a party hides their face or goes sound only; the server stops
# forwarding that video (not the client), and every party is told so the receiver can say so instead of freezing.
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, expect_error, main
from test_calls import ARGS, pair, peer_join, peer_report
from test_call_supervision import answered, change, party


async def told(client, cid, who, video):
    ev = await client.next_event_where("call.sending", lambda d: d.get("call_id") == cid)
    check_eq((ev["participant"], ev["video"]), (who, video), "call.sending event")
    st = await change(client, cid, "sending")
    check_eq(party(st, who)["sending"], video, "the call object names what %d sends" % who)


async def hidden_face(server):
    """The contact hides their face: the child is told and receives the contact's sound but none of its video, even
    though the contact's peer keeps sending video; the contact still sees the child."""
    p, child, contact = await pair(server)
    cid = await answered(p, child, contact)
    res = await contact.ok("call.sending", call_id=cid, video="hidden")
    check_eq(party(res, p["contact_id"])["sending"], "hidden", "the result names the choice")
    check_eq(party(res, p["child_id"])["sending"], "on", "the child's video is on")
    await told(child, cid, p["contact_id"], "hidden")
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    contact_r, child_r = [await peer_report(x) for x in peers]
    check(child_r["audio_rx"] > 10, "the child still hears the contact: %s" % child_r)
    check_eq(child_r["video_rx"], 0, "the server forwards none of the hidden video")
    check(contact_r["video_rx"] > 10 and contact_r["audio_rx"] > 10, "the contact still sees the child: %s" % contact_r)
    await child.ok("call.hangup", call_id=cid)


async def sound_only(server):
    """The child goes sound only: no video either way, sound both ways; turning it back on restores video."""
    p, child, contact = await pair(server)
    cid = await answered(p, child, contact)
    await child.ok("call.sending", call_id=cid, video="sound_only")
    await told(contact, cid, p["child_id"], "sound_only")
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    contact_r, child_r = [await peer_report(x) for x in peers]
    for name, r in (("contact", contact_r), ("child", child_r)):
        check(r["audio_rx"] > 10, "%s hears the other side: %s" % (name, r))
        check_eq(r["video_rx"], 0, "%s gets no video in a sound-only call" % name)
    await child.ok("call.sending", call_id=cid, video="on")
    await told(contact, cid, p["child_id"], "on")
    peers = [await peer_join(contact, cid), await peer_join(child, cid)]
    for name, r in zip(("contact", "child"), [await peer_report(x) for x in peers]):
        check(r["video_rx"] > 10, "%s sees the other side again: %s" % (name, r))
    await child.ok("call.hangup", call_id=cid)


async def refused(server):
    """Only a joined child or contact chooses what they send; bad values are refused; nothing is re-announced."""
    p, child, contact = await pair(server)
    stranger_name, _ = server.add_account("contact")
    stranger = await server.login(stranger_name)
    cid = (await contact.ok("call.start", agreement_id=p["agreement_id"], video=True))["call_id"]
    await child.next_event_where("call.ring", lambda d: d.get("call_id") == cid)
    expect_error(await child.request("call.sending", call_id=cid, video="hidden"), "call_state", "while ringing")
    await child.ok("call.accept", call_id=cid)
    expect_error(await stranger.request("call.sending", call_id=cid, video="hidden"), "no_call", "a stranger")
    expect_error(await child.request("call.sending", call_id=cid + 1000, video="hidden"), "no_call", "no such call")
    expect_error(await child.request("call.sending", call_id=cid, video="off"), "bad_request", "an unknown value")
    expect_error(await child.request("call.sending", call_id=cid, video=False), "bad_request", "a boolean")
    expect_error(await child.request("call.sending", call_id=cid), "bad_request", "no value")
    res = await child.ok("call.sending", call_id=cid, video="on")  # unchanged: answered, nobody told
    check_eq(party(res, p["child_id"])["sending"], "on", "still on")
    await contact.ok("call.sending", call_id=cid, video="hidden")
    ev = await child.next_event_where("call.sending", lambda d: d.get("call_id") == cid)
    check_eq(ev["participant"], p["contact_id"], "the first event is the contact's real change")
    await child.ok("call.hangup", call_id=cid)


CASES = [Case(name, fn, server_args=ARGS) for name, fn in [
    ("hidden_face", hidden_face),
    ("sound_only", sound_only),
    ("refused", refused),
]]

if __name__ == "__main__":
    main(CASES)
