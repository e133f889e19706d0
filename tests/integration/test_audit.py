# test_audit.py: the audit trail end to end — logins, refusals and CLI changes are listed, the chain verifies,
# tampering with the stopped server's database is named by `samvaer-admin audit verify`, and the admin API
# answers /api/audit and /api/audit/verify only in scope (docs/ADMIN-API.md, docs/ADMIN-CLI.md, server/store/audit.h).
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import (SAMVAER_ADMIN, Case, Server, TestFailure, check, check_eq, expect_error, expect_ok, main,
                     short)

VERIFY_OK = re.compile(r"^audit: (\d+) entries, chain intact$", re.M)
VERIFY_BAD = re.compile(r"^audit: entry (\d+): (.+)$", re.M)
HEAD = re.compile(r"^head (\d+):([0-9a-f]{64})$", re.M)


def api_get(server, path, token):
    """GET an admin API path with a bearer token; returns (status, parsed JSON body or the raw text)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        c.request("GET", path, headers={"Authorization": "Bearer %s" % token} if token else {})
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
    finally:
        c.close()
    try:
        return r.status, json.loads(body)
    except ValueError:
        return r.status, body


def audit_rows(server, *args):
    """`samvaer-admin audit list ARGS` parsed: [{seq, who, kind, case, agreement, detail}], newest first."""
    out = server.admin("audit", "list", "--limit", "100000", *args).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 6)
        check(len(parts) == 7 and parts[0].isdigit() and parts[4].startswith("case=")
              and parts[5].startswith("agreement="), "audit list line format: %r" % line)
        rows.append({"seq": int(parts[0]), "who": parts[2], "kind": parts[3], "case": int(parts[4][5:]),
                     "agreement": int(parts[5][10:]), "detail": json.loads(parts[6])})
    return rows


def verify(data_dir, *args):
    """Runs `samvaer-admin audit verify` on a data dir; returns (exit code, stdout + stderr)."""
    r = subprocess.run([SAMVAER_ADMIN, "--data", data_dir, "audit", "verify"] + list(args), capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def find(rows, what, pred):
    hits = [r for r in rows if pred(r)]
    check(hits, "%s: no such entry in `audit list` (%d entries; kinds %s)" %
          (what, len(rows), sorted(set(r["kind"] for r in rows))))
    return hits[0]


# ---------------------------------------------------------------------------------------------------
# What gets recorded (shared server)

async def cli_changes_listed(server):
    p = server.add_pair()
    aid = p["agreement_id"]
    server.admin("agreement", "suspend", aid, "--reason", "Audit check")
    server.admin("agreement", "resume", aid)
    server.admin("account", "disable", p["contact"])
    rows = audit_rows(server)
    check(rows == sorted(rows, key=lambda r: -r["seq"]), "audit list is newest first")
    sus = find(rows, "CLI suspension", lambda r: r["kind"] == "agreement_status" and r["agreement"] == aid
               and r["detail"].get("to") == "suspended")
    check_eq((sus["who"], sus["detail"].get("via"), sus["detail"].get("reason"), sus["detail"].get("from")),
             ("console", "cli", "Audit check", "active"), "suspension entry: actor, via, reason, from")
    res = find(rows, "CLI resume", lambda r: r["kind"] == "agreement_status" and r["agreement"] == aid
               and r["detail"].get("to") == "active")
    check(res["seq"] > sus["seq"], "resume after suspension in seq order")
    find(rows, "agreement add", lambda r: r["kind"] == "agreement_created" and r["agreement"] == aid)
    find(rows, "account add", lambda r: r["kind"] == "account" and r["detail"].get("username") == p["child"]
         and r["detail"].get("action") == "add")
    find(rows, "account disable", lambda r: r["kind"] == "account" and r["detail"].get("username") == p["contact"]
         and r["detail"].get("action") == "disable")
    case_rows = audit_rows(server, "--case", sus["case"])
    check(case_rows and all(r["case"] == sus["case"] for r in case_rows), "audit list --case filters by case")
    two = server.admin("audit", "list", "--limit", "2").stdout.splitlines()
    check_eq(len(two), 2, "audit list --limit 2 lines")


async def logins_listed(server):
    c = await server.login("andrei")
    await c.close()
    bad = await server.connect()
    expect_error(await bad.request("auth.login", username="andrei", password="wrong-password"),
                 "bad_credentials", "login with a wrong password")
    await bad.close()
    rows = audit_rows(server)
    ok = find(rows, "successful login of andrei (server hook: audit on login)",
              lambda r: r["kind"] == "login" and r["detail"].get("username") == "andrei" and r["detail"].get("ok"))
    check_eq(ok["who"], "andrei", "login entry's actor")
    find(rows, "failed login of andrei (server hook: audit on login)",
         lambda r: r["kind"] == "login" and r["detail"].get("username") == "andrei" and r["detail"].get("ok") is False)


async def refusal_listed(server):
    radu = await server.login("radu")
    expect_error(await radu.send_text(2, "hello"), "agreement_suspended", "radu writes on the suspended agreement")
    rows = audit_rows(server)
    r = find(rows, "refused send on agreement 2 (server hook: audit on refusals)",
             lambda r: r["kind"] == "refusal" and r["agreement"] == 2)
    check_eq(r["who"], "radu", "refusal entry's actor")
    check("agreement_suspended" in json.dumps(r["detail"]), "refusal names its reason: %s" % short(r["detail"]))


async def verify_passes(server):
    code, out = verify(server.data_dir)
    check_eq(code, 0, "audit verify exit status on an untouched trail (%s)" % out.strip())
    m, h = VERIFY_OK.search(out), HEAD.search(out)
    check(m and int(m.group(1)) > 0, "audit verify says 'audit: N entries, chain intact': %r" % out)
    check(h and h.group(1) == m.group(1), "audit verify prints the head SEQ:HASH: %r" % out)
    code, _ = verify(server.data_dir, "--head", "%s:%s" % (h.group(1), h.group(2)))
    check_eq(code, 0, "audit verify --head with the current head")
    code, out = verify(server.data_dir, "--head", "%s:%s" % (h.group(1), "0" * 64))
    check_eq(code, 1, "audit verify --head with a different hash")
    check(VERIFY_BAD.search(out), "names the entry: %r" % out)


# ---------------------------------------------------------------------------------------------------
# Admin API: roles and scope

def second_family(server):
    """Another child with their own caseworker; returns (caseworker username, case id)."""
    child, _ = server.add_account("child")
    cw, _ = server.add_account("caseworker")
    case_id = server.admin("case", "add", child).stdout.strip()
    check(case_id.isdigit(), "case add prints the id: %r" % case_id)
    server.admin("case", "link", child, "--caseworker", cw)
    return cw, int(case_id)


async def api_verify_roles(server):
    for user, want in (("ana", 200), ("olav", 200), ("andrei", 403), ("mia", 403), ("elena", 403), ("sofie", 403)):
        c = await server.login(user)
        status, body = api_get(server, "/api/audit/verify", c.token)
        check_eq(status, want, "GET /api/audit/verify as %s" % user)
        if want == 200:
            check(body.get("ok") is True and isinstance(body.get("entries"), int) and body["entries"] > 0,
                  "verify result: %s" % short(body))
            check(re.fullmatch(r"[0-9a-f]{64}", body.get("head_hash", "")) and body.get("head_seq") == body["entries"],
                  "verify result has the head: %s" % short(body))
        else:
            check_eq(body.get("error", {}).get("code"), "forbidden", "error code for %s" % user)
        await c.close()
    status, _ = api_get(server, "/api/audit/verify", None)
    check_eq(status, 401, "GET /api/audit/verify without a token")


async def api_case_scope(server):
    cw, other_case = second_family(server)
    server.admin("agreement", "suspend", 1, "--reason", "Scope check")
    server.admin("agreement", "resume", 1)
    ana = await server.login("ana")
    status, body = api_get(server, "/api/audit?case=1", ana.token)
    check_eq(status, 200, "ana reads case 1's audit (%s)" % short(body))
    entries = body.get("entries", [])
    check(entries and all(e.get("case_id") == 1 for e in entries), "only case 1 entries: %s" % short(body))
    seqs = [e["seq"] for e in entries]
    check(seqs == sorted(seqs, reverse=True), "newest first")
    sus = [e for e in entries if e["kind"] == "agreement_status" and e["detail"].get("reason") == "Scope check"]
    check(sus and sus[0]["actor"].get("display_name") == "operator console" and sus[0]["detail"].get("via") == "cli",
          "the CLI suspension with its actor: %s" % short(sus))
    for q, what in (("/api/audit?case=%d" % other_case, "ana reads another caseworker's case"),
                    ("/api/audit?case=99999", "ana reads a case that does not exist")):
        status, body = api_get(server, q, ana.token)
        check_eq(status, 404, what)
        check("entries" not in body, "%s: no entries in the refusal" % what)
    for q in ("/api/audit", "/api/audit?case=abc", "/api/audit?case=0"):
        status, body = api_get(server, q, ana.token)
        check_eq(status, 400, "GET %s" % q)
    other = await server.login(cw)
    status, body = api_get(server, "/api/audit?case=1", other.token)
    check_eq(status, 404, "an out-of-scope caseworker asks for case 1 (%s)" % short(body))
    status, body = api_get(server, "/api/audit?case=%d" % other_case, other.token)
    check(status == 200 and body["entries"] and all(e["case_id"] == other_case for e in body["entries"]),
          "their own case's entries: %s" % short(body))
    for user, want in (("sofie", 200), ("elena", 403), ("andrei", 403), ("olav", 403)):
        c = await server.login(user)
        status, _ = api_get(server, "/api/audit?case=1", c.token)
        check_eq(status, want, "GET /api/audit?case=1 as %s" % user)


async def api_case_paging(server):
    ana = await server.login("ana")
    status, body = api_get(server, "/api/audit?case=1", ana.token)
    check_eq(status, 200, "ana reads case 1's audit")
    seqs = [e["seq"] for e in body["entries"]]
    check(len(seqs) >= 4, "at least four case 1 entries: %s" % seqs)
    status, page = api_get(server, "/api/audit?case=1&limit=2", ana.token)
    check(status == 200 and len(page["entries"]) == 2 and page.get("more") is True, "limit 2: %s" % short(page))
    status, page2 = api_get(server, "/api/audit?case=1&limit=2&before=%d" % page["next_before"], ana.token)
    check(status == 200 and page2["entries"] and page2["entries"][0]["seq"] < page["entries"][-1]["seq"],
          "next page continues below: %s" % short(page2))
    check_eq([e["seq"] for e in page["entries"] + page2["entries"]], seqs[:4], "two pages = the first four")
    for q in ("/api/audit?case=1&limit=0", "/api/audit?case=1&limit=201", "/api/audit?case=1&before=-3"):
        status, body = api_get(server, q, ana.token)
        check_eq(status, 400, "GET %s" % q)


# ---------------------------------------------------------------------------------------------------
# Tampering with the stopped server's database

def tampered_copy(src, sql):
    """A copy of the data dir where an attacker dropped the triggers and ran sql."""
    dst = tempfile.mkdtemp(prefix="samvaer-audit-tamper-")
    shutil.rmtree(dst)
    shutil.copytree(src, dst)
    db = sqlite3.connect(os.path.join(dst, "samvaer.db"))
    db.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;" + sql)
    db.commit()
    db.close()
    return dst


async def tamper_detected(_):
    server = Server()
    try:
        server.start()
        radu = await server.login("radu")
        await radu.send_text(2, "hello")
        await radu.close()
        server.admin("agreement", "suspend", 1, "--reason", "Before tampering")
        err = server.stop()
        check(err is None, "server stop: %s" % err)
        rows = audit_rows(server)
        sus = find(rows, "suspension", lambda r: r["detail"].get("reason") == "Before tampering")["seq"]
        n = rows[0]["seq"]
        check(sus > 2, "enough entries before the suspension (%d)" % sus)
        code, out = verify(server.data_dir)
        check_eq(code, 0, "verify before tampering (%s)" % out.strip())
        head = HEAD.search(out)
        db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
        try:
            db.execute("UPDATE audit SET detail='{}' WHERE seq=1")
            raise TestFailure("UPDATE on audit was not refused by the trigger")
        except sqlite3.DatabaseError as e:
            check("append-only" in str(e), "trigger message: %s" % e)
        finally:
            db.close()
        cases = [
            ("edit the suspension's reason",
             "UPDATE audit SET detail=replace(detail,'Before','After') WHERE seq=%d" % sus, sus, "hash mismatch"),
            ("edit the actor", "UPDATE audit SET actor=1 WHERE seq=%d" % sus, sus, "hash mismatch"),
            ("remove an entry", "DELETE FROM audit WHERE seq=%d" % (sus - 1), sus, "gap"),
            ("swap two entries",
             "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (2,%d);"
             "UPDATE audit SET (at,actor,kind,case_id,agreement_id,detail,prev_hash,hash)=(SELECT at,actor,kind,"
             "case_id,agreement_id,detail,prev_hash,hash FROM t WHERE t.seq <> audit.seq) WHERE seq IN (2,%d)"
             % (sus, sus), 2, "bad link"),
        ]
        for name, sql, want_seq, want_text in cases:
            d = tampered_copy(server.data_dir, sql)
            try:
                code, out = verify(d)
                m = VERIFY_BAD.search(out)
                check_eq(code, 1, "%s: audit verify exit status (%s)" % (name, out.strip()))
                check(m and int(m.group(1)) == want_seq and want_text in m.group(2),
                      "%s: expected 'audit: entry %d: %s...', got %r" % (name, want_seq, want_text, out))
            finally:
                shutil.rmtree(d, ignore_errors=True)
        # a truncated tail: the chain alone still verifies; the recorded head shows it (audit.h)
        d = tampered_copy(server.data_dir, "DELETE FROM audit WHERE seq=%d" % n)
        try:
            code, out = verify(d)
            check_eq(code, 0, "truncated tail verifies without a recorded head (documented limit)")
            code, out = verify(d, "--head", "%s:%s" % (head.group(1), head.group(2)))
            check_eq(code, 1, "truncated tail with --head")
            check("entry %d: missing" % n in out, "names the missing head: %r" % out)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    finally:
        server.stop()
        server.cleanup()


CASES = [
    Case("cli_changes_listed", cli_changes_listed),
    Case("logins_listed", logins_listed),
    Case("refusal_listed", refusal_listed),
    Case("verify_passes", verify_passes),
    Case("api_verify_roles", api_verify_roles),
    Case("api_case_scope", api_case_scope),
    Case("api_case_paging", api_case_paging),
    Case("tamper_detected", tamper_detected, own_servers=True, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
