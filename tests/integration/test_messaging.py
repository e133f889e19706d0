# test_messaging.py: text messages, seq numbers, idempotency, store-and-forward, receipts, history (PROTOCOL.md §4, §6).
import asyncio

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, check, check_eq, expect_error, expect_ok, main, now_ms, short, TestFailure)

MSG_KEYS = {"agreement_id", "seq", "from", "text", "sent_at"}


def check_message(m, agreement_id, seq, sender, text, what):
    check(isinstance(m, dict) and MSG_KEYS <= set(m), "%s: message object lacks members %s: %s"
          % (what, MSG_KEYS - set(m or {}), short(m)))
    check_eq(m["agreement_id"], agreement_id, what + " agreement_id")
    if seq is not None:
        check_eq(m["seq"], seq, what + " seq")
    check_eq(m["from"], sender, what + " from")
    check_eq(m["text"], text, what + " text")
    check(isinstance(m["sent_at"], int) and abs(m["sent_at"] - now_ms()) < 60000,
          "%s: sent_at should be ms since the epoch near now: %r" % (what, m["sent_at"]))


async def pair_online(server, **kw):
    p = server.add_pair(**kw)
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    check_eq(child.account["id"], p["child_id"], "child's account id (login vs account add)")
    return p, child, contact


async def live_both_ways(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    r = expect_ok(await child.send_text(aid, "Hi Dad!"), "child sends")
    check_eq(r.get("agreement_id"), aid, "result.agreement_id")
    check_eq(r.get("seq"), 1, "first seq in a conversation (§4: starts at 1)")
    check_eq(r.get("duplicate"), False, "result.duplicate")
    check(isinstance(r.get("sent_at"), int), "result.sent_at int: %r" % r)
    m = await contact.next_event("message", 2)
    check_message(m, aid, 1, p["child_id"], "Hi Dad!", "contact's message event")
    check_eq(m["sent_at"], r["sent_at"], "event sent_at equals the sender's result sent_at")
    r = expect_ok(await contact.send_text(aid, "Hello sweetheart ❤"), "contact sends")
    check_eq(r.get("seq"), 2, "second seq")
    m = await child.next_event("message", 2)
    check_message(m, aid, 2, p["contact_id"], "Hello sweetheart ❤", "child's message event")


async def seq_no_gaps(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    n = 12
    # both sides pipeline their sends without waiting for each answer
    tasks = []
    for i in range(n):
        tasks.append(asyncio.ensure_future(child.send_text(aid, "c%d" % i)))
        tasks.append(asyncio.ensure_future(contact.send_text(aid, "k%d" % i)))
    results = await asyncio.gather(*tasks)
    seqs = [expect_ok(r, "pipelined send")["seq"] for r in results]
    check_eq(sorted(seqs), list(range(1, 2 * n + 1)), "seqs of %d messages (§4: from 1, +1, no gaps)" % (2 * n))
    child_seqs, contact_seqs = seqs[0::2], seqs[1::2]
    check(child_seqs == sorted(child_seqs) and contact_seqs == sorted(contact_seqs),
          "one connection's sends got seqs out of send order: child %s contact %s" % (child_seqs, contact_seqs))
    h = expect_ok(await child.request("msg.history", agreement_id=aid, limit=100), "history")
    got = [(m["seq"], m["text"]) for m in h["messages"]]
    want = sorted((s, ("c%d" if i % 2 == 0 else "k%d") % (i // 2)) for i, s in enumerate(seqs))
    check_eq(got, want, "history after pipelined sends")
    # every message reached the peer live, in seq order
    await asyncio.sleep(0.3)
    evs = [m["seq"] for m in contact.pending_events("message")]
    check_eq(evs, child_seqs, "seqs of the child's messages as seen live by the contact, in order")


async def idempotent_retry(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    r1 = expect_ok(await child.send_text(aid, "once", client_key="key-1"), "first send")
    r2 = expect_ok(await child.send_text(aid, "once", client_key="key-1"), "retry same key")
    check_eq(r2.get("seq"), r1["seq"], "retry seq")
    check_eq(r2.get("sent_at"), r1["sent_at"], "retry sent_at")
    check_eq(r2.get("duplicate"), True, "retry duplicate flag")
    # retry on a new connection (after a lost connection)
    await child.close()
    child2 = await server.login(p["child"])
    r3 = expect_ok(await child2.send_text(aid, "once", client_key="key-1"), "retry from a new connection")
    check_eq((r3.get("seq"), r3.get("duplicate")), (r1["seq"], True), "retry from a new connection")
    expect_error(await child2.send_text(aid, "different text", client_key="key-1"), "idempotency_conflict",
                 "same key, different text")
    r4 = expect_ok(await child2.send_text(aid, "next", client_key="key-2"), "new key")
    check_eq(r4.get("seq"), r1["seq"] + 1, "seq after retries and conflict (nothing stored twice)")
    h = expect_ok(await child2.request("msg.history", agreement_id=aid), "history")
    check_eq([m["text"] for m in h["messages"]], ["once", "next"], "history texts")
    # the peer saw each message once, retries included (checked last: live events are a separate concern)
    await asyncio.sleep(0.5)
    check_eq([(m.get("seq"), m.get("text")) for m in contact.pending_events("message")],
             [(r1["seq"], "once"), (r4["seq"], "next")], "message events at the peer across retries")


async def idempotent_in_flight(server):
    # the retry can arrive before the first send is committed (group commit): still stored once
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    rs = await asyncio.gather(*[child.send_text(aid, "twice", client_key="same") for _ in range(3)])
    rs = [expect_ok(r, "pipelined identical send") for r in rs]
    check_eq(len({r["seq"] for r in rs}), 1, "seqs of 3 pipelined sends with one client_key: %s" % rs)
    check_eq(sorted(r["duplicate"] for r in rs), [False, True, True], "duplicate flags of the 3 answers")
    h = expect_ok(await child.request("msg.history", agreement_id=aid), "history")
    check_eq([m["text"] for m in h["messages"]], ["twice"], "history after pipelined duplicates")
    await asyncio.sleep(0.4)
    check_eq(len(contact.pending_events("message")), 1, "message events at the peer")


async def client_key_per_conversation(server):
    # §4: client_key is unique per sender and conversation: the same key in another conversation is new
    p = server.add_pair()
    contact2, _ = server.add_account("contact")
    out = server.admin("agreement", "add", p["child"], contact2, "--relationship", "Aunt").stdout.strip()
    aid2 = int(out)
    child = await server.login(p["child"])
    r1 = expect_ok(await child.send_text(p["agreement_id"], "hello", client_key="k"), "first conversation")
    r2 = expect_ok(await child.send_text(aid2, "hello", client_key="k"), "second conversation, same key")
    check_eq((r1["duplicate"], r2["duplicate"], r2["seq"], r2["agreement_id"]), (False, False, 1, aid2),
             "the same key in another conversation is a new message")
    r3 = expect_ok(await child.send_text(aid2, "hello", client_key="k"), "retry in the second conversation")
    check_eq((r3["seq"], r3["duplicate"]), (1, True), "retry in the second conversation")


async def store_and_forward(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    contact = await server.login(p["contact"])
    texts = ["first", "second", "third"]
    for t in texts:
        expect_ok(await contact.send_text(aid, t), "send while child offline")
    child = await server.login(p["child"])
    evs = [await child.next_event("message", 3) for _ in texts]
    for i, (m, t) in enumerate(zip(evs, texts)):
        check_message(m, aid, i + 1, p["contact_id"], t, "stored message %d on connect (oldest first)" % (i + 1))
    await child.no_event("message", 0.4)
    # not acknowledged: they come again on the next login
    await child.close()
    child = await server.login(p["child"])
    again = [(await child.next_event("message", 3))["seq"] for _ in texts]
    check_eq(again, [1, 2, 3], "unacknowledged messages re-pushed on the next login")
    expect_ok(await child.request("msg.receipt", agreement_id=aid, kind="delivered", seq=2), "delivered 2")
    await child.close()
    child = await server.login(p["child"])
    m = await child.next_event("message", 3)
    check_eq(m["seq"], 3, "after delivered up to 2, only seq 3 is pushed on login")
    await child.no_event("message", 0.4)
    # the sender's own messages are not pushed to it on login
    await contact.close()
    contact = await server.login(p["contact"])
    await contact.no_event("message", 0.5)
    # resume pushes as well
    await child.close()
    c = await server.connect()
    expect_ok(await c.request("auth.resume", token=child.token), "resume")
    check_eq((await c.next_event("message", 3))["seq"], 3, "message pushed after auth.resume")


async def store_and_forward_cap(server):
    # §4: at most 500 per conversation are pushed on login, oldest first; older ones through msg.history.
    # Read as: the newest 500 undelivered, in ascending seq.
    p = server.add_pair()
    aid = p["agreement_id"]
    contact = await server.login(p["contact"])
    for start in range(0, 505, 50):
        rs = await asyncio.gather(*[contact.send_text(aid, "s%d" % i, timeout=15)
                                    for i in range(start, min(start + 50, 505))])
        for r in rs:
            expect_ok(r, "bulk send")
    child = await server.login(p["child"])
    seqs = []
    try:
        while True:
            seqs.append((await child.next_event("message", 1.5))["seq"])
    except TestFailure:
        pass
    check_eq(len(seqs), 500, "number of messages pushed on login with 505 undelivered (§4: at most 500)")
    check(seqs == list(range(6, 506)), "pushed seqs should be the newest 500 (6..505), oldest first "
          "(§4 'older ones through msg.history'); got %d..%d (%s)"
          % (seqs[0], seqs[-1], "ascending" if seqs == sorted(seqs) else "not ascending"))


async def receipts(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    for t in ("a", "b"):
        expect_ok(await child.send_text(aid, t), "child sends")
    expect_ok(await contact.request("msg.receipt", agreement_id=aid, kind="delivered", seq=2), "delivered 2")
    expect_ok(await contact.request("msg.receipt", agreement_id=aid, kind="read", seq=1), "read 1")
    entry = await contact_entry(child, aid)
    check_eq((entry.get("peer_delivered_seq"), entry.get("peer_read_seq"), entry.get("last_seq")), (2, 1, 2),
             "child's contacts.list peer_delivered_seq/peer_read_seq/last_seq")
    entry = await contact_entry(contact, aid)
    check_eq((entry.get("read_seq"), entry.get("unread"), entry.get("last_seq")), (1, 1, 2),
             "contact's contacts.list read_seq/unread/last_seq")
    # markers only move forward
    expect_ok(await contact.request("msg.receipt", agreement_id=aid, kind="read", seq=1), "older read accepted")
    expect_ok(await contact.request("msg.receipt", agreement_id=aid, kind="delivered", seq=1), "older delivered")
    entry = await contact_entry(child, aid)
    check_eq((entry.get("peer_delivered_seq"), entry.get("peer_read_seq")), (2, 1), "markers after older seqs")
    # read implies delivered
    expect_ok(await child.send_text(aid, "c"), "third message")
    expect_ok(await contact.request("msg.receipt", agreement_id=aid, kind="read", seq=3), "read 3")
    entry = await contact_entry(child, aid)
    check_eq((entry.get("peer_delivered_seq"), entry.get("peer_read_seq")), (3, 3), "read implies delivered")
    entry = await contact_entry(contact, aid)
    check_eq((entry.get("read_seq"), entry.get("unread")), (3, 0), "contact's markers after read 3")
    # the child's sessions got receipt events (checked after the markers: live events are a separate concern)
    ev = await child.next_event("receipt", 2)
    check_eq({k: ev.get(k) for k in ("agreement_id", "by", "kind", "seq")},
             {"agreement_id": aid, "by": p["contact_id"], "kind": "delivered", "seq": 2}, "first receipt event")
    ev = await child.next_event("receipt", 2)
    check_eq((ev.get("kind"), ev.get("seq"), ev.get("by")), ("read", 1, p["contact_id"]), "second receipt event")
    # bad receipts
    expect_error(await contact.request("msg.receipt", agreement_id=aid, kind="seen", seq=1), "bad_request",
                 "kind 'seen'")
    expect_error(await contact.request("msg.receipt", agreement_id=aid, kind="read", seq=0), "bad_request",
                 "seq 0 (§4: seq >= 1)")


async def contact_entry(client, aid):
    res = expect_ok(await client.request("contacts.list"), "contacts.list")
    for e in res.get("contacts", []):
        if e.get("agreement_id") == aid:
            return e
    raise TestFailure("agreement %d not in contacts.list: %s" % (aid, short(res)))


async def history_paging(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    for i in range(1, 8):
        expect_ok(await (child if i % 2 else contact).send_text(aid, "m%d" % i), "send m%d" % i)
    h = expect_ok(await child.request("msg.history", agreement_id=aid, limit=3), "newest page")
    check_eq([m["seq"] for m in h["messages"]], [5, 6, 7], "newest page seqs (ascending)")
    check_eq(h.get("more"), True, "more on newest page")
    for m in h["messages"]:
        check_message(m, aid, m["seq"], p["child_id"] if m["seq"] % 2 else p["contact_id"], "m%d" % m["seq"],
                      "history message")
    h = expect_ok(await child.request("msg.history", agreement_id=aid, limit=3, before=5), "page before 5")
    check_eq([m["seq"] for m in h["messages"]], [2, 3, 4], "page before 5")
    check_eq(h.get("more"), True, "more before 5")
    h = expect_ok(await child.request("msg.history", agreement_id=aid, limit=3, before=2), "page before 2")
    check_eq([m["seq"] for m in h["messages"]], [1], "page before 2")
    check_eq(h.get("more"), False, "more on the oldest page")
    h = expect_ok(await contact.request("msg.history", agreement_id=aid), "default page")
    check_eq([m["seq"] for m in h["messages"]], list(range(1, 8)), "default page (limit 50)")
    check_eq(h.get("more"), False, "more on a complete page")
    h = expect_ok(await contact.request("msg.history", agreement_id=aid, limit=100), "limit 100")
    for bad in (0, 101, -1):
        expect_error(await contact.request("msg.history", agreement_id=aid, limit=bad), "bad_request",
                     "limit %d (§4: 1-100)" % bad)
    h = expect_ok(await contact.request("msg.history", agreement_id=aid, before=1), "before 1")
    check_eq((h.get("messages"), h.get("more")), ([], False), "nothing before seq 1")


async def default_limit_50(server):
    p, child, _ = await pair_online(server)
    aid = p["agreement_id"]
    await asyncio.gather(*[child.send_text(aid, "n%d" % i) for i in range(55)])
    h = expect_ok(await child.request("msg.history", agreement_id=aid), "default history")
    check_eq([m["seq"] for m in h["messages"]], list(range(6, 56)), "default page is the newest 50")
    check_eq(h.get("more"), True, "more with 55 messages")


async def text_empty(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    for t in ("", " ", " \t\n\r "):
        expect_error(await child.send_text(aid, t), "text_empty", "text %r" % t)
    await contact.no_event("message", 0.3)


async def text_empty_unicode_space(server):
    # 'only white space' read as Unicode white space (what a client author would expect)
    p, child, _ = await pair_online(server)
    for t in ("\u00a0", "\u3000 \u2003", "\u200a\n"):
        expect_error(await child.send_text(p["agreement_id"], t), "text_empty", "text %r" % t)


async def text_length(server):
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    expect_error(await child.send_text(aid, "a" * 2001), "text_too_long", "2001 ASCII code points")
    expect_error(await child.send_text(aid, "\U0001F600" * 2001), "text_too_long", "2001 emoji")
    for t, what in (("a" * 2000, "2000 ASCII"), ("\U0001F600" * 2000, "2000 emoji (4 bytes each)"),
                    ("é" * 2000, "2000 two-byte code points"), ("語" * 2000, "2000 three-byte code points")):
        r = await child.send_text(aid, t)
        expect_ok(r, what + " must be accepted (§4: 2,000 code points)")
    h = expect_ok(await child.request("msg.history", agreement_id=aid), "history")
    check_eq([len(m["text"]) for m in h["messages"]], [2000] * 4, "stored lengths in code points")
    check_eq(h["messages"][1]["text"], "\U0001F600" * 2000, "emoji text round trip")
    for t in ("a" * 2000, "\U0001F600" * 2000, "é" * 2000, "語" * 2000):
        m = await contact.next_event("message", 2)
        check(m.get("text") == t, "live event text altered (len %d)" % len(m.get("text") or ""))


async def nul_in_text(server):
    # JSON can carry U+0000; it must either be refused (bad_request) or stored and relayed whole, never cut
    p, child, contact = await pair_online(server)
    aid = p["agreement_id"]
    r = await child.request_or_null("msg.send", agreement_id=aid, text="before\u0000after", client_key="nul-1")
    if r.get("ok") is False:
        check(r.get("id") is not None, "text with U+0000 refused without the request id (RFC 8259 allows "
              "\\u0000; §3 malformed_json is for frames that are not a JSON object): %s" % short(r, 300))
        expect_error(r, "bad_request", "text with U+0000")
        return
    h = expect_ok(await contact.request("msg.history", agreement_id=aid), "history")
    check_eq(h["messages"][-1]["text"], "before\u0000after", "stored text with U+0000")
    m = await contact.next_event("message", 2)
    check_eq(m["text"], "before\u0000after", "relayed text with U+0000")


async def own_second_session(server):
    p, child_a, contact = await pair_online(server)
    aid = p["agreement_id"]
    child_b = await server.login(p["child"])
    r = expect_ok(await child_a.send_text(aid, "from tablet A"), "send from A")
    m = await child_b.next_event("message", 2)
    check_message(m, aid, r["seq"], p["child_id"], "from tablet A", "sender's other session")
    m = await contact.next_event("message", 2)
    check_eq(m["seq"], r["seq"], "peer's event seq")
    # the sending session already has the response; a duplicate event there is not expected
    await child_a.no_event("message", 0.5)
    # and a second session of the peer gets it too
    contact_b = await server.login(p["contact"])
    r = expect_ok(await child_b.send_text(aid, "from tablet B"), "send from B")
    # (contact B also gets seq 1 pushed on login, since nobody acknowledged it as delivered: §4 auth.login)
    for who, c in (("contact A", contact), ("contact B", contact_b), ("child A", child_a)):
        m = await c.next_event_where("message", lambda d: d.get("seq") == r["seq"], 2)
        check_eq(m["text"], "from tablet B", "event at " + who)
    await child_b.no_event("message", 0.3)


CASES = [
    Case("live_both_ways", live_both_ways),
    Case("seq_monotonic_no_gaps", seq_no_gaps),
    Case("idempotent_retry_and_conflict", idempotent_retry),
    Case("idempotent_retry_in_flight", idempotent_in_flight),
    Case("client_key_per_conversation", client_key_per_conversation),
    Case("store_and_forward_oldest_first", store_and_forward),
    Case("store_and_forward_at_most_500", store_and_forward_cap),
    Case("receipts_events_and_contacts_list", receipts),
    Case("history_paging", history_paging),
    Case("history_default_limit_50", default_limit_50),
    Case("text_empty", text_empty),
    Case("text_empty_unicode_white_space", text_empty_unicode_space),
    Case("text_length_code_points", text_length),
    Case("sender_other_session_gets_event", own_second_session),
    Case("nul_in_text_not_truncated", nul_in_text),
]

if __name__ == "__main__":
    main(CASES)
