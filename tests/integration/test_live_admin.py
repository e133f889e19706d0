# test_live_admin.py: samvaer-admin changes while clients are connected reach them within 1 s (PROTOCOL.md §6, ADMIN-CLI.md).
import asyncio
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, check, check_eq, expect_error, expect_ok, main, short)

LIMIT_S = 1.0   # §6: contact events arrive within one second of any change


async def admin_then_event(server, client, aid, args, pred, what):
    """Runs samvaer-admin ARGS, then waits for the contact event for aid satisfying pred; returns it."""
    await server.admin_async(*args)
    t0 = time.monotonic()
    ev = await client.next_event_where("contact", lambda d: isinstance(d, dict) and d.get("agreement_id") == aid
                                       and pred(d), timeout=LIMIT_S + 0.5)
    dt = time.monotonic() - t0
    check(dt <= LIMIT_S, "%s: contact event after %.2fs (§6: within one second)" % (what, dt))
    return ev


async def suspend_resume(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    expect_ok(await child.send_text(aid, "before"), "send while active")
    ev = await admin_then_event(server, child, aid, ("agreement", "suspend", aid, "--reason", "Review"),
                                lambda d: d.get("status") == "suspended", "suspend (child)")
    check_eq((ev.get("text", {}).get("verdict"), ev.get("text", {}).get("reason")), ("deny", "agreement_suspended"),
             "text decision in the suspend event")
    check(isinstance(ev.get("peer"), dict) and ev["peer"].get("id") == p["contact_id"],
          "contact event is a contacts.list entry with the peer: %s" % short(ev))
    await contact.next_event_where("contact", lambda d: d.get("agreement_id") == aid and
                                   d.get("status") == "suspended", timeout=0.5)
    err = expect_error(await child.send_text(aid, "during"), "agreement_suspended", "send after suspend")
    check_eq(err.get("decision", {}).get("verdict"), "deny", "decision verdict")
    expect_error(await contact.send_text(aid, "during"), "agreement_suspended", "contact sends after suspend")
    ev = await admin_then_event(server, child, aid, ("agreement", "resume", aid),
                                lambda d: d.get("status") == "active", "resume (child)")
    check_eq(ev.get("text", {}).get("verdict"), "allow", "text decision in the resume event")
    r = expect_ok(await child.send_text(aid, "after"), "send after resume")
    check_eq(r.get("seq"), 2, "seq after a refused send (refusals store nothing)")
    m = await contact.next_event_where("message", lambda d: d.get("seq") == 2, timeout=2)
    check_eq(m.get("text"), "after", "message after resume reached the contact")


async def channel_change_live(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    child = await server.login(p["child"])
    contact = await server.login(p["contact"])
    ev = await admin_then_event(server, contact, aid, ("agreement", "set", aid, "--text", "off"),
                                lambda d: d.get("channels", {}).get("text") == "off", "text off (contact)")
    check_eq(ev.get("text", {}).get("reason"), "channel_off", "text decision in the channel event")
    expect_error(await contact.send_text(aid, "x"), "channel_off", "send after text off")
    ev = await admin_then_event(server, child, aid, ("agreement", "set", aid, "--text", "allowed"),
                                lambda d: d.get("channels", {}).get("text") == "allowed", "text allowed (child)")
    expect_ok(await contact.send_text(aid, "y"), "send after text allowed")


async def end_live(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    child = await server.login(p["child"])
    await admin_then_event(server, child, aid, ("agreement", "end", aid),
                           lambda d: d.get("status") == "ended", "end (child)")
    expect_error(await child.send_text(aid, "x"), "agreement_ended", "send after end")
    # an ended agreement cannot be resumed (ADMIN-CLI: 'end it for good'; resume acts on suspended ones)
    rc, _, _ = await server.admin_async("agreement", "resume", aid, ok=False)
    check_eq(rc, 1, "exit status of `agreement resume` on an ended agreement (ADMIN-CLI: 1 = refused)")
    await asyncio.sleep(1.2)
    expect_error(await child.send_text(aid, "x"), "agreement_ended", "send after refused resume")


async def other_families_unaffected(server):
    p = server.add_pair()
    q = server.add_pair()
    child_p = await server.login(p["child"])
    child_q = await server.login(q["child"])
    await admin_then_event(server, child_p, p["agreement_id"], ("agreement", "suspend", p["agreement_id"]),
                           lambda d: d.get("status") == "suspended", "suspend p")
    await child_q.no_event("contact", 0.5)
    expect_ok(await child_q.send_text(q["agreement_id"], "still fine"), "other family still writes")


CASES = [
    Case("suspend_resume_live", suspend_resume),
    Case("channel_off_live", channel_change_live),
    Case("end_live", end_live),
    Case("other_families_get_no_event", other_families_unaffected),
]

if __name__ == "__main__":
    main(CASES)
