# spin_load.py: CPU burnt in a loop that touches no memory, no disk and no network, in the even PERIOD-second periods
# of CLOCK_MONOTONIC for SECONDS, the odd ones left quiet (as photo_load.py). scripts/bench.sh runs it at SCHED_IDLE
# on the load generator's CPU beside the paced messages: the least any work on that CPU can cost them, which is
# this host's floor for the "photos beside messaging" ratio. No server is involved.
# Usage: spin_load.py SECONDS PERIOD  -> "spun S s" on stdout (the CPU time it got)
import sys
import time

SECONDS, PERIOD_NS = float(sys.argv[1]), int(float(sys.argv[2]) * 1e9)
end = time.monotonic() + SECONDS
while time.monotonic() < end:
    now = time.monotonic_ns()
    if (now // PERIOD_NS) % 2:  # a quiet period: sleep to the next loaded one
        time.sleep(min(((now // PERIOD_NS) + 1) * PERIOD_NS - now, max(0.0, end - time.monotonic()) * 1e9) / 1e9)
        continue
    x = 0
    for i in range(20000):  # about a millisecond between clock reads
        x += i
print("spun %.1f s" % time.process_time())
