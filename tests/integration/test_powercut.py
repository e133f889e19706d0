# test_powercut.py: a power cut, not kill -9: the server floods under the powercut.c shim, which keeps only what was
# fsynced (file bytes, and directory entries only once their directory was fsynced); the data directory is rebuilt
# from that and the server restarted on it. Every acknowledged message, receipt and audited refusal/login survives,
# the audit chain verifies. The same flood with acknowledgements that do not wait for the disk (--sync-full 0) must
# be caught losing something, or the test could not fail. A backup taken under the shim survives a cut too.
import asyncio
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

import powercut
from harness import SAMVAER_ADMIN, Case, Server, check, check_eq, main
from test_shutdown import full_history, sender

PAIRS = 3
FLOOD_MIN_S, FLOOD_MAX_S = 0.6, 1.5  # the cut comes at a random moment in this span of the flood


class ShimServer(Server):
    """A Server whose process runs under the shim (only that process: samvaer-admin runs without it)."""

    def __init__(self, data_dir, shadow, extra_args=()):
        super().__init__(data_dir=data_dir, extra_args=extra_args)
        self.shadow = shadow

    def start(self, seed=False, timeout=15):
        add = powercut.env(self.data_dir, self.shadow)
        saved = {k: os.environ.get(k) for k in add}
        os.environ.update(add)
        try:
            return super().start(seed=False, timeout=timeout)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


async def receipts(client, aid, log):
    """Answers every message from the peer with a read receipt; log[(aid, account)] = highest seq acknowledged."""
    me = client.account["id"]
    seen = 0
    pending = set()

    async def one(seq):
        try:
            r = await client.request("msg.receipt", agreement_id=aid, kind="read", seq=seq, timeout=15)
        except Exception:
            return
        if r.get("ok"):
            log[(aid, me)] = max(log.get((aid, me), 0), seq)

    while not client.closed.done():
        events = client.events[seen:]
        seen += len(events)
        for _t, name, data in events:
            if name == "message" and data.get("agreement_id") == aid and data.get("from") != me:
                pending.add(asyncio.ensure_future(one(data["seq"])))
        pending = {p for p in pending if not p.done()}
        await asyncio.sleep(0.005)
    await asyncio.gather(*pending, return_exceptions=True)


async def refusals(client, foreign_aid, log):
    """Writes into a conversation the account is no party to: each refusal is audited (log[account] counts them)."""
    me = client.account["id"]
    n = 0
    while not client.closed.done():
        n += 1
        try:
            r = await client.send_text(foreign_aid, "not mine %d" % n, client_key="x-%d" % n, timeout=15)
        except Exception:
            return
        if r.get("ok") is False and "decision" in (r.get("error") or {}):
            log[me] = log.get(me, 0) + 1
        await asyncio.sleep(0.01)


async def logins(srv, username, account_id, log):
    """Logs in again and again on new connections: each login answered is audited (log[account] counts them)."""
    while True:
        try:
            c = await srv.login(username)
        except Exception:
            return
        log[account_id] = log.get(account_id, 0) + 1
        await c.close()
        await asyncio.sleep(0.05)


async def flood_and_cut(srv, pairs, model, shutdown=False, span=(FLOOD_MIN_S, FLOOD_MAX_S), at_least=100, tag=""):
    """Floods messages, receipts, refusals and logins, then cuts the power (SIGKILL and the shim's image), or
    first shuts down cleanly, after a random time in span. Returns what the clients saw acknowledged."""
    msg_logs, rcpt_log, refusal_log, login_log, clients, tasks = [], {}, {}, {}, [], []
    for i, p in enumerate(pairs):
        other = pairs[(i + 1) % len(pairs)]["agreement_id"]
        for role in ("child", "contact"):
            c = await srv.login(p[role])
            log = {}
            clients.append(c)
            msg_logs.append((p["agreement_id"], log))
            tasks.append(asyncio.ensure_future(sender(c, p["agreement_id"], "%s%s%d" % (tag, role, i), log)))
            tasks.append(asyncio.ensure_future(receipts(c, p["agreement_id"], rcpt_log)))
        if len(pairs) > 1:
            r = await srv.login(p["child"])
            clients.append(r)
            tasks.append(asyncio.ensure_future(refusals(r, other, refusal_log)))
    tasks.append(asyncio.ensure_future(logins(srv, pairs[0]["contact"], pairs[0]["contact_id"], login_log)))
    await asyncio.sleep(random.uniform(*span))
    if shutdown:
        err = srv.stop()
        check(err is None, "clean stop before the cut: %s" % err)
    else:
        srv.proc.kill()                 # the power goes: nothing more reaches the disk
        srv.wait_exit()
        srv.proc = None
    # Every answer that left the server before it died counts: wait until each client has read all it got.
    await asyncio.wait_for(asyncio.gather(*[c.closed for c in clients], return_exceptions=True), 15)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    changed = powercut.cut(srv.data_dir, srv.shadow, model)
    acked = sum(1 for _aid, log in msg_logs for _text, seq in log.values() if seq is not None)
    print("  %s: %d messages, %d receipts, %d refusals, %d logins acknowledged; the cut (%s) changed %s" % (
        "stop" if shutdown else "kill", acked, len(rcpt_log), sum(refusal_log.values()),
        sum(login_log.values()), model,
        ", ".join("%s %s->%s bytes" % (k, a, b) for k, (a, b) in sorted(changed.items())) or "nothing"))
    check(acked >= at_least, "only %d messages acknowledged during the flood" % acked)
    check(at_least < 100 or (rcpt_log and refusal_log), "the flood had no receipts or refusals acknowledged: %s %s"
          % (rcpt_log, refusal_log))
    return {"messages": msg_logs, "receipts": rcpt_log, "refusals": refusal_log, "logins": login_log}


async def lost_after_restart(data_dir, pairs, acked):
    """Restarts on the data directory as the cut left it; returns a list of what acknowledged is missing."""
    srv = Server(data_dir=data_dir)
    lost = []
    try:
        srv.start(seed=False)
        by_pair = {p["agreement_id"]: p for p in pairs}
        for aid, log in acked["messages"]:
            c = await srv.login(by_pair[aid]["child"])
            msgs = await full_history(c, aid)
            await c.close()
            seqs = [m["seq"] for m in msgs]
            if seqs != list(range(1, len(msgs) + 1)):
                lost.append("conversation %d: seqs not continuous after the restart" % aid)
            by_text = {m.get("text"): m["seq"] for m in msgs}
            for key, (text, seq) in log.items():
                if seq is not None and by_text.get(text) != seq:
                    lost.append("message %s (acknowledged as seq %d, now %s)" % (key, seq, by_text.get(text)))
        r = srv.admin("audit", "verify", ok=False)
        if r.returncode != 0 or "intact" not in r.stdout:
            lost.append("audit verify: %s %s" % (r.stdout.strip(), r.stderr.strip()))
        err = srv.stop()
        check(err is None, "stopping the restarted server: %s" % err)
    finally:
        srv.cleanup()
    db = sqlite3.connect("file:%s/samvaer.db?mode=ro" % data_dir, uri=True)
    try:
        for (aid, account), seq in acked["receipts"].items():
            row = db.execute("SELECT delivered_seq, read_seq FROM receipts WHERE agreement_id=? AND account_id=?",
                             (aid, account)).fetchone()
            if not row or row[0] < seq or row[1] < seq:
                lost.append("read receipt of %d in conversation %d up to %d (stored: %s)" % (account, aid, seq, row))
        for kind, counts, extra in (("refusal", acked["refusals"], ""),
                                    ("login", acked["logins"], " AND detail LIKE '%\"ok\":true%'")):
            for account, n in counts.items():
                have = db.execute("SELECT count(*) FROM audit WHERE actor=? AND kind=?" + extra,
                                  (account, kind)).fetchone()[0]
                if have < n:
                    lost.append("audit: %d %s entries of account %d, %d were answered" % (have, kind, account, n))
    finally:
        db.close()
    return lost


_template = {}


def setup(root, pairs=PAIRS):
    """A fresh data directory with its pairs, made before the server starts (samvaer-admin runs unshimmed): a copy
    of one made once for every case."""
    if not _template:
        tdir = tempfile.mkdtemp(prefix="samvaer-powercut-template-")
        admin = Server(data_dir=tdir)
        _template.update(dir=tdir, pairs=[admin.add_pair() for _ in range(PAIRS)])
    data, shadow = os.path.join(root, "data"), os.path.join(root, "shadow")
    shutil.copytree(_template["dir"], data)
    return data, shadow, _template["pairs"][:pairs]


async def nothing_acknowledged_is_lost(_, model="lose_all", shutdown=False):
    root = tempfile.mkdtemp(prefix="samvaer-powercut-")
    srv = None
    try:
        data, shadow, pairs = setup(root)
        srv = ShimServer(data, shadow)
        srv.start()
        acked = await flood_and_cut(srv, pairs, model, shutdown)
        lost = await lost_after_restart(data, pairs, acked)
        check(not lost, "acknowledged but gone after the power cut (%d): %s" % (len(lost), lost[:8]))
    finally:
        if srv:
            srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


async def cut_in_the_first_second(_):
    """The server creates messages.log, and SQLite a new WAL at every start; the cut comes before the checkpoint
    thread's first sync of the WAL (1 s, which also syncs the folder as a side effect): only the server's own fsync
    of the folder keeps these names, and the messages acknowledged in them."""
    root = tempfile.mkdtemp(prefix="samvaer-powercut-")
    srv = None
    try:
        data, shadow, pairs = setup(root, pairs=1)
        check(not os.path.exists(os.path.join(data, "messages.log")), "samvaer-admin created messages.log")
        srv = ShimServer(data, shadow)
        srv.start()
        acked = await flood_and_cut(srv, pairs, "lose_all", span=(0.1, 0.2), at_least=1)
        lost = await lost_after_restart(data, pairs, acked)
        check(not lost, "acknowledged but gone after the power cut (%d): %s" % (len(lost), lost[:8]))
    finally:
        if srv:
            srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def merged(a, b):
    """What two rounds acknowledged together."""
    out = {"messages": a["messages"] + b["messages"], "receipts": dict(a["receipts"]), "refusals": {}, "logins": {}}
    for k, seq in b["receipts"].items():
        out["receipts"][k] = max(seq, out["receipts"].get(k, 0))
    for kind in ("refusals", "logins"):
        for counts in (a[kind], b[kind]):
            for k, n in counts.items():
                out[kind][k] = out[kind].get(k, 0) + n
    return out


async def torn_cut_then_another(_):
    """A cut that leaves part of the unsynced appends (a record or a WAL frame cut short), a restart under the shim
    that must recover from it durably, a second flood and a second cut: nothing acknowledged in either is lost."""
    root = tempfile.mkdtemp(prefix="samvaer-powercut-")
    srv = None
    try:
        data, shadow, pairs = setup(root)
        srv = ShimServer(data, shadow)
        srv.start()
        first = await flood_and_cut(srv, pairs, "torn", tag="one-")
        srv.cleanup()
        srv = ShimServer(data, shadow)
        srv.start()
        second = await flood_and_cut(srv, pairs, "lose_all", tag="two-")
        lost = await lost_after_restart(data, pairs, merged(first, second))
        check(not lost, "acknowledged but gone after two power cuts (%d): %s" % (len(lost), lost[:8]))
    finally:
        if srv:
            srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


async def cut_after_clean_stop(_):
    """SIGTERM, then the power goes with the directory entries on disk but no bytes past the last fsync."""
    await nothing_acknowledged_is_lost(_, model="keep_names", shutdown=True)


async def unsynced_acks_are_caught(_):
    """--sync-full 0 answers before the disk has the write: the same check must see acknowledged data lost. The
    message log is then never synced, so messages are always lost; the WAL is synced by SQLite's automatic
    checkpoints, so a cut just after one can keep every receipt and audit entry: one more round is allowed."""
    seen = set()
    for _round in range(2):
        root = tempfile.mkdtemp(prefix="samvaer-powercut-")
        srv = None
        try:
            data, shadow, pairs = setup(root)
            srv = ShimServer(data, shadow, extra_args=["--sync-full", "0"])
            srv.start()
            acked = await flood_and_cut(srv, pairs, "lose_all")
            lost = await lost_after_restart(data, pairs, acked)
        finally:
            if srv:
                srv.cleanup()
            shutil.rmtree(root, ignore_errors=True)
        kinds = {k: [x for x in lost if x.startswith(k)] for k in ("message", "read receipt", "audit")}
        print("  with --sync-full 0 the check finds acknowledged writes lost: %s" %
              ", ".join("%d %s" % (len(v), k) for k, v in kinds.items()))
        check(kinds["message"], "acknowledgements sent before the fsync lost no message: the check cannot fail")
        seen |= {k for k, v in kinds.items() if v}
        if len(seen) == len(kinds):
            return
    check(False, "acknowledgements sent before the fsync lost no %s in two rounds: the check cannot fail"
          % " or ".join(sorted(set(kinds) - seen)))


def admin_under_shim(root, shadow, *args):
    """samvaer-admin ARGS with the shim watching root (the backups' or the restore's folder, not the data)."""
    r = subprocess.run([SAMVAER_ADMIN] + [str(a) for a in args], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **powercut.env(root, shadow)))
    check(r.returncode == 0, "samvaer-admin %s: %s %s" % (" ".join(map(str, args)), r.stdout, r.stderr))
    return r


async def backup_and_restore_survive_cut(_):
    """`samvaer-admin backup` under the shim, a cut, and `verify` still passes; `restore` under the shim, a cut, and
    the restored folder serves every message. The data folder has a subfolder, whose entries need their own fsync."""
    root = tempfile.mkdtemp(prefix="samvaer-powercut-")
    srv = None
    try:
        data, _shadow, pairs = setup(root, pairs=1)
        os.makedirs(os.path.join(data, "keys", "old"))
        with open(os.path.join(data, "keys", "old", "note.txt"), "w") as f:
            f.write("a file in a subfolder: backup and restore keep it\n")
        srv = Server(data_dir=data)
        srv.start(seed=False)
        aid = pairs[0]["agreement_id"]
        c = await srv.login(pairs[0]["child"])
        for i in range(20):
            r = await c.send_text(aid, "before the backup %d" % i)
            check(r.get("ok"), "send: %s" % r)
        await c.close()
        backups, dest = os.path.join(root, "backups"), os.path.join(root, "backups", "b1")
        os.mkdir(backups)
        admin_under_shim(backups, os.path.join(root, "shadow-b"), "--data", data, "backup", dest)
        changed = powercut.cut(backups, os.path.join(root, "shadow-b"), "lose_all")
        print("  the cut after the backup changed: %s" % (changed or "nothing"))
        check(os.path.isdir(dest), "the backup's folder is gone after the cut (its rename was not made durable)")
        r = subprocess.run([SAMVAER_ADMIN, "verify", dest], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and "audit chain intact" in r.stdout,
              "verify after the cut: %s %s" % (r.stdout, r.stderr))
        srv.stop()
        srv.cleanup()
        srv = None
        restores = os.path.join(root, "restores")
        os.mkdir(restores)
        newdir = os.path.join(restores, "data")
        admin_under_shim(restores, os.path.join(root, "shadow-r"), "restore", dest, newdir)
        changed = powercut.cut(restores, os.path.join(root, "shadow-r"), "lose_all")
        print("  the cut after the restore changed: %s" % (changed or "nothing"))
        check(os.path.exists(os.path.join(newdir, "keys", "old", "note.txt")),
              "the restored subfolder's file is gone after the cut")
        srv = Server(data_dir=newdir)
        srv.start(seed=False)
        c = await srv.login(pairs[0]["child"])
        texts = [m["text"] for m in await full_history(c, aid)]
        await c.close()
        check_eq(texts, ["before the backup %d" % i for i in range(20)], "messages served after restore and cut")
    finally:
        if srv:
            srv.stop()
            srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


CASES = [
    Case("nothing_acknowledged_is_lost", nothing_acknowledged_is_lost, own_servers=True, timeout=90),
    Case("cut_in_the_first_second", cut_in_the_first_second, own_servers=True, timeout=60),
    Case("torn_cut_then_another", torn_cut_then_another, own_servers=True, timeout=90),
    Case("cut_after_clean_stop", cut_after_clean_stop, own_servers=True, timeout=90),
    Case("unsynced_acks_are_caught", unsynced_acks_are_caught, own_servers=True, timeout=90),
    Case("backup_and_restore_survive_cut", backup_and_restore_survive_cut, own_servers=True, timeout=90),
]

if __name__ == "__main__":
    try:
        main(CASES)
    finally:
        if _template:
            shutil.rmtree(_template["dir"], ignore_errors=True)
