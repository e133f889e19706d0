# test_install.py: `make install` as an operator uses it (docs/OPERATIONS.md "Install"): staged with DESTDIR, every file
# in place, the systemd unit's sandbox scored by `systemd-analyze security` (printed, and held at "OK"), and the
# installed server, run as an unprivileged user holding only CAP_NET_BIND_SERVICE as the unit grants it, serving
# HTTPS on a port below 1024 from the installed config and web files; without the capability it refuses to start.
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import SAMVAER_BIN, Case, check, check_eq, main

BUILD = os.path.dirname(os.path.abspath(SAMVAER_BIN))
NOBODY = 65534
EXPOSURE_MAX = 2.0   # systemd-analyze: below 2.0 is "OK"; the unit scores 1.4 today


def staged():
    """DESTDIR install of the build; returns (stage dir, unit text)."""
    stage = tempfile.mkdtemp(prefix="samvaer-stage-")
    os.chmod(stage, 0o755)                      # as / is: the unprivileged server must reach the installed files
    r = subprocess.run(["cmake", "--install", BUILD], env=dict(os.environ, DESTDIR=stage), capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, "cmake --install: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    units = [os.path.join(d, f) for d, _, fs in os.walk(stage) for f in fs if f == "samvaer.service"]
    check(len(units) == 1, "one samvaer.service installed: %s" % units)
    return stage, units[0]


def unit_value(text, key):
    m = re.search(r"^%s=(.*)$" % key, text, re.M)
    return m.group(1).strip() if m else None


def low_port():
    for port in range(700, 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port below 1024")


async def files_and_sandbox(_):
    stage, unit = staged()
    try:
        text = open(unit).read()
        exe = unit_value(text, "ExecStart").split()[0]
        conf = unit_value(text, "ExecStart").split("--config")[1].split()[0]
        for path in (exe, os.path.join(os.path.dirname(exe), "samvaer-admin"), conf):
            check(os.access(stage + path, os.R_OK), "installed: %s" % path)
        share = [d for d, _, fs in os.walk(stage) if d.endswith("/samvaer/web") and "index.html" in fs]
        check(share, "web app installed")
        check(os.path.exists(os.path.join(os.path.dirname(share[0]), "console", "index.html")), "console installed")
        for name in ("samvaer-backup.service", "samvaer-backup.timer"):
            check(os.path.exists(os.path.join(os.path.dirname(unit), name)), "%s installed" % name)
        sysusers = [os.path.join(d, f) for d, _, fs in os.walk(stage) for f in fs if "sysusers.d" in d]
        check(sysusers and "u samvaer" in open(sysusers[0]).read(), "the samvaer user is declared: %s" % sysusers)
        for key, want in (("User", "samvaer"), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                          ("PrivateTmp", "yes"), ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
                          ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"), ("StateDirectory", "samvaer")):
            check_eq(unit_value(text, key), want, "unit %s" % key)
        for line in open(stage + conf):
            if line.startswith("data_dir"):
                check_eq(line.split("=")[1].strip(), "/var/lib/samvaer", "config data_dir")
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit], capture_output=True, text=True,
                           timeout=60)
        m = re.search(r"Overall exposure level for samvaer.service: ([0-9.]+) (\w+)", r.stdout)
        check(m, "systemd-analyze security printed no score: %s %s" % (r.stdout[-300:], r.stderr[-300:]))
        print("  systemd-analyze security: exposure %s %s" % (m.group(1), m.group(2)))
        check(float(m.group(1)) <= EXPOSURE_MAX, "exposure %s above %.1f" % (m.group(1), EXPOSURE_MAX))
        # The config is the operator's: a second install keeps an edited one.
        with open(stage + conf, "a") as f:
            f.write("# edited by the operator\n")
        subprocess.run(["cmake", "--install", BUILD], env=dict(os.environ, DESTDIR=stage), capture_output=True,
                       timeout=120, check=True)
        check("edited by the operator" in open(stage + conf).read(), "reinstall kept the edited config")
    finally:
        shutil.rmtree(stage, ignore_errors=True)


async def low_port_without_root(_):
    stage, unit = staged()
    work = tempfile.mkdtemp(prefix="samvaer-lowport-")
    try:
        text = open(unit).read()
        exe = stage + unit_value(text, "ExecStart").split()[0]
        conf = stage + unit_value(text, "ExecStart").split("--config")[1].split()[0]
        share = os.path.dirname([d for d, _, fs in os.walk(stage) if d.endswith("/samvaer/web")][0])
        key, crt = os.path.join(work, "tls.key"), os.path.join(work, "tls.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=samvaer-install"],
                       check=True, capture_output=True)
        for d, _, fs in os.walk(work):
            os.chown(d, NOBODY, NOBODY)
            for f in fs:
                os.chown(os.path.join(d, f), NOBODY, NOBODY)
        port = low_port()
        args = [exe, "--config", conf, "--listen", "127.0.0.1", "--port", str(port), "--data",
                os.path.join(work, "data"), "--web", share + "/web", "--console", share + "/console", "--i18n-dir", share + "/i18n", "--tls-cert",
                crt, "--tls-key", key, "--log-file", os.path.join(work, "log"), "--media-port-base", "0"]
        as_nobody = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
        caps = ["--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
                "--bounding-set=-all,+net_bind_service"]
        # Without the capability: a clear failure to start, not a server that runs without listening.
        r = subprocess.run(as_nobody + ["--inh-caps=-all", "--bounding-set=-all"] + args, capture_output=True,
                           text=True, timeout=20)
        log = open(os.path.join(work, "log")).read() if os.path.exists(os.path.join(work, "log")) else r.stdout
        if os.path.exists(os.path.join(work, "log")):
            os.unlink(os.path.join(work, "log"))
        check(r.returncode != 0 and "cannot listen on 127.0.0.1:%d" % port in log,
              "port %d without CAP_NET_BIND_SERVICE: exit %d, log %s" % (port, r.returncode, log[-300:]))
        p = subprocess.Popen(as_nobody + caps + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = p.stdout.readline()
            check_eq(line.strip(), "samvaer: listening on https://127.0.0.1:%d" % port, "start-up line")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            import http.client
            c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=ctx)
            c.request("GET", "/")
            body = c.getresponse().read().decode()
            check_eq(body, open(share + "/web/index.html").read(), "the installed web app is served")
            uid = int(open("/proc/%d/status" % p.pid).read().split("Uid:")[1].split()[0])
            check_eq(uid, NOBODY, "the server runs unprivileged")
        finally:
            p.send_signal(signal.SIGTERM)
            check_eq(p.wait(10), 0, "exit status after SIGTERM")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


CASES = [Case("files_and_sandbox", files_and_sandbox, own_servers=True, timeout=120),
         Case("low_port_without_root", low_port_without_root, own_servers=True, timeout=120)]

if __name__ == "__main__":
    main(CASES)
