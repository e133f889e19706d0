# harness.py: starts a real samvaer server on a free port and drives it with samvaer.v1 WebSocket clients.
"""Shared helpers for tests/integration/test_*.py (run with /usr/bin/python3, no pytest).

Server   -- a samvaer process on a fresh temp data dir seeded with `samvaer-admin demo`.
Client   -- one WebSocket connection: request() matched by id, next_event(), close code tracking.
RawWs    -- a hand-made WebSocket client for frames websockets refuses to send (bad UTF-8, unmasked).
main()   -- a table-driven runner: prints one line per case and `integration: N passed, M failed`.

Every Client binds its own source address (127.0.0.2 ... 127.0.0.250, rotating) so that the
per-address login limit (30/minute, PROTOCOL.md section 4) is only hit by the test that means to.
"""
import asyncio
import base64
import http.client
import itertools
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import shutil

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build-integ")
SAMVAER_BIN = os.environ.get("SAMVAER_BIN", os.path.join(BUILD, "samvaer"))
SAMVAER_ADMIN = os.environ.get("SAMVAER_ADMIN", os.path.join(BUILD, "samvaer-admin"))
SAMVAER_WEB = os.environ.get("SAMVAER_WEB", os.path.join(ROOT, "web"))
DEMO_PASSWORD = "samvaer-demo"
SUBPROTOCOL = "samvaer.v1"
TEST_PASSWORD = "integration-pw-1"
READ_ONLY_COMMANDS = ("audit", "report", "backup", "verify", "export")
SETTLE_S = 1.1                           # ADMIN-CLI: changes reach the running server within a second

_addr_counter = itertools.count()
# asyncio warns "socket.send() raised exception." when a client keeps writing to a socket the server has
# closed (test_shutdown does so on purpose); the close itself is what the tests check.
logging.getLogger("asyncio").setLevel(logging.ERROR)


def next_source_addr():
    """A loopback source address of its own for each client (127.0.0.2 .. 127.0.0.250)."""
    return "127.0.0.%d" % (2 + next(_addr_counter) % 249)


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: expected %r, got %r" % (what, want, got))


def expect_ok(resp, what=""):
    if not (isinstance(resp, dict) and resp.get("ok") is True and isinstance(resp.get("result"), dict)):
        raise TestFailure("%s: expected ok response with result object, got %s" % (what, short(resp)))
    return resp["result"]


def expect_error(resp, code, what=""):
    err = resp.get("error") if isinstance(resp, dict) else None
    if not (resp.get("ok") is False and isinstance(err, dict)):
        raise TestFailure("%s: expected error %r, got %s" % (what, code, short(resp)))
    if err.get("code") != code:
        raise TestFailure("%s: expected error code %r, got %s" % (what, code, short(resp)))
    check(isinstance(err.get("message"), str) and err["message"] != "",
          "%s: error %r has no human-readable message: %s" % (what, code, short(resp)))
    return err


def short(obj, n=400):
    s = json.dumps(obj) if not isinstance(obj, str) else obj
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def made_file(*command, name="out"):
    """The bytes of the file a command writes: command's "{out}" stands for a path in a temporary folder."""
    d = tempfile.mkdtemp(prefix="samvaer-made-")
    path = os.path.join(d, name)
    try:
        subprocess.run([a.replace("{out}", path) for a in command], check=True, timeout=120)
        with open(path, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def now_ms():
    return int(time.time() * 1000)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------------
# Server process


class Server:
    """One samvaer process with its own data dir. start() seeds with `demo` unless data_dir is given."""

    def __init__(self, data_dir=None, extra_args=()):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="samvaer-integ-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_path = None
        self.exit_code = None
        self._usernames = itertools.count(1)
        self._last_change = 0.0          # monotonic time of the last samvaer-admin change

    # -- admin CLI ---------------------------------------------------------------------------------
    def _note_change(self, args):
        """Every command but the read-only ones may change what the server holds (ADMIN-CLI)."""
        args = [str(a) for a in args]
        if args and args[0] not in READ_ONLY_COMMANDS and (len(args) < 2 or args[1] != "list"):
            self._last_change = time.monotonic()

    async def settle(self):
        """ADMIN-CLI: 'the running server notices every change within a second'. Clients connect only
        once that second has passed since the last samvaer-admin change, so they see a settled state."""
        left = self._last_change + SETTLE_S - time.monotonic()
        if left > 0:
            await asyncio.sleep(left)

    def admin(self, *args, stdin=None, ok=True):
        cmd = [SAMVAER_ADMIN, "--data", self.data_dir] + [str(a) for a in args]
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)
        self._note_change(args)  # the change is committed once the command has exited: the second counts from then
        if ok and r.returncode != 0:
            raise TestFailure("samvaer-admin %s exited %d: %s%s" % (" ".join(map(str, args)), r.returncode,
                                                                  r.stdout, r.stderr))
        return r

    async def admin_async(self, *args, ok=True):
        """Runs samvaer-admin without blocking the event loop (clients keep reading meanwhile)."""
        cmd = [SAMVAER_ADMIN, "--data", self.data_dir] + [str(a) for a in args]
        p = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(p.communicate(), 30)
        self._note_change(args)
        if ok and p.returncode != 0:
            raise TestFailure("samvaer-admin %s exited %d: %s%s" % (" ".join(map(str, args)), p.returncode,
                                                                  out.decode(), err.decode()))
        return p.returncode, out.decode(), err.decode()

    def add_account(self, role, username=None, name=None, password=TEST_PASSWORD):
        """Creates an account through the CLI; returns (username, id printed on stdout)."""
        username = username or "%s%d" % (role[:5], next(self._usernames))
        r = self.admin("account", "add", username, "--role", role, "--name", name or username.capitalize(),
                       "--password-file", "-", stdin=password + "\n")
        out = r.stdout.strip()
        check(out.isdigit(), "account add %s should print the new id alone, printed %r" % (username, out))
        return username, int(out)

    def approve_terms(self, p, terms):
        """New terms for p's agreement the way a case changes them: p["caseworker"] proposes through the CLI and
        p["carer"] approves. Returns the proposal's id."""
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(terms, f)
            f.flush()
            out = self.admin("proposal", "add", p["agreement_id"], "--terms", f.name, "--as", p["caseworker"]).stdout
        pid = int(out.strip().split()[0])
        self.admin("proposal", "approve", pid, "--as", p["carer"])
        return pid

    def add_pair(self, text=None, status=None, date_from=None, date_until=None, tz=None):
        """A fresh child + contact with their own agreement. Returns a dict of names and ids."""
        child, child_id = self.add_account("child")
        contact, contact_id = self.add_account("contact")
        case_args = ["case", "add", child] + (["--tz", tz] if tz else [])
        self.admin(*case_args)
        args = ["agreement", "add", child, contact, "--relationship", "Parent"]
        if text:
            args += ["--text", text]
        if status:
            args += ["--status", status]
        if date_from:
            args += ["--from", date_from]
        if date_until:
            args += ["--until", date_until]
        out = self.admin(*args).stdout.strip()
        check(out.isdigit(), "agreement add should print the new id alone, printed %r" % out)
        return {"child": child, "child_id": child_id, "contact": contact, "contact_id": contact_id,
                "agreement_id": int(out)}

    # -- process -----------------------------------------------------------------------------------
    def start(self, seed=True, timeout=15):
        if seed and self.own_dir:
            self.admin("demo")
        self.port = free_port()
        fd, self.log_path = tempfile.mkstemp(prefix="samvaer-integ-", suffix=".log")
        os.close(fd)
        self._log = open(self.log_path, "wb")
        cmd = [SAMVAER_BIN, "--listen", "127.0.0.1", "--port", str(self.port), "--data", self.data_dir,
               "--web", SAMVAER_WEB] + self.extra_args
        if "--send-rate" not in self.extra_args:
            # Tests pipeline hundreds of sends from one account to check other things; the per-account send
            # limit (default 10/s, burst 60) is checked by test_backpressure.py, which sets it explicitly.
            cmd += ["--send-rate", "0"]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        self.exit_code = None
        want = "samvaer: listening on %s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("server exited with %d during start-up:\n%s" % (self.proc.returncode,
                                                                                self.log_tail()))
            if want in self.log_text():
                break
            time.sleep(0.05)
        else:
            raise TestFailure("no %r on stderr within %ds:\n%s" % (want, timeout, self.log_tail()))
        while time.time() < deadline:
            try:
                status, body = self.http_get("/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise TestFailure("/healthz did not answer 200 within %ds" % timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=10):
        """Waits for the process; returns its exit code, or None after killing it on timeout."""
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = None
        self._log.close()
        return self.exit_code

    def stop(self, timeout=10):
        """SIGTERM, then wait; returns an error string, or None when it exited 0 in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            code = self.proc.returncode
            self._log.close()
            self.proc = None
            return "server had already exited with %d" % code
        self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit(timeout)
        self.proc = None
        if code is None:
            return "server did not exit within %ds of SIGTERM (killed)" % timeout
        if code != 0:
            return "server exited with %d after SIGTERM (expected 0)" % code
        return None

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- HTTP --------------------------------------------------------------------------------------
    @property
    def tls(self):
        """With --tls-cert the server speaks HTTPS and WSS; tests trust any certificate and compare it themselves."""
        return "--tls-cert" in self.extra_args

    def ssl_context(self):
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _http(self, timeout):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.ssl_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def http_get(self, path, timeout=5):
        c = self._http(timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def http_get_full(self, path, timeout=5):
        c = self._http(timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode("utf-8", "replace")
        finally:
            c.close()

    @property
    def ws_url(self):
        return "%s://127.0.0.1:%d/ws" % ("wss" if self.tls else "ws", self.port)

    async def connect(self, **kw):
        return await Client.open(self, **kw)

    async def login(self, username, password=None, **kw):
        """Connects and logs in; returns the Client with .account and .token set."""
        c = await Client.open(self, **kw)
        r = await c.request("auth.login", username=username, password=password or self.password_of(username))
        res = expect_ok(r, "auth.login %s" % username)
        c.account, c.token = res.get("account"), res.get("token")
        return c

    def password_of(self, username):
        demo = {"mia", "andrei", "radu", "ioana", "elena", "ana", "sofie", "olav"}
        return DEMO_PASSWORD if username in demo else TEST_PASSWORD


# ---------------------------------------------------------------------------------------------------
# WebSocket client


class Client:
    """A samvaer.v1 connection. A reader task routes responses by id and queues events."""

    live = []                            # clients opened by the running case, closed after it

    def __init__(self, ws, source):
        Client.live.append(self)
        self.ws = ws
        self.source = source
        self.account = None
        self.token = None
        self.events = []                 # every event received, in order: (time, name, data)
        self._event_cursor = {}          # name -> index of the next unread event of that name
        self._responses = {}             # json(id) -> list of responses not yet claimed
        self._waiters = {}               # json(id) -> future
        self._event_signal = asyncio.Event()
        self._ids = itertools.count(1)
        self.close_code = None
        self.close_reason = None
        self.closed = asyncio.get_running_loop().create_future()
        self.junk = []                   # frames that are neither response nor event
        self.arrivals = []               # ids of responses in the order they arrived
        self._reader = asyncio.ensure_future(self._read_loop())

    @classmethod
    async def open(cls, server, subprotocols=(SUBPROTOCOL,), source=None, **kw):
        await server.settle()
        source = source or next_source_addr()
        if server.tls and "ssl" not in kw:
            kw["ssl"] = server.ssl_context()
        ws = await websockets.connect(server.ws_url, subprotocols=list(subprotocols) if subprotocols else None,
                                      compression=None, ping_interval=None, max_size=4 * 1024 * 1024,
                                      open_timeout=5, close_timeout=2, local_addr=(source, 0), **kw)
        return cls(ws, source)

    async def _read_loop(self):
        try:
            async for frame in self.ws:
                self._dispatch(frame)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # pragma: no cover - reported through junk
            self.junk.append("reader crashed: %r" % e)
        self.close_code = self.ws.close_code
        self.close_reason = self.ws.close_reason
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed (code %s %r) before the response"
                                                  % (self.close_code, self.close_reason)))
        if not self.closed.done():
            self.closed.set_result(self.close_code)
        self._event_signal.set()

    def _dispatch(self, frame):
        if isinstance(frame, bytes):
            self.junk.append("binary frame from server: %r" % frame[:80])
            return
        try:
            obj = json.loads(frame)
        except ValueError:
            self.junk.append("non-JSON frame from server: %r" % frame[:200])
            return
        if isinstance(obj, dict) and "event" in obj:
            self.events.append((time.monotonic(), obj.get("event"), obj.get("data")))
            self._event_signal.set()
            return
        if isinstance(obj, dict) and "id" in obj and "ok" in obj:
            key = json.dumps(obj["id"])
            self.arrivals.append(obj["id"])
            fut = self._waiters.get(key)
            if fut is not None and not fut.done():
                del self._waiters[key]
                fut.set_result(obj)
            else:
                self._responses.setdefault(key, []).append(obj)
            return
        self.junk.append("frame is neither response nor event: %s" % short(frame))

    # -- requests ----------------------------------------------------------------------------------
    def new_id(self):
        return "r%d" % next(self._ids)

    async def send_raw(self, text):
        await self.ws.send(text)

    async def response(self, rid, timeout=5):
        """The response whose id equals rid (a JSON value; None for id null)."""
        key = json.dumps(rid)
        if self._responses.get(key):
            return self._responses[key].pop(0)
        if self.closed.done():
            raise ConnectionError("connection closed (code %s %r); no response for id %s"
                                  % (self.close_code, self.close_reason, key))
        fut = asyncio.get_running_loop().create_future()
        self._waiters[key] = fut
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise TestFailure("no response for id %s within %.1fs" % (key, timeout))
        finally:
            self._waiters.pop(key, None)

    async def request_or_null(self, type_, timeout=3, **params):
        """Like request(), but a response with id null (the server could not find the id) also counts."""
        rid = self.new_id()
        await self.ws.send(json.dumps(dict(params, id=rid, type=type_)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for key in (json.dumps(rid), "null"):
                if self._responses.get(key):
                    return self._responses[key].pop(0)
            await asyncio.sleep(0.02)
        raise TestFailure("no response (with id %r or null) within %.1fs" % (rid, timeout))

    async def request(self, type_, timeout=5, rid=None, **params):
        rid = self.new_id() if rid is None else rid
        msg = dict(params)
        msg["id"] = rid
        msg["type"] = type_
        await self.ws.send(json.dumps(msg))
        resp = await self.response(rid, timeout)
        check(resp.get("id") == rid and type(resp.get("id")) is type(rid),
              "response id %r does not echo request id %r" % (resp.get("id"), rid))
        return resp

    async def ok(self, type_, timeout=5, **params):
        return expect_ok(await self.request(type_, timeout=timeout, **params), type_)

    async def send_text(self, agreement_id, text, client_key=None, timeout=5):
        key = client_key or "k-%d-%d" % (id(self), next(self._ids))
        return await self.request("msg.send", timeout=timeout, agreement_id=agreement_id, text=text,
                                  client_key=key)

    # -- events ------------------------------------------------------------------------------------
    async def next_event(self, name, timeout=2.0):
        """The next not-yet-consumed event called name; raises TestFailure on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            start = self._event_cursor.get(name, 0)
            for i in range(start, len(self.events)):
                if self.events[i][1] == name:
                    self._event_cursor[name] = i + 1
                    return self.events[i][2]
            self._event_cursor[name] = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure("no %r event within %.1fs (close code %s)" % (name, timeout, self.close_code))
            if self.closed.done():
                raise TestFailure("connection closed (code %s) while waiting for %r event"
                                  % (self.close_code, name))
            self._event_signal.clear()
            try:
                await asyncio.wait_for(self._event_signal.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def next_event_where(self, name, pred, timeout=2.0):
        """The next event called name for which pred(data) holds (others of that name are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            data = await self.next_event(name, max(left, 0.001))
            if pred(data):
                return data

    async def no_event(self, name, wait=0.5):
        """Asserts that no new event called name arrives within wait seconds; returns nothing."""
        try:
            data = await self.next_event(name, wait)
        except TestFailure:
            return
        raise TestFailure("unexpected %r event: %s" % (name, short(data)))

    def pending_events(self, name):
        start = self._event_cursor.get(name, 0)
        return [e[2] for e in self.events[start:] if e[1] == name]

    # -- closing -----------------------------------------------------------------------------------
    async def wait_closed(self, timeout=5):
        """Waits for the close; returns (code, reason). Code None means it did not close in time."""
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except asyncio.TimeoutError:
            return None, None
        return self.close_code, self.close_reason

    async def close(self):
        try:
            await self.ws.close()
        except Exception:
            pass
        try:
            await asyncio.wait_for(self._reader, 3)
        except Exception:
            self._reader.cancel()


async def still_serving(server, username="andrei", what="after the previous abuse"):
    """A fresh client can log in and ping, and /healthz answers 200."""
    check(server.alive(), "server process died %s (exit %s)" % (what, server.proc.poll()))
    c = await server.login(username)
    try:
        res = await c.ok("ping")
        check(isinstance(res.get("now"), int), "ping result has integer now: %r" % res)
    finally:
        await c.close()
    status, _ = server.http_get("/healthz")
    check_eq(status, 200, "/healthz status %s" % what)


# ---------------------------------------------------------------------------------------------------
# Raw WebSocket client for frames the websockets library will not produce


class RawWs:
    """A minimal RFC 6455 client over asyncio streams: handshake, send any frame, read the close frame."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.seen = []                   # (opcode, payload head) of non-close frames read by read_close

    @classmethod
    async def open(cls, port, subprotocol=SUBPROTOCOL, source=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(source or next_source_addr(), 0))
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (port, key))
        if subprotocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % subprotocol
        writer.write((req + "\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = head.split(b"\r\n", 1)[0]
        check(b" 101 " in status + b" ", "raw handshake refused: %r" % status)
        return cls(reader, writer)

    def send_frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            mkey = os.urandom(4)
            payload = bytes(b ^ mkey[i % 4] for i, b in enumerate(payload))
            head += mkey
        self.writer.write(head + payload)

    async def read_frame(self):
        b0, b1 = await self.reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        if b1 & 0x80:
            mkey = await self.reader.readexactly(4)
            data = await self.reader.readexactly(n)
            data = bytes(b ^ mkey[i % 4] for i, b in enumerate(data))
        else:
            data = await self.reader.readexactly(n)
        return b0 & 0x0F, data

    async def read_close(self, timeout=5):
        """Reads frames until a close frame; returns (code, reason), ('eof', None) or (None, None)."""
        async def loop():
            while True:
                try:
                    op, data = await self.read_frame()
                except (asyncio.IncompleteReadError, ConnectionError):
                    return "eof", None
                if op != 0x8:
                    self.seen.append((op, data[:120]))
                if op == 0x8:
                    if len(data) >= 2:
                        return struct.unpack("!H", data[:2])[0], data[2:].decode("utf-8", "replace")
                    return "no-code", None
        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            return None, None

    async def read_json(self, timeout=5):
        op, data = await asyncio.wait_for(self.read_frame(), timeout)
        check(op == 0x1, "expected a text frame, got opcode %d" % op)
        return json.loads(data)

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------------
# Runner


class Case:
    """One named test. fn(server) is async. fresh=True gives it a server of its own."""

    def __init__(self, name, fn, fresh=False, timeout=30, server_args=(), own_servers=False):
        self.name, self.fn, self.fresh, self.timeout, self.server_args = name, fn, fresh, timeout, server_args
        self.own_servers = own_servers    # fn(None): the case starts and stops its servers itself


async def _run_case(case, server):
    try:
        await asyncio.wait_for(case.fn(server), case.timeout)
    finally:
        # close every client the case left open, all at once, so the loop ends quickly
        left = [c for c in Client.live if not c.closed.done()]
        Client.live.clear()
        if left:
            await asyncio.wait([asyncio.ensure_future(c.close()) for c in left], timeout=3)
            for c in left:
                if not c.closed.done() and c.ws.transport is not None:
                    c.ws.transport.abort()


def _run_one(case, shared):
    """Runs one case; returns (ok, detail, server_to_keep)."""
    if case.own_servers:
        try:
            asyncio.run(_run_case(case, None))
            return True, "", shared
        except TestFailure as e:
            return False, str(e), shared
        except Exception as e:
            return False, "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=4)), shared
    server = shared
    own = None
    if case.fresh or server is None or not server.alive():
        own = Server(extra_args=case.server_args)
        try:
            own.start()
        except Exception as e:
            own.cleanup()
            return False, "server start failed: %s" % e, own
        server = own
    try:
        asyncio.run(_run_case(case, server))
        ok, detail = True, ""
    except asyncio.TimeoutError:
        ok, detail = False, "timed out after %ds" % case.timeout
    except TestFailure as e:
        ok, detail = False, str(e)
    except Exception as e:
        ok, detail = False, "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=4))
    if ok and not server.alive():
        ok, detail = False, "server process died during the case (exit %s)" % server.proc.poll()
    return ok, detail, server


def main(cases, shared_server=True):
    """Runs cases in order; fresh cases get their own server, others share one (restarted if it dies)."""
    passed = failed = 0
    shared = None
    for case in cases:
        t0 = time.monotonic()
        before = shared
        ok, detail, server = _run_one(case, shared if shared_server else None)
        dt = time.monotonic() - t0
        if not ok:
            print("FAIL %-40s (%.1fs) %s" % (case.name, dt, detail))
            if server is not None:
                print("  --- server log (tail) ---\n  " + server.log_tail(25).replace("\n", "\n  "))
            failed += 1
        else:
            print("PASS %-40s (%.1fs)" % (case.name, dt))
            passed += 1
        sys.stdout.flush()
        is_own = server is not before
        if is_own and (case.fresh or not shared_server):
            err = server.stop() if server.proc else None
            if err and ok:
                print("FAIL %-40s %s" % (case.name + ".clean_exit", err))
                print("  --- server log (tail) ---\n  " + server.log_tail(25).replace("\n", "\n  "))
                failed += 1
            server.cleanup()
        elif is_own:
            if shared is not None:
                shared.stop()
                shared.cleanup()
            shared = server
    if shared is not None:
        err = shared.stop()
        if err:
            print("FAIL %-40s %s" % ("server.clean_exit", err))
            print("  --- server log (tail) ---\n  " + shared.log_tail(25).replace("\n", "\n  "))
            failed += 1
        else:
            print("PASS %-40s" % "server.clean_exit")
            passed += 1
        shared.cleanup()
    print("integration: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
