# test_tls.py: HTTPS and WSS as an operator runs them (docs/OPERATIONS.md "TLS"): TLS 1.2+ only with AEAD suites,
# TLS 1.3 preferred, HSTS on every response, the certificate swapped under a live WebSocket and reloaded on SIGHUP (a
# new connection sees the new one, the old connection goes on), a bad pair refused without harm, the log file
# reopened on SIGHUP after a rotation, and a loud warning when plain HTTP is served beyond loopback.
import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import SAMVAER_BIN, SAMVAER_WEB, Case, Server, check, check_eq, free_port, main

DIR = tempfile.mkdtemp(prefix="samvaer-tls-")


def make_cert(name):
    key, crt = os.path.join(DIR, name + ".key"), os.path.join(DIR, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=samvaer-" + name],
                   check=True, capture_output=True)
    der = ssl.PEM_cert_to_DER_cert(open(crt).read())
    return crt, key, der


A, B = make_cert("a"), make_cert("b")
LIVE_CRT, LIVE_KEY = os.path.join(DIR, "live.crt"), os.path.join(DIR, "live.key")
LOG = os.path.join(DIR, "server.log")


def install(pair):
    """Replace the live files the way certbot does: write aside, rename over."""
    for src, dst in ((pair[0], LIVE_CRT), (pair[1], LIVE_KEY)):
        shutil.copy(src, dst + ".new")
        os.rename(dst + ".new", dst)


install(A)
TLS_ARGS = ("--tls-cert", LIVE_CRT, "--tls-key", LIVE_KEY, "--log-file", LOG)


def handshake(server, **ctx_opts):
    """A fresh TLS connection: (version, cipher, the server's certificate in DER)."""
    ctx = server.ssl_context()
    for k, v in ctx_opts.items():
        setattr(ctx, k, v)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.version(), s.cipher()[0], s.getpeercert(binary_form=True)


async def wait_log(text, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(LOG) and text in open(LOG, errors="replace").read():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("%r not in %s" % (text, LOG))


async def modern_only(server):
    version, cipher, der = handshake(server)
    check_eq((version, der), ("TLSv1.3", A[2]), "default handshake")
    version, cipher, _ = handshake(server, maximum_version=ssl.TLSVersion.TLSv1_2)
    check(version == "TLSv1.2" and ("GCM" in cipher or "CHACHA20" in cipher) and cipher.startswith("ECDHE"),
          "TLS 1.2 uses ECDHE with an AEAD: %s %s" % (version, cipher))
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        ctx = server.ssl_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = old
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")           # this client would speak it: the server must refuse
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
                with ctx.wrap_socket(raw) as s:
                    raise AssertionError("a %s handshake was accepted: %s" % (old.name, s.cipher()))
        except ssl.SSLError as e:
            check("PROTOCOL_VERSION" in str(e).upper(), "%s refused by the server's alert, not the client: %s"
                  % (old.name, e))
    try:  # TLS 1.2 without an AEAD suite (CBC only) is refused
        ctx = server.ssl_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with ctx.wrap_socket(raw) as s:
                raise AssertionError("a CBC suite was accepted: %s" % (s.cipher(),))
    except ssl.SSLError:
        pass
    for path in ("/", "/api/me", "/healthz"):
        status, headers, _ = server.http_get_full(path)
        check_eq(headers.get("strict-transport-security"), "max-age=31536000", "HSTS on %s (%d)" % (path, status))


async def reload_under_live_socket(server):
    live = await server.login("mia", "samvaer-demo")
    ssl_obj = live.ws.transport.get_extra_info("ssl_object")
    check_eq(ssl_obj.getpeercert(binary_form=True), A[2], "the live socket's certificate")
    install(B)
    server.signal(signal.SIGHUP)
    await wait_log("TLS certificate reloaded")
    check_eq(handshake(server)[2], B[2], "a new connection after SIGHUP sees the new certificate")
    fresh = await server.login("andrei", "samvaer-demo")
    check_eq(fresh.ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True), B[2], "new WSS cert")
    await live.ok("ping")                                  # the old connection goes on, over the old session
    await live.ok("contacts.list")
    _, _, body = server.http_get_full("/metrics")
    check("samvaer_tls_reloads_total 1" in body, "metrics count the reload")
    # a key that does not match: refused, logged, the current certificate stays
    shutil.copy(A[1], LIVE_KEY)
    server.signal(signal.SIGHUP)
    await wait_log("the previous certificate stays in use")
    check_eq(handshake(server)[2], B[2], "after a bad pair the last good certificate is served")
    await live.ok("ping")
    install(B)


async def log_reopened(server):
    os.rename(LOG, LOG + ".1")                            # logrotate moves the file away
    server.signal(signal.SIGHUP)
    await wait_log("SIGHUP: TLS certificate reloaded")    # written to a new file at the old path
    check(os.path.getsize(LOG) > 0, "the new log file has the lines after the rotation")
    rotated = open(LOG + ".1").read()
    check(rotated.count("TLS certificate reloaded") == 1, "the rotated file got no line after the rotation")


async def plain_beyond_loopback(_):
    port = free_port()
    data = tempfile.mkdtemp(prefix="samvaer-tls-plain-")
    p = subprocess.Popen([SAMVAER_BIN, "--listen", "0.0.0.0", "--port", str(port), "--data", data, "--web",
                          SAMVAER_WEB], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        out = ""
        while "listening on" not in out and time.monotonic() < deadline:
            out += p.stdout.readline()
        check("WARNING: serving plain HTTP on 0.0.0.0" in out, "no warning for plain HTTP on 0.0.0.0: %s" % out)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        shutil.rmtree(data, ignore_errors=True)


CASES = [Case(name, fn, server_args=TLS_ARGS) for name, fn in [
    ("modern_only", modern_only),
    ("reload_under_live_socket", reload_under_live_socket),
    ("log_reopened", log_reopened),
]] + [Case("plain_beyond_loopback", plain_beyond_loopback, own_servers=True)]

if __name__ == "__main__":
    try:
        main(CASES)
    finally:
        shutil.rmtree(DIR, ignore_errors=True)
