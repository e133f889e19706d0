#!/usr/bin/python3
# soak.py: `make soak`: SOAK_MINUTES (30) of mixed load on one samvaer (paced messaging on reconnecting clients,
# password logins, 1:1 video calls set up and torn down), sampling the server's RSS, open fds and latency every few
# seconds; judges growth trends; writes soak.csv, soak.svg and soak.md into SOAK_OUT. Exit 1 if a trend fails.
"""Usage: tests/bench/soak.py BUILD_DIR

Environment: SOAK_MINUTES (30), SOAK_OUT (docs/ for a run of 30 minutes or more, else BUILD_DIR/soak),
SOAK_MSG_CONNS (200), SOAK_MSG_RATE (200 messages/s in all), SOAK_CALLS (4 concurrent calls), SOAK_SAMPLE_S (5),
SOAK_KEEP (1: keep the temporary directory with the server log).
"""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "soak-login-password-1"


def env(name, default):
    return type(default)(os.environ.get(name, default))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_sample(pid):
    """(VmRSS KB, open fds, threads, CPU seconds) of a process."""
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir("/proc/%d/fd" % pid))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, fds, threads, cpu


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def result_fields(text):
    """The key=value pairs of the last RESULT line of a tool's output."""
    lines = [l for l in text.splitlines() if l.startswith("RESULT ")]
    return dict(kv.split("=", 1) for kv in lines[-1].split()[1:] if "=" in kv) if lines else {}


class Soak:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.minutes = env("SOAK_MINUTES", 30.0)
        self.out = os.environ.get("SOAK_OUT") or (os.path.join(ROOT, "docs") if self.minutes >= 30
                                                  else os.path.join(self.build, "soak"))
        self.msg_conns = env("SOAK_MSG_CONNS", 200)
        self.msg_rate = env("SOAK_MSG_RATE", 200)
        self.calls = env("SOAK_CALLS", 4)
        self.sample_s = env("SOAK_SAMPLE_S", 5.0)
        self.tmp = tempfile.mkdtemp(prefix="samvaer-soak-")
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.samples = []          # (t_s, rss_kb, fds, threads, cpu_pct, load, queued_bytes, messages_stored)
        self.msg_slices = []       # (t_s, p50_us, p99_us, delivered/s, errors, closes)
        self.call_slices = []      # (t_s, calls up, loss_pct, lat_p99_us, setup_p99_ms)
        self.logins = []           # (t_s, seconds for login + logout, ok)
        self.problems = []

    # -- setup -----------------------------------------------------------------------------------------------
    def admin(self, *args, stdin=None):
        return subprocess.run([os.path.join(self.build, "samvaer-admin"), "--data", self.data] + list(args),
                              input=stdin, capture_output=True, text=True, check=True)

    def seed(self):
        self.data = os.path.join(self.tmp, "data")
        n = self.msg_conns + 2 * self.calls
        n += n % 2
        tokens = os.path.join(self.tmp, "tokens.txt")
        self.admin("bench-seed", str(n), "--calls", "--tokens", tokens)
        lines = open(tokens).read().splitlines()
        self.msg_tokens = os.path.join(self.tmp, "msg-tokens.txt")
        self.call_tokens = os.path.join(self.tmp, "call-tokens.txt")
        open(self.msg_tokens, "w").write("\n".join(lines[:self.msg_conns]) + "\n")
        open(self.call_tokens, "w").write("\n".join(lines[self.msg_conns:self.msg_conns + 2 * self.calls]) + "\n")
        self.admin("account", "add", "soaklogin", "--role", "contact", "--name", "Soak", "--password-file", "-",
                   stdin=PASSWORD + "\n")

    def start_server(self):
        self.port = free_port()
        self.log = open(os.path.join(self.tmp, "server.log"), "wb")
        self.server = subprocess.Popen([os.path.join(self.build, "samvaer"), "--listen", "127.0.0.1", "--port",
                                        str(self.port), "--data", self.data, "--web", os.path.join(ROOT, "web"),
                                        "--log-level", "warn"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if b"listening on" in open(self.log.name, "rb").read():
                return
            if self.server.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit("soak: samvaer did not start:\n" + open(self.log.name).read()[-2000:])

    # -- load ------------------------------------------------------------------------------------------------
    def now(self):
        return time.monotonic() - self.t0

    def run_tool(self, args, timeout):
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            return -1, "", "timed out"

    def messaging(self):
        """Paced messaging in 10-second slices; each slice reconnects every client (auth.resume)."""
        while not self.stop.is_set():
            rc, out, err = self.run_tool([os.path.join(self.build, "bench-loadgen"), "--mode", "samvaer", "--port",
                                          str(self.port), "--tokens", self.msg_tokens, "--conns",
                                          str(self.msg_conns), "--rate", str(self.msg_rate), "--duration", "10",
                                          "--warmup", "1", "--text-len", "200"], 60)
            r = result_fields(out)
            if not r:
                self.problem("loadgen slice without a result (rc %d): %s" % (rc, err.strip()[-300:]))
                time.sleep(1)
                continue
            with self.lock:
                self.msg_slices.append((self.now(), int(r["p50_us"]), int(r["p99_us"]), float(r["rate"]),
                                        int(r["errors"]), int(r["closes"]) + int(r["failed"])))

    def calling(self):
        """Video calls in 20-second slices: set up, media both ways, torn down when the tool exits."""
        while not self.stop.is_set():
            rc, out, err = self.run_tool([os.path.join(self.build, "bench-calls"), "--mode", "samvaer", "--port",
                                          str(self.port), "--calls", str(self.calls), "--tokens", self.call_tokens,
                                          "--rate", "2", "--warmup", "3", "--duration", "15", "--server-pid",
                                          str(self.server.pid)], 90)
            r = result_fields(out)
            if not r:
                self.problem("bench-calls slice without a result (rc %d): %s" % (rc, err.strip()[-300:]))
                time.sleep(2)
                continue
            with self.lock:
                self.call_slices.append((self.now(), int(r.get("up", 0)), float(r.get("loss_pct", 100)),
                                         int(r.get("lat_p99_us", 0)), int(r.get("setup_p99_ms", 0))))
            time.sleep(1)

    def logging_in(self):
        """A password login (Argon2id on the hasher thread) and logout every 2 s."""
        asyncio.run(self._logins())

    async def _logins(self):
        import websockets
        while not self.stop.is_set():
            t = time.monotonic()
            ok = False
            try:
                async with websockets.connect("ws://127.0.0.1:%d/ws" % self.port, subprotocols=["samvaer.v1"],
                                              open_timeout=5, ping_interval=None) as ws:
                    await ws.send(json.dumps({"id": 1, "type": "auth.login", "username": "soaklogin",
                                              "password": PASSWORD}))
                    r = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if r.get("ok"):
                        await ws.send(json.dumps({"id": 2, "type": "auth.logout"}))
                        r = json.loads(await asyncio.wait_for(ws.recv(), 5))
                        ok = bool(r.get("ok"))
            except Exception as e:
                self.problem("login: %r" % e)
            with self.lock:
                self.logins.append((self.now(), time.monotonic() - t, ok))
            await asyncio.sleep(max(0.0, 2 - (time.monotonic() - t)))

    def problem(self, what):
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append("%.0fs %s" % (self.now(), what))

    def scrape(self):
        """(samvaer_output_queued_bytes, samvaer_messages_relayed_total) from /metrics; -1 when unknown."""
        try:
            import urllib.request
            body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=2).read().decode()
        except OSError:
            return -1, -1
        vals = []
        for name in ("samvaer_output_queued_bytes", "samvaer_messages_relayed_total"):
            m = re.search(r"^%s (\d+)$" % name, body, re.M)
            vals.append(int(m.group(1)) if m else -1)
        return tuple(vals)

    def sampling(self):
        last_cpu, last_t = None, None
        while not self.stop.is_set():
            t = self.now()
            try:
                rss, fds, threads, cpu = proc_sample(self.server.pid)
            except OSError:
                self.problem("server process gone")
                return
            pct = 100 * (cpu - last_cpu) / (t - last_t) if last_cpu is not None else 0.0
            last_cpu, last_t = cpu, t
            with self.lock:
                self.samples.append((t, rss, fds, threads, pct, loadavg()) + self.scrape())
            self.stop.wait(self.sample_s)

    def run(self):
        self.seed()
        self.start_server()
        self.t0 = time.monotonic()
        threads = [threading.Thread(target=f, daemon=True)
                   for f in (self.sampling, self.messaging, self.calling, self.logging_in)]
        for th in threads:
            th.start()
        end = self.t0 + self.minutes * 60
        next_note = 60
        while time.monotonic() < end and self.server.poll() is None:
            time.sleep(min(5, max(0.1, end - time.monotonic())))
            if self.now() >= next_note and self.samples:
                next_note += 60
                s = self.samples[-1]
                print("soak: %4.1f min  rss %.1f MB  fds %d  load %.2f  msg slices %d  call slices %d  logins %d"
                      % (s[0] / 60, s[1] / 1024, s[2], s[5], len(self.msg_slices), len(self.call_slices),
                         len(self.logins)), file=sys.stderr)
        self.stop.set()
        for th in threads:
            th.join(100)
        died = self.server.poll() is not None
        if died:
            self.problems.append("the server exited during the soak with %s" % self.server.returncode)
        else:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.problems.append("the server did not stop within 20 s of SIGTERM")
        return died


# -- judging ------------------------------------------------------------------------------------------------------
def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    if n < 2:
        return 0.0
    mx, my = mean([p[0] for p in points]), mean([p[1] for p in points])
    den = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den if den else 0.0


def judge(s):
    """Rows (figure, value, limit, verdict). Trends are fitted after the first quarter (warm-up: pools, caches)."""
    dur = s.samples[-1][0] if s.samples else 0
    start = dur / 4
    late = [x for x in s.samples if x[0] >= start]
    rows = []

    def row(name, value, limit, ok):
        rows.append((name, value, limit, "PASS" if ok else "FAIL"))

    rss_mb = [(x[0] / 60, x[1] / 1024) for x in late]
    rss_slope = slope(rss_mb)                     # MB per minute
    # Every message stored adds to the message log's in-memory index (24 bytes in its conversation's array, plus
    # its idempotency key's slot; both arrays double as they grow) until retention removes it: memory that grows
    # with data is expected. A leak shows as RSS growing faster than messages are stored, or growing without them.
    msg_pts = [(x[0] / 60, x[7]) for x in late if x[7] >= 0]
    msg_rate_min = slope(msg_pts)                 # messages stored per minute
    per_msg = rss_slope * 1048576 / msg_rate_min if msg_rate_min > 0 else float("inf")
    q2 = [y for t, y in rss_mb if t * 60 < dur / 2]
    q4 = [y for t, y in rss_mb if t * 60 >= 3 * dur / 4]
    row("server RSS, first / last sample", "%.1f / %.1f MB" % (s.samples[0][1] / 1024, s.samples[-1][1] / 1024),
        "(info)", True)
    row("RSS trend after the first quarter", "%+.3f MB/min (%+.0f MB/day)" % (rss_slope, rss_slope * 1440),
        "(info)", True)
    row("  of which per message stored (%.0f messages/min)" % msg_rate_min, "%.0f bytes" % per_msg,
        "<= 256 bytes", per_msg <= 256)
    row("RSS, last quarter's peak over the second quarter's", "%+.2f MB" % ((max(q4) - max(q2)) if q2 and q4 else 0),
        "(info)", True)
    fd_pts = [(x[0] / 60, x[2]) for x in late]
    fd_q2 = [y for t, y in fd_pts if t * 60 < dur / 2]
    fd_q4 = [y for t, y in fd_pts if t * 60 >= 3 * dur / 4]
    row("open fds, min..max after the first quarter", "%d..%d" % (min(y for _, y in fd_pts), max(y for _, y in fd_pts))
        if fd_pts else "n/a", "(info)", True)
    med = lambda xs: sorted(xs)[len(xs) // 2] if xs else 0
    # the count moves with the connections open at the instant (200 clients reconnect every 11 s): compare medians
    row("open fds, median of the last quarter vs the second", "%d vs %d" % (med(fd_q4), med(fd_q2))
        if fd_q2 and fd_q4 else "n/a", "<= second + 10", bool(fd_q2 and fd_q4) and med(fd_q4) <= med(fd_q2) + 10)
    msgs = [m for m in s.msg_slices if m[0] >= start]
    m2 = sorted(m[2] for m in msgs if m[0] < dur / 2)
    m4 = sorted(m[2] for m in msgs if m[0] >= 3 * dur / 4)
    row("messaging slices (10 s each), delivered/s", "%d slices, median %.0f/s" %
        (len(s.msg_slices), med(sorted(m[3] for m in s.msg_slices))), ">= 95%% of %d" % s.msg_rate,
        bool(s.msg_slices) and med(sorted(m[3] for m in s.msg_slices)) >= 0.95 * s.msg_rate)
    row("message p99, median slice: second / last quarter", "%.2f / %.2f ms" % (med(m2) / 1000, med(m4) / 1000),
        "last <= 1.5 x second + 1 ms", bool(m2 and m4) and med(m4) <= 1.5 * med(m2) + 1000)
    errs = sum(m[4] for m in s.msg_slices) + sum(m[5] for m in s.msg_slices)
    row("messaging errors + lost connections", str(errs), "0", errs == 0)
    calls = s.call_slices
    row("call slices (4 calls, 15 s media each)", "%d, %d of %d calls up" %
        (len(calls), sum(c[1] for c in calls), s.calls * len(calls)), "all up",
        bool(calls) and all(c[1] == s.calls for c in calls))
    row("call loss, worst slice", "%.3f %%" % max((c[2] for c in calls), default=100), "< 1 %",
        bool(calls) and max(c[2] for c in calls) < 1)
    logins_ok = sum(1 for l in s.logins if l[2])
    row("password logins + logouts", "%d of %d ok, median %.0f ms" %
        (logins_ok, len(s.logins), 1000 * med(sorted(l[1] for l in s.logins))), "all ok",
        bool(s.logins) and logins_ok == len(s.logins))
    row("machine load average, mean", "%.2f" % mean([x[5] for x in s.samples]), "(info: 2 cores, shared)", True)
    row("server CPU, mean", "%.0f %%" % mean([x[4] for x in s.samples[1:]]), "(info)", True)
    return rows


# -- output -------------------------------------------------------------------------------------------------------
def svg(s, path):
    """Three panels over time: RSS (MB), open fds, message p99 (ms, per 10 s slice)."""
    W, H, L, R, PH, GAP = 760, 580, 70, 20, 140, 40
    dur_min = max(1e-6, (s.samples[-1][0] if s.samples else 1) / 60)
    panels = [("server RSS (MB)", [(x[0] / 60, x[1] / 1024) for x in s.samples], "#1f77b4"),
              ("open file descriptors", [(x[0] / 60, x[2]) for x in s.samples], "#2ca02c"),
              ("message p99, send to delivery (ms)", [(m[0] / 60, m[2] / 1000) for m in s.msg_slices], "#d62728")]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (W, H), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">samvaer soak: %.0f minutes of mixed load (messaging %d/s on %d '
           'clients, %d calls, logins)</text>' % (L, dur_min, s.msg_rate, s.msg_conns, s.calls)]
    for k, (title, pts, color) in enumerate(panels):
        top = 40 + k * (PH + GAP)
        ys = [y for _, y in pts] or [0]
        lo, hi = 0, max(ys) * 1.15 or 1
        out.append('<text x="%d" y="%d">%s</text>' % (L, top - 6, title))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (L, top, W - L - R, PH))
        for frac in (0, 0.5, 1):
            v = lo + frac * (hi - lo)
            y = top + PH - frac * PH
            out.append('<text x="%d" y="%.1f" text-anchor="end">%.4g</text>' % (L - 6, y + 4, v))
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (L, W - R, y, y))
        poly = " ".join("%.1f,%.1f" % (L + (x / dur_min) * (W - L - R), top + PH - (y - lo) / (hi - lo) * PH)
                        for x, y in pts)
        out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (color, poly))
    base = 40 + 3 * (PH + GAP) - GAP + 16
    for m in range(0, int(dur_min) + 1, max(1, int(dur_min) // 10)):
        x = L + (m / dur_min) * (W - L - R)
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x, base, m))
    out.append('<text x="%d" y="%d" text-anchor="middle">minutes</text>' % ((L + W - R) // 2, base + 16))
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


def write_outputs(s, rows):
    os.makedirs(s.out, exist_ok=True)
    with open(os.path.join(s.out, "soak.csv"), "w") as f:
        f.write("t_s,rss_kb,fds,threads,server_cpu_pct,load1,output_queued_bytes,messages_stored\n")
        for x in s.samples:
            f.write("%.1f,%d,%d,%d,%.1f,%.2f,%d,%d\n" % x)
    svg(s, os.path.join(s.out, "soak.svg"))
    lines = ["| figure | measured | limit | result |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % r for r in rows]
    with open(os.path.join(s.out, "soak.md"), "w") as f:
        f.write("Soak run of %s UTC: `SOAK_MINUTES=%g make soak` (tests/bench/soak.py)\n\n"
                % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()), s.minutes))
        f.write("\n".join(lines) + "\n")
        if s.problems:
            f.write("\nProblems seen:\n" + "".join("- %s\n" % p for p in s.problems))
    return lines


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    s = Soak(sys.argv[1])
    print("soak: %g minutes, output to %s, temporary files in %s" % (s.minutes, s.out, s.tmp), file=sys.stderr)
    try:
        s.run()
    finally:
        if getattr(s, "server", None) is not None and s.server.poll() is None:
            s.server.kill()
    rows = judge(s) if s.samples else [("samples", "none", "some", "FAIL")]
    for line in write_outputs(s, rows):
        print(line)
    for p in s.problems:
        print("problem:", p)
    if os.environ.get("SOAK_KEEP"):
        print("soak: kept %s" % s.tmp, file=sys.stderr)
    else:
        shutil.rmtree(s.tmp, ignore_errors=True)
    fails = sum(1 for r in rows if r[3] == "FAIL")
    print("soak: %s" % ("all trends flat, every check passed" if not fails else "%d check(s) failed" % fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
