# test_child_voice.py: the child's pause/resume (PROTOCOL.md contact.pause/contact.resume), a carer's emergency pause the
# child cannot lift, and messages held for review then released or rejected by a supervisor (ADMIN-API.md).
import asyncio
import json
import sys
import urllib.request

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, TestFailure, check, check_eq, expect_error, expect_ok, main, short)


def family(server, terms=None):
    """A pair plus a caseworker, carer and supervisor linked to the child's case; terms applied via the CLI
    proposal flow (caseworker proposes, carer approves)."""
    p = server.add_pair()
    for role in ("caseworker", "carer", "supervisor"):
        name, ident = server.add_account(role)
        server.admin("case", "link", p["child"], "--" + role, name)
        p[role], p[role + "_id"] = name, ident
    if terms is not None:
        server.approve_terms(p, terms)
    return p


def api(server, token, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (server.port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


async def token_of(server, username):
    c = await server.login(username)
    return c, c.token


async def child_pause_and_resume(server):
    p = family(server)
    aid = p["agreement_id"]
    await server.settle()
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    worker = await server.login(p["caseworker"])
    expect_ok(await child.request("contact.pause", agreement_id=aid), "child pauses")
    ev = await contact.next_event_where("contact", lambda d: d.get("agreement_id") == aid and
                                        d.get("text", {}).get("reason") == "not_available", timeout=1.5)
    check("paused" not in ev, "the contact is never told about the pause itself: %s" % short(ev))
    err = expect_error(await contact.send_text(aid, "hello?"), "not_available", "contact writes during the pause")
    check("child" not in err.get("message", "").lower(), "the refusal does not say who paused: %s" % short(err))
    ev = await child.next_event_where("contact", lambda d: d.get("agreement_id") == aid and "paused" in d, timeout=1.5)
    check_eq(ev["paused"].get("by"), "child", "child sees its own pause")
    check_eq(ev["text"]["reason"], "paused_by_child", "child's decision")
    note = await worker.next_event("notice", timeout=1.5)
    check_eq((note.get("agreement_id"), note.get("kind")), (aid, "pause"), "caseworker is told")
    expect_ok(await child.request("contact.resume", agreement_id=aid), "child resumes")
    await contact.next_event_where("contact", lambda d: d.get("agreement_id") == aid and
                                   d.get("text", {}).get("verdict") == "allow", timeout=1.5)
    expect_ok(await contact.send_text(aid, "hi again"), "contact writes after resume")
    expect_ok(await child.request("contact.resume", agreement_id=aid), "resuming twice is fine")


async def only_the_child_pauses(server):
    p = family(server)
    aid = p["agreement_id"]
    await server.settle()
    contact = await server.login(p["contact"])
    expect_error(await contact.request("contact.pause", agreement_id=aid), "no_agreement", "the contact cannot pause")
    other = server.add_pair()
    await server.settle()
    stranger = await server.login(other["child"])
    expect_error(await stranger.request("contact.pause", agreement_id=aid), "no_agreement", "another child cannot")
    expect_error(await stranger.request("contact.pause", agreement_id="x"), "bad_request", "bad id")


async def carer_pause_not_liftable_by_child(server):
    p = family(server)
    aid = p["agreement_id"]
    server.admin("pause", aid, "--as", p["carer"], "--reason", "high fever", "--hours", 24)
    await server.settle()
    child = await server.login(p["child"])
    contacts = (await child.ok("contacts.list"))["contacts"]
    entry = [c for c in contacts if c["agreement_id"] == aid][0]
    check_eq(entry["text"]["reason"], "paused_by_carer", "child's view of a carer pause")
    check(entry["text"].get("next_at"), "a timed pause says when it ends: %s" % short(entry))
    expect_ok(await child.request("contact.resume", agreement_id=aid), "resume answers")
    contacts = (await child.ok("contacts.list"))["contacts"]
    entry = [c for c in contacts if c["agreement_id"] == aid][0]
    check_eq(entry["text"]["reason"], "paused_by_carer", "the carer's pause is still in force")


async def held_then_released(server):
    p = family(server, terms={"supervision": {"messages": "before"}})
    aid = p["agreement_id"]
    await server.settle()
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    sup, token = await token_of(server, p["supervisor"])
    r = expect_ok(await contact.send_text(aid, "see you on sunday", client_key="h-1"), "held send")
    check(r.get("held") is True and r.get("hold_id") and "seq" not in r, "answer says held: %s" % short(r))
    check_eq(r["decision"]["reason"], "review_before", "hold reason")
    again = expect_ok(await contact.send_text(aid, "see you on sunday", client_key="h-1"), "retry")
    check_eq((again.get("hold_id"), again.get("duplicate")), (r["hold_id"], True), "a retried held send")
    await child.no_event("message", 0.5)
    status, body = api(server, token, "GET", "/api/messages/held")
    check_eq(status, 200, "held list")
    item = [m for m in body["messages"] if m["id"] == r["hold_id"]]
    check(item and item[0]["text"] == "see you on sunday", "held list shows it: %s" % short(body))
    other = family(server)
    _, other_token = await token_of(server, other["supervisor"])
    check_eq(api(server, other_token, "POST", "/api/messages/held/%d/release" % r["hold_id"])[0], 404,
             "another case's supervisor cannot release it")
    status, body = api(server, token, "POST", "/api/messages/held/%d/release" % r["hold_id"])
    check_eq((status, body.get("state")), (200, "released"), "release")
    m = await child.next_event("message", timeout=1.5)
    check_eq((m["text"], m["seq"]), ("see you on sunday", body["seq"]), "the child receives it with a seq")
    h = await contact.next_event("held", timeout=1.5)
    check_eq((h["hold_id"], h["state"]), (r["hold_id"], "released"), "the sender is told")
    check_eq(api(server, token, "POST", "/api/messages/held/%d/reject" % r["hold_id"])[0], 409, "decided once")


async def screened_then_rejected(server):
    p = family(server, terms={"privacy": {"screen_contact_details": True}})
    aid = p["agreement_id"]
    await server.settle()
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    sup, token = await token_of(server, p["supervisor"])
    expect_ok(await contact.send_text(aid, "how was school?"), "ordinary text is delivered")
    await child.next_event("message", timeout=1.5)
    r = expect_ok(await contact.send_text(aid, "call me on 0722 123 456"), "phone number")
    check_eq((r.get("held"), r["decision"]["reason"]), (True, "contact_details"), "screened")
    status, body = api(server, token, "POST", "/api/messages/held/%d/reject" % r["hold_id"])
    check_eq((status, body.get("state")), (200, "rejected"), "reject")
    h = await contact.next_event("held", timeout=1.5)
    check_eq(h["state"], "rejected", "the sender is told")
    await child.no_event("message", 0.5)
    hist = await child.ok("msg.history", agreement_id=aid)
    check_eq([m["text"] for m in hist["messages"]], ["how was school?"], "the rejected text never reaches history")


CASES = [
    Case("child_pause_and_resume", child_pause_and_resume),
    Case("only_the_child_pauses", only_the_child_pauses),
    Case("carer_pause_not_liftable_by_child", carer_pause_not_liftable_by_child),
    Case("held_then_released", held_then_released),
    Case("screened_then_rejected", screened_then_rejected),
]

if __name__ == "__main__":
    main(CASES)
