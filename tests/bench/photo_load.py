# photo_load.py: photos uploaded to a running server one after another over tus (/files/), so its processing pool
# is never idle: the load beside the messaging benchmark (scripts/bench.sh, "photos beside messaging").
# Each of INFLIGHT clients creates an upload, sends the photo paced like a phone on a good connection (25 MB/s in
# 64 KB writes, evenly spread), waits for the final PATCH's answer (given once the photo is processed), deletes
# nothing (a processed upload is an attachment waiting to be sent) and starts again. A full queue answers 503
# upload_busy with Retry-After: the client waits that long, as the web app does.
# With PERIOD, photos are started only in the even PERIOD-second periods of CLOCK_MONOTONIC (monotonic time / PERIOD),
# and the odd ones are left quiet: bench-loadgen --alt-period PERIOD measures the messages of both in the same run.
# Usage: photo_load.py PORT TOKEN AGREEMENT_ID PHOTO SECONDS [INFLIGHT [PERIOD]]
#   -> "photos N busy B refused R" on stdout; exit 1 when a photo was refused or none was processed.
import base64
import http.client
import sys
import threading
import time

PORT, TOKEN, AGREEMENT, PHOTO, SECONDS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
INFLIGHT = int(sys.argv[6]) if len(sys.argv) > 6 else 3
PERIOD_NS = int(float(sys.argv[7]) * 1e9) if len(sys.argv) > 7 else 0
PACE = 25e6  # bytes per second per upload
STEP = 65536
BODY = open(PHOTO, "rb").read()
META = "kind %s,agreement_id %s" % (base64.b64encode(b"photo").decode(), base64.b64encode(AGREEMENT.encode()).decode())
counts = {"photos": 0, "busy": 0, "refused": 0}
lock = threading.Lock()


def count(key):
    with lock:
        counts[key] += 1


def one(c):
    """One photo: creation (or a busy answer), then the paced PATCH. Returns the seconds to wait before the next."""
    c.request("POST", "/files/", headers={"Tus-Resumable": "1.0.0", "Authorization": "Bearer " + TOKEN,
                                          "Upload-Length": str(len(BODY)), "Upload-Metadata": META})
    r = c.getresponse()
    r.read()
    if r.status == 503:
        count("busy")
        return float(r.getheader("Retry-After") or 1)
    if r.status != 201:
        count("refused")
        print("creation answered %d" % r.status, file=sys.stderr)
        return 1.0
    c.putrequest("PATCH", r.getheader("Location"))
    for k, v in (("Tus-Resumable", "1.0.0"), ("Authorization", "Bearer " + TOKEN), ("Upload-Offset", "0"),
                 ("Content-Type", "application/offset+octet-stream"), ("Content-Length", str(len(BODY)))):
        c.putheader(k, v)
    c.endheaders()
    t0 = time.monotonic()
    for off in range(0, len(BODY), STEP):
        due = t0 + off / PACE
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        c.sock.sendall(BODY[off:off + STEP])
    r = c.getresponse()
    r.read()
    if r.status == 204:
        count("photos")
    else:
        count("refused")
        print("PATCH answered %d" % r.status, file=sys.stderr)
    return 0.0


def client(end):
    c = http.client.HTTPConnection("127.0.0.1", int(PORT), timeout=60)
    while time.monotonic() < end:
        now = time.monotonic_ns()
        if PERIOD_NS and (now // PERIOD_NS) % 2:  # a quiet period: wait for the next loaded one
            time.sleep(min(((now // PERIOD_NS) + 1) * PERIOD_NS - now, max(0, end - time.monotonic()) * 1e9) / 1e9)
            continue
        wait = one(c)
        if wait:
            time.sleep(min(wait, max(0.0, end - time.monotonic())))
    c.close()


def main():
    end = time.monotonic() + SECONDS
    threads = [threading.Thread(target=client, args=(end,)) for _ in range(INFLIGHT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("photos %d busy %d refused %d" % (counts["photos"], counts["busy"], counts["refused"]))
    return 0 if counts["photos"] > 0 and counts["refused"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
