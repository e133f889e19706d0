# test_backup.py: `samvaer-admin backup` while the server runs under a message flood, then `verify` and `restore`
# into a new data directory; a server started on it holds every message acknowledged before the backup began, with
# seqs continuous and the audit chain intact (docs/OPERATIONS.md "Backup and restore"). Damaged backups are refused.
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import SAMVAER_ADMIN, Case, Server, check, check_eq, main
from test_shutdown import full_history, sender

PAIRS = 3
FLOOD_BEFORE_S = 0.8   # sending before the backup starts
FLOOD_AFTER_S = 0.4    # and after it ended


def admin_bare(*args, ok=True):
    """samvaer-admin without --data (restore and verify never open a data directory's database)."""
    import subprocess
    r = subprocess.run([SAMVAER_ADMIN] + [str(a) for a in args], capture_output=True, text=True, timeout=60)
    if ok:
        check(r.returncode == 0, "samvaer-admin %s: %d %s%s" % (" ".join(map(str, args)), r.returncode, r.stdout,
                                                                r.stderr))
    return r


async def flood_backup_restore(_):
    srv = Server()
    srv2 = None
    root = tempfile.mkdtemp(prefix="samvaer-backup-")
    try:
        srv.start()
        pairs = [srv.add_pair() for _ in range(PAIRS)]
        await srv.settle()
        clients, tasks, logs = [], [], []
        for i, p in enumerate(pairs):
            for role in ("child", "contact"):
                c = await srv.login(p[role])
                log = {}
                clients.append(c)
                logs.append((p["agreement_id"], log))
                tasks.append(asyncio.ensure_future(sender(c, p["agreement_id"], "%s%d" % (role, i), log)))
        await asyncio.sleep(FLOOD_BEFORE_S)
        # Everything acknowledged up to here must be in the backup.
        acked = [(aid, {k: v for k, v in log.items() if v[1] is not None}) for aid, log in logs]
        n_acked = sum(len(a) for _, a in acked)
        check(n_acked > 50, "only %d messages acknowledged before the backup" % n_acked)
        # Working folders hold only what a start throws away (an upload in progress, an export being made).
        for work in ("spool", "exports"):
            with open(os.path.join(srv.data_dir, work, "in-progress"), "wb") as f:
                f.write(b"x" * 1000)
        dest = os.path.join(root, "b1")
        t0 = time.monotonic()
        code, out, err = await srv.admin_async("backup", dest)
        took = time.monotonic() - t0
        during = sum(1 for _, log in logs for v in log.values() if v[1] is not None) - n_acked
        await asyncio.sleep(FLOOD_AFTER_S)
        for c in clients:
            await c.close()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        check("backup written to" in out, "backup said: %s %s" % (out, err))
        print("  backup of %d acknowledged messages in %.2fs; %d more acknowledged while it ran" %
              (n_acked, took, during))
        check(during > 0, "the flood did not go on while the backup ran (the server was blocked?)")
        manifest = json.load(open(os.path.join(dest, "MANIFEST.json")))
        check_eq(manifest["format"], "samvaer-backup-1", "manifest format")
        work = [f["path"] for f in manifest["files"] if f["path"].split("/")[0] in ("spool", "exports")]
        check(not work and not os.path.exists(os.path.join(dest, "exports")), "working folders backed up: %s" % work)
        check(manifest["messages"] >= n_acked, "manifest counts %d messages, %d were acknowledged"
              % (manifest["messages"], n_acked))
        # verify, then restore into a new directory and serve it
        r = admin_bare("verify", dest)
        check("audit chain intact" in r.stdout, "verify said: %s" % r.stdout)
        newdir = os.path.join(root, "restored")
        admin_bare("restore", dest, newdir)
        r = admin_bare("--data", newdir, "audit", "verify")
        check("intact" in r.stdout, "audit verify on the restored data: %s" % r.stdout)
        srv2 = Server(data_dir=newdir)
        srv2._usernames = srv._usernames
        srv2.start(seed=False)
        for p, (aid, got) in zip([p for p in pairs for _ in (0, 1)], acked):
            c = await srv2.login(p["child"])
            msgs = await full_history(c, aid)
            await c.close()
            check_eq([m["seq"] for m in msgs], list(range(1, len(msgs) + 1)), "restored seqs are continuous")
            by_text = {m["text"]: m["seq"] for m in msgs}
            lost = [(k, seq) for k, (text, seq) in got.items() if by_text.get(text) != seq]
            check(not lost, "acknowledged before the backup but missing or moved after restore: %s" % lost[:5])
    finally:
        srv.stop()
        srv.cleanup()
        if srv2:
            srv2.stop()
        shutil.rmtree(root, ignore_errors=True)


async def refusals(server):
    root = tempfile.mkdtemp(prefix="samvaer-backup-")
    try:
        dest = os.path.join(root, "b")
        await server.admin_async("backup", dest)
        r = await server.admin_async("backup", dest, ok=False)
        check(r[0] == 1 and "already exists" in r[2], "a second backup over the first: %s" % (r,))
        # a damaged file is named
        bad = os.path.join(root, "bad")
        shutil.copytree(dest, bad)
        with open(os.path.join(bad, "messages.log"), "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0x55]))
        r = admin_bare("verify", bad, ok=False)
        check(r.returncode == 1 and "messages.log does not match the manifest" in r.stderr,
              "verify of a damaged backup: %s" % r.stderr)
        os.unlink(os.path.join(bad, "MANIFEST.json"))
        r = admin_bare("verify", bad, ok=False)
        check(r.returncode == 1 and "not a Samvaer backup" in r.stderr, "verify without manifest: %s" % r.stderr)
        # restore never writes into a directory in use
        busy = os.path.join(root, "busy")
        os.mkdir(busy)
        open(os.path.join(busy, "x"), "w").close()
        r = admin_bare("restore", dest, busy, ok=False)
        check(r.returncode == 1 and "not empty" in r.stderr, "restore into a non-empty dir: %s" % r.stderr)
        # scheduled backups keep the newest N
        keep = os.path.join(root, "keep")
        os.mkdir(keep)
        for _ in range(3):
            await server.admin_async("backup", "--into", keep, "--keep", 2)
            await asyncio.sleep(1.05)          # names carry the second
        left = sorted(os.listdir(keep))
        check_eq(len(left), 2, "backups kept with --keep 2: %s" % left)
        for name in left:
            admin_bare("verify", os.path.join(keep, name))
    finally:
        shutil.rmtree(root, ignore_errors=True)


CASES = [
    Case("flood_backup_restore", flood_backup_restore, own_servers=True, timeout=90),
    Case("refusals", refusals, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
