# test_push.py: Web Push (PROTOCOL.md "Web Push") against a loopback push service written in node that verifies the
# VAPID JWT and decrypts each push with the independent http_ece package: a message and a call to an offline account
# arrive with the relationship label and without the message's text; nothing is pushed when the agreement refuses
# (paused, outside its window, a supervised call with no supervisor online) or the account is online; a 410 from
# the push service deletes the subscription; push.subscribe refuses what is not a usable subscription.
import asyncio
import datetime
import json
import os
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

import time

from harness import Case, Server, check, check_eq, expect_error, main, short
from test_admin_api import expect_api, token
from test_calls import CALLS_ON, propose

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = ("--push-allow-http", "1", "--ring-timeout-s", "20")
SECRET_TEXT = "the spare key is under the blue flowerpot"
NAMES = ("child", "contact", "tablet", "paused", "window", "supervised", "suspended", "disabled", "held", "gone", "broken", "slow", "limit")


class Endpoint:
    """The node push service: subscriptions by name, and the pushes it received, one JSON line each."""

    def __init__(self, proc, ready):
        self.proc, self.subs, self.port = proc, ready["subscriptions"], ready["port"]
        self.queue = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls):
        proc = await asyncio.create_subprocess_exec("node", os.path.join(HERE, "push_endpoint.mjs"), *NAMES,
                                                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        ready = json.loads(line)
        check_eq(ready.get("event"), "ready", "push endpoint start-up line")
        return cls(proc, ready)

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            await self.queue.put(json.loads(line))

    async def next_push(self, name, timeout=5.0):
        """The next push for `name`; fails on any other push first, or on none within timeout."""
        try:
            p = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError("no push for %s within %.1fs" % (name, timeout))
        check_eq(p["name"], name, "push went to: %s" % short(p))
        check_eq(p["errors"], [], "the push service's checks (VAPID JWT, encoding, decryption)")
        return p

    async def nothing(self, wait, what):
        try:
            p = await asyncio.wait_for(self.queue.get(), wait)
        except asyncio.TimeoutError:
            return
        raise AssertionError("%s: expected no push, got %s" % (what, short(p)))

    async def stop(self):
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
        self.reader.cancel()


def add_family(server, relationship="Dad", terms=CALLS_ON):
    """A child with a case and a contact under an agreement labelled `relationship`, with terms approved."""
    child, child_id = server.add_account("child", name="Mia Berg")
    contact, contact_id = server.add_account("contact", name="Anders Berg")
    server.admin("case", "add", child)
    out = server.admin("agreement", "add", child, contact, "--relationship", relationship).stdout.strip()
    p = {"child": child, "child_id": child_id, "contact": contact, "contact_id": contact_id,
         "agreement_id": int(out)}
    propose(server, p, terms)
    return p


async def subscribe(server, username, sub):
    c = await server.login(username)
    await c.ok("push.subscribe", endpoint=sub["endpoint"], keys=sub["keys"])
    return c


def metric(server, name):
    status, body = server.http_get("/metrics")
    check_eq(status, 200, "/metrics")
    text = body.decode() if isinstance(body, bytes) else body
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("no %s in /metrics" % name)


async def metric_reaches(server, name, want, what):
    """The sender's outcome reaches the control thread just after the push service answered: wait a little."""
    for _ in range(40):
        if metric(server, name) >= want:
            return
        await asyncio.sleep(0.05)
    check_eq(metric(server, name), want, what)


def payload(push):
    check(push["payload"] is not None, "decrypted payload: %s" % short(push))
    return json.loads(push["payload"])


async def message_and_call_to_offline(server):
    """The child subscribes and leaves; Dad's message and call arrive as pushes, signed and decryptable."""
    ep = await Endpoint.start()
    try:
        p = add_family(server)
        await server.settle()
        child = await server.login(p["child"])
        key = (await child.ok("push.key"))["public_key"]
        check(isinstance(key, str) and len(key) == 87 and key.startswith("B"), "push.key: %r" % key)
        await child.ok("push.subscribe", endpoint=ep.subs["child"]["endpoint"], keys=ep.subs["child"]["keys"])
        await child.ok("push.subscribe", endpoint=ep.subs["child"]["endpoint"], keys=ep.subs["child"]["keys"])
        await child.close()
        contact = await server.login(p["contact"])
        aid = p["agreement_id"]
        sent = metric(server, "samvaer_push_sent_total")
        await contact.ok("msg.send", agreement_id=aid, text=SECRET_TEXT, client_key="m1")
        push = await ep.next_push("child")
        await metric_reaches(server, "samvaer_push_sent_total", sent + 1, "/metrics counts the accepted push")
        check_eq(push["k"], key, "the JWT's k= is the server's push.key")
        check_eq(payload(push), {"kind": "message", "title": "New message", "body": "From Dad",
                                 "tag": "msg-%d" % aid, "url": "/#/chat/%d" % aid}, "message payload")
        check("flowerpot" not in push["payload"], "the message text is not in the push")
        check_eq((push["ttl"], push["urgency"], push["topic"]), ("86400", "normal", "msg-%d" % aid),
                 "message TTL, Urgency and Topic")
        await ep.nothing(0.5, "one subscription (subscribed twice) gets one push")

        res = await contact.ok("call.start", agreement_id=aid, video=False)
        push = await ep.next_push("child")
        check_eq(payload(push), {"kind": "call", "title": "Dad is calling", "body": "",
                                 "tag": "call-%d" % res["call_id"], "url": "/#/chat/%d" % aid}, "call payload")
        check_eq((push["ttl"], push["urgency"]), ("30", "high"), "call TTL and Urgency")
        child = await server.login(p["child"])  # opened from the notification: the call still rings
        ring = await child.next_event_where("call.ring", lambda d: d.get("call_id") == res["call_id"], timeout=3)
        check_eq((ring["from"], ring["agreement_id"]), (p["contact_id"], aid), "call.ring after login")
        await child.ok("call.decline", call_id=res["call_id"])

        await child.ok("msg.send", agreement_id=aid, text="see you", client_key="c1")  # the contact is online
        await contact.ok("msg.send", agreement_id=aid, text="online now", client_key="m2")  # so is the child
        await ep.nothing(1.5, "pushes to accounts with a live connection")

        await contact.ok("push.subscribe", endpoint=ep.subs["contact"]["endpoint"], keys=ep.subs["contact"]["keys"])
        await contact.close()
        await child.ok("msg.send", agreement_id=aid, text="bye " + SECRET_TEXT, client_key="c2")
        push = await ep.next_push("contact")
        check_eq(payload(push)["body"], "From Mia Berg", "the contact sees the child's name")
        check("flowerpot" not in push["payload"], "no message text to the contact either")
        check_eq(payload(push)["kind"], "message", "contact's push kind")
    finally:
        await ep.stop()


async def revoked_device_gets_no_push(server):
    """A subscription made on a paired tablet belongs to that device: revoking the tablet (it was lost) deletes it,
    so its lock screen shows nothing more, while the child's other subscriptions stay."""
    ep = await Endpoint.start()
    try:
        p = add_family(server, relationship="Mum")
        carer, _ = server.add_account("carer")
        server.admin("case", "link", p["child"], "--carer", carer)
        code = server.admin("device", "pair", p["child"], "--as", carer).stdout.split()[0]
        await server.settle()
        tablet = await server.connect()
        paired = (await tablet.ok("auth.pair", code=code, device_name="Tablet"))
        await tablet.ok("push.subscribe", endpoint=ep.subs["tablet"]["endpoint"], keys=ep.subs["tablet"]["keys"])
        phone = await subscribe(server, p["child"], ep.subs["child"])   # a password login elsewhere
        await tablet.close()
        await phone.close()
        contact = await server.login(p["contact"])
        aid = p["agreement_id"]
        await contact.ok("msg.send", agreement_id=aid, text="one", client_key="r1")
        pushes = [await asyncio.wait_for(ep.queue.get(), 5) for _ in range(2)]
        check_eq(sorted(x["name"] for x in pushes), ["child", "tablet"], "both subscriptions get the message")
        server.admin("device", "revoke", paired["device"]["id"], "--as", carer)
        await asyncio.sleep(0.5)
        await contact.ok("msg.send", agreement_id=aid, text="two", client_key="r2")
        push = await ep.next_push("child")
        check_eq(payload(push)["kind"], "message", "the password login's subscription stays")
        await ep.nothing(1.5, "the revoked tablet's subscription")
    finally:
        await ep.stop()


async def refused_contact_pushes_nothing(server):
    """Paused, outside the window, suspended, supervised without a supervisor online, a disabled account: no ring,
    no push."""
    ep = await Endpoint.start()
    try:
        paused = add_family(server, "Mum")
        # a window two days ahead only: never open now, in any time zone
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.date.today().weekday() + 2) % 7]
        window = add_family(server, "Gran", dict(CALLS_ON, windows={"weekly": [
            {"day": day, "start": "10:00", "end": "11:00"}]}))
        supervised = add_family(server, "Uncle", dict(CALLS_ON, supervision={"calls": "supervised"}))
        sup, _ = server.add_account("supervisor")
        server.admin("case", "link", supervised["child"], "--supervisor", sup)
        disabled = add_family(server, "Godmother")
        suspended = add_family(server, "Cousin")
        server.admin("agreement", "suspend", suspended["agreement_id"], "--reason", "Under review")
        await server.settle()

        child = await subscribe(server, paused["child"], ep.subs["paused"])
        await child.ok("contact.pause", agreement_id=paused["agreement_id"])
        await child.close()
        for name, p in (("window", window), ("supervised", supervised), ("suspended", suspended),
                        ("disabled", disabled)):
            await (await subscribe(server, p["child"], ep.subs[name])).close()
        server.admin("account", "disable", disabled["child"])
        await server.settle()
        godmother = await server.login(disabled["contact"])
        await godmother.send_text(disabled["agreement_id"], SECRET_TEXT)  # stored or refused: either way no push

        mum = await server.login(paused["contact"])
        expect_error(await mum.request("msg.send", agreement_id=paused["agreement_id"], text=SECRET_TEXT,
                                       client_key="p1"), "not_available", "message while paused")
        expect_error(await mum.request("call.start", agreement_id=paused["agreement_id"]), "not_available",
                     "call while paused")
        gran = await server.login(window["contact"])
        expect_error(await gran.request("msg.send", agreement_id=window["agreement_id"], text=SECRET_TEXT,
                                        client_key="w1"), "outside_window", "message outside the window")
        expect_error(await gran.request("call.start", agreement_id=window["agreement_id"]), "outside_window",
                     "call outside the window")
        cousin = await server.login(suspended["contact"])
        expect_error(await cousin.request("msg.send", agreement_id=suspended["agreement_id"], text=SECRET_TEXT,
                                          client_key="s1"), "agreement_suspended", "message while suspended")
        expect_error(await cousin.request("call.start", agreement_id=suspended["agreement_id"]),
                     "agreement_suspended", "call while suspended")
        uncle = await server.login(supervised["contact"])
        expect_error(await uncle.request("call.start", agreement_id=supervised["agreement_id"]),
                     "supervisor_absent", "supervised call, no supervisor online")
        await ep.nothing(3.0, "refused contact")

        s = await server.login(sup)  # a supervisor comes online: now the supervised call may ring the child
        res = await uncle.ok("call.start", agreement_id=supervised["agreement_id"])
        push = await ep.next_push("supervised")
        check_eq((payload(push)["title"], payload(push)["tag"]), ("Uncle is calling", "call-%d" % res["call_id"]),
                 "supervised call push once a supervisor is online")
        await uncle.ok("call.cancel", call_id=res["call_id"])
        await s.close()
    finally:
        await ep.stop()


async def released_message_is_pushed(server):
    """A message held for review is not pushed; when the supervisor releases it, the offline child gets its push."""
    ep = await Endpoint.start()
    try:
        p = add_family(server, "Grandpa", {"channels": {"text": "allowed"}, "supervision": {"messages": "before"}})
        sup, _ = server.add_account("supervisor")
        server.admin("case", "link", p["child"], "--supervisor", sup)
        await server.settle()
        await (await subscribe(server, p["child"], ep.subs["held"])).close()
        grandpa = await server.login(p["contact"])
        r = await grandpa.send_text(p["agreement_id"], SECRET_TEXT)
        check(r.get("ok") and r["result"].get("held") is True, "the message is held: %s" % short(r))
        await ep.nothing(1.5, "a held message")
        await expect_api(server, "POST", "/api/messages/held/%d/release" % r["result"]["hold_id"],
                         await token(server, sup), {}, 200, what="release")
        push = await ep.next_push("held")
        check_eq((payload(push)["kind"], payload(push)["body"]), ("message", "From Grandpa"), "released message push")
        check("flowerpot" not in push["payload"], "no message text")
    finally:
        await ep.stop()


async def gone_subscription_is_deleted(server):
    """The push service answers 410 Gone: the server deletes the subscription and pushes there no more."""
    ep = await Endpoint.start()
    try:
        p = add_family(server, "Aunt")
        await server.settle()
        await (await subscribe(server, p["child"], ep.subs["gone"])).close()
        aunt = await server.login(p["contact"])
        gone = metric(server, "samvaer_push_gone_total")
        await aunt.ok("msg.send", agreement_id=p["agreement_id"], text="one", client_key="g1")
        check_eq((await ep.next_push("gone"))["status"], 410, "the endpoint said Gone")
        await metric_reaches(server, "samvaer_push_gone_total", gone + 1, "/metrics counts the gone subscription")
        await aunt.ok("msg.send", agreement_id=p["agreement_id"], text="two", client_key="g2")
        await ep.nothing(1.5, "after 410 Gone")
        child = await server.login(p["child"])
        res = await child.ok("push.unsubscribe", endpoint=ep.subs["gone"]["endpoint"])
        check_eq(res, {"removed": False}, "the gone subscription was already deleted")
        audit = [line for line in server.admin("audit", "list", "--limit", "500").stdout.splitlines()
                 if " push " in line and '"origin":"http://127.0.0.1:%d"' % ep.port in line.replace(" ", "")]
        check(any('"subscribed"' in line for line in audit), "audit: subscribed: %s" % audit)
        check(any('"expired"' in line and "410" in line for line in audit), "audit: expired with 410: %s" % audit)
        check(not any("/push/" in line for line in audit), "the audit keeps the origin, not the endpoint's path")
    finally:
        await ep.stop()


async def failing_subscription_is_deleted(server):
    """A push service that answers 500 twenty times in a row: the subscription is deleted (audited)."""
    ep = await Endpoint.start()
    try:
        p = add_family(server, "Stepdad")
        await server.settle()
        await (await subscribe(server, p["child"], ep.subs["broken"])).close()
        stepdad = await server.login(p["contact"])
        for i in range(20):
            await stepdad.ok("msg.send", agreement_id=p["agreement_id"], text="try %d" % i, client_key="b%d" % i)
            check_eq((await ep.next_push("broken"))["status"], 500, "push %d answered 500" % i)
        await asyncio.sleep(0.5)
        await stepdad.ok("msg.send", agreement_id=p["agreement_id"], text="once more", client_key="b20")
        await ep.nothing(1.5, "after twenty failures in a row")
        child = await server.login(p["child"])
        check_eq(await child.ok("push.unsubscribe", endpoint=ep.subs["broken"]["endpoint"]), {"removed": False},
                 "the failing subscription was deleted")
        audit = server.admin("audit", "list", "--limit", "500").stdout
        check('"failing"' in audit, "audit: a failing subscription deleted")
    finally:
        await ep.stop()


async def shutdown_with_a_push_in_flight(_):
    """A push service that never answers holds the sender's request: SIGTERM still ends the server at once (the
    README promises 2 s; the sender aborts its request through curl_multi_wakeup)."""
    server = Server(extra_args=ARGS)
    ep = await Endpoint.start()
    try:
        server.start()
        p = add_family(server, "Foster dad")
        await server.settle()
        await (await subscribe(server, p["child"], ep.subs["slow"])).close()
        contact = await server.login(p["contact"])
        await contact.ok("msg.send", agreement_id=p["agreement_id"], text="hello", client_key="s1")
        check_eq((await ep.next_push("slow"))["name"], "slow", "the push is in flight")
        t0 = time.monotonic()
        server.signal()
        code = await asyncio.to_thread(server.wait_exit, 10)
        took = time.monotonic() - t0
        server.proc = None
        check_eq(code, 0, "exit code after SIGTERM")
        check(took < 1.0, "exited %.2f s after SIGTERM with a push in flight (the sender aborts at once)" % took)
    finally:
        await ep.stop()
        server.cleanup()


async def subscribe_checks(server):
    """push.subscribe refuses non-https endpoints, bad keys, and more than 10 browsers; unsubscribe works."""
    ep = await Endpoint.start()
    try:
        keys = ep.subs["limit"]["keys"]
        anon = await server.connect()
        expect_error(await anon.request("push.key"), "unauthenticated", "push.key before login")
        name, _ = server.add_account("contact")
        c = await server.login(name)
        bad_point = "B" + "A" * 86  # 0x04 then zeros: not on the curve
        cases = [
            (dict(endpoint="http://push.example.net/x", keys=keys), "push_endpoint_invalid", "http, not loopback"),
            (dict(endpoint="ftp://127.0.0.1/x", keys=keys), "push_endpoint_invalid", "ftp"),
            (dict(endpoint="https://u@push.example.net/x", keys=keys), "push_endpoint_invalid", "user info"),
            (dict(endpoint="https://push.example.net/a b", keys=keys), "push_endpoint_invalid", "a space"),
            (dict(endpoint="https://push.example.net/x", keys=dict(keys, p256dh=bad_point)), "push_keys_invalid",
             "p256dh off the curve"),
            (dict(endpoint="https://push.example.net/x", keys=dict(keys, p256dh=keys["p256dh"][:-4])),
             "push_keys_invalid", "p256dh too short"),
            (dict(endpoint="https://push.example.net/x", keys=dict(keys, auth="AAAA")), "push_keys_invalid",
             "auth too short"),
            (dict(endpoint="https://push.example.net/x"), "bad_request", "no keys"),
            (dict(keys=keys), "bad_request", "no endpoint"),
        ]
        for params, code, what in cases:
            expect_error(await c.request("push.subscribe", **params), code, what)
        for i in range(10):
            await c.ok("push.subscribe", endpoint="https://push.example.invalid/s/%d" % i, keys=keys)
        expect_error(await c.request("push.subscribe", endpoint="https://push.example.invalid/s/10", keys=keys),
                     "push_limit", "the eleventh browser")
        await c.ok("push.subscribe", endpoint="https://push.example.invalid/s/3", keys=keys)  # again: fine
        check_eq(await c.ok("push.unsubscribe", endpoint="https://push.example.invalid/s/3"), {"removed": True},
                 "unsubscribe")
        await c.ok("push.subscribe", endpoint="https://push.example.invalid/s/10", keys=keys)
        other, _ = server.add_account("contact")
        o = await server.login(other)
        check_eq(await o.ok("push.unsubscribe", endpoint="https://push.example.invalid/s/4"), {"removed": False},
                 "another account cannot remove it")
    finally:
        await ep.stop()


if __name__ == "__main__":
    main([
        Case("message_and_call_to_offline", message_and_call_to_offline, server_args=ARGS, timeout=60),
        Case("refused_contact_pushes_nothing", refused_contact_pushes_nothing, server_args=ARGS, timeout=60),
        Case("revoked_device_gets_no_push", revoked_device_gets_no_push, server_args=ARGS, timeout=60),
        Case("released_message_is_pushed", released_message_is_pushed, server_args=ARGS, timeout=60),
        Case("gone_subscription_is_deleted", gone_subscription_is_deleted, server_args=ARGS, timeout=60),
        Case("failing_subscription_is_deleted", failing_subscription_is_deleted, server_args=ARGS, timeout=60),
        Case("shutdown_with_a_push_in_flight", shutdown_with_a_push_in_flight, own_servers=True, timeout=60),
        Case("subscribe_checks", subscribe_checks, server_args=ARGS, timeout=60),
    ])
