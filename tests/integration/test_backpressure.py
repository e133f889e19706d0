# test_backpressure.py: one account flooding msg.send gets send_rate_limited (with retry_after) while another
# account's messages go through; a client that stops reading is cut off (1008 slow_consumer) and its backlog freed.
import asyncio
import json
import os
import re
import socket
import time

from harness import (Case, RawWs, check, check_eq, expect_error, expect_ok, main,
                     next_source_addr)

RATE, BURST = 10, 60          # the defaults (docs/OPERATIONS.md), set explicitly: the harness turns the limit off
LIMIT_ARGS = ("--send-rate", str(RATE), "--send-burst", str(BURST))


def metric(server, name):
    status, body = server.http_get("/metrics")
    check(status == 200, "/metrics answered %s" % status)
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    check(m is not None, "/metrics has no %s" % name)
    return int(m.group(1))




async def flood_is_limited(server):
    flood = server.add_pair()
    calm = server.add_pair()
    flooder = await server.login(flood["contact"])
    flooder2 = await server.login(flood["contact"])          # the same account on a second device
    child = await server.login(flood["child"])
    calm_child = await server.login(calm["child"])
    calm_contact = await server.login(calm["contact"])
    # the flood: 200 sends pipelined at once from one account
    t0 = time.monotonic()
    flood_tasks = [asyncio.ensure_future(flooder.send_text(flood["agreement_id"], "flood %d" % i, timeout=20))
                   for i in range(200)]
    # meanwhile another family writes at a human pace, and every message goes through promptly
    calm_lat = []
    for i in range(10):
        s = time.monotonic()
        expect_ok(await calm_contact.send_text(calm["agreement_id"], "calm %d" % i), "a calm account's send")
        ev = await calm_child.next_event("message", 2)
        check_eq(ev.get("text"), "calm %d" % i, "the calm child's message event")
        calm_lat.append(time.monotonic() - s)
        await asyncio.sleep(0.02)
    rs = await asyncio.gather(*flood_tasks)
    elapsed = time.monotonic() - t0
    oks = [r for r in rs if r.get("ok")]
    errs = [r for r in rs if not r.get("ok")]
    for r in errs:
        err = expect_error(r, "send_rate_limited", "a send past the account's budget")
        check(isinstance(err.get("retry_after_ms"), int) and 0 < err["retry_after_ms"] <= 1000 // RATE + 1,
              "retry_after_ms is the wait for the next send (at most 1/rate = %d ms): %r"
              % (1000 // RATE, err.get("retry_after_ms")))
        check(err.get("retry_after_s") == 1, "retry_after_s rounds the wait up to whole seconds: %r" % err)
    check(BURST <= len(oks) <= BURST + RATE * elapsed + 1,
          "a burst of %d then %d/s: %d of 200 accepted in %.2f s" % (BURST, RATE, len(oks), elapsed))
    check(len(errs) >= 200 - BURST - RATE * elapsed - 1, "the rest refused: %d" % len(errs))
    check(max(calm_lat) < 1.0, "the calm account's sends and deliveries while the other floods: %s s"
          % ["%.3f" % x for x in calm_lat])
    # the limit is the account's, not the connection's
    r = await flooder2.send_text(flood["agreement_id"], "from the second device")
    if r.get("ok"):   # a token came back in the meantime: spend what is left, then it must refuse
        for _ in range(3):
            r = await flooder2.send_text(flood["agreement_id"], "from the second device")
            if not r.get("ok"):
                break
    expect_error(r, "send_rate_limited", "the same account on another connection")
    # after retry_after the flooder may send again
    await asyncio.sleep(err["retry_after_ms"] / 1000 + 0.15)
    expect_ok(await flooder.send_text(flood["agreement_id"], "after the wait"), "a send after retry_after")
    # refused sends stored nothing: the child was sent exactly the accepted ones
    await asyncio.sleep(0.3)
    got = [m["text"] for m in child.pending_events("message") if m["text"].startswith("flood ")]
    check_eq(len(got), len(oks), "flood messages delivered to the child (accepted ones only)")
    check_eq(metric(server, "samvaer_sends_rate_limited_total"), len(errs) + 1,
             "samvaer_sends_rate_limited_total counts every refusal")


async def flood_every_request_answered(server):
    # Refusals pause reading from the flooding connection (it is read again when a send would be allowed):
    # nothing it sent is lost, every request gets exactly one answer, in a time set by the rate.
    p = server.add_pair()
    c = await server.login(p["contact"])
    n = 300
    t0 = time.monotonic()
    for i in range(n):
        await c.ws.send(json.dumps({"id": "f%d" % i, "type": "msg.send", "agreement_id": p["agreement_id"],
                                    "text": "f%d" % i, "client_key": "fk%d" % i}))
    answers = [await c.response("f%d" % i, timeout=30) for i in range(n)]
    elapsed = time.monotonic() - t0
    ok = sum(1 for a in answers if a.get("ok"))
    limited = sum(1 for a in answers if a.get("error", {}).get("code") == "send_rate_limited")
    check_eq(ok + limited, n, "answers: ok + send_rate_limited")
    check(ok <= BURST + RATE * elapsed + 1, "accepted %d in %.1f s (burst %d, %d/s)" % (ok, elapsed, BURST, RATE))
    expect_ok(await c.request("ping"), "the connection still works")


async def stalled_reader(port, token):
    """A client with a 4 KB receive buffer that resumes its session, then never reads again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((next_source_addr(), 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    import base64
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: samvaer.v1\r\n\r\n"
                  % (port, key)).encode())
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    ws = RawWs(reader, writer)
    ws.send_frame(0x1, json.dumps({"id": "a", "type": "auth.resume", "token": token}).encode())
    while True:
        r = await ws.read_json(5)
        if r.get("id") == "a":
            expect_ok(r, "auth.resume of the stalled reader")
            break
    writer.transport.pause_reading()     # from here on it reads nothing
    return ws


async def stalled_readers_cut_off(server):
    # Three clients stop reading while messages stream at them (~650 KB/s each). Once the kernel's socket
    # buffers are full (about 4 MB here) their output stops moving, and out_stall_s (3 s here) later they are
    # closed with 1008 slow_consumer and their backlog is freed (samvaer_output_queued_bytes back to ~0), well
    # before the per-connection cap (8 MB queued on top of the kernel's 4 MB) would have cut them off.
    pairs = [server.add_pair() for _ in range(3)]
    writers, stalled = [], []
    for p in pairs:
        w = await server.login(p["contact"])
        c = await server.login(p["child"])
        token = c.token
        await c.close()
        stalled.append(await stalled_reader(server.port, token))
        writers.append(w)
    text = "x" * 2000
    t0 = time.monotonic()
    sent = closes = peak = 0
    while time.monotonic() - t0 < 30 and closes < 3:
        rs = await asyncio.gather(*[w.send_text(p["agreement_id"], text, timeout=20)
                                    for w, p in zip(writers, pairs) for _ in range(100)])
        for r in rs:
            expect_ok(r, "a send to a stalled reader is stored and acknowledged")
        sent += 100
        peak = max(peak, metric(server, "samvaer_output_queued_bytes"))
        closes = metric(server, "samvaer_slow_consumer_closes_total")
        await asyncio.sleep(0.3)
    elapsed = time.monotonic() - t0
    mb_each = sent * 2000 / 1e6
    check_eq(closes, 3, "stalled readers cut off (samvaer_slow_consumer_closes_total) after %.1f s and %.1f MB "
             "sent at each" % (elapsed, mb_each))
    check(mb_each < 10, "cut off by the stall rule, before the 8 MB queue cap: %.1f MB had been sent at each"
          % mb_each)
    check(peak > 0, "output was queued for them before the cut (peak %d bytes)" % peak)
    queued = metric(server, "samvaer_output_queued_bytes")
    check(queued < 64 * 1024, "output still queued after they were cut off: %d bytes" % queued)
    for ws in stalled:      # once they read again, each finds the close (or the end of the connection)
        ws.writer.transport.resume_reading()
        code, reason = await ws.read_close(10)
        check(code in (1008, "eof"), "a cut-off reader sees 1008 slow_consumer or the end: %r %r" % (code, reason))
        if code == 1008:
            check_eq(reason, "slow_consumer", "close reason")
        ws.close()
    for w in writers:
        expect_ok(await w.request("ping"), "the writers are unaffected")


CASES = [
    Case("flood_is_limited", flood_is_limited, fresh=True, server_args=LIMIT_ARGS),
    Case("flood_every_request_answered", flood_every_request_answered, fresh=True, timeout=60,
         server_args=LIMIT_ARGS),
    Case("stalled_readers_cut_off", stalled_readers_cut_off, fresh=True, timeout=60,
         server_args=("--out-stall-s", "3")),
]

if __name__ == "__main__":
    main(CASES)
