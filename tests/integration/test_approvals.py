# test_approvals.py: agreements through the admin API — proposals, approvals, status moves, pauses (docs/ADMIN-API.md).
"""The approvals rule (default `caseworker,carer`): a caseworker's new agreement is pending until the carer
approves; a change to an active agreement leaves the old terms in force until approved; rejection closes the
proposal; decisions on decided proposals are 409. Terms errors name the field. Suspend/resume/end and the
carer's emergency pause reach connected clients within a second. samvaer-admin does the same for a named account."""
import asyncio
import json
import os
import tempfile
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, TestFailure, check, check_eq, expect_error, expect_ok, main, now_ms, short
from test_admin_api import TEXT_ONLY, api, case_of, expect_api, family, token

LIMIT_S = 1.0  # PROTOCOL §6: changes reach connected clients within one second


async def setup(server):
    """A fresh family with its case id and tokens."""
    f = family(server)
    await server.settle()
    f["cw_tok"] = await token(server, f["caseworker"])
    f["carer_tok"] = await token(server, f["carer"])
    f["case_id"] = (await case_of(server, f["cw_tok"], f["child_id"]))["id"]
    return f


async def create(server, f, terms=TEXT_ONLY, contact=None):
    body = {"contact_username": contact or f["contact"], "relationship": "Mum", "terms": terms}
    return await expect_api(server, "POST", "/api/cases/%d/agreements" % f["case_id"], f["cw_tok"], body, 201,
                            what="caseworker creates")


async def make_active(server, f):
    r = await create(server, f)
    await expect_api(server, "POST", "/api/proposals/%d/approve" % r["proposal_id"], f["carer_tok"], {}, 200,
                     what="carer approves")
    return r["agreement_id"]


async def api_then_event(server, client, aid, method, path, tok, body, pred, what, status=200):
    """API write, then the contact event for aid satisfying pred within LIMIT_S of the reply."""
    res = await expect_api(server, method, path, tok, body, status, what=what)
    t0 = time.monotonic()
    ev = await client.next_event_where("contact", lambda d: isinstance(d, dict) and d.get("agreement_id") == aid
                                       and pred(d), timeout=LIMIT_S + 0.5)
    dt = time.monotonic() - t0
    check(dt <= LIMIT_S, "%s: contact event after %.2fs (within one second)" % (what, dt))
    return res, ev


async def approval_flow(server):
    f = await setup(server)
    r = await create(server, f)
    aid, P = r["agreement_id"], r["proposal_id"]
    check_eq(r["applied"], False, "a caseworker's agreement waits for the carer")
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
    check_eq(ag["status"], "pending", "new agreement status")
    p = [x for x in ag["proposals"] if x["id"] == P][0]
    check_eq(p["needs"], ["carer"], "the proposal needs only the carer (proposer's role counts)")
    check_eq([(a["role"], a["decision"]) for a in p["approvals"]], [("caseworker", "approve")], "proposer's approval")
    contact = await server.login(f["contact"])
    child = await server.login(f["child"])
    expect_error(await contact.send_text(aid, "too early"), "agreement_pending", "contact writes while pending")
    inbox = await expect_api(server, "GET", "/api/approvals", f["carer_tok"])
    check([x["id"] for x in inbox] == [P], "carer's inbox has the proposal: %s" % short(inbox))
    check_eq(inbox[0]["contact"]["username"], f["contact"], "inbox item names the contact")
    check_eq(await expect_api(server, "GET", "/api/approvals", f["cw_tok"]), [], "caseworker's inbox (already approved)")
    res, ev = await api_then_event(server, contact, aid, "POST", "/api/proposals/%d/approve" % P, f["carer_tok"],
                                   {"note": "fine"}, lambda d: d.get("status") == "active", "carer approves")
    check_eq(res["applied"], True, "all roles approved: applied")
    expect_ok(await contact.send_text(aid, "now we can talk"), "contact writes once active")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % P, f["carer_tok"], {}, 409, "conflict", "twice")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % P, f["cw_tok"], {}, 409, "conflict", "after decision")
    await expect_api(server, "POST", "/api/proposals/%d/reject" % P, f["carer_tok"], {}, 409, "conflict", "reject after")
    # a change: text off, pending until the carer approves; the old terms stay in force meanwhile
    r2 = await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, f["cw_tok"],
                          {"terms": {"channels": {"text": "off"}}}, 201, what="propose text off")
    check_eq(r2["applied"], False, "change waits for approval")
    await asyncio.sleep(0.3)
    expect_ok(await contact.send_text(aid, "still allowed"), "old terms still in force")
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["carer_tok"])
    check_eq((ag["status"], ag["terms"]["channels"]["text"]), ("active", "allowed"), "terms in force while pending")
    res, ev = await api_then_event(server, child, aid, "POST", "/api/proposals/%d/approve" % r2["proposal_id"],
                                   f["carer_tok"], {}, lambda d: d.get("channels", {}).get("text") == "off",
                                   "carer approves text off")
    expect_error(await contact.send_text(aid, "x"), "channel_off", "contact writes after text off")
    expect_error(await child.send_text(aid, "x"), "channel_off", "child writes after text off")
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
    check_eq(ag["terms"]["channels"]["text"], "off", "terms in force after approval")
    check_eq({x["id"]: x["status"] for x in ag["proposals"]}, {P: "approved", r2["proposal_id"]: "approved"},
             "proposal statuses")
    # every step is in the case's audit trail in order (the refused sends are there too, as refusals)
    got, obj = await api(server, "GET", "/api/audit?case=%d" % f["case_id"], f["cw_tok"])
    check_eq(got, 200, "GET /api/audit?case= for the caseworker")
    entries = obj.get("entries", []) if isinstance(obj, dict) else obj
    kinds = [e.get("kind") for e in sorted(entries, key=lambda e: e.get("seq", 0))
             if e.get("agreement_id") == aid and e.get("kind") != "refusal"]
    want = ["agreement_created", "proposal", "approval", "terms_changed", "agreement_status",
            "proposal", "approval", "terms_changed"]
    check_eq(kinds, want, "audit kinds of the agreement")


async def reject_and_supersede(server):
    f = await setup(server)
    aid = await make_active(server, f)
    x = await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, f["cw_tok"],
                         {"terms": {"channels": {"text": "off"}}}, 201)
    await expect_api(server, "POST", "/api/proposals/%d/reject" % x["proposal_id"], f["carer_tok"], {"note": "No"}, 200)
    await expect_api(server, "POST", "/api/proposals/%d/reject" % x["proposal_id"], f["carer_tok"], {}, 409, "conflict")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % x["proposal_id"], f["carer_tok"], {}, 409, "conflict")
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
    check_eq(ag["terms"]["channels"]["text"], "allowed", "rejection keeps the old terms")
    px = [p for p in ag["proposals"] if p["id"] == x["proposal_id"]][0]
    check_eq(px["status"], "rejected", "rejected proposal")
    check_eq([(a["role"], a["decision"], a["note"]) for a in px["approvals"]][-1], ("carer", "reject", "No"),
             "the rejection is recorded with who, role and note")
    # the carer proposes (needs the caseworker), the caseworker proposes another; approving one withdraws the rest
    y = await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, f["carer_tok"],
                         {"terms": {"channels": {"text": "allowed", "photo": "allowed"}}}, 201)
    inbox = await expect_api(server, "GET", "/api/approvals", f["cw_tok"])
    check_eq([p["id"] for p in inbox], [y["proposal_id"]], "caseworker's inbox holds the carer's proposal")
    check_eq(await expect_api(server, "GET", "/api/approvals", f["carer_tok"]), [], "carer's inbox")
    z = await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, f["cw_tok"],
                         {"terms": {"channels": {"text": "allowed", "voice_note": "allowed"}}}, 201)
    await expect_api(server, "POST", "/api/proposals/%d/approve" % z["proposal_id"], f["carer_tok"], {}, 200)
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
    st = {p["id"]: p["status"] for p in ag["proposals"]}
    check_eq((st[y["proposal_id"]], st[z["proposal_id"]]), ("withdrawn", "approved"), "superseded proposal withdrawn")
    check_eq((ag["terms"]["channels"]["voice_note"], ag["terms"]["channels"]["photo"]), ("allowed", "off"),
             "the approved proposal's terms")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % y["proposal_id"], f["cw_tok"], {}, 409, "conflict",
                     "approve a withdrawn proposal")
    # supervisors are not a required role; they may not decide
    sup = await token(server, f["supervisor"])
    w = await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, f["cw_tok"], {"terms": TEXT_ONLY}, 201)
    await expect_api(server, "POST", "/api/proposals/%d/approve" % w["proposal_id"], sup, {}, 403, "forbidden")
    await expect_api(server, "POST", "/api/agreements/%d/proposals" % aid, sup, {"terms": TEXT_ONLY}, 403, "forbidden")


async def validation(server):
    f = await setup(server)
    aid = await make_active(server, f)
    path = "/api/agreements/%d/proposals" % aid
    table = [
        ({"windows": {"weekly": [{"day": "tue", "start": "25:00", "end": "18:00"}]}}, "windows.weekly[0].start"),
        ({"windows": {"weekly": [{"day": "tue", "start": "17:00", "end": "18:00"},
                                 {"day": "xyz", "start": "17:00", "end": "18:00"}]}}, "windows.weekly[1].day"),
        ({"channels": {"text": "maybe"}}, "channels.text"),
        ({"windows": {"dated": [{"date": "2026-13-40", "start": "10:00", "end": "11:00"}]}}, "windows.dated[0].date"),
    ]
    for terms, field in table:
        err = (await expect_api(server, "POST", path, f["cw_tok"], {"terms": terms}, 400, "invalid_terms", field))["error"]
        check_eq(err.get("field"), field, "field of %s" % json.dumps(terms))
        check(field in err["message"], "message names the field: %r" % err["message"])
    err = (await expect_api(server, "POST", path, f["cw_tok"], {}, 400, "bad_request", "no terms"))["error"]
    check_eq(err.get("field"), "terms", "missing terms named")
    got, obj = await api(server, "POST", path, f["cw_tok"], raw="{not json")
    check_eq((got, obj.get("error", {}).get("code")), (400, "bad_request"), "malformed JSON")
    cpath = "/api/cases/%d/agreements" % f["case_id"]
    for body, field in (({"relationship": "Dad", "terms": TEXT_ONLY}, "contact_username"),
                        ({"contact_username": "nobody-here", "relationship": "Dad", "terms": TEXT_ONLY}, "contact_username"),
                        ({"contact_username": f["caseworker"], "relationship": "Dad", "terms": TEXT_ONLY}, "contact_username"),
                        ({"contact_username": f["contact"], "terms": TEXT_ONLY}, "relationship")):
        err = (await expect_api(server, "POST", cpath, f["cw_tok"], body, 400, "bad_request", field))["error"]
        check_eq(err.get("field"), field, "create: field of %s" % short(body))
    await expect_api(server, "POST", cpath, f["cw_tok"], {"contact_username": f["contact"], "relationship": "Dad",
                                                          "terms": TEXT_ONLY}, 409, "conflict", "duplicate agreement")
    await expect_api(server, "POST", cpath, f["carer_tok"], {"contact_username": f["contact"], "relationship": "Dad",
                                                             "terms": TEXT_ONLY}, 403, "forbidden", "carer creates")
    ppath = "/api/agreements/%d/pause" % aid
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x", "hours": 0}, "hours"),
                        ({"reason": "x", "hours": 73}, "hours"), ({"reason": "x", "hours": "two"}, "hours")):
        err = (await expect_api(server, "POST", ppath, f["carer_tok"], body, 400, "bad_request", "pause"))["error"]
        check_eq(err.get("field"), field, "pause: field of %s" % short(body))
    err = (await expect_api(server, "POST", "/api/agreements/%d/suspend" % aid, f["cw_tok"], {}, 400, "bad_request"))["error"]
    check_eq(err.get("field"), "reason", "suspend needs a reason")
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
    check_eq((ag["status"], len(ag["pauses"])), ("active", 0), "refused requests changed nothing")


async def status_and_pause(server):
    f = await setup(server)
    aid = await make_active(server, f)
    contact = await server.login(f["contact"])
    base = "/api/agreements/%d/" % aid
    await api_then_event(server, contact, aid, "POST", base + "suspend", f["cw_tok"], {"reason": "Review"},
                         lambda d: d.get("status") == "suspended", "suspend")
    expect_error(await contact.send_text(aid, "x"), "agreement_suspended", "after suspend")
    await expect_api(server, "POST", base + "suspend", f["cw_tok"], {"reason": "again"}, 409, "conflict")
    await expect_api(server, "POST", base + "suspend", f["carer_tok"], {"reason": "x"}, 403, "forbidden")
    await api_then_event(server, contact, aid, "POST", base + "resume", f["cw_tok"], {},
                         lambda d: d.get("status") == "active", "resume")
    expect_ok(await contact.send_text(aid, "back"), "after resume")
    # the carer's emergency pause: the contact learns only that contact is paused, never the reason
    secret = "Nightmares after the last call"
    t0 = now_ms()
    res, ev = await api_then_event(server, contact, aid, "POST", base + "pause", f["carer_tok"],
                                   {"reason": secret, "hours": 2}, lambda d: d.get("text", {}).get("verdict") == "deny",
                                   "carer pause", status=201)
    check(abs(res["expires_at"] - (t0 + 2 * 3600 * 1000)) < 60000, "pause expires in 2 h: %s" % short(res))
    check(secret not in json.dumps(ev), "the contact's event does not carry the reason: %s" % short(ev))
    err = expect_error(await contact.send_text(aid, "x"), "not_available", "contact writes while paused (sees only: not available)")
    check(secret not in json.dumps(err), "the refusal does not carry the reason")
    await expect_api(server, "POST", base + "pause", f["cw_tok"], {"reason": "x"}, 403, "forbidden", "caseworker pause")
    ag = await expect_api(server, "GET", base[:-1], f["cw_tok"])
    open_p = [p for p in ag["pauses"] if not p["ended_at"]]
    check_eq([(p["by_role"], p["reason"]) for p in open_p], [("carer", secret)], "open pause for the caseworker")
    notices = await expect_api(server, "GET", "/api/notices", f["cw_tok"])
    check(notices and notices[0]["agreement_id"] == aid and notices[0]["kind"] == "pause", "notice: %s" % short(notices))
    await api_then_event(server, contact, aid, "POST", base + "unpause", f["carer_tok"], {},
                         lambda d: d.get("text", {}).get("verdict") == "allow", "carer unpause")
    expect_ok(await contact.send_text(aid, "hello again"), "after unpause")
    await expect_api(server, "POST", base + "unpause", f["cw_tok"], {}, 409, "conflict", "unpause when not paused")
    await api_then_event(server, contact, aid, "POST", base + "end", f["cw_tok"], {"reason": "Moved away"},
                         lambda d: d.get("status") == "ended", "end")
    await expect_api(server, "POST", base + "resume", f["cw_tok"], {}, 409, "conflict", "resume after end")
    await expect_api(server, "POST", base + "proposals", f["cw_tok"], {"terms": TEXT_ONLY}, 409, "conflict",
                     "propose after end")
    await expect_api(server, "POST", base + "pause", f["carer_tok"], {"reason": "x"}, 409, "conflict", "pause after end")


async def cli_flow(server):
    f = await setup(server)
    aid = await make_active(server, f)
    contact = await server.login(f["contact"])
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump({"channels": {"text": "off"}}, fh)
    bad_fd, bad = tempfile.mkstemp(suffix=".json")
    with os.fdopen(bad_fd, "w") as fh:
        json.dump({"windows": {"weekly": [{"day": "mon", "start": "9", "end": "10:00"}]}}, fh)
    try:
        rc, out, err = await server.admin_async("proposal", "add", aid, "--terms", bad, "--as", f["caseworker"], ok=False)
        check_eq(rc, 1, "invalid terms refused")
        check("windows.weekly[0].start" in err, "CLI names the field: %r" % err)
        rc, out, err = await server.admin_async("proposal", "add", aid, "--terms", path, "--as", f["caseworker"])
        check(out.strip().isdigit(), "proposal add prints the id alone: %r" % out)
        pid = int(out.strip())
        await asyncio.sleep(1.2)
        expect_ok(await contact.send_text(aid, "old terms"), "old terms while the CLI proposal waits")
        rc, out, err = await server.admin_async("proposal", "approve", pid, "--as", f["carer"])
        await contact.next_event_where("contact", lambda d: d.get("agreement_id") == aid and
                                       d.get("channels", {}).get("text") == "off", timeout=2.0)
        expect_error(await contact.send_text(aid, "x"), "channel_off", "after the CLI approval")
        rc, out, err = await server.admin_async("proposal", "approve", pid, "--as", f["carer"], ok=False)
        check_eq(rc, 1, "approving twice through the CLI")
        rc, out, err = await server.admin_async("pause", aid, "--as", f["carer"], "--reason", "Hospital", "--hours", "3")
        check(out.startswith("paused until"), "pause output: %r" % out)
        rc, _, _ = await server.admin_async("pause", aid, "--as", f["carer"], "--reason", "x", "--hours", "99", ok=False)
        check_eq(rc, 2, "pause --hours 99 is a usage error")
        notices = await expect_api(server, "GET", "/api/notices", f["cw_tok"])
        check(notices and notices[0]["detail"].get("reason") == "Hospital", "CLI pause notice: %s" % short(notices))
        rc, out, err = await server.admin_async("unpause", aid, "--as", f["caseworker"])
        ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, f["cw_tok"])
        check(all(p["ended_at"] for p in ag["pauses"]) and ag["pauses"], "CLI unpause ended the pause")
    finally:
        os.unlink(path)
        os.unlink(bad)


CASES = [
    Case("create_pending_approve_active_change_waits", approval_flow),
    Case("reject_conflict_supersede_roles", reject_and_supersede),
    Case("validation_names_the_field", validation),
    Case("suspend_resume_pause_unpause_end_live", status_and_pause),
    Case("cli_propose_approve_pause_unpause", cli_flow, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
