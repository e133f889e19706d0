# test_retention.py: retention and erasure (docs/ADMIN-API.md "Retention and erasure", docs/ADMIN-CLI.md): a case's
# message period set by its caseworker makes the background sweep remove older messages from history AND from the
# bytes of messages.log, reported in the audit trail and /metrics; erasing a person (admin API, server running) or a
# case (CLI, server stopped) leaves `samvaer-admin audit verify` intact and the person's data unreadable; scope.
import asyncio
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import SAMVAER_ADMIN, Case, Server, TestFailure, check, check_eq, expect_error, expect_ok, main, now_ms
from test_admin_api import expect_api, family, token

DAY_MS = 86400000


def old_only(messages, days):
    """Texts (bytes) of messages older than `days` that no newer message repeats (the demo reuses lines)."""
    cut = now_ms() - days * DAY_MS
    newer = {m["text"] for m in messages if m["sent_at"] >= cut}
    return {m["text"].encode() for m in messages if m["sent_at"] < cut and m["text"] not in newer}


def log_bytes(server):
    with open(os.path.join(server.data_dir, "messages.log"), "rb") as f:
        return f.read()


def log_records(server):
    """(agreement, seq) of every record in messages.log (server/store/msglog.h: 12-byte header, then agreement, seq,
    sender, sent_at as little-endian int64, ...)."""
    data, out, off = log_bytes(server), [], 0
    while off + 12 <= len(data):
        n = int.from_bytes(data[off + 4:off + 8], "little")
        p = off + 12
        out.append((int.from_bytes(data[p:p + 8], "little"), int.from_bytes(data[p + 8:p + 16], "little")))
        off += 12 + n
    return out


def verify_audit(server):
    r = subprocess.run([SAMVAER_ADMIN, "--data", server.data_dir, "audit", "verify"], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0 and "chain intact" in r.stdout, "audit verify: %s%s" % (r.stdout, r.stderr))


def audit_text(server):
    return server.admin("audit", "list", "--limit", "100000").stdout


async def history(client, aid, limit=100):
    return expect_ok(await client.request("msg.history", agreement_id=aid, limit=limit), "history")["messages"]


def metric(server, name):
    status, text = server.http_get("/metrics")
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    check(status == 200 and m, "/metrics has %s" % name)
    return int(m.group(1))


async def wait_for(what, pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        await asyncio.sleep(0.1)
    raise TestFailure("timed out waiting for %s" % what)


async def sweep_removes_old_messages(server):
    mia = await server.login("mia")
    before = await history(mia, 1)
    old = old_only(before, 7)
    check(old, "the demo has messages older than a week")
    check(all(t in log_bytes(server) for t in old), "the old messages are in messages.log before the sweep")
    ana = await token(server, "ana")
    got = await expect_api(server, "POST", "/api/cases/1/retention", ana, {"messages_days": 7, "media_days": 30})
    check_eq((got["messages_days"], got["media_days"], got["recordings_days"]), (7, 30, 0), "periods stored")
    got = await expect_api(server, "GET", "/api/cases/1/retention", ana)
    check_eq(got["messages_days"], 7, "periods read back")
    out = server.admin("retention", "mia").stdout
    check("messages 7 days, media 30 days, recordings 0 days" in out, "the CLI shows the periods: %s" % out)
    out = server.admin("retention", "mia", "--recordings", "90").stdout
    check("messages 7 days, media 30 days, recordings 90 days" in out, "the CLI changes one period: %s" % out)
    check(server.admin("retention", "mia", "--messages", "-3", ok=False).returncode == 2, "negative days refused")
    # the sweep runs every second here (--retention-sweep-s 1); sends go on while the log is compacted
    andrei = await server.login("andrei")
    acked = []

    async def flood():
        for i in range(300):
            r = expect_ok(await andrei.send_text(1, "during compaction %d" % i), "send during the compaction")
            acked.append((r["seq"], "during compaction %d" % i))
    sending = asyncio.ensure_future(flood())
    await wait_for("the sweep to rewrite messages.log", lambda: not any(t in log_bytes(server) for t in old))
    await sending
    check("compacted in the background" in server.log_text(), "the compaction is logged")
    got = {}
    before_seq = 0
    while True:
        page = expect_ok(await mia.request("msg.history", agreement_id=1, limit=100,
                                           **({"before": before_seq} if before_seq else {})), "history page")
        got.update({m["seq"]: m for m in page["messages"]})
        if not page["more"]:
            break
        before_seq = page["messages"][0]["seq"]
    check(all(seq in got and got[seq]["text"] == text for seq, text in acked),
          "every message acknowledged during the compaction is in history: missing %s"
          % [a for a in acked if a[0] not in got][:3])
    check(all(t.encode() in log_bytes(server) for _, t in acked), "and on disk")
    kept = acked[-1][0]
    first = min(got)
    check(first > 1, "the oldest messages are gone (history starts at seq %d)" % first)
    check_eq(sorted(got), list(range(first, kept + 1)), "kept seqs have no gaps, up to the newest")
    check(all(m["sent_at"] >= now_ms() - 7 * DAY_MS - 60000 for m in got.values()),
          "history holds only the last week")
    after = list(got.values())
    nxt = expect_ok(await mia.send_text(1, "After the sweep"), "send after the compaction")["seq"]
    check_eq(nxt, kept + 1, "the conversation continues its sequence")
    check(metric(server, "samvaer_retention_messages_removed_total") >= len(before) - len(after),
          "/metrics counts the removed messages")
    check(metric(server, "samvaer_message_log_bytes_compacted_total") > 0, "/metrics counts compacted bytes")
    text = audit_text(server)
    check(re.search(r'retention\s+case=1 .*"action":"sweep".*"messages":\d+', text), "a sweep entry: %s" % text[:600])
    check(re.search(r'ana\s+retention\s+case=1 .*"action":"set"', text), "the setting is audited with who set it")
    check(re.search(r'console\s+retention\s+case=1 .*"recordings_days":90,"via":"cli"', text), "the CLI's too")
    check("retention: removed" in server.log_text(), "the sweep is logged")
    verify_audit(server)
    # a backup of the compacted log verifies, and a restart reads it back
    dest = tempfile.mkdtemp(prefix="samvaer-ret-bak-")
    os.rmdir(dest)
    try:
        server.admin("backup", dest)
        r = subprocess.run([SAMVAER_ADMIN, "verify", dest], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "backup of a compacted log verifies: %s%s" % (r.stdout, r.stderr))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    await mia.close()
    server.stop()
    server.start(seed=False)
    mia = await server.login("mia")
    again = await history(mia, 1)
    check_eq([m["seq"] for m in again], list(range(max(first, nxt - 99), nxt + 1)), "after a restart")


async def erase_person_online(server):
    andrei = await server.login("andrei")
    mia = await server.login("mia")
    expect_ok(await andrei.send_text(1, "My phone is 0722 123 456"), "send")
    his = {m["text"].encode() for m in await history(mia, 1)}
    others = {m["text"].encode() for m in await history(mia, 2)} | {m["text"].encode() for m in await history(mia, 3)}
    his -= others
    check(b"My phone is 0722 123 456" in his and all(t in log_bytes(server) for t in his),
          "his messages are on disk: %s" % [t for t in his if t not in log_bytes(server)][:3])
    ana = await token(server, "ana")
    elena = await token(server, "elena")
    other = family(server)
    await server.settle()
    stranger = await token(server, other["caseworker"])
    # scope: a carer may not erase, another caseworker does not see him, a reference is required
    await expect_api(server, "POST", "/api/accounts/2/erase", elena, {"reference": "x"}, 403, "forbidden")
    await expect_api(server, "POST", "/api/accounts/2/erase", stranger, {"reference": "x"}, 404, "not_found")
    await expect_api(server, "POST", "/api/cases/1/erase", stranger, {"reference": "x"}, 404, "not_found")
    await expect_api(server, "POST", "/api/cases/1/retention", elena, {"messages_days": 1}, 404, "not_found")
    await expect_api(server, "POST", "/api/cases/1/retention", ana, {"messages_days": -1}, 400, "bad_request")
    await expect_api(server, "POST", "/api/accounts/2/erase", ana, {}, 400, "bad_request")
    check(all(t in log_bytes(server) for t in his), "nothing erased by refused requests")
    got = await expect_api(server, "POST", "/api/accounts/2/erase", ana, {"reference": "SAR 2026/118"})
    check(got["messages"] > 50 and got["conversations"] == 1 and got["audit_entries"] > 0, "result: %s" % got)
    await andrei.wait_closed()
    check(not any(t in log_bytes(server) for t in his), "his conversation is gone from the bytes of messages.log")
    check_eq(await history(mia, 1), [], "the child's history with him is empty")
    r = await server.connect()
    resp = await r.request("auth.login", username="andrei", password=server.password_of("andrei"))
    check(resp.get("error"), "he cannot log in: %s" % resp)
    await expect_api(server, "POST", "/api/accounts/2/erase", ana, {"reference": "again"}, 404, "not_found")
    verify_audit(server)
    text = audit_text(server)
    check("andrei" not in text and "Andrei" not in text, "no audit detail names him any more")
    check(re.search(r'ana\s+erasure .*"reference":"SAR 2026/118".*"subject":"account"', text),
          "the erasure is audited with its reference")
    check(server.admin("account", "list").stdout.count("erased-2") == 1, "his account is a pseudonym")
    check(metric(server, "samvaer_erasures_total") == 1, "/metrics counts the erasure")
    for name in ("samvaer.db", "samvaer.db-wal"):  # while the server runs
        path = os.path.join(server.data_dir, name)
        data = open(path, "rb").read() if os.path.exists(path) else b""
        check(b"Andrei Popescu" not in data, "nothing of him left in %s's bytes (%d bytes)" % (name, len(data)))
    await mia.close()
    server.stop()
    with open(os.path.join(server.data_dir, "samvaer.db"), "rb") as f:
        db = f.read()
    check(b"Andrei Popescu" not in db and b"0722 123 456" not in db, "nothing of him left in samvaer.db's bytes")
    server.start(seed=False)


async def erase_case_cli(server):
    r = server.admin("erase", "case", "mia", "--reference", "Court order 7", ok=False)
    check(r.returncode == 1 and "console" in r.stderr, "with the server running the CLI refuses: %s" % r.stderr)
    server.stop()
    out = server.admin("erase", "case", "mia", "--reference", "Court order 7").stdout
    check(re.search(r"erased case mia: 3 conversations, \d+ messages", out), "CLI result: %s" % out)
    verify_audit(server)
    check(len(log_bytes(server)) == 0, "the case's messages left the log")
    text = audit_text(server)
    check('"subject":"case"' in text and '"reference":"Court order 7"' in text, "the erasure entry")
    case_lines = [l for l in text.splitlines() if re.search(r"\scase=1\s", l)]
    check(case_lines and all(l.endswith('{"erased":true}') for l in case_lines),
          "every entry of the case lost its detail: %s" % [l for l in case_lines if "erased" not in l][:3])
    server.start(seed=False)
    c = await server.connect()
    resp = await c.request("auth.login", username="mia", password=server.password_of("mia"))
    check(resp.get("error"), "the child's account cannot log in")
    andrei = await server.login("andrei")
    contacts = expect_ok(await andrei.request("contacts.list"), "contacts")
    check(all(x.get("status") != "active" for x in contacts.get("contacts", [])), "no active agreement left")


def post_raw(server, path, tok, body):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        c.request("POST", path, body=json.dumps(body),
                  headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        c.close()


def unzip(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    check(z.testzip() is None and set(z.namelist()) == {"export.json", "README.txt"}, "zip: %s" % z.namelist())
    return json.loads(z.read("export.json")), z.read("README.txt").decode()


async def export_person(server):
    mia = await server.login("mia")
    expect_ok(await mia.send_text(1, "Export me too, Dad"), "send")
    dad = await history(mia, 1)
    uncle = {m["text"] for m in await history(mia, 2)} - {m["text"] for m in dad}
    ana = await token(server, "ana")
    elena = await token(server, "elena")
    other = family(server)
    await server.settle()
    stranger = await token(server, other["caseworker"])
    await expect_api(server, "POST", "/api/accounts/2/export", elena, {"reference": "x"}, 403, "forbidden")
    await expect_api(server, "POST", "/api/accounts/2/export", stranger, {"reference": "x"}, 404, "not_found")
    await expect_api(server, "POST", "/api/accounts/2/export", ana, {}, 400, "bad_request")
    status, ctype, data = await asyncio.to_thread(post_raw, server, "/api/accounts/2/export", ana, {"reference": "SAR 9"})
    check(status == 200 and ctype == "application/zip", "export answers a zip: %s %s" % (status, ctype))
    doc, readme = unzip(data)
    check_eq(doc["format"], "samvaer-subject-access-1", "format")
    check_eq((doc["account"]["id"], doc["account"]["username"]), (2, "andrei"), "whose data")
    check("password" not in json.dumps(doc["account"]), "no password hash in the export")
    check_eq([a["id"] for a in doc["agreements"]], [1], "his one agreement, with terms")
    check_eq([(m["seq"], m["text"]) for m in doc["messages"]], [(m["seq"], m["text"]) for m in dad],
             "every message of his conversation, sent and received, in order")
    check({m["from"] for m in doc["messages"]} == {1, 2}, "sent and received")
    check(not uncle & {m["text"] for m in doc["messages"]}, "nothing of another person's conversation")
    check(doc["audit"] and all(e["actor"] == 2 or e["agreement_id"] == 1 or "andrei" in json.dumps(e["detail"])
                               for e in doc["audit"]), "only audit entries about him")
    check("messages" in readme and "audit" in readme, "a README explains the parts")
    text = audit_text(server)
    check(re.search(r'ana\s+export .*"account_id":2.*"reference":"SAR 9"', text), "the export is audited")
    # the CLI, while the server runs
    out = os.path.join(tempfile.mkdtemp(prefix="samvaer-export-"), "mia.zip")
    try:
        r = server.admin("export", "mia", "--out", out, "--reference", "SAR 10")
        check(re.match(r"exported mia to .*: \d+ messages", r.stdout), "CLI: %s" % r.stdout)
        check_eq(os.stat(out).st_mode & 0o777, 0o600, "the export file is private")
        with open(out, "rb") as f:
            doc, _ = unzip(f.read())
        check_eq(doc["account"]["username"], "mia", "CLI export of the child")
        check({m["agreement_id"] for m in doc["messages"]} >= {1, 2}, "the child's conversations")
        check('"reference":"SAR 10"' in audit_text(server), "the CLI export is audited")
    finally:
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    verify_audit(server)


async def floor_before_a_crash(server):
    """A floor committed but the log not yet rewritten (a crash in between): the next start hides the messages and
    the first sweep takes them out of the file."""
    mia = await server.login("mia")
    msgs = await history(mia, 1)
    low = lambda: [r for r in log_records(server) if r[0] == 1 and r[1] <= 10]
    check_eq(len(low()), 10, "messages 1-10 of the conversation are on disk")
    await mia.close()
    server.stop()
    import sqlite3
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    db.execute("INSERT INTO message_floors(agreement_id, first_seq) VALUES (1, 11)")
    db.commit()
    db.close()
    server.start(seed=False)
    mia = await server.login("mia")
    check_eq((await history(mia, 1))[0]["seq"], 11, "history starts at the floor at once")
    await wait_for("the first sweep to rewrite messages.log", lambda: not low())
    check(any(r[0] == 1 and r[1] == 11 for r in log_records(server)), "message 11 stays in the file")
    check_eq(len(await history(mia, 1, 100)), len([m for m in msgs if m["seq"] > 10]), "the rest is kept")


main([
    Case("sweep_removes_old_messages", sweep_removes_old_messages, fresh=True, timeout=60,
         server_args=("--retention-sweep-s", "1")),
    Case("erase_person_online", erase_person_online, fresh=True, timeout=60),
    Case("erase_case_cli", erase_case_cli, fresh=True, timeout=60),
    Case("export_person", export_person, fresh=True, timeout=60),
    Case("floor_before_a_crash", floor_before_a_crash, fresh=True, timeout=60, server_args=("--retention-sweep-s", "1")),
], shared_server=False)
