# test_auth.py: login, resume, logout (ending every connection of the token), rate limits as an attacker meets them,
# auth timeout and disabled accounts (PROTOCOL.md §1, §3, §4).
import asyncio
import json
import re
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (Case, Server, RawWs, check, check_eq, expect_error, expect_ok, main, now_ms,
                     DEMO_PASSWORD, TEST_PASSWORD, TestFailure)

WEEK_MS = 7 * 24 * 3600 * 1000


async def login_ok(server):
    c = await server.connect()
    t0 = now_ms()
    res = expect_ok(await c.request("auth.login", username="mia", password=DEMO_PASSWORD), "login mia")
    tok = res.get("token")
    check(isinstance(tok, str) and re.fullmatch(r"[0-9a-f]{64}", tok) is not None,
          "token must be 64 lower-case hex chars (§4 auth.login), got %r" % tok)
    exp = res.get("expires_at")
    check(isinstance(exp, int) and abs(exp - (t0 + WEEK_MS)) < 120000,
          "expires_at should be about now + 7 days in ms (§4), got %r (now %d)" % (exp, t0))
    acct = res.get("account")
    check(isinstance(acct, dict), "result.account missing: %r" % res)
    for k, t in (("id", int), ("username", str), ("display_name", str), ("role", str), ("initials", str)):
        check(isinstance(acct.get(k), t), "account.%s should be %s: %r" % (k, t.__name__, acct))
    check_eq(acct["username"], "mia", "account.username")
    check_eq(acct["role"], "child", "account.role")
    check_eq(acct["display_name"], "Mia", "account.display_name")
    check_eq(acct["initials"], "M", "account.initials")
    expect_ok(await c.request("ping"), "ping after login")
    await c.close()


async def bad_password_and_unknown_user(server):
    c = await server.connect()
    e1 = expect_error(await c.request("auth.login", username="andrei", password="wrong-password"),
                      "bad_credentials", "wrong password")
    e2 = expect_error(await c.request("auth.login", username="nosuchuser", password="wrong-password"),
                      "bad_credentials", "unknown user")
    check_eq(e2.get("message"), e1.get("message"),
             "message for unknown user vs wrong password (§3: 'the two are not distinguished')")
    # the connection stays usable and unauthenticated
    expect_error(await c.request("contacts.list"), "unauthenticated", "contacts.list after failed login")
    expect_ok(await c.request("auth.login", username="andrei", password=DEMO_PASSWORD), "login after failure")
    await c.close()


async def resume_with_token(server):
    c1 = await server.login("andrei")
    me = c1.account
    await c1.close()
    c2 = await server.connect()
    res = expect_ok(await c2.request("auth.resume", token=c1.token), "auth.resume")
    check_eq(res.get("account"), me, "account returned by resume")
    check(isinstance(res.get("expires_at"), int) and res["expires_at"] > now_ms(),
          "resume expires_at should be a future ms time: %r" % res)
    check("token" not in res, "auth.resume must not issue a new token (§4 'no new token'): %r" % res)
    expect_ok(await c2.request("contacts.list"), "contacts.list after resume")
    await c2.close()


async def garbage_token(server):
    c = await server.connect()
    for tok in ("0" * 64, "deadbeef", "zz" * 32, "x"):
        expect_error(await c.request("auth.resume", token=tok), "token_invalid", "resume with %r" % tok)
    expect_error(await c.request("auth.resume", token=42), "bad_request", "resume with integer token")
    expect_error(await c.request("contacts.list"), "unauthenticated", "still unauthenticated")
    await c.close()


async def logout(server):
    c = await server.login("mia")
    res = expect_ok(await c.request("auth.logout"), "auth.logout")
    check_eq(res, {}, "auth.logout result")
    code, reason = await c.wait_closed(3)
    check_eq(code, 1000, "close code after auth.logout (§1)")
    c2 = await server.connect()
    expect_error(await c2.request("auth.resume", token=c.token), "token_invalid", "resume after logout")
    await c2.close()


async def logout_only_that_token(server):
    # §4: logout deletes *the* session token; another session of the same account goes on
    a = await server.login("andrei")
    b = await server.login("andrei")
    check(a.token != b.token, "two logins should give two tokens")
    expect_ok(await a.request("auth.logout"), "logout of session a")
    await a.wait_closed(3)
    expect_ok(await b.request("contacts.list"), "session b after a logged out")
    c = await server.connect()
    expect_ok(await c.request("auth.resume", token=b.token), "resume with b's token after a logged out")
    await c.close()
    await b.close()


async def logout_ends_that_tokens_connections(server):
    # §4 auth.logout: every connection that authenticated with the token ends within a second (1008
    # session_ended); connections with other tokens of the same account go on
    a = await server.login("andrei")
    same = []
    for _ in range(2):
        c = await server.connect()
        expect_ok(await c.request("auth.resume", token=a.token), "resume with a's token")
        same.append(c)
    other = await server.login("andrei")
    expect_ok(await a.request("auth.logout"), "auth.logout")
    t0 = time.monotonic()
    check_eq(await a.wait_closed(2), (1000, "logout"), "the connection that logged out")
    for i, c in enumerate(same):
        code, reason = await c.wait_closed(max(0.05, t0 + 1.0 - time.monotonic()))
        check_eq((code, reason), (1008, "session_ended"),
                 "connection %d that resumed the logged-out token, within 1 s of the logout" % (i + 1))
    expect_ok(await other.request("contacts.list"), "a session of the same account with another token")
    await other.close()


async def before_auth(server):
    c = await server.connect()
    res = expect_ok(await c.request("ping"), "ping before auth (§4: allowed)")
    check(isinstance(res.get("now"), int) and abs(res["now"] - now_ms()) < 5000,
          "ping.now should be the server time in ms: %r" % res)
    calls = [("contacts.list", {}),
             ("msg.send", {"agreement_id": 1, "text": "hi", "client_key": "k1"}),
             ("msg.history", {"agreement_id": 1}),
             ("msg.receipt", {"agreement_id": 1, "kind": "read", "seq": 1}),
             ("auth.logout", {})]
    for t, p in calls:
        expect_error(await c.request(t, **p), "unauthenticated", "%s before auth" % t)
    await c.close()


async def already_authenticated(server):
    c = await server.login("andrei")
    expect_error(await c.request("auth.login", username="andrei", password=DEMO_PASSWORD),
                 "already_authenticated", "second auth.login")
    expect_error(await c.request("auth.login", username="mia", password=DEMO_PASSWORD),
                 "already_authenticated", "auth.login as someone else")
    expect_error(await c.request("auth.resume", token=c.token), "already_authenticated", "auth.resume")
    # still the same account
    expect_ok(await c.request("contacts.list"), "contacts.list after refused re-auth")
    await c.close()


async def rate_limit_username(server):
    # §4: 5 failed logins per (username, address) in 10 minutes; then that address is refused for that name,
    # even with the right password (otherwise the limit would not stop guessing)
    user, _ = server.add_account("contact")
    stranger = "127.0.2.10"
    c = await server.connect(source=stranger)
    for i in range(5):
        expect_error(await c.request("auth.login", username=user, password="wrong-%d" % i),
                     "bad_credentials", "failed attempt %d of 5" % (i + 1))
    err = expect_error(await c.request("auth.login", username=user, password="wrong-6"),
                       "rate_limited", "6th failed attempt from one address within 10 minutes (§4)")
    ra = err.get("retry_after_s")
    check(isinstance(ra, int) and 0 < ra <= 600, "retry_after_s should be an integer in 1..600, got %r" % ra)
    expect_error(await c.request("auth.login", username=user, password=TEST_PASSWORD),
                 "rate_limited", "correct password from the limited address")
    await c.close()
    # other usernames are not affected, from that address either
    c = await server.login("ioana", source=stranger)
    await c.close()


async def stranger_cannot_lock_out(server):
    # §4: a stranger guessing a child's or parent's password from one address does not lock the owner out: the
    # owner, at another address, logs in at once
    child, _ = server.add_account("child")
    stranger = "127.0.2.11"
    c = await server.connect(source=stranger)
    for i in range(6):
        await c.request("auth.login", username=child, password="guess-%d" % i)
    expect_error(await c.request("auth.login", username=child, password="guess-x"), "rate_limited",
                 "the stranger's address after 5 failures")
    await c.close()
    owner = await server.login(child, source="127.0.2.12")
    expect_ok(await owner.request("contacts.list"), "the owner's session")
    await owner.close()


async def unknown_username_limited_like_known(server):
    # §4: the limits do not tell which usernames exist: a name nobody has is counted and answered exactly like
    # an existing one (same codes, same retry_after_s)
    known, _ = server.add_account("contact")
    unknown = "nobody-%s" % known
    seqs = {}
    for name, src in ((known, "127.0.2.13"), (unknown, "127.0.2.14")):
        c = await server.connect(source=src)
        got = []
        for i in range(7):
            r = await c.request("auth.login", username=name, password="wrong-%d" % i)
            err = r.get("error") or {}
            got.append((err.get("code"), err.get("retry_after_s")))
        seqs[name] = got
        await c.close()
    check_eq(seqs[known][:5], [("bad_credentials", None)] * 5, "5 failures of an existing name")
    check_eq(seqs[known][5][0], "rate_limited", "6th attempt for an existing name")
    check_eq([code for code, _ in seqs[unknown]], [code for code, _ in seqs[known]],
             "answers for a name nobody has, against those for an existing one")
    for (_, ra_unknown), (_, ra_known) in zip(seqs[unknown], seqs[known]):
        # the same window, started a few seconds apart: the same retry_after_s give or take that
        check((ra_unknown is None) == (ra_known is None) and (ra_known is None or abs(ra_unknown - ra_known) <= 5),
              "retry_after_s for a name nobody has %r, for an existing one %r" % (ra_unknown, ra_known))


async def username_backoff(server):
    # §4: failures of one username from many addresses: past 10 in 10 minutes each attempt waits 1 s, then 2 s,
    # 4 s ... (at most 60 s) after the previous one, from any address; the owner still gets in once it has waited
    user, _ = server.add_account("contact")
    for src in ("127.0.2.20", "127.0.2.21"):
        c = await server.connect(source=src)
        for i in range(5):
            expect_error(await c.request("auth.login", username=user, password="wrong-%d" % i),
                         "bad_credentials", "failure %d from %s" % (i + 1, src))
        await c.close()
    c = await server.connect(source="127.0.2.22")
    err = expect_error(await c.request("auth.login", username=user, password=TEST_PASSWORD), "rate_limited",
                       "11th attempt for the name, from a third address")
    check_eq(err.get("retry_after_s"), 1, "retry_after_s of the first backoff step")
    await asyncio.sleep(1.1)
    expect_error(await c.request("auth.login", username=user, password="wrong-11"), "bad_credentials",
                 "an attempt once the first backoff step has passed")
    d = await server.connect(source="127.0.2.23")
    err = expect_error(await d.request("auth.login", username=user, password=TEST_PASSWORD), "rate_limited",
                       "the next attempt, from a fourth address")
    check_eq(err.get("retry_after_s"), 2, "retry_after_s of the second backoff step (doubled)")
    await asyncio.sleep(2.1)
    res = expect_ok(await d.request("auth.login", username=user, password=TEST_PASSWORD),
                    "the owner, after waiting retry_after_s")
    check(isinstance(res.get("token"), str), "a token")
    await c.close()
    await d.close()


async def rate_limit_address(server):
    # §4: 30 attempts per client address per minute. Unknown usernames with bad passwords are failed
    # attempts under any reading, and each username fails only once.
    src = "127.0.1.77"
    got = []
    c = None
    for i in range(31):
        if i % 8 == 0:
            if c:
                await c.close()
            c = await server.connect(source=src)
        r = await c.request("auth.login", username="ghost%d" % i, password="nope", timeout=10)
        got.append(r.get("error", {}).get("code"))
    await c.close()
    for i in range(30):
        check_eq(got[i], "bad_credentials", "attempt %d from one address" % (i + 1))
    check_eq(got[30], "rate_limited", "31st attempt from one address within a minute")
    # another address is fine
    c = await server.login("ioana", source="127.0.1.78")
    await c.close()


async def rate_limit_address_resume(server):
    # §4 auth.resume: rate_limited under the same address limit as login (30 attempts per minute)
    src = "127.0.1.79"
    got = []
    c = None
    for i in range(31):
        if i % 10 == 0:
            if c:
                await c.close()
            c = await server.connect(source=src)
        r = await c.request("auth.resume", token="%064x" % (i + 1), timeout=10)
        got.append(r.get("error", {}).get("code"))
    await c.close()
    check_eq(got[:30], ["token_invalid"] * 30, "30 resumes with unknown tokens from one address")
    check_eq(got[30], "rate_limited", "31st resume from one address within a minute")


async def nul_in_username(server):
    # RFC 8259 allows \u0000 in strings. A C server must not cut 'mia\u0000x' to 'mia'. Expected reading:
    # refused as bad_request with the request's id (malformed_json would be wrong: it *is* a JSON object).
    c = await server.connect()
    for params, what in (({"username": "mia\u0000x", "password": DEMO_PASSWORD}, "username 'mia\\u0000x'"),
                         ({"username": "mia", "password": DEMO_PASSWORD + "\u0000x"}, "password + '\\u0000x'")):
        r = await c.request_or_null("auth.login", **params)
        check(r.get("ok") is False, "login with %s must fail: %s" % (what, json.dumps(r)[:300]))
        check(r.get("id") is not None and r["error"].get("code") in ("bad_credentials", "bad_request"),
              "login with %s: expected bad_credentials/bad_request with the request id (§2, §3), got %s"
              % (what, json.dumps(r)[:300]))
    await c.close()


async def auth_timeout(server):
    c = await server.connect()
    t0 = time.monotonic()
    # ping is allowed before auth, but does not extend the 10 s deadline
    for _ in range(4):
        expect_ok(await c.request("ping"), "ping while unauthenticated")
        await asyncio.sleep(2)
    code, reason = await c.wait_closed(8)
    dt = time.monotonic() - t0
    check(code is not None, "unauthenticated socket still open after %.1fs (§1: 10 s)" % dt)
    check_eq(code, 1008, "close code for an unauthenticated socket (§1)")
    check_eq(reason, "auth_timeout", "close reason (§1)")
    check(9.0 <= dt <= 12.5, "closed after %.1fs, expected ~10 s" % dt)


async def auth_timeout_not_after_login(server):
    c = await server.connect()
    await asyncio.sleep(6)
    expect_ok(await c.request("auth.login", username="andrei", password=DEMO_PASSWORD), "login at 6 s")
    code, _ = await c.wait_closed(6)
    check(code is None, "an authenticated socket was closed with %s after the auth deadline" % code)
    expect_ok(await c.request("ping"), "ping at 12 s")
    await c.close()


async def auth_timeouts(server):
    # both run at once to keep the file short
    await asyncio.gather(auth_timeout(server), auth_timeout_not_after_login(server))


async def disabled_account(server):
    user, _ = server.add_account("contact")
    c = await server.login(user)
    token = c.token
    await c.close()
    server.admin("account", "disable", user)
    c = await server.connect()
    expect_error(await c.request("auth.login", username=user, password=TEST_PASSWORD),
                 "account_disabled", "login of a disabled account")
    r = await c.request("auth.resume", token=token)
    # ADMIN-CLI: 'disabling also logs the account out everywhere'; §4 resume errors list both codes.
    check(r.get("ok") is False and r.get("error", {}).get("code") in ("token_invalid", "account_disabled"),
          "resume with a disabled account's token should be refused: %r" % r)
    await c.close()
    server.admin("account", "enable", user)
    c = await server.login(user)
    await c.close()


async def disabled_while_connected(server):
    # ADMIN-CLI: 'disabling also logs the account out everywhere' while the server runs.
    user, _ = server.add_account("contact")
    c = await server.login(user)
    await server.admin_async("account", "disable", user)
    await asyncio.sleep(1.5)
    if c.closed.done():
        return
    r = await c.request("contacts.list")
    check(r.get("ok") is False, "a disabled account's live session still served contacts.list 1.5 s "
                                "after `account disable`: %s" % json.dumps(r)[:200])
    await c.close()


CASES = [
    Case("login_ok", login_ok),
    Case("bad_password_and_unknown_user_same_code", bad_password_and_unknown_user),
    Case("resume_with_token", resume_with_token),
    Case("garbage_token_invalid", garbage_token),
    Case("logout_closes_1000_token_dead", logout),
    Case("logout_only_that_token", logout_only_that_token),
    Case("requests_before_auth_unauthenticated", before_auth),
    Case("already_authenticated", already_authenticated),
    Case("logout_ends_every_connection_of_that_token", logout_ends_that_tokens_connections),
    Case("rate_limit_5_failures_per_username_and_address", rate_limit_username),
    Case("stranger_cannot_lock_out_the_owner", stranger_cannot_lock_out),
    Case("unknown_username_limited_like_known", unknown_username_limited_like_known),
    Case("username_backoff_across_addresses", username_backoff),
    Case("rate_limit_30_per_address", rate_limit_address),
    Case("rate_limit_address_counts_resume", rate_limit_address_resume),
    Case("nul_in_credentials", nul_in_username),
    Case("disabled_account_cannot_login", disabled_account),
    Case("disabled_account_live_session_ends", disabled_while_connected),
    Case("auth_timeout_1008_and_not_after_login", auth_timeouts),
]

if __name__ == "__main__":
    main(CASES)
