# test_invites.py: invitations end to end — a carer or caseworker invites a named person into a child's case (admin
# API and samvaer-admin), the person opens the code and joins (new account, or the logged-in family account), the
# agreement waits in the approvals inbox until approved, then messages flow. Reuse, expiry, revocation, guessing per
# code and per address, and out-of-scope callers are refused with stable codes; every step is audited.
"""Covers proto/PROTOCOL.md "Invitations", docs/ADMIN-API.md "Invitations", docs/ADMIN-CLI.md `invite`."""
import asyncio
import json
import re
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, TestFailure, check, check_eq, expect_error, expect_ok, main, now_ms, short
from test_admin_api import TEXT_ONLY, api, case_of, demo_ids, expect_api, family, token
from test_audit import audit_rows, find

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_RE = re.compile(r"^[%s]{4}-[%s]{4}-[%s]{4}$" % (ALPHABET, ALPHABET, ALPHABET))
WEEK_MS = 7 * 24 * 3600 * 1000
_users = iter(range(1, 10**6))


async def invite(server, tok, case_id, status=201, code=None, **body):
    body.setdefault("invitee_name", "Maria")
    body.setdefault("relationship", "Mother")
    body.setdefault("app_url", "http://127.0.0.1:%d/" % server.port)
    return await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, tok, body, status, code,
                            what="invite")


async def listed(server, tok, case_id, inv_id):
    rows = await expect_api(server, "GET", "/api/cases/%d/invitations" % case_id, tok, what="list")
    hit = [r for r in rows if r["id"] == inv_id]
    check(len(hit) == 1, "invitation %d listed once: %s" % (inv_id, short(rows)))
    return hit[0], rows


def other_code(code):
    """The same public part with another secret: a guess at this one invitation."""
    last = code[-1]
    return code[:-1] + (ALPHABET[(ALPHABET.index(last) + 1) % len(ALPHABET)])


def new_user():
    return "joiner%d%d" % (int(time.time()) % 100000, next(_users))


async def join(server, code, username=None, name="Maria Rossi", language="it", password="maria-pw-123"):
    """A new connection accepts with a new account; returns (client, result)."""
    c = await server.connect()
    r = await c.request("invite.accept", code=code, username=username or new_user(), display_name=name,
                        password=password, language=language)
    return c, r


# ---------------------------------------------------------------------------------------------------


async def life_cycle(server):
    case_id, mia_id = await demo_ids(server)
    elena, ana = await token(server, "elena"), await token(server, "ana")
    t0 = now_ms()
    made = await invite(server, elena, case_id, terms=TEXT_ONLY, language="it")
    code = made["code"]
    check(CODE_RE.match(code), "code is 3 groups of 4 from the alphabet without look-alikes: %r" % code)
    check_eq(made["link"], "http://127.0.0.1:%d/#join=%s" % (server.port, code), "link")
    check(made["qr_svg"].startswith("<svg") and "<path" in made["qr_svg"], "QR code as SVG: %s" % made["qr_svg"][:80])
    inv = made["invitation"]
    check_eq((inv["state"], inv["invitee_name"], inv["relationship"], inv["created_by"]["display_name"]),
             ("open", "Maria", "Mother", "Elena Popescu"), "the new invitation")
    check(abs(inv["expires_at"] - (t0 + WEEK_MS)) < 60000, "expires in 7 days by default: %s" % short(inv))
    row, rows = await listed(server, ana, case_id, inv["id"])
    check(code[5:].replace("-", "") not in json.dumps(rows), "the secret part is never listed")
    check_eq(row["lookup"], code[:4], "the list shows the public part")

    # open: typed in lower case with spaces; says who invited and for whom, nothing more
    stranger = await server.connect()
    opened = expect_ok(await stranger.request("invite.open", code=" " + code.lower().replace("-", " ")), "open")
    check_eq(opened["child"], {"first_name": "Mia"}, "the child's first name only")
    check_eq((opened["invitee_name"], opened["relationship"], opened["inviter"]["display_name"], opened["language"]),
             ("Maria", "Mother", "Elena Popescu", "it"), "what the invitation says")
    check_eq(sorted(opened), ["child", "expires_at", "invitee_name", "inviter", "language", "relationship"],
             "invite.open gives nothing more")
    expect_error(await stranger.request("contacts.list"), "unauthenticated", "opening a code is not a login")
    await stranger.close()

    # accept once: a new account, logged in on this connection
    user = new_user()
    maria, r = await join(server, code, username=user)
    res = expect_ok(r, "accept")
    check(re.match(r"^[0-9a-f]{64}$", res["token"] or ""), "a session token: %s" % short(res))
    check_eq((res["account"]["username"], res["account"]["role"], res["account"]["display_name"], res["status"]),
             (user, "contact", "Maria Rossi", "pending"), "the new account and a pending agreement")
    aid = res["agreement_id"]
    contacts = expect_ok(await maria.request("contacts.list"), "contacts of the new account")["contacts"]
    check_eq([(c["agreement_id"], c["status"]) for c in contacts], [(aid, "pending")], "her pending agreement")
    expect_error(await maria.send_text(aid, "too early"), "agreement_pending", "nothing before approval")

    # reuse refused, from anywhere
    again = await server.connect()
    expect_error(await again.request("invite.open", code=code), "invite_used", "open after use")
    _, r2 = await join(server, code)
    expect_error(r2, "invite_used", "accept after use")
    row, _ = await listed(server, ana, case_id, inv["id"])
    check_eq((row["state"], row["agreement_id"], row["ended_by"]["username"]), ("used", aid, user), "used")

    # the password works for a normal login; the language is kept
    relog = await server.login(user, password="maria-pw-123")
    check_eq(relog.account["username"], user, "login with the chosen password")

    # the child sees nothing of her yet
    mia = await server.login("mia")
    seen = expect_ok(await mia.request("contacts.list"), "mia's contacts")["contacts"]
    check(aid not in [c["agreement_id"] for c in seen], "a pending invited contact is not shown to the child")

    # the caseworker sees the new person in the approvals inbox; the inviting carer's approval already counts
    inbox = await expect_api(server, "GET", "/api/approvals", ana)
    item = [x for x in inbox if x["agreement_id"] == aid]
    check(item, "the caseworker's inbox has the new agreement: %s" % short(inbox))
    check_eq((item[0]["contact"]["username"], item[0]["relationship"], item[0]["needs"]), (user, "Mother", ["caseworker"]),
             "inbox item")
    check(aid not in [x["agreement_id"] for x in await expect_api(server, "GET", "/api/approvals", elena)],
          "the inviting carer has approved already")
    await expect_api(server, "POST", "/api/proposals/%d/approve" % item[0]["id"], ana, {}, 200, what="ana approves")
    await maria.next_event_where("contact", lambda d: d.get("agreement_id") == aid and d.get("status") == "active",
                                 timeout=2)
    await mia.next_event_where("contact", lambda d: d.get("agreement_id") == aid, timeout=2)

    # messages flow both ways
    expect_ok(await maria.send_text(aid, "Ciao Mia!"), "maria writes")
    got = await mia.next_event_where("message", lambda d: d.get("agreement_id") == aid, timeout=2)
    check_eq(got["text"], "Ciao Mia!", "mia receives")
    expect_ok(await mia.send_text(aid, "Hi Maria"), "mia answers")
    got = await maria.next_event_where("message", lambda d: d.get("agreement_id") == aid, timeout=2)
    check_eq(got["text"], "Hi Maria", "maria receives")

    # audited: created, used, the account, the agreement made through the invitation
    rows = audit_rows(server, "--case", case_id)
    find(rows, "created", lambda x: x["kind"] == "invitation" and x["detail"].get("action") == "created"
         and x["detail"].get("invitation_id") == inv["id"] and x["who"].startswith("elena"))
    find(rows, "used", lambda x: x["kind"] == "invitation" and x["detail"].get("action") == "used"
         and x["detail"].get("invitation_id") == inv["id"] and x["agreement"] == aid)
    find(rows, "agreement", lambda x: x["kind"] == "agreement_created" and x["agreement"] == aid
         and x["detail"].get("via") == "invitation")


async def expiry(server):
    case_id, _ = await demo_ids(server)
    made = await invite(server, await token(server, "ana"), case_id, expires_in_s=1)
    await asyncio.sleep(1.3)
    c = await server.connect()
    expect_error(await c.request("invite.open", code=made["code"]), "invite_expired", "open after expiry")
    _, r = await join(server, made["code"])
    expect_error(r, "invite_expired", "accept after expiry")
    row, _ = await listed(server, await token(server, "ana"), case_id, made["invitation"]["id"])
    check_eq(row["state"], "expired", "listed as expired")
    await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, await token(server, "ana"),
                     {"invitee_name": "X", "relationship": "Y", "expires_in_s": 0}, 400, "bad_request", "expiry 0")


async def revoke(server):
    case_id, _ = await demo_ids(server)
    elena, ana = await token(server, "elena"), await token(server, "ana")
    made = await invite(server, elena, case_id, invitee_name="Luca", relationship="Uncle")
    inv_id = made["invitation"]["id"]
    res = await expect_api(server, "POST", "/api/invitations/%d/revoke" % inv_id, ana, {}, 200, what="revoke")
    check_eq((res["state"], res["ended_by"]["username"]), ("revoked", "ana"), "revoked by the caseworker")
    c = await server.connect()
    expect_error(await c.request("invite.open", code=made["code"]), "invite_revoked", "open after revoke")
    _, r = await join(server, made["code"])
    expect_error(r, "invite_revoked", "accept after revoke")
    await expect_api(server, "POST", "/api/invitations/%d/revoke" % inv_id, ana, {}, 409, "conflict", "twice")
    rows = audit_rows(server, "--case", case_id)
    find(rows, "revoked", lambda x: x["kind"] == "invitation" and x["detail"].get("action") == "revoked"
         and x["detail"].get("invitation_id") == inv_id and x["who"].startswith("ana"))


async def guessing_per_code(server):
    case_id, _ = await demo_ids(server)
    ana = await token(server, "ana")
    made = await invite(server, ana, case_id, invitee_name="Guess", relationship="Aunt")
    code, inv_id = made["code"], made["invitation"]["id"]
    for i in range(4):  # each guess from an address of its own: only the per-code cap applies
        c = await server.connect()
        expect_error(await c.request("invite.open", code=other_code(code) if i % 2 else code[:-2] + "22"),
                     "invite_unknown", "wrong secret %d" % (i + 1))
        await c.close()
    row, _ = await listed(server, ana, case_id, inv_id)
    check_eq((row["state"], row["failed_tries"]), ("open", 4), "4 wrong tries counted, still open")
    c = await server.connect()
    expect_error(await c.request("invite.open", code=other_code(code)), "invite_locked", "the 5th wrong try locks")
    c = await server.connect()
    expect_error(await c.request("invite.open", code=code), "invite_locked", "the right code after the lock")
    _, r = await join(server, code)
    expect_error(r, "invite_locked", "accept after the lock")
    row, _ = await listed(server, ana, case_id, inv_id)
    check_eq((row["state"], row["failed_tries"]), ("locked", 5), "listed as locked")
    rows = audit_rows(server, "--case", case_id)
    fails = [x for x in rows if x["kind"] == "invitation" and x["detail"].get("invitation_id") == inv_id
             and x["detail"].get("action") == "failed_try"]
    check_eq(len(fails), 5, "every failed try audited")
    check(all(x["detail"].get("from", "").startswith("127.0.0.") for x in fails), "with the address")
    find(rows, "locked", lambda x: x["kind"] == "invitation" and x["detail"].get("action") == "locked"
         and x["detail"].get("invitation_id") == inv_id)


async def guessing_per_address(server):
    case_id, _ = await demo_ids(server)
    made = await invite(server, await token(server, "ana"), case_id, invitee_name="Addr", relationship="Aunt")
    c = await server.connect()
    for i in range(10):
        expect_error(await c.request("invite.open", code=ALPHABET[i] * 4 + "-ZZZZ-ZZZZ"), "invite_unknown",
                     "guess %d" % (i + 1))
    r = await c.request("invite.open", code=made["code"])
    expect_error(r, "rate_limited", "the 11th try from one address, even with the right code")
    check(r["error"].get("retry_after_s", 0) > 0, "says how long to wait: %s" % short(r))
    _, r = await join(server, made["code"])
    expect_ok(r, "another address is not affected")
    status, text = server.http_get("/metrics")
    limited = re.search(r"^samvaer_invite_codes_rate_limited_total (\d+)$", text, re.M)
    refused = re.search(r"^samvaer_invite_codes_refused_total (\d+)$", text, re.M)
    check(limited and int(limited.group(1)) >= 1 and refused and int(refused.group(1)) >= 10,
          "/metrics counts refused and rate-limited codes: %s %s" % (limited and limited.group(0), refused and refused.group(0)))


async def out_of_scope(server):
    case_id, _ = await demo_ids(server)
    f = family(server)
    await server.settle()
    other_carer = await token(server, f["carer"])
    await invite(server, other_carer, case_id, 404, "not_found")
    for user in ("andrei", "sofie", "mia"):
        await invite(server, await token(server, user), case_id, 403, "forbidden")
    made = await invite(server, await token(server, "elena"), case_id, invitee_name="Scope", relationship="Aunt")
    await expect_api(server, "POST", "/api/invitations/%d/revoke" % made["invitation"]["id"], other_carer, {}, 404,
                     "not_found", "revoke from another case")
    await expect_api(server, "GET", "/api/cases/%d/invitations" % case_id, other_carer, None, 404, "not_found",
                     "list from another case")
    # the other family's own carer may invite for their own child
    own = (await case_of(server, await token(server, f["caseworker"]), f["child_id"]))["id"]
    await invite(server, other_carer, own)
    await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, await token(server, "ana"),
                     {"relationship": "Aunt"}, 400, "bad_request", "no invitee_name")
    await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, await token(server, "ana"),
                     {"invitee_name": "A", "relationship": "B", "terms": {"channels": {"text": "sometimes"}}}, 400,
                     "bad_request", "bad terms")


async def linked_accounts(server):
    case_id, _ = await demo_ids(server)
    elena = await token(server, "elena")
    # ioana (a contact without an agreement with mia) links her own account
    made = await invite(server, elena, case_id, invitee_name="Ioana", relationship="Godmother")
    ioana = await server.login("ioana")
    res = expect_ok(await ioana.request("invite.accept", code=made["code"]), "ioana links her account")
    check_eq((res["status"], res["account"]["username"]), ("pending", "ioana"), "linked, pending")
    contacts = expect_ok(await ioana.request("contacts.list"), "ioana's contacts")["contacts"]
    check(res["agreement_id"] in [c["agreement_id"] for c in contacts], "the new agreement is hers")
    # andrei already has an agreement with mia
    made = await invite(server, elena, case_id, invitee_name="Andrei", relationship="Dad again")
    andrei = await server.login("andrei")
    expect_error(await andrei.request("invite.accept", code=made["code"]), "invite_conflict", "already connected")
    # a carer's account cannot take an invitation
    elena_ws = await server.login("elena")
    expect_error(await elena_ws.request("invite.accept", code=made["code"]), "invite_wrong_account", "carer")
    # a taken username leaves the code usable; a short password is refused before anything
    _, r = await join(server, made["code"], username="andrei")
    expect_error(r, "username_taken", "taken username")
    _, r = await join(server, made["code"], password="short")
    expect_error(r, "bad_request", "short password")
    _, r = await join(server, made["code"], name="   ")
    expect_error(r, "bad_request", "a blank name")
    _, r = await join(server, made["code"])
    expect_ok(r, "then a free username works")
    c = await server.connect()
    expect_error(await c.request("invite.open", code="K7QM-4XPD-9HT0"), "invite_unknown", "a look-alike 0")
    expect_error(await c.request("invite.open", code="ABC"), "invite_unknown", "too short")


async def accept_race(server):
    """Two people accept the same code at the same moment: one account joins, the other is told it was used."""
    case_id, _ = await demo_ids(server)
    made = await invite(server, await token(server, "elena"), case_id, invitee_name="Race", relationship="Aunt")
    a, b = await server.connect(), await server.connect()
    ua, ub = new_user(), new_user()
    ra, rb = await asyncio.gather(
        a.request("invite.accept", code=made["code"], username=ua, display_name="A", password="race-pw-123"),
        b.request("invite.accept", code=made["code"], username=ub, display_name="B", password="race-pw-123"))
    oks = [r for r in (ra, rb) if r.get("ok")]
    check_eq(len(oks), 1, "exactly one accept wins: %s / %s" % (short(ra), short(rb)))
    expect_error(rb if ra.get("ok") else ra, "invite_used", "the other is refused")
    loser = ub if ra.get("ok") else ua
    c = await server.connect()
    expect_error(await c.request("auth.login", username=loser, password="race-pw-123"), "bad_credentials",
                 "the refused accept left no account behind")


async def own_approval_not_enough(server):
    """With `approvals = caseworker`, a caseworker's invitation is not approved by her own invitation: she approves
    after seeing who joined."""
    case_id, _ = await demo_ids(server)
    ana = await token(server, "ana")
    made = await invite(server, ana, case_id, invitee_name="Solo", relationship="Cousin")
    maria, r = await join(server, made["code"])
    aid = expect_ok(r, "accept")["agreement_id"]
    ag = await expect_api(server, "GET", "/api/agreements/%d" % aid, ana)
    check_eq(ag["status"], "pending", "still pending")
    prop = [p for p in ag["proposals"] if p["status"] == "pending"]
    check(len(prop) == 1 and prop[0]["approvals"] == [] and prop[0]["needs"] == ["caseworker"],
          "no approval recorded yet, the caseworker's needed: %s" % short(ag["proposals"]))
    inbox = await expect_api(server, "GET", "/api/approvals", ana)
    check(aid in [x["agreement_id"] for x in inbox], "in ana's inbox: %s" % short(inbox))
    await expect_api(server, "POST", "/api/proposals/%d/approve" % prop[0]["id"], ana, {}, 200, what="approve")
    await maria.next_event_where("contact", lambda d: d.get("agreement_id") == aid and d.get("status") == "active",
                                 timeout=2)


async def cli(server):
    r = server.admin("invite", "create", "mia", "--as", "elena", "--name", "Chiara", "--relationship", "Aunt",
                     "--expires-in", "3600", "--url", "https://samvaer.example/")
    lines = dict(line.split(": ", 1) for line in r.stdout.strip().splitlines() if ": " in line)
    check(CODE_RE.match(lines.get("code", "")), "invite create prints the code: %r" % r.stdout)
    check_eq(lines.get("link"), "https://samvaer.example/#join=" + lines["code"], "and the link")
    inv_id = int(lines["invitation"])
    out = server.admin("invite", "list", "mia").stdout
    check(re.search(r"^%d\s+open\s+.*Chiara" % inv_id, out, re.M), "invite list shows it open: %r" % out)
    r = server.admin("invite", "create", "mia", "--as", "andrei", "--name", "X", "--relationship", "Y", ok=False)
    check(r.returncode != 0 and "andrei" in r.stderr, "only a carer or caseworker of the case: %r" % r.stderr)
    server.admin("invite", "revoke", str(inv_id))
    out = server.admin("invite", "list", "mia").stdout
    check(re.search(r"^%d\s+revoked\s" % inv_id, out, re.M), "revoked: %r" % out)
    await server.settle()
    c = await server.connect()
    expect_error(await c.request("invite.open", code=lines["code"]), "invite_revoked", "revoked with the CLI")
    r = server.admin("invite", "create", "mia", "--as", "elena", "--name", "Q", "--relationship", "Aunt",
                     "--qr", "-")
    check("<svg" in r.stdout, "--qr - prints the SVG")


async def with_device(server):
    """Joining on a phone without a password: the phone gets a device credential and signs in with it from then on."""
    case_id, _ = await demo_ids(server)
    elena = await token(server, "elena")
    made = await invite(server, elena, case_id, invitee_name="Bunica", relationship="Grandmother")
    user = new_user()
    phone = await server.connect()
    base = dict(code=made["code"], username=user, display_name="Bunica Ileana", language="ro")
    expect_error(await phone.request("invite.accept", **base), "bad_request", "neither a password nor a device")
    expect_error(await phone.request("invite.accept", device_name="x" * 65, **base), "bad_request",
                 "a device name over 64 bytes")
    res = expect_ok(await phone.request("invite.accept", device_name="Ileana's phone", **base), "accept on a phone")
    check(re.match(r"^[0-9a-f]{64}$", res.get("credential") or ""), "a device credential: %s" % short(res))
    check(re.match(r"^[0-9a-f]{64}$", res.get("token") or ""), "and a session token, as auth.pair gives")
    check_eq((res["device"]["name"], res["account"]["username"], res["status"]), ("Ileana's phone", user, "pending"),
             "the device, the new account and a pending agreement")
    listed = expect_ok(await phone.request("device.list"), "her devices")
    check_eq(([d["id"] for d in listed["devices"]], listed["this_device"]), ([res["device"]["id"]], res["device"]["id"]),
             "this connection is that device")
    await phone.close()

    # the invitation is used; the phone signs in by itself on a new connection with its credential
    _, r2 = await join(server, made["code"])
    expect_error(r2, "invite_used", "the code is used")
    later = await server.connect()
    got = expect_ok(await later.request("auth.device", credential=res["credential"]), "auth.device afterwards")
    check_eq((got["account"]["username"], got["device"]["id"]), (user, res["device"]["id"]), "signed in as her phone")
    contacts = expect_ok(await later.request("contacts.list"), "her contacts")["contacts"]
    check_eq([(c["agreement_id"], c["status"]) for c in contacts], [(res["agreement_id"], "pending")],
             "her pending agreement, seen from the phone")

    # no password anyone knows: neither the credential nor the token logs in as a password
    for guess in (res["credential"], res["token"], "maria-pw-123"):
        c = await server.connect()
        expect_error(await c.request("auth.login", username=user, password=guess), "bad_credentials",
                     "a password login for a device-only account")

    # audited: the device added through the invitation, and the login on it
    rows = audit_rows(server, "--case", case_id)
    find(rows, "device added", lambda x: x["kind"] == "device" and x["detail"].get("action") == "added"
         and x["detail"].get("device_id") == res["device"]["id"] and x["detail"].get("via") == "invitation")
    find(rows, "used", lambda x: x["kind"] == "invitation" and x["detail"].get("action") == "used"
         and x["agreement"] == res["agreement_id"])
    find(audit_rows(server), "login on the device", lambda x: x["kind"] == "login" and x["detail"].get("username") == user
         and x["detail"].get("device_id") == res["device"]["id"] and x["detail"].get("via") == "invitation")


main([
    Case("life_cycle", life_cycle),
    Case("expiry", expiry),
    Case("revoke", revoke),
    Case("guessing_per_code", guessing_per_code),
    Case("guessing_per_address", guessing_per_address),
    Case("out_of_scope", out_of_scope),
    Case("linked_accounts", linked_accounts),
    Case("accept_race", accept_race),
    Case("with_device", with_device),
    Case("own_approval_not_enough", own_approval_not_enough, fresh=True, server_args=("--approvals", "caseworker")),
    Case("cli", cli),
])
