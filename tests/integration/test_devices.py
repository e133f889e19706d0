# test_devices.py: child devices paired instead of logged in, recovery without e-mail, case-insensitive usernames
# (proto/PROTOCOL.md "Paired devices", docs/ADMIN-API.md "Devices and recovery").
"""A carer makes a pairing code for the child, the child's tablet redeems it once for a device credential and signs
in with that credential (also after a server restart); codes expire, are revoked, lock after five wrong secrets and
are capped per address; people outside the case are refused exactly like missing ids; revoking a device ends its
live connection within one second; a carer or caseworker resets a password (audited, the old one refused, the
person told once at the next login); "MIA", "Mia" and fullwidth letters sign in as "mia"."""
import asyncio
import os
import re
import sqlite3
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, Client, DEMO_PASSWORD, Server, TestFailure, check, check_eq, expect_error, expect_ok,
                     main, next_source_addr, short)
from test_admin_api import api, expect_api, family, token

CODE_RE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-"
                     r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$")


async def ids(server):
    """Demo ids: mia's account and case, andrei's account (through the caseworker's caseload)."""
    tok = await token(server, "ana")
    cases = await expect_api(server, "GET", "/api/cases", tok, what="caseload")
    case = [c for c in cases if c["child"]["username"] == "mia"][0]
    people = await expect_api(server, "GET", "/api/cases/%d/devices" % case["id"], tok, what="people")
    by_name = {p["username"]: p for p in people["people"]}
    return {"case": case["id"], "mia": by_name["mia"]["account_id"], "andrei": by_name["andrei"]["account_id"]}


async def carer_code(server, for_id, **extra):
    """elena (mia's carer) makes a pairing code for account for_id from the family app."""
    c = await server.login("elena")
    res = await c.ok("pairing.create", account_id=for_id, **extra)
    await c.close()
    return res


async def pair(server, code, name="Mia's tablet", source=None):
    """A fresh, not logged-in device redeems code; returns (client, response)."""
    d = await Client.open(server, source=source)
    r = await d.request("auth.pair", code=code, device_name=name)
    return d, r


def db(server):
    return sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"), timeout=5)


async def audit_kinds(server, case_id, kind):
    tok = await token(server, "ana")
    res = await expect_api(server, "GET", "/api/audit?case=%d&limit=200" % case_id, tok, what="audit")
    return [e for e in res["entries"] if e["kind"] == kind]


# ---------------------------------------------------------------------------------------------------
# pairing


async def pairing_lifecycle(server):
    i = await ids(server)
    c = await server.login("elena")
    targets = (await c.ok("pairing.targets"))["people"]
    names = {p["username"] for p in targets}
    check({"mia", "andrei", "elena"} <= names, "elena may pair mia, andrei and herself: %s" % short(targets))
    res = await c.ok("pairing.create", account_id=i["mia"], app_url="http://127.0.0.1:%d/" % server.port)
    await c.close()
    code = res["code"]
    check(CODE_RE.match(code), "code in groups of four of the readable alphabet: %r" % code)
    check_eq(res["link"], "http://127.0.0.1:%d/#pair=%s" % (server.port, code), "pairing link")
    check(res["qr_svg"].startswith("<svg") and "<path" in res["qr_svg"], "QR as SVG: %s" % res["qr_svg"][:80])
    check(res["expires_at"] - int(time.time() * 1000) > 23 * 3600 * 1000, "a code lasts 24 h by default")
    # typed as a child would: lower case, spaces instead of dashes
    d, r = await pair(server, code.lower().replace("-", " "))
    got = expect_ok(r, "auth.pair")
    check_eq(got["account"]["username"], "mia", "the device signs in as mia")
    check(re.match(r"^[0-9a-f]{64}$", got.get("credential", "")), "a 256-bit credential: %r" % got.get("credential"))
    check(isinstance(got.get("token"), str) and got["expires_at"] > 0, "a session like auth.login's: %s" % short(got))
    check_eq(got["device"]["name"], "Mia's tablet", "device name")
    listed = await d.ok("device.list")
    check_eq([x["id"] for x in listed["devices"]], [got["device"]["id"]], "mia's devices")
    check_eq(listed["this_device"], got["device"]["id"], "this_device")
    check(listed["devices"][0]["last_seen_at"] > 0, "last seen set at pairing")
    await d.close()
    # used once: the same code again is refused, and says why (the holder typed it right)
    d2, r2 = await pair(server, code)
    expect_error(r2, "pairing_used", "the same code a second time")
    await d2.close()
    # the credential is stored only hashed
    with db(server) as conn:
        rows = conn.execute("SELECT credential_hash FROM devices").fetchall()
    check(all(bytes(h) != got["credential"].encode() and bytes(h).hex() != got["credential"] for (h,) in rows),
          "the credential itself is not in the database")
    kinds = [e["detail"].get("action") for e in await audit_kinds(server, i["case"], "pairing")]
    check("created" in kinds and "used" in kinds, "pairing created and used are audited: %s" % kinds)
    # the console sees the device with its name
    people = await expect_api(server, "GET", "/api/cases/%d/devices" % i["case"], await token(server, "ana"))
    mia = [p for p in people["people"] if p["username"] == "mia"][0]
    check(any(x["name"] == "Mia's tablet" for x in mia["devices"]), "the case's devices list: %s" % short(mia))


async def pairing_expiry_and_revoke(server):
    i = await ids(server)
    res = await carer_code(server, i["mia"])
    with db(server) as conn:
        conn.execute("UPDATE pairings SET expires_at = 1 WHERE id = ?", (res["pairing_id"],))
    d, r = await pair(server, res["code"])
    expect_error(r, "pairing_expired", "an expired code")
    # revoked through the admin API before use: refused as not valid
    tok = await token(server, "ana")
    res = await expect_api(server, "POST", "/api/cases/%d/accounts/%d/pairings" % (i["case"], i["mia"]), tok, {},
                           status=201, what="caseworker's code")
    check(CODE_RE.match(res["code"]) and res["qr_svg"].startswith("<svg"), "API code and QR: %s" % short(res))
    await expect_api(server, "POST", "/api/cases/%d/pairings/%d/revoke" % (i["case"], res["pairing_id"]), tok, {},
                     what="revoke code")
    await expect_api(server, "POST", "/api/cases/%d/pairings/%d/revoke" % (i["case"], res["pairing_id"]), tok, {},
                     status=409, code="conflict", what="revoke twice")
    d, r = await pair(server, res["code"])
    expect_error(r, "pairing_invalid", "a revoked code")
    kinds = [e["detail"].get("action") for e in await audit_kinds(server, i["case"], "pairing")]
    check("revoked" in kinds, "revoking a code is audited: %s" % kinds)


async def pairing_guessing_capped(server):
    i = await ids(server)
    res = await carer_code(server, i["mia"])
    code = res["code"]
    lookup, secret = code[:4], code[5:].replace("-", "")
    wrong = "".join("2" if ch != "2" else "3" for ch in secret)
    # five wrong secrets for this code, each from another address, lock it
    for n in range(5):
        d, r = await pair(server, "%s-%s-%s" % (lookup, wrong[:4], wrong[4:]))
        expect_error(r, "pairing_invalid", "wrong secret %d" % (n + 1))
        await d.close()
    d, r = await pair(server, code)
    expect_error(r, "pairing_invalid", "the right code after five wrong ones (locked)")
    await d.close()
    with db(server) as conn:
        state, tries = conn.execute("SELECT state, failed_tries FROM pairings WHERE id=?",
                                    (res["pairing_id"],)).fetchone()
    check_eq((state, tries), ("locked", 5), "the code is locked after five wrong tries")
    kinds = [e["detail"].get("action") for e in await audit_kinds(server, i["case"], "pairing")]
    check(kinds.count("failed") >= 4 and "locked" in kinds, "failed tries are audited: %s" % kinds)
    # one address: ten tries per ten minutes, then rate_limited, even with the right code
    res = await carer_code(server, i["mia"])
    src = next_source_addr()
    for n in range(10):
        d, r = await pair(server, "ZZZZ-ZZZZ-ZZZ%d" % (n % 8 + 2), source=src)
        expect_error(r, "pairing_invalid", "guess %d from one address" % (n + 1))
        await d.close()
    d, r = await pair(server, res["code"], source=src)
    err = expect_error(r, "rate_limited", "the eleventh try from one address")
    check(r["error"].get("retry_after_s", 0) > 0 or err, "retry_after_s given")
    await d.close()
    d, r = await pair(server, res["code"])
    expect_ok(r, "the same code from another address still works")


async def out_of_scope_refused(server):
    i = await ids(server)
    f = family(server)
    await server.settle()
    other_carer = await server.login(f["carer"])
    r = await other_carer.request("pairing.create", account_id=i["mia"])
    expect_error(r, "not_found", "another family's carer pairing mia")
    targets = {p["username"] for p in (await other_carer.ok("pairing.targets"))["people"]}
    check("mia" not in targets and f["child"] in targets, "another carer's targets: %s" % targets)
    r = await other_carer.request("device.list", account_id=i["mia"])
    expect_error(r, "not_found", "another family's carer listing mia's devices")
    contact = await server.login("andrei")
    expect_error(await contact.request("pairing.create", account_id=i["mia"]), "not_found", "a contact pairing mia")
    self_code = await contact.ok("pairing.create")
    check(CODE_RE.match(self_code["code"]), "an adult pairs their own phone: %s" % short(self_code))
    child = await server.login("mia")
    expect_error(await child.request("pairing.create"), "forbidden", "a child making a code for itself")
    # the admin API: another caseworker is refused like a missing case
    tok = await token(server, f["caseworker"])
    for method, path in (("GET", "/api/cases/%d/devices" % i["case"]),
                         ("POST", "/api/cases/%d/accounts/%d/pairings" % (i["case"], i["mia"])),
                         ("POST", "/api/cases/%d/accounts/%d/password" % (i["case"], i["andrei"]))):
        await expect_api(server, method, path, tok, {} if method == "POST" else None, status=404, code="not_found",
                         what="another caseworker")
    # their own case does not reach mia either
    own_case = [c for c in await expect_api(server, "GET", "/api/cases", tok) if c["child"]["username"] == f["child"]]
    await expect_api(server, "POST", "/api/cases/%d/accounts/%d/pairings" % (own_case[0]["id"], i["mia"]), tok, {},
                     status=404, code="not_found", what="mia through another case")
    # a contact has no API access to this at all
    await expect_api(server, "GET", "/api/cases/%d/devices" % i["case"], await token(server, "andrei"),
                     status=403, code="forbidden", what="contact")


# ---------------------------------------------------------------------------------------------------
# device sign-in and revocation


async def device_signin_survives_restart(server):
    server = Server()
    try:
        server.start()
        i = await ids(server)
        d, r = await pair(server, (await carer_code(server, i["mia"]))["code"])
        cred = expect_ok(r, "pairing")["credential"]
        await d.close()
        check_eq(server.stop(), None, "clean stop")
        time.sleep(1.1)  # last_seen_at must move
        server.start(seed=False)
        d = await Client.open(server)
        got = expect_ok(await d.request("auth.device", credential=cred), "auth.device after a restart")
        check_eq(got["account"]["username"], "mia", "signed in as mia")
        check(isinstance(got.get("token"), str) and "credential" not in got, "a session, no new credential")
        res = await d.ok("contacts.list")
        check(isinstance(res, dict), "the device session serves requests")
        listed = await d.ok("device.list")
        check_eq(listed["this_device"], got["device"]["id"], "this_device")
        check(listed["devices"][0]["last_seen_at"] > r["result"]["device"]["last_seen_at"], "last seen moved")
        # the session token works like any other (auth.resume), and a wrong credential does not
        d2 = await Client.open(server)
        expect_ok(await d2.request("auth.resume", token=got["token"]), "resume a device session")
        d3 = await Client.open(server)
        expect_error(await d3.request("auth.device", credential="0" * 64), "device_invalid", "unknown credential")
    finally:
        for c in list(Client.live):
            await c.close()
        server.stop()
        server.cleanup()


async def timed_close(client):
    t0 = time.monotonic()
    code, reason = await client.wait_closed(3)
    return code, reason, t0


async def revoke_ends_live_session(server):
    i = await ids(server)
    tok = await token(server, "ana")
    for how in ("api", "ws", "cli"):
        d, r = await pair(server, (await carer_code(server, i["mia"]))["code"], name="tablet " + how)
        got = expect_ok(r, "pairing for " + how)
        dev = got["device"]["id"]
        live = await Client.open(server)
        expect_ok(await live.request("auth.device", credential=got["credential"]), "device signed in")
        t0 = time.monotonic()
        if how == "api":
            await expect_api(server, "POST", "/api/cases/%d/devices/%d/revoke" % (i["case"], dev), tok, {},
                             what="revoke device")
        elif how == "ws":
            carer = await server.login("elena")
            await carer.ok("device.revoke", device_id=dev)
        else:
            await server.admin_async("device", "revoke", dev, "--as", "elena")
        done = time.monotonic()
        code, reason = await live.wait_closed(3)
        closed = time.monotonic()
        check_eq(code, 1008, "the revoked device's connection closed (%s)" % how)
        check_eq((await d.wait_closed(1))[0], 1008, "its pairing connection closed too (%s)" % how)
        # measured from the moment the revocation was acknowledged (for the CLI: the command's exit)
        check(closed - done < 1.0, "closed %.3f s after the revocation (%s), want < 1 s" % (closed - done, how))
        print("  revocation via %s: connection closed %.0f ms after it was acknowledged (%.0f ms after the "
              "request)" % (how, (closed - done) * 1000, (closed - t0) * 1000))
        again = await Client.open(server)
        expect_error(await again.request("auth.device", credential=got["credential"]), "device_invalid",
                     "the revoked credential (%s)" % how)
    kinds = [e["detail"].get("via") for e in await audit_kinds(server, i["case"], "device")]
    check({"api", "ws", "cli"} <= set(kinds), "each revocation audited: %s" % kinds)


# ---------------------------------------------------------------------------------------------------
# usernames and recovery


async def case_insensitive_login(server):
    for typed in ("MIA", "Mia", "\uff2d\uff29\uff21", "\uff4d\uff49\uff41"):  # fullwidth MIA, mia
        c = await server.login(typed, password=DEMO_PASSWORD)
        check_eq(c.account["username"], "mia", "%r signs in as mia" % typed)
        await c.close()
    c = await Client.open(server)
    expect_error(await c.request("auth.login", username="MIA", password="wrong-password"), "bad_credentials",
                 "a wrong password is still wrong")
    # NFKC: the ligature "ﬁ" is "fi"; a new name that folds like an existing one is taken
    server.add_account("contact", username="Fiona")
    c = await server.login("\ufb01ona")
    check_eq(c.account["username"], "Fiona", "the ligature signs in as Fiona (stored as typed)")
    r = server.admin("account", "add", "FIONA", "--role", "contact", "--name", "X", "--password-file", "-",
                     stdin="integration-pw-1\n", ok=False)
    check(r.returncode != 0 and "taken" in r.stderr, "FIONA is taken by Fiona: %r" % r.stderr)


async def upgrade_fills_keys(server):
    """Rows from before schema 4 have no username_key: the server fills them at start; a clash does not stop it."""
    server = Server()
    try:
        server.start()
        check_eq(server.stop(), None, "clean stop")
        with db(server) as conn:
            conn.execute("UPDATE accounts SET username_key = NULL")
            conn.execute("INSERT INTO accounts(username, display_name, role, password_hash, created_at)"
                         " SELECT 'MIA', 'Another Mia', 'contact', password_hash, 0 FROM accounts"
                         " WHERE username='mia'")
        server.start(seed=False)
        check("CLASH" in server.log_text(), "the clash is logged loudly:\n%s" % server.log_tail())
        for typed, want in (("Mia", "mia"), ("mia", "mia"), ("\uff4d\uff49\uff41", "mia"), ("MIA", "MIA"),
                            ("Andrei", "andrei")):
            c = await server.login(typed, password=DEMO_PASSWORD)
            check_eq(c.account["username"], want, "%r after the upgrade" % typed)
            await c.close()
        with db(server) as conn:
            missing = conn.execute("SELECT COUNT(*) FROM accounts WHERE username_key IS NULL").fetchone()[0]
        check_eq(missing, 0, "every account has a key")
    finally:
        for c in list(Client.live):
            await c.close()
        server.stop()
        server.cleanup()


async def password_reset(server):
    i = await ids(server)
    tok = await token(server, "ana")
    andrei = await server.login("andrei")
    res = await expect_api(server, "POST", "/api/cases/%d/accounts/%d/password" % (i["case"], i["andrei"]), tok, {},
                           what="reset andrei's password")
    temp = res.get("temporary_password", "")
    check(re.match(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$", temp), "a readable temporary password: %r" % temp)
    code, _ = await andrei.wait_closed(1.5)
    check_eq(code, 1008, "andrei's password session ended with the reset")
    c = await Client.open(server)
    expect_error(await c.request("auth.login", username="andrei", password=DEMO_PASSWORD), "bad_credentials",
                 "the old password after the reset")
    c = await Client.open(server)
    r = expect_ok(await c.request("auth.login", username="Andrei", password=temp), "the temporary password")
    check_eq(r.get("notice", {}).get("kind"), "password_reset", "told at the next login: %s" % short(r))
    c2 = await Client.open(server)
    r2 = expect_ok(await c2.request("auth.login", username="andrei", password=temp), "second login")
    check("notice" not in r2, "the notice is shown once: %s" % short(r2))
    entries = await audit_kinds(server, i["case"], "password_reset")
    check(any(e["detail"].get("username") == "andrei" and e["detail"].get("temporary") is True for e in entries),
          "the reset is audited: %s" % short(entries))
    check(not any(temp in str(e) for e in entries), "the audit entry holds no password")


async def password_reset_notice(server):
    i = await ids(server)
    server.admin("password", "reset", "andrei", "--as", "elena", "--password-file", "-", stdin="new-andrei-pw\n")
    await server.settle()
    c = await Client.open(server)
    r = expect_ok(await c.request("auth.login", username="andrei", password="new-andrei-pw"), "the new password")
    check_eq(r.get("notice", {}).get("kind"), "password_reset", "told at the next login: %s" % short(r))
    check(r["notice"]["at"] > 0, "when it was reset")
    c2 = await Client.open(server)
    r2 = expect_ok(await c2.request("auth.login", username="andrei", password="new-andrei-pw"), "again")
    check("notice" not in r2, "then the notice is gone: %s" % short(r2))
    # a child's paired tablet keeps working through a password reset of the child
    d, pr = await pair(server, (await carer_code(server, i["mia"]))["code"])
    cred = expect_ok(pr, "pairing")["credential"]
    await expect_api(server, "POST", "/api/cases/%d/accounts/%d/password" % (i["case"], i["mia"]),
                     await token(server, "ana"), {"password": "mias-new-password"}, what="set mia's password")
    await asyncio.sleep(0.5)
    check(not d.closed.done(), "the device session survives the password reset")
    again = await Client.open(server)
    expect_ok(await again.request("auth.device", credential=cred), "the credential after the reset")
    # a carer outside the scope of a reset: another family's carer through the CLI
    f = family(server)
    r = server.admin("password", "reset", "andrei", "--as", f["carer"], ok=False)
    check(r.returncode != 0, "another family's carer cannot reset andrei: %r" % r.stdout)


CASES = [
    Case("pairing_lifecycle_create_use_once_reuse_refused", pairing_lifecycle),
    Case("pairing_expiry_and_revoke", pairing_expiry_and_revoke),
    Case("pairing_guessing_capped_per_code_and_address", pairing_guessing_capped),
    Case("out_of_scope_refused", out_of_scope_refused),
    Case("device_signin_survives_restart", device_signin_survives_restart, own_servers=True),
    Case("revoke_ends_live_session_within_1s", revoke_ends_live_session),
    Case("case_insensitive_and_nfkc_login", case_insensitive_login),
    Case("upgrade_fills_username_keys_clash_safe", upgrade_fills_keys, own_servers=True),
    Case("password_reset_by_caseworker", password_reset),
    Case("password_reset_notice_once", password_reset_notice),
]

if __name__ == "__main__":
    main(CASES)
