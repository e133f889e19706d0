# test_policy.py: the agreement rules as a client sees them: refusals with decisions, contacts.list (PROTOCOL.md §3-§5).
import asyncio
import calendar

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, check, check_eq, expect_error, expect_ok, main, short, TestFailure)

CHANNELS = ("text", "photo", "video_clip", "voice_note", "voice_call", "video_call")


def check_decision(err, verdict, reason, rule, next_at=None, what=""):
    d = err.get("decision")
    check(isinstance(d, dict), "%s: a refusal by the agreement rules carries error.decision (§2): %s"
          % (what, short(err)))
    check("next_at" in d, "%s: decision.next_at must be present (null if unknown): %s" % (what, short(d)))
    check_eq((d.get("verdict"), d.get("reason"), d.get("rule"), d.get("next_at")),
             (verdict, reason, rule, next_at), what + " decision (verdict, reason, rule, next_at)")


async def agreements_of(client):
    res = expect_ok(await client.request("contacts.list"), "contacts.list")
    cs = res.get("contacts")
    check(isinstance(cs, list), "contacts must be a list: %s" % short(res))
    return cs


async def demo_ids(server):
    """Agreement ids of mia-andrei and mia-radu, found the way a client would (contacts.list)."""
    andrei = await server.login("andrei")
    radu = await server.login("radu")
    a = await agreements_of(andrei)
    r = await agreements_of(radu)
    check(len(a) == 1 and len(r) == 1, "andrei and radu each have one agreement (ADMIN-CLI demo): %s %s"
          % (short(a), short(r)))
    return andrei, radu, a[0]["agreement_id"], r[0]["agreement_id"]


async def suspended(server):
    andrei, radu, aid_a, aid_r = await demo_ids(server)
    mia = await server.login("mia")
    err = expect_error(await mia.send_text(aid_r, "hi uncle"), "agreement_suspended", "mia -> radu (suspended)")
    check_decision(err, "deny", "agreement_suspended", "agreement.status", None, "mia -> radu")
    err = expect_error(await radu.send_text(aid_r, "hi Mia"), "agreement_suspended", "radu -> mia (suspended)")
    check_decision(err, "deny", "agreement_suspended", "agreement.status", None, "radu -> mia")
    # history stays readable while suspended (§4 msg.history)
    h = expect_ok(await mia.request("msg.history", agreement_id=aid_r), "history of a suspended agreement")
    check(isinstance(h.get("messages"), list) and h.get("more") in (True, False), "history shape: %s" % short(h))
    # the active one works
    expect_ok(await mia.send_text(aid_a, "hi Dad"), "mia -> andrei (active)")


async def channel_off(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    server.admin("agreement", "set", aid, "--text", "off")
    await asyncio.sleep(1.2)  # ADMIN-CLI: the running server notices every change within a second
    child = await server.login(p["child"])
    err = expect_error(await child.send_text(aid, "hello"), "channel_off", "text off")
    check_decision(err, "deny", "channel_off", "channels.text", None, "text off")
    contact = await server.login(p["contact"])
    err = expect_error(await contact.send_text(aid, "hello"), "channel_off", "text off, contact side")
    e = await entry(child, aid)
    check_eq(e["channels"].get("text"), "off", "contacts.list channels.text")
    check_eq((e["text"].get("verdict"), e["text"].get("reason"), e["text"].get("rule")),
             ("deny", "channel_off", "channels.text"), "contacts.list text decision")
    server.admin("agreement", "set", aid, "--text", "allowed")
    await asyncio.sleep(1.2)
    expect_ok(await child.send_text(aid, "hello again"), "text allowed again")


async def no_agreement_foreign(server):
    _, _, aid_a, _ = await demo_ids(server)
    ioana = await server.login("ioana")
    e1 = expect_error(await ioana.send_text(aid_a, "hi"), "no_agreement", "ioana -> mia/andrei agreement")
    e2 = expect_error(await ioana.send_text(987654, "hi"), "no_agreement", "nonexistent agreement id")
    # §3: 'existence is not revealed': the two refusals must look the same
    check_eq(e1, e2, "refusal for someone else's vs a nonexistent agreement")
    if "decision" in e1:
        check_decision(e1, "deny", "no_agreement", e1["decision"].get("rule"), None, "no_agreement decision")
    # another child's contact cannot use mia's agreement either
    p = server.add_pair()
    other = await server.login(p["contact"])
    expect_error(await other.send_text(aid_a, "hi"), "no_agreement", "other contact -> mia/andrei agreement")
    mia = await server.login("mia")
    expect_error(await mia.send_text(p["agreement_id"], "hi"), "no_agreement", "mia -> another child's agreement")


async def nonexistent_id(server):
    mia = await server.login("mia")
    for aid in (987654, 2 ** 31):
        expect_error(await mia.send_text(aid, "hi"), "no_agreement", "send to agreement %d" % aid)
        expect_error(await mia.request("msg.history", agreement_id=aid), "no_agreement", "history of %d" % aid)


async def foreign_history(server):
    p = server.add_pair()
    child = await server.login(p["child"])
    expect_ok(await child.send_text(p["agreement_id"], "private"), "seed a message")
    for who in ("ioana", "mia", "andrei", "elena", "ana", "olav"):
        c = await server.login(who)
        expect_error(await c.request("msg.history", agreement_id=p["agreement_id"]), "no_agreement",
                     "%s reads another family's history" % who)
        expect_error(await c.request("msg.receipt", agreement_id=p["agreement_id"], kind="read", seq=1),
                     "no_agreement", "%s sends a receipt into another family's conversation" % who)
        await c.close()


async def entry(client, aid):
    for e in await agreements_of(client):
        if e.get("agreement_id") == aid:
            return e
    raise TestFailure("agreement %s not in contacts.list" % aid)


def check_entry_shape(e, what):
    for k in ("agreement_id", "peer", "relationship", "status", "channels", "text", "last_seq", "read_seq",
              "unread", "peer_delivered_seq", "peer_read_seq"):
        check(k in e, "%s: contacts.list entry lacks %r: %s" % (what, k, short(e)))
    for k in ("id", "display_name", "initials", "role"):
        check(k in e["peer"], "%s: peer lacks %r: %s" % (what, k, short(e["peer"])))
    check_eq(sorted(e["channels"]), sorted(CHANNELS), what + " channel names")
    for k in ("verdict", "reason", "rule", "next_at", "message"):
        check(k in e["text"], "%s: text decision lacks %r: %s" % (what, k, short(e["text"])))
    check(isinstance(e["text"]["message"], str) and e["text"]["message"], what + ": text.message is empty")


async def contacts_list(server):
    mia = await server.login("mia")
    andrei = await server.login("andrei")
    radu = await server.login("radu")
    cs = await agreements_of(mia)
    check_eq(len(cs), 3, "mia has three agreements (andrei and lena active, radu suspended); ioana none")
    by_peer = {e["peer"]["id"]: e for e in cs if isinstance(e.get("peer"), dict)}
    check(andrei.account["id"] in by_peer and radu.account["id"] in by_peer,
          "mia's contacts should be andrei and radu: %s" % short(cs))
    a, r = by_peer[andrei.account["id"]], by_peer[radu.account["id"]]
    check_entry_shape(a, "mia/andrei")
    check_entry_shape(r, "mia/radu")
    check_eq(a["status"], "active", "mia/andrei status")
    check_eq(a["peer"]["role"], "contact", "andrei's role")
    check_eq(a["channels"]["text"], "allowed", "mia/andrei channels.text")
    check_eq((a["text"]["verdict"], a["text"]["reason"], a["text"]["rule"], a["text"]["next_at"]),
             ("allow", "allowed", "channels.text", None), "mia/andrei text decision")
    check_eq(r["status"], "suspended", "mia/radu status")
    check_eq((r["text"]["verdict"], r["text"]["reason"], r["text"]["rule"]),
             ("deny", "agreement_suspended", "agreement.status"), "mia/radu text decision")
    # the contact's side names the child as peer
    ca = await agreements_of(andrei)
    check_eq(ca[0]["peer"]["id"], mia.account["id"], "andrei's peer is mia")
    check_eq(ca[0]["peer"]["role"], "child", "mia's role as peer")
    check_eq(ca[0]["status"], "active", "andrei's view of the status")
    for who in ("ioana", "elena", "ana", "sofie", "olav"):
        c = await server.login(who)
        check_eq(await agreements_of(c), [], "%s's contacts.list (no agreement / not child or contact)" % who)
        await c.close()


def ms_of(date):
    y, m, d = map(int, date.split("-"))
    return calendar.timegm((y, m, d, 0, 0, 0)) * 1000


async def lifecycle_reasons(server):
    cases = [({"status": "draft"}, "agreement_draft", "agreement.status", None),
             ({"status": "pending"}, "agreement_pending", "agreement.status", None),
             ({"date_until": "2001-01-01"}, "agreement_expired", None, None),
             ({"date_from": "2099-01-01"}, "agreement_not_started", None, ms_of("2099-01-01"))]
    for kw, reason, rule, next_at in cases:
        p = server.add_pair(**kw)
        child = await server.login(p["child"])
        err = expect_error(await child.send_text(p["agreement_id"], "hi"), reason, "agreement %s" % kw)
        check_decision(err, "deny", reason, rule or err.get("decision", {}).get("rule"), next_at,
                       "agreement %s" % kw)
        e = await entry(child, p["agreement_id"])
        check_eq((e["text"].get("verdict"), e["text"].get("reason")), ("deny", reason),
                 "contacts.list text decision for %s" % kw)
        await child.close()
    p = server.add_pair()
    server.admin("agreement", "end", p["agreement_id"])
    await asyncio.sleep(1.2)
    child = await server.login(p["child"])
    err = expect_error(await child.send_text(p["agreement_id"], "hi"), "agreement_ended", "ended agreement")
    check_decision(err, "deny", "agreement_ended", "agreement.status", None, "ended agreement")
    e = await entry(child, p["agreement_id"])
    check_eq(e["status"], "ended", "contacts.list status of an ended agreement")
    h = expect_ok(await child.request("msg.history", agreement_id=p["agreement_id"]),
                  "history of an ended agreement (§4: stays readable)")
    check_eq(h.get("messages"), [], "history of an ended agreement without messages")


CASES = [
    Case("suspended_refused_with_decision", suspended),
    Case("channel_off", channel_off),
    Case("no_agreement_foreign_and_nonexistent", no_agreement_foreign),
    Case("nonexistent_agreement_id", nonexistent_id),
    Case("foreign_history_refused", foreign_history),
    Case("contacts_list_status_and_text_decision", contacts_list),
    Case("draft_pending_expired_not_started_ended", lifecycle_reasons),
]

if __name__ == "__main__":
    main(CASES)
