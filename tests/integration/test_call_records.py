# test_call_records.py: missed and declined calls leave a record in the conversation for both sides (PROTOCOL.md
# "Records in a conversation"), kept in history and delivered to a party that was away; an answered call leaves none;
# contacts.list says whether a call may start now (the app's "Call back").
import asyncio
import datetime
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, main, now_ms, short
from test_calls import ARGS, CALLS_ON, RING_S, pair, ring, state


async def record_event(client, cid, timeout=2.0):
    """The `message` event carrying the server's record of call cid."""
    return await client.next_event_where(
        "message", lambda d: d.get("kind") == "call" and d.get("call", {}).get("call_id") == cid, timeout=timeout)


def check_record(m, p, cid, outcome, reason, caller, callee, by, started):
    check_eq((m["from"], m["agreement_id"], m["kind"]), (0, p["agreement_id"], "call"), "record envelope")
    check("text" not in m, "a record has no text: %s" % short(m))
    c = m["call"]
    check_eq((c["call_id"], c["outcome"], c["reason"], c["caller"], c["callee"], c["by"]),
             (cid, outcome, reason, caller, callee, by), "record of call %d" % cid)
    check_eq(c["channel"], "voice_call", "channel")
    check(abs(m["sent_at"] - started) < 3000, "the record carries the call's time: %s vs %s" % (m["sent_at"], started))


async def history_last(client, p):
    res = await client.ok("msg.history", agreement_id=p["agreement_id"])
    check(res["messages"], "history is not empty")
    return res["messages"][-1]


async def declined(server):
    p, child, contact = await pair(server)
    started = now_ms()
    cid = await ring(p, contact, child)
    await child.ok("call.decline", call_id=cid)
    await state(contact, cid, "ended", "declined")
    ids = (contact.account["id"], child.account["id"])
    for side in (child, contact):
        m = await record_event(side, cid)
        check_record(m, p, cid, "declined", "declined", ids[0], ids[1], ids[1], started)
        check_eq(await history_last(side, p), m, "history holds the same record")
    # A later sign-in gets it as undelivered, like any message it has not acknowledged.
    again = await server.login(p["child"])
    m = await record_event(again, cid)
    check_eq(m["call"]["outcome"], "declined", "undelivered record on login")
    # Messages keep counting after it: the record took a seq of its own.
    res = await contact.ok("msg.send", agreement_id=p["agreement_id"], text="Sorry I missed you", client_key="after-1")
    check_eq(res["seq"], m["seq"] + 1, "next message's seq")


async def missed_timeout(server):
    p, child, contact = await pair(server)
    started = now_ms()
    cid = await ring(p, child, contact)
    await state(child, cid, "ended", "timeout", timeout=RING_S + 2)
    ids = (child.account["id"], contact.account["id"])
    for side in (child, contact):
        m = await record_event(side, cid)
        check_record(m, p, cid, "missed", "timeout", ids[0], ids[1], None, started)


async def missed_cancelled(server):
    p, child, contact = await pair(server)
    started = now_ms()
    cid = await ring(p, contact, child)
    await contact.ok("call.cancel", call_id=cid)
    m = await record_event(child, cid)
    check_record(m, p, cid, "missed", "cancelled", contact.account["id"], child.account["id"], contact.account["id"],
                 started)


async def answered_leaves_none(server):
    p, child, contact = await pair(server)
    cid = await ring(p, contact, child)
    await child.ok("call.accept", call_id=cid)
    await state(contact, cid, "active")
    await contact.ok("call.hangup", call_id=cid)
    await state(child, cid, "ended", "hangup")
    await child.no_event("message", 0.7)
    res = await child.ok("msg.history", agreement_id=p["agreement_id"])
    check_eq(res["messages"], [], "an answered call leaves no record")


async def call_now(server):
    """contacts.list's `call` says whether a call may start now, and why not."""
    p, child, contact = await pair(server)
    entry = [c for c in (await child.ok("contacts.list"))["contacts"] if c["agreement_id"] == p["agreement_id"]][0]
    check_eq((entry["call"]["verdict"], entry["call"]["channel"]), ("allow", "video_call"), "call now: %s" % short(entry))
    day = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    terms = dict(CALLS_ON, windows={"dated": [{"date": day, "start": "10:00", "end": "11:00"}]})
    q, child2, _ = await pair(server, terms)
    entry = [c for c in (await child2.ok("contacts.list"))["contacts"] if c["agreement_id"] == q["agreement_id"]][0]
    call = entry["call"]
    check_eq((call["verdict"], call["reason"]), ("deny", "outside_window"), "call outside the window: %s" % short(call))
    check(isinstance(call.get("next_at"), int) and call["next_at"] > now_ms(), "next_at says when: %s" % short(call))
    check(call["message"], "a plain message")


CASES = [Case(name, fn, server_args=ARGS) for name, fn in [
    ("declined", declined),
    ("missed_timeout", missed_timeout),
    ("missed_cancelled", missed_cancelled),
    ("answered_leaves_none", answered_leaves_none),
    ("call_now", call_now),
]]

if __name__ == "__main__":
    main(CASES)
