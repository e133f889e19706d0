# test_auth_expiry.py: a session token stops resuming once session_ttl_s has passed, and every connection that
# authenticated with it ends within a second of its expiry (PROTOCOL.md §1 1008 session_expired, §3 token_invalid, §4).
"""The server setting session_ttl_s (§4) is lowered through `--config FILE` (`key = value` lines).
A 2 s lifetime is tried first; if the server refuses it (a lower bound), the smallest accepted value
of 60 s is used and this file then takes about 65 s."""
import asyncio
import os
import tempfile
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, Server, TestFailure, check, check_eq, expect_error, expect_ok, main, now_ms


def config_file(ttl):
    fd, path = tempfile.mkstemp(prefix="samvaer-integ-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write("session_ttl_s = %d\n" % ttl)
    return path


def start_with_ttl():
    last = None
    for ttl in (2, 60):
        path = config_file(ttl)
        srv = Server(extra_args=["--config", path])
        try:
            srv.start()
            return srv, ttl, path
        except TestFailure as e:
            last = e
            srv.cleanup()
            os.unlink(path)
    raise TestFailure("server would not start with session_ttl_s 2 or 60: %s" % last)


async def expired_token(_):
    srv, ttl, path = start_with_ttl()
    try:
        c = await srv.login("mia")
        c2 = await srv.connect()
        r = expect_ok(await c2.request("auth.resume", token=c.token), "resume while the token is fresh")
        exp = r.get("expires_at")
        check(isinstance(exp, int) and abs(exp - (now_ms() + ttl * 1000)) < 5000,
              "expires_at should be about now + session_ttl_s (%d s): %r" % (ttl, exp))
        await c2.close()
        await asyncio.sleep(max(0, (exp - now_ms()) / 1000.0) + 1.0)
        c3 = await srv.connect()
        expect_error(await c3.request("auth.resume", token=c.token), "token_invalid",
                     "resume with a token whose session_ttl_s (%d s) has passed" % ttl)
        # the socket that logged in before expiry: a new login works and gives a fresh token
        c4 = await srv.login("mia")
        check(c4.token != c.token, "a new login gives a new token")
        await c3.close()
        await c4.close()
        err = srv.stop()
        check(err is None, err or "")
    except TestFailure as e:
        raise TestFailure("%s\n  --- server log ---\n%s" % (e, srv.log_tail(20)))
    finally:
        srv.cleanup()
        os.unlink(path)


async def expiry_ends_connections(_):
    srv, ttl, path = start_with_ttl()
    try:
        c1 = await srv.login("mia")
        c2 = await srv.connect()
        exp = expect_ok(await c2.request("auth.resume", token=c1.token), "resume while the token is fresh")["expires_at"]
        await asyncio.sleep(min(1.0, ttl / 2.0))
        later = await srv.login("mia")               # another token, expiring later
        for i, c in enumerate((c1, c2)):
            left = (exp - now_ms()) / 1000.0 + 3.0
            code, reason = await c.wait_closed(max(left, 0.1))
            at = now_ms()
            check_eq((code, reason), (1008, "session_expired"), "connection %d of the token, at its expiry" % (i + 1))
            check(at <= exp + 1000, "connection %d closed %d ms after the token expired (at most 1 s)" % (i + 1, at - exp))
            check(at >= exp - 50, "connection %d closed %d ms before the token expired" % (i + 1, exp - at))
        expect_ok(await later.request("ping"), "a connection with a later token goes on")
        await later.close()
        err = srv.stop()
        check(err is None, err or "")
    except TestFailure as e:
        raise TestFailure("%s\n  --- server log ---\n%s" % (e, srv.log_tail(20)))
    finally:
        srv.cleanup()
        os.unlink(path)


CASES = [Case("expired_token_invalid", expired_token, own_servers=True, timeout=80),
         Case("expiry_ends_every_connection_of_the_token_within_1s", expiry_ends_connections, own_servers=True,
              timeout=80)]

if __name__ == "__main__":
    main(CASES)
