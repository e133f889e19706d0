# test_shutdown.py: SIGTERM under load closes every socket with 1001, exits 0 and loses nothing acknowledged; SIGTERM
# ends within 2 s even when clients ignore the close frame; SIGKILL and a torn message log lose nothing acknowledged
# either (PROTOCOL.md §1, §4).
import asyncio
import os
import signal
import time

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

import json
import socket

from harness import (Case, RawWs, Server, TestFailure, check, check_eq, expect_ok, main, short)

PAIRS = 3
IN_FLIGHT = 8          # pipelined sends per client
LOAD_S = 0.8           # sending time before SIGTERM
MAX_PER_CLIENT = 2000  # bounds the history read back after the restart
LOGINS_AT_SIGTERM = 100  # password checks queued when SIGTERM arrives (seconds of work for the hasher thread)


async def sender(client, aid, tag, log):
    """Sends until the connection goes; log[key] = (text, seq or None)."""
    n = 0
    pending = set()
    while True:
        while len(pending) < IN_FLIGHT and not client.closed.done() and n < MAX_PER_CLIENT:
            n += 1
            key = "%s-%d" % (tag, n)
            text = "msg %s" % key
            log[key] = (text, None)

            async def one(key=key, text=text):
                try:
                    r = await client.send_text(aid, text, client_key=key, timeout=15)
                except (ConnectionError, TestFailure):
                    return
                except Exception:
                    return
                if r.get("ok"):
                    log[key] = (text, r["result"]["seq"])
            pending.add(asyncio.ensure_future(one()))
        if not pending:
            return
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if client.closed.done():
            await asyncio.gather(*pending, return_exceptions=True)
            return


async def full_history(client, aid):
    msgs, before = [], None
    while True:
        params = {"agreement_id": aid, "limit": 100}
        if before is not None:
            params["before"] = before
        h = expect_ok(await client.request("msg.history", **params), "history after restart")
        msgs = h["messages"] + msgs
        if not h.get("more") or not h["messages"]:
            return msgs
        before = h["messages"][0]["seq"]


def check_history(msgs, logs, what):
    seqs = [m["seq"] for m in msgs]
    check_eq(seqs, list(range(1, len(msgs) + 1)), "%s: seqs after restart (no gaps, no duplicates)" % what)
    texts = [m["text"] for m in msgs]
    dup = sorted({t for t in texts if texts.count(t) > 1})
    check(not dup, "%s: messages stored more than once: %s" % (what, dup[:5]))
    by_text = {m["text"]: m["seq"] for m in msgs}
    lost = []
    for log in logs:
        for key, (text, seq) in log.items():
            if seq is not None and by_text.get(text) != seq:
                lost.append((key, seq, by_text.get(text)))
    check(not lost, "%s: acknowledged messages lost or moved after restart (key, acked seq, stored seq): %s"
          % (what, lost[:5]))


async def retry_and_check(client, aid, log, what, every=False):
    """The sender retries its unacknowledged sends and its last five acknowledged ones (every=True: all of them)
    with the same client_key: acknowledged ones come back as duplicates with their seq, and afterwards the
    conversation holds every message exactly once, with no gaps (§4 msg.send)."""
    acked_keys = [k for k, (t, s) in log.items() if s is not None]
    for key, (text, seq) in sorted(log.items()):
        if not every and seq is not None and key not in acked_keys[-5:]:
            continue
        r = expect_ok(await client.send_text(aid, text, client_key=key), "retry %s" % key)
        if seq is not None:
            check_eq((r["seq"], r["duplicate"]), (seq, True), "retry of acknowledged %s" % key)
    msgs = await full_history(client, aid)
    check_eq(sorted(m["text"] for m in msgs), sorted(t for t, _ in log.values()),
             "%s: every message exactly once after retries" % what)
    check_eq([m["seq"] for m in msgs], list(range(1, len(msgs) + 1)), "%s: seqs after retries" % what)


async def shutdown_under_load(_):
    srv = Server()
    srv2 = None
    try:
        srv.start()
        pairs = [srv.add_pair() for _ in range(PAIRS)]
        clients, tasks, logs = [], [], []
        for i, p in enumerate(pairs):
            for role in ("child", "contact"):
                c = await srv.login(p[role])
                log = {}
                clients.append(c)
                logs.append((p["agreement_id"], log))
                tasks.append(asyncio.ensure_future(sender(c, p["agreement_id"], "%s%d" % (role, i), log)))
        idle = await srv.connect()               # an unauthenticated socket is closed with 1001 too
        await asyncio.sleep(LOAD_S)
        acked_before = sum(1 for _, log in logs for t, s in log.values() if s is not None)
        check(acked_before > 0, "no message acknowledged in %.1fs of load" % LOAD_S)
        t0 = time.monotonic()
        srv.signal()
        codes = []
        for c in clients + [idle]:
            code, reason = await c.wait_closed(10)
            codes.append(code)
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        code = await asyncio.get_running_loop().run_in_executor(None, srv.wait_exit, 10)
        dt = time.monotonic() - t0
        # checked at the end, so that the durability checks below report too
        close_problem = None if codes == [1001] * len(codes) else (
            "close codes seen by the %d busy clients and 1 idle one after SIGTERM: %s (§1: 1001 for all)"
            % (len(codes) - 1, codes))
        check_eq(code, 0, "exit status after SIGTERM (None = had to be killed after 10 s)")
        srv.proc = None
        acked = sum(1 for _, log in logs for t, s in log.values() if s is not None)
        sent = sum(len(log) for _, log in logs)

        srv2 = Server(data_dir=srv.data_dir)
        srv2.start(seed=False)
        for i, p in enumerate(pairs):
            aid = p["agreement_id"]
            mine = logs[2 * i:2 * i + 2]
            owners = [await srv2.login(p["child"]), await srv2.login(p["contact"])]
            check_history(await full_history(owners[0], aid), [log for _, log in mine], "agreement %d" % aid)
            # each sender retries its unacknowledged sends and its last acknowledged ones with the same
            # client_key: nothing is stored twice (§4 msg.send)
            for owner, (_, log) in zip(owners, mine):
                acked_keys = [k for k, (t, s) in log.items() if s is not None]
                for key, (text, seq) in sorted(log.items()):
                    if seq is not None and key not in acked_keys[-5:]:
                        continue
                    r = expect_ok(await owner.send_text(aid, text, client_key=key), "retry %s" % key)
                    if seq is not None:
                        check_eq((r["seq"], r["duplicate"]), (seq, True), "retry of acknowledged %s" % key)
            msgs = await full_history(owners[0], aid)
            check_eq(sorted(m["text"] for m in msgs), sorted(t for _, log in mine for t, _ in log.values()),
                     "agreement %d: every message exactly once after retries" % aid)
            check_eq([m["seq"] for m in msgs], list(range(1, len(msgs) + 1)), "seqs after retries")
            for o in owners:
                await o.close()
        err = srv2.stop()
        check(err is None, "restarted server: %s" % err)
        print("  (shutdown: %d sent, %d acknowledged, exit %.2fs)" % (sent, acked, dt))
        check(close_problem is None, close_problem or "")
    except TestFailure as e:
        raise TestFailure("%s\n  --- first server log ---\n%s\n  --- restarted server log ---\n%s"
                          % (e, srv.log_tail(20), srv2.log_tail(20) if srv2 else ""))
    finally:
        if srv2:
            srv2.cleanup()
        srv.cleanup()


async def retry_unacked_per_sender(_):
    """Unacknowledged sends retried by their own sender after a restart are stored at most once."""
    srv = Server()
    srv2 = None
    try:
        srv.start()
        p = srv.add_pair()
        aid = p["agreement_id"]
        c = await srv.login(p["child"])
        log = {}
        task = asyncio.ensure_future(sender(c, aid, "solo", log))
        await asyncio.sleep(0.5)
        srv.signal()
        code, _ = await c.wait_closed(10)
        await asyncio.wait_for(task, 10)
        check_eq(code, 1001, "close code after SIGTERM")
        rc = await asyncio.get_running_loop().run_in_executor(None, srv.wait_exit, 10)
        check_eq(rc, 0, "exit status after SIGTERM")
        srv.proc = None
        srv2 = Server(data_dir=srv.data_dir)
        srv2.start(seed=False)
        c = await srv2.login(p["child"])
        check_history(await full_history(c, aid), [log], "before retries")
        await retry_and_check(c, aid, log, "solo")
        err = srv2.stop()
        check(err is None, "restarted server: %s" % err)
    except TestFailure as e:
        raise TestFailure("%s\n  --- first server log ---\n%s\n  --- restarted server log ---\n%s"
                          % (e, srv.log_tail(20), srv2.log_tail(20) if srv2 else ""))
    finally:
        if srv2:
            srv2.cleanup()
        srv.cleanup()


async def sigkill_nothing_acknowledged_lost(_):
    """SIGKILL under load, then a torn record at the end of the message log (as a power cut can leave it): the
    restarted server cuts the tail off and still has every acknowledged message, once, with no gaps."""
    srv = Server()
    srv2 = None
    try:
        srv.start()
        pairs = [srv.add_pair() for _ in range(2)]
        clients, tasks, logs = [], [], []
        for i, p in enumerate(pairs):
            c = await srv.login(p["child"])
            log = {}
            clients.append(c)
            logs.append(log)
            tasks.append(asyncio.ensure_future(sender(c, p["agreement_id"], "k%d" % i, log)))
        await asyncio.sleep(0.25)  # mid-stream: some sends are in flight when the kill comes
        srv.signal(signal.SIGKILL)
        for c in clients:
            await c.wait_closed(10)
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        await asyncio.get_running_loop().run_in_executor(None, srv.wait_exit, 10)
        srv.proc = None
        acked = sum(1 for log in logs for t, s in log.values() if s is not None)
        check(acked > 0, "no message acknowledged before SIGKILL")
        path = os.path.join(srv.data_dir, "messages.log")
        size = os.path.getsize(path)
        with open(path, "ab") as f:  # half a record: magic, a length, no payload
            f.write(b"SVM1\x40\x00\x00\x00\x00\x00")
        srv2 = Server(data_dir=srv.data_dir)
        srv2.start(seed=False)
        check("cutting off" in srv2.log_text(), "the torn tail is reported: %s" % srv2.log_tail(5))
        check_eq(os.path.getsize(path), size, "the torn tail is cut off")
        for p, log in zip(pairs, logs):
            aid = p["agreement_id"]
            c = await srv2.login(p["child"])
            check_history(await full_history(c, aid), [log], "agreement %d after SIGKILL" % aid)
            await retry_and_check(c, aid, log, "agreement %d" % aid, every=True)
            await c.close()
        err = srv2.stop()
        check(err is None, "restarted server: %s" % err)
        print("  (sigkill: %d acknowledged before the kill)" % acked)
    except TestFailure as e:
        raise TestFailure("%s\n  --- first server log ---\n%s\n  --- restarted server log ---\n%s"
                          % (e, srv.log_tail(20), srv2.log_tail(20) if srv2 else ""))
    finally:
        if srv2:
            srv2.cleanup()
        srv.cleanup()


async def stubborn_client(srv, token=None, small_rcvbuf=False):
    """A raw WebSocket that will never answer a close frame nor close its socket (optionally authenticated, and
    optionally with a tiny receive buffer that it never drains)."""
    if small_rcvbuf:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect(("127.0.0.1", srv.port))
        raw = RawWs(*await asyncio.open_connection(sock=sock))
        import base64
        key = base64.b64encode(os.urandom(16)).decode()
        raw.writer.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: samvaer.v1"
                          "\r\n\r\n" % (srv.port, key)).encode())
        head = await asyncio.wait_for(raw.reader.readuntil(b"\r\n\r\n"), 5)
        check(b" 101 " in head.split(b"\r\n", 1)[0] + b" ", "handshake: %r" % head[:60])
    else:
        raw = await RawWs.open(srv.port)
    if token:
        raw.send_frame(0x1, json.dumps({"id": 1, "type": "auth.resume", "token": token}).encode())
        r = await raw.read_json()
        check(r.get("ok") is True, "raw auth.resume: %s" % short(r))
    return raw


async def sigterm_ignored_close(_):
    """§1: a client that ignores the close frame (no close reply, socket left open, or not reading at all) cannot
    hold the server, nor can a queue of logins waiting for their password check: SIGTERM ends the process within
    2 s, exit 0, and the 1001 was sent."""
    srv = Server()
    try:
        srv.start()
        polite = await srv.login("andrei")
        stubborn = [await stubborn_client(srv, polite.token) for _ in range(3)]
        stubborn.append(await stubborn_client(srv))                      # not even authenticated
        clogged = await stubborn_client(srv, polite.token, small_rcvbuf=True)
        for i in range(3000):                                             # answers it never reads
            clogged.send_frame(0x1, json.dumps({"id": i, "type": "contacts.list"}).encode())
        await clogged.writer.drain()
        # logins still waiting for their password check when SIGTERM arrives (tens of ms of Argon2id each)
        pending = [await stubborn_client(srv) for _ in range(LOGINS_AT_SIGTERM)]
        await asyncio.sleep(0.3)
        for i, raw in enumerate(pending):                                # names nobody has: none is refused early
            raw.send_frame(0x1, json.dumps({"id": 1, "type": "auth.login", "username": "ghost-%d" % i,
                                            "password": "guess"}).encode())
        await asyncio.gather(*(raw.writer.drain() for raw in pending))
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        srv.signal()
        code = await asyncio.get_running_loop().run_in_executor(None, srv.wait_exit, 10)
        dt = time.monotonic() - t0
        srv.proc = None
        check_eq(code, 0, "exit status after SIGTERM (None = had to be killed after 10 s)")
        check(dt <= 2.0, "SIGTERM took %.2f s with clients that ignore the close frame (at most 2 s)" % dt)
        check_eq(await polite.wait_closed(1), (1001, "server shutting down"), "the polite client's close")
        for i, raw in enumerate(stubborn):
            check_eq((await raw.read_close(2))[0], 1001, "stubborn client %d: the 1001 was sent before the end" % i)
            raw.close()
        clogged.close()
        for raw in pending:
            raw.close()
        print("  (exit %.2fs after SIGTERM)" % dt)
    except TestFailure as e:
        raise TestFailure("%s\n  --- server log ---\n%s" % (e, srv.log_tail(20)))
    finally:
        srv.cleanup()


CASES = [
    Case("sigterm_within_2s_when_clients_ignore_close", sigterm_ignored_close, own_servers=True, timeout=30),
    Case("sigterm_under_load_1001_exit0_nothing_lost", shutdown_under_load, own_servers=True, timeout=50),
    Case("retry_after_restart_exactly_once", retry_unacked_per_sender, own_servers=True, timeout=40),
    Case("sigkill_and_torn_log_tail_nothing_acknowledged_lost", sigkill_nothing_acknowledged_lost, own_servers=True,
         timeout=60),
]

if __name__ == "__main__":
    main(CASES)
