# test_admin_api.py: the admin HTTP API's authorisation (docs/ADMIN-API.md "Scope"): every cross-scope access refused;
# held messages of another caseload answer exactly like missing ones, and a second review is 409 conflict.
"""A second family (child, caseworker, carer, supervisor, contact) tries every endpoint against the demo family
(mia, case of ana/elena/sofie, agreement 1 with andrei) and must be refused: 404 exactly like a missing id when
the role could do it in its own scope, 403 when the role may not do it at all. The demo family's objects are
unchanged afterwards. Also: 401 without a token, 403 for child/contact/operator, and the helpers that
test_approvals.py imports (api, token, family)."""
import asyncio
import http.client
import json

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, TestFailure, check, check_eq, main, short

# ---------------------------------------------------------------------------------------------------
# helpers (also used by test_approvals.py)


def api_sync(server, method, path, token=None, body=None, raw=None):
    """One admin API request; returns (status, parsed JSON body or text)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text
    finally:
        c.close()


async def api(server, method, path, token=None, body=None, raw=None):
    """api_sync off the event loop, so connected clients keep reading events meanwhile."""
    return await asyncio.to_thread(api_sync, server, method, path, token, body, raw)


async def expect_api(server, method, path, token, body=None, status=200, code=None, what=""):
    """Request and check the status (and error code); returns the body."""
    got, obj = await api(server, method, path, token, body)
    label = "%s %s %s" % (what, method, path)
    if got != status:
        raise TestFailure("%s: expected HTTP %d, got %d %s" % (label, status, got, short(obj)))
    if code is not None:
        err = obj.get("error") if isinstance(obj, dict) else None
        check(isinstance(err, dict) and err.get("code") == code and err.get("message"),
              "%s: expected error %r with a message, got %s" % (label, code, short(obj)))
    return obj


_tokens = {}


async def token(server, username):
    """A session token for username (logged in once per server over WebSocket, then reused)."""
    key = (server.port, username)
    if key not in _tokens:
        c = await server.login(username)
        _tokens[key] = c.token
        await c.close()
    return _tokens[key]


def family(server, tz="Europe/Bucharest"):
    """A second family through samvaer-admin: child with a case, caseworker, carer, supervisor, contact."""
    f = {}
    for role in ("child", "caseworker", "carer", "supervisor", "contact"):
        f[role], f[role + "_id"] = server.add_account(role)
    server.admin("case", "add", f["child"], "--tz", tz)
    for role in ("caseworker", "carer", "supervisor"):
        server.admin("case", "link", f["child"], "--" + role, f[role])
    return f


async def case_of(server, caseworker_token, child_id):
    cases = await expect_api(server, "GET", "/api/cases", caseworker_token, what="caseload")
    for c in cases:
        if c.get("child", {}).get("id") == child_id:
            return c
    raise TestFailure("child %d not in the caseworker's caseload: %s" % (child_id, short(cases)))


async def demo_ids(server):
    """The demo family's case id, mia's id and agreement 1 (with andrei)."""
    ana = await token(server, "ana")
    cases = await expect_api(server, "GET", "/api/cases", ana, what="ana's caseload")
    check_eq(len(cases), 1, "ana's caseload size")
    return cases[0]["id"], cases[0]["child"]["id"]


TEXT_ONLY = {"channels": {"text": "allowed"}}

# ---------------------------------------------------------------------------------------------------
# cases


async def unauthenticated_and_roles(server):
    for method, path in (("GET", "/api/cases"), ("GET", "/api/agreements/1"), ("GET", "/api/notices"),
                         ("POST", "/api/agreements/1/pause"), ("GET", "/api/approvals")):
        await expect_api(server, method, path, None, {} if method == "POST" else None, 401, "unauthenticated",
                         "no token")
        await expect_api(server, method, path, "ab" * 32, {} if method == "POST" else None, 401, "unauthenticated",
                         "unknown token")
    for user in ("mia", "andrei", "olav"):
        t = await token(server, user)
        for method, path, body in (("GET", "/api/cases", None), ("GET", "/api/cases/1", None),
                                   ("GET", "/api/agreements/1", None), ("GET", "/api/approvals", None),
                                   ("GET", "/api/notices", None), ("POST", "/api/agreements/1/suspend", {"reason": "x"}),
                                   ("POST", "/api/agreements/1/pause", {"reason": "x"}),
                                   ("POST", "/api/agreements/1/proposals", {"terms": TEXT_ONLY}),
                                   ("POST", "/api/cases/1/agreements", {"contact_username": "ioana",
                                                                        "relationship": "Friend", "terms": TEXT_ONLY})):
            await expect_api(server, method, path, t, body, 403, "forbidden", "%s (ADMIN-API Scope)" % user)


async def caseload_shapes(server):
    case_id, mia = await demo_ids(server)
    for user in ("ana", "elena", "sofie"):
        cases = await expect_api(server, "GET", "/api/cases", await token(server, user), what=user)
        check_eq([c["id"] for c in cases], [case_id], "%s sees the demo case only" % user)
        c = cases[0]
        for k in ("id", "child", "time_zone", "members", "agreements", "pending_proposals", "open_notices"):
            check(k in c, "%s: case has %r: %s" % (user, k, short(c)))
        check_eq(c["time_zone"], "Europe/Bucharest", "case time zone")
        check_eq(sorted(m["role"] for m in c["members"]), ["carer", "caseworker", "supervisor"], "members")
        check(all(m.get("username") for m in c["members"]), "members carry their user names: %s" % c["members"])
        check(c["child"].get("initials") and c["child"].get("display_name"), "child has name and initials")
        check({1, 2} <= {a["id"] for a in c["agreements"]}, "agreements 1 and 2 listed: %s" % short(c))
    full = await expect_api(server, "GET", "/api/cases/%d" % case_id, await token(server, "ana"))
    a1 = [a for a in full["agreements"] if a["id"] == 1][0]
    for k in ("terms", "pauses", "proposals", "contact", "child", "status"):
        check(k in a1, "case detail has agreements in full (%r): %s" % (k, short(a1)))
    ag = await expect_api(server, "GET", "/api/agreements/1", await token(server, "elena"))
    for k in ("id", "case_id", "child", "contact", "relationship", "status", "status_reason", "terms", "pauses",
              "proposals"):
        check(k in ag, "agreement has %r: %s" % (k, short(ag)))
    check_eq((ag["status"], ag["contact"]["username"], ag["case_id"]), ("active", "andrei", case_id), "agreement 1")
    await expect_api(server, "GET", "/api/agreements/999999", await token(server, "ana"), None, 404, "not_found",
                     "missing agreement")
    await expect_api(server, "GET", "/api/cases/999999", await token(server, "ana"), None, 404, "not_found",
                     "missing case")


# ---------------------------------------------------------------------------------------------------
# cross-scope


async def setup_demo_objects(server):
    """In the demo family: a pending proposal on agreement 1, a pause notice, a held message. Returns ids."""
    ana, elena = await token(server, "ana"), await token(server, "elena")
    # messages reviewed before delivery, so andrei's next message is held
    r = await expect_api(server, "POST", "/api/agreements/1/proposals", ana,
                         {"terms": {"channels": {"text": "allowed"}, "supervision": {"messages": "before"}}}, 201,
                         what="ana proposes review")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % r["proposal_id"], elena, {}, 200,
                     what="elena approves review")
    andrei = await server.login("andrei")
    sent = await andrei.send_text(1, "hello, reviewed first")
    await andrei.close()
    pending = await expect_api(server, "POST", "/api/agreements/1/proposals", ana, {"terms": {"goal": {"calls_per_week": 2}}},
                               201, what="ana proposes a goal")
    await expect_api(server, "POST", "/api/agreements/1/pause", elena, {"reason": "Mia is at the dentist", "hours": 1},
                     201, what="elena pauses")
    await expect_api(server, "POST", "/api/agreements/1/unpause", elena, {}, 200, what="elena ends the pause")
    notices = await expect_api(server, "GET", "/api/notices", ana, what="ana's notices")
    check(notices and notices[0]["kind"] == "pause", "ana has a pause notice: %s" % short(notices))
    return {"proposal": pending["proposal_id"], "notice": notices[0]["id"], "held_send": sent}


async def cross_scope(server):
    case_id, mia = await demo_ids(server)
    ids = await setup_demo_objects(server)
    f = family(server)
    await server.settle()
    outsiders = {r: await token(server, f[r]) for r in ("caseworker", "carer", "supervisor", "contact")}
    outsiders["andrei (contact of the demo child)"] = await token(server, "andrei")
    P, N = ids["proposal"], ids["notice"]
    # (method, path, body, roles that may do it in their own scope: those get 404, everyone else 403)
    table = [
        ("GET", "/api/cases/%d" % case_id, None, "caseworker supervisor carer"),
        ("GET", "/api/agreements/1", None, "caseworker supervisor carer"),
        ("GET", "/api/agreements/2", None, "caseworker supervisor carer"),
        ("POST", "/api/cases/%d/agreements" % case_id, {"contact_username": f["contact"], "relationship": "X",
                                                        "terms": TEXT_ONLY}, "caseworker"),
        ("POST", "/api/agreements/1/proposals", {"terms": {"channels": {"text": "off"}}}, "caseworker carer"),
        ("POST", "/api/proposals/%d/approve" % P, {}, "caseworker carer"),
        ("POST", "/api/proposals/%d/reject" % P, {"note": "no"}, "caseworker carer"),
        ("POST", "/api/agreements/1/suspend", {"reason": "x"}, "caseworker"),
        ("POST", "/api/agreements/1/resume", {}, "caseworker"),
        ("POST", "/api/agreements/1/end", {"reason": "x"}, "caseworker"),
        ("POST", "/api/agreements/1/pause", {"reason": "x", "hours": 2}, "carer"),
        ("POST", "/api/agreements/1/unpause", {}, "caseworker carer"),
        ("POST", "/api/notices/%d/read" % N, {}, "caseworker"),
        # teammates' endpoints: refused either way (403 or 404), never 200
        ("GET", "/api/audit?case=%d" % case_id, None, None),
        ("GET", "/api/reports/%d" % mia, None, None),
        ("GET", "/api/reports/%d?format=csv" % mia, None, None),
    ]
    fails = []
    for method, path, body, own in table:
        for who, tok in outsiders.items():
            got, obj = await api(server, method, path, tok, body)
            role = who if who in ("caseworker", "carer", "supervisor") else "contact"
            if own is None:
                want = (403, 404)
            else:
                want = (404,) if role in own.split() else (403,)
            code = obj.get("error", {}).get("code") if isinstance(obj, dict) else None
            want_code = {404: "not_found", 403: "forbidden"}
            if got not in want or code != want_code.get(got):
                fails.append("%s %s %s: expected %s, got %d %s" % (who, method, path, want, got, short(obj, 160)))
    # lists: nothing of the demo family shows up
    for who, tok in outsiders.items():
        for path, key in (("/api/cases", "id"), ("/api/approvals", "id"), ("/api/notices", "id")):
            got, obj = await api(server, "GET", path, tok)
            if got == 200:
                leaked = [x for x in obj if (path == "/api/cases" and x.get("id") == case_id) or
                          (path == "/api/approvals" and x.get("id") == P) or (path == "/api/notices" and x.get("id") == N)]
                if leaked:
                    fails.append("%s GET %s lists the demo family's %s" % (who, path, short(leaked, 160)))
            elif got != 403:
                fails.append("%s GET %s: expected 200 (own scope) or 403, got %d" % (who, path, got))
        got, obj = await api(server, "GET", "/api/messages/held", tok)
        if got == 200:
            items = obj if isinstance(obj, list) else obj.get("messages", obj.get("held", []))
            if any(isinstance(x, dict) and x.get("agreement_id") == 1 for x in items):
                fails.append("%s GET /api/messages/held lists agreement 1's held message" % who)
        elif got not in (403, 404):
            fails.append("%s GET /api/messages/held: %d %s" % (who, got, short(obj, 160)))
    # the demo family's objects are unchanged
    ana = await token(server, "ana")
    ag = await expect_api(server, "GET", "/api/agreements/1", ana, what="after the attempts")
    check_eq(ag["status"], "active", "agreement 1 status after cross-scope attempts")
    check(not [p for p in ag["pauses"] if not p["ended_at"]], "no open pause after cross-scope attempts")
    check_eq([p["status"] for p in ag["proposals"] if p["id"] == P], ["pending"], "proposal still pending")
    notes = await expect_api(server, "GET", "/api/notices", ana)
    check_eq([n["read"] for n in notes if n["id"] == N], [False], "notice still unread")
    if fails:
        raise TestFailure("%d cross-scope accesses not refused as specified:\n  %s" % (len(fails), "\n  ".join(fails)))


async def teammate_endpoints_in_scope(server):
    """Control for the cross-scope table: the same audit/report/held requests succeed for the demo family's own
    staff, so a refusal above is scope, not a missing endpoint."""
    case_id, mia = await demo_ids(server)
    missing = []
    for user, path in (("ana", "/api/audit?case=%d" % case_id), ("sofie", "/api/audit?case=%d" % case_id),
                       ("ana", "/api/reports/%d" % mia), ("elena", "/api/reports/%d" % mia),
                       ("sofie", "/api/messages/held"), ("ana", "/api/messages/held")):
        got, obj = await api(server, "GET", path, await token(server, user))
        if got != 200:
            missing.append("%s GET %s: %d %s" % (user, path, got, short(obj, 120)))
    if missing:
        raise TestFailure("in-scope requests not answered 200 (endpoint missing?):\n  " + "\n  ".join(missing))


async def other_direction(server):
    """The demo family's staff cannot reach a second family's objects either."""
    f = family(server)
    server.admin("agreement", "add", f["child"], f["contact"], "--relationship", "Mum")
    await server.settle()
    cw = await token(server, f["caseworker"])
    c = await case_of(server, cw, f["child_id"])
    aid = c["agreements"][0]["id"]
    for user, own in (("ana", "caseworker"), ("elena", "carer"), ("sofie", "supervisor")):
        t = await token(server, user)
        await expect_api(server, "GET", "/api/cases/%d" % c["id"], t, None, 404, "not_found", user)
        await expect_api(server, "GET", "/api/agreements/%d" % aid, t, None, 404, "not_found", user)
        await expect_api(server, "POST", "/api/agreements/%d/unpause" % aid, t, {},
                         403 if user == "sofie" else 404, None, user)
    await expect_api(server, "GET", "/api/agreements/%d" % aid, cw, what="own caseworker")


async def notices_flow(server):
    ana, elena = await token(server, "ana"), await token(server, "elena")
    before = await expect_api(server, "GET", "/api/notices", ana)
    await expect_api(server, "POST", "/api/agreements/2/pause", elena, {"reason": "Family emergency"}, 201, what="pause 2")
    after = await expect_api(server, "GET", "/api/notices", ana)
    check_eq(len(after), len(before) + 1, "one new notice")
    n = after[0]
    check_eq((n["kind"], n["agreement_id"], n["read"]), ("pause", 2, False), "notice fields")
    check_eq(n["detail"].get("reason"), "Family emergency", "notice names the reason for the caseworker")
    check_eq(n["detail"].get("by_role"), "carer", "notice says a carer paused")
    await expect_api(server, "POST", "/api/notices/%d/read" % n["id"], ana, {}, 200)
    again = await expect_api(server, "GET", "/api/notices", ana)
    check_eq([x["read"] for x in again if x["id"] == n["id"]], [True], "notice marked read")
    for user in ("elena", "sofie"):
        await expect_api(server, "GET", "/api/notices", await token(server, user), None, 403, "forbidden", user)
    await expect_api(server, "POST", "/api/notices/999999/read", ana, {}, 404, "not_found")
    await expect_api(server, "POST", "/api/agreements/2/unpause", ana, {}, 200, what="caseworker ends the pause")


async def cli_scope(server):
    """samvaer-admin acts for a named account under the same rules."""
    f = family(server)
    ana = await token(server, "ana")
    r = await expect_api(server, "POST", "/api/agreements/1/proposals", ana, {"terms": TEXT_ONLY}, 201)
    P = r["proposal_id"]
    for user, why in ((f["carer"], "other family's carer"), (f["caseworker"], "other family's caseworker"),
                      ("andrei", "contact"), ("sofie", "supervisor (not a required role)")):
        rc, out, err = await server.admin_async("proposal", "approve", P, "--as", user, ok=False)
        check_eq(rc, 1, "proposal approve --as %s (%s): exit status (refused)" % (user, why))
    for user in (f["carer"], "andrei", "ana"):
        rc, out, err = await server.admin_async("pause", 1, "--as", user, "--reason", "x", ok=False)
        check_eq(rc, 1, "pause --as %s: exit status (refused)" % user)
    rc, out, err = await server.admin_async("unpause", 1, "--as", f["caseworker"], ok=False)
    check_eq(rc, 1, "unpause --as other family's caseworker")
    rc, out, err = await server.admin_async("proposal", "list", "--pending")
    check(any(line.split()[0] == str(P) for line in out.splitlines()), "proposal list --pending shows %d: %r" % (P, out))
    rc, out, err = await server.admin_async("proposal", "reject", P, "--as", "elena", "--note", "not now")
    check_eq(rc, 0, "elena rejects through the CLI")
    ag = await expect_api(server, "GET", "/api/agreements/1", ana)
    check_eq([p["status"] for p in ag["proposals"] if p["id"] == P], ["rejected"], "CLI rejection recorded")


def held_family(server):
    """A second family whose agreement holds the contact's messages for review (terms through the CLI flow)."""
    f = family(server)
    out = server.admin("agreement", "add", f["child"], f["contact"], "--relationship", "Dad", "--text", "allowed")
    f["agreement_id"] = int(out.stdout.strip())
    server.approve_terms(f, {"channels": {"text": "allowed"}, "supervision": {"messages": "before"}})
    return f


async def held_out_of_scope_and_twice(server):
    """PROTOCOL.md / ADMIN-API errors: a held message in another caseload answers byte for byte like an id that
    does not exist (404 not_found), so ids cannot be probed; releasing or rejecting one already reviewed is 409
    conflict, never 500."""
    f = held_family(server)
    await server.settle()
    contact = await server.login(f["contact"])
    r = await contact.send_text(f["agreement_id"], "held for review")
    check(r.get("ok") and r["result"].get("held") is True, "the message is held: %s" % short(r))
    hold = r["result"]["hold_id"]
    missing = hold + 100000
    for user in ("sofie", "ana"):                        # the demo family's supervisor and caseworker
        tok = await token(server, user)
        for action in ("release", "reject"):
            got = await api(server, "POST", "/api/messages/held/%d/%s" % (hold, action), tok, {})
            want = await api(server, "POST", "/api/messages/held/%d/%s" % (missing, action), tok, {})
            check_eq(want[0], 404, "%s %s of a missing held message" % (user, action))
            check_eq(got, want, "%s %s of another caseload's held message, against a missing one" % (user, action))
    sup = await token(server, f["supervisor"])
    body = await expect_api(server, "POST", "/api/messages/held/%d/release" % hold, sup, {}, 200, what="release")
    check_eq(body.get("state"), "released", "released")
    for action in ("release", "reject"):
        await expect_api(server, "POST", "/api/messages/held/%d/%s" % (hold, action), sup, {}, 409, "conflict",
                         "a second review (%s) of a released message" % action)
    r = await contact.send_text(f["agreement_id"], "held again")
    hold2 = r["result"]["hold_id"]
    await expect_api(server, "POST", "/api/messages/held/%d/reject" % hold2, sup, {}, 200, what="reject")
    for action in ("release", "reject"):
        await expect_api(server, "POST", "/api/messages/held/%d/%s" % (hold2, action), sup, {}, 409, "conflict",
                         "a second review (%s) of a rejected message" % action)
    # after the review too, another caseload cannot tell the ids exist
    tok = await token(server, "sofie")
    check_eq(await api(server, "POST", "/api/messages/held/%d/release" % hold, tok, {}),
             await api(server, "POST", "/api/messages/held/%d/release" % missing, tok, {}),
             "another caseload's reviewed message, against a missing one")
    await contact.close()


CASES = [
    Case("held_out_of_scope_like_missing_reviewed_twice_409", held_out_of_scope_and_twice),
    Case("unauthenticated_401_family_and_operator_403", unauthenticated_and_roles),
    Case("caseload_case_agreement_shapes", caseload_shapes),
    Case("cross_scope_every_endpoint_refused", cross_scope, timeout=90),
    Case("audit_reports_held_answer_in_scope", teammate_endpoints_in_scope),
    Case("demo_staff_cannot_reach_other_family", other_direction),
    Case("pause_notice_for_caseworker", notices_flow),
    Case("cli_same_role_and_scope_rules", cli_scope, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
