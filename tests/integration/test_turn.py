# test_turn.py: call.ice (PROTOCOL.md §9 "call.ice") — TURN REST credentials for accounts that may call, refusals
# for everyone else, and an empty list when the server has no TURN relay configured.
import asyncio
import base64
import hashlib
import hmac
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, Client, Server, check, check_eq, expect_error, main, now_ms, short
from test_calls import CALLS_ON, propose

SECRET = "integration-turn-secret"
URIS = ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"]
TTL_S = 600


def secret_file():
    fd, path = tempfile.mkstemp(prefix="samvaer-turn-secret-")
    os.write(fd, (SECRET + "\n").encode())
    os.close(fd)
    return path


# The secret comes from a file (never on argv); the URI list has spaces around the comma on purpose.
TURN_ARGS = ("--turn-uris", " , ".join(URIS), "--turn-secret-file", secret_file(), "--turn-ttl-s", str(TTL_S))


async def pair(server, terms):
    p = server.add_pair()
    if terms is not None:
        propose(server, p, terms)
    await server.settle()
    return p, await server.login(p["child"]), await server.login(p["contact"])


def check_credentials(res, account_id, t0, t1):
    """The TURN REST scheme: username "<expiry>:<account>", credential base64(HMAC-SHA1(secret, username))."""
    servers = res["ice_servers"]
    check_eq(len(servers), 1, "one TURN entry: %s" % short(res))
    s = servers[0]
    check_eq(s["urls"], URIS, "urls")
    expiry, _, who = s["username"].partition(":")
    check_eq(who, str(account_id), "username names the account")
    check(t0 // 1000 + TTL_S <= int(expiry) <= t1 // 1000 + TTL_S, "expiry is now + turn_ttl_s: %s" % s["username"])
    want = base64.b64encode(hmac.new(SECRET.encode(), s["username"].encode(), hashlib.sha1).digest()).decode()
    check_eq(s["credential"], want, "credential")
    check_eq(res["expires_at"], int(expiry) * 1000, "expires_at in ms")


async def allowed(server):
    p, child, contact = await pair(server, CALLS_ON)
    for client, account in ((child, p["child_id"]), (contact, p["contact_id"])):
        t0 = now_ms()
        res = await client.ok("call.ice")
        check_credentials(res, account, t0, now_ms())


async def voice_only_allowed(server):
    p, child, contact = await pair(server, {"channels": {"voice_call": "allowed"}})
    check_eq(len((await contact.ok("call.ice"))["ice_servers"]), 1, "voice calls on: credentials")


async def refused(server):
    p, child, contact = await pair(server, None)                 # default terms: calls off
    for client in (child, contact):
        err = expect_error(await client.request("call.ice"), "channel_off", "calls off")
        check_eq(err["decision"]["verdict"], "deny", "decision verdict")
    name, _ = server.add_account("contact")                       # no agreement at all
    await server.settle()
    lonely = await server.login(name)
    expect_error(await lonely.request("call.ice"), "no_agreement", "no agreement")
    staff, _ = server.add_account("caseworker")
    await server.settle()
    expect_error(await (await server.login(staff)).request("call.ice"), "no_agreement", "caseworker")
    sup, _ = server.add_account("supervisor")
    expect_error(await (await server.login(sup)).request("call.ice"), "no_agreement", "supervisor of no case")
    server.admin("case", "link", p["child"], "--supervisor", sup)      # calls off there
    expect_error(await (await server.login(sup)).request("call.ice"), "channel_off", "supervisor, calls off")
    q, _, _ = await pair(server, CALLS_ON)
    server.admin("case", "link", q["child"], "--supervisor", sup)
    await (await server.login(sup)).ok("call.ice")             # supervises a case with calls: may join them
    anon = await Client.open(server)
    expect_error(await anon.request("call.ice"), "unauthenticated", "before login")


async def suspended(server):
    p, child, contact = await pair(server, CALLS_ON)
    await contact.ok("call.ice")
    await server.admin_async("agreement", "suspend", p["agreement_id"])
    await server.settle()
    await asyncio.sleep(0.5)
    expect_error(await contact.request("call.ice"), "no_agreement", "suspended agreement")


async def not_configured(server):
    p, child, contact = await pair(server, CALLS_ON)
    res = await contact.ok("call.ice")
    check_eq((res["ice_servers"], res["expires_at"]), ([], None), "no TURN configured")
    lonely, _ = server.add_account("contact")
    expect_error(await (await server.login(lonely)).request("call.ice"), "no_agreement", "still deny by default")


async def bad_secret_file(server):
    s = Server(extra_args=("--turn-uris", URIS[0], "--turn-secret-file", "/nonexistent/samvaer-secret"))
    started = False
    try:
        s.start(timeout=5)
        started = True
    except Exception as e:
        check("turn_secret_file" in str(e), "start-up error names the setting: %s" % e)
    finally:
        if s.proc and s.proc.poll() is None:
            s.stop()
        s.cleanup()
    check(not started, "the server started with a missing turn_secret_file")


CASES = [Case(name, fn, server_args=TURN_ARGS) for name, fn in [
    ("allowed", allowed),
    ("voice_only_allowed", voice_only_allowed),
    ("refused", refused),
    ("suspended", suspended),
]] + [Case("not_configured", not_configured, fresh=True), Case("bad_secret_file", bad_secret_file, own_servers=True)]

if __name__ == "__main__":
    try:
        main(CASES)
    finally:
        os.unlink(TURN_ARGS[3])
