#!/usr/bin/python3
"""fsync_probe.py [FILE] [SECONDS]: the disk's own fdatasync latency, to compare with the syncer's.

Writes 8 KiB and fdatasyncs it about 800 times a second (a 16 MiB file overwritten in place, as the WAL is
after its first restart) and prints the latency percentiles and how many syncs took over 2 and 4 ms.
Run it on an idle machine, e.g. `taskset -c 1 tests/bench/fsync_probe.py /tmp/probe 10`."""
import os
import sys
import time

path = sys.argv[1] if len(sys.argv) > 1 else "fsync-probe.dat"
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
size = 16 << 20
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"\0" * size, 0)
os.fdatasync(fd)
buf = os.urandom(8192)
off, ms = 0, []
end = time.time() + seconds
while time.time() < end:
    os.pwrite(fd, buf, off)
    off = (off + len(buf)) % size
    t0 = time.perf_counter()
    os.fdatasync(fd)
    ms.append((time.perf_counter() - t0) * 1e3)
    time.sleep(0.001)
os.close(fd)
os.unlink(path)
ms.sort()
n = len(ms)
print("syncs %d p50 %.3f ms p99 %.3f ms p99.9 %.2f ms max %.1f ms  over 2 ms: %d  over 4 ms: %d"
      % (n, ms[n // 2], ms[int(n * 0.99)], ms[int(n * 0.999)], ms[-1],
         sum(d > 2 for d in ms), sum(d > 4 for d in ms)))
