# test_reports.py: the continuity report (ADMIN-API.md "Continuity report", ADMIN-CLI.md report) — JSON and CSV
# over the admin API for the seeded demo history, parameters, every cross-scope access refused, and the CLI.
import csv
import http.client
import io
import json

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, main, short

WEEK_KEYS = {"week_start", "planned_windows", "planned_minutes", "messages_from_child", "messages_to_child", "calls",
             "call_minutes", "windows_with_contact", "missed_windows", "pauses", "cancellations", "goal_met"}


def api_get(server, path, token):
    """GET with a bearer token; returns (status, headers, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode("utf-8", "replace")
    finally:
        c.close()


async def token_of(server, username):
    c = await server.login(username)
    await c.close()
    return c.token


async def account_id(server, username):
    status, _, body = api_get(server, "/api/me", await token_of(server, username))
    check_eq(status, 200, "/api/me for %s" % username)
    return json.loads(body)["id"]


def get_json(server, path, token, want=200):
    status, headers, body = api_get(server, path, token)
    check_eq(status, want, "GET %s status (body %s)" % (path, short(body)))
    check(headers.get("content-type", "").startswith("application/json"), "%s is JSON" % path)
    return json.loads(body)


async def json_report(server):
    """ana (caseworker) reads Mia's report: both agreements, the seeded weeks, the contract's keys."""
    mia = await account_id(server, "mia")
    rep = get_json(server, "/api/reports/%d?weeks=6" % mia, await token_of(server, "ana"))
    check_eq(rep["child"]["id"], mia, "child id")
    check_eq(rep["child"]["time_zone"], "Europe/Bucharest", "child zone")
    ags = {a["relationship"]: a for a in rep["agreements"]}
    check_eq(sorted(ags), ["Dad", "Mum", "Uncle Radu"], "agreements in the report")
    dad, uncle = ags["Dad"], ags["Uncle Radu"]
    for a in (dad, uncle):
        check_eq(len(a["weeks"]), 6, "six weeks")
        for w in a["weeks"]:
            check_eq(set(w), WEEK_KEYS, "week keys")
            check_eq((w["calls"], w["call_minutes"]), (0, 0), "no calls yet")
    check_eq(dad["goal"], {"calls_per_week": 0, "messages_per_week": 10}, "Dad's goal")
    check(all(w["planned_windows"] is None for w in dad["weeks"]), "Dad: any time, planned_windows null")
    check(sum(w["messages_from_child"] + w["messages_to_child"] for w in dad["weeks"][:5]) >= 40,
          "Dad: the seeded history is there: %s" % short(dad["weeks"]))
    roles = [p["by_role"] for w in dad["weeks"] for p in w["pauses"]]
    check_eq(sorted(roles), ["carer", "child"], "Dad: the child's and the carer's past pauses")
    check([w["goal_met"] for w in dad["weeks"][:5]].count(True) >= 3, "Dad: the goal was met in most weeks")
    check(all(w["planned_windows"] == 3 and w["planned_minutes"] == 360 for w in uncle["weeks"]),
          "Uncle Radu: Tue, Thu, Sun windows every week: %s" % short(uncle["weeks"]))
    check_eq(uncle["weeks"][0]["windows_with_contact"], 3, "Uncle Radu: first week had contact in every window")
    check_eq(uncle["weeks"][3]["missed_windows"], 3, "Uncle Radu: the silent week missed all three windows")
    cancel = uncle["weeks"][5]["cancellations"]
    check(len(cancel) == 1 and cancel[0]["kind"] == "suspend" and "reviews contact" in cancel[0]["reason"],
          "Uncle Radu: this week's suspension with its reason: %s" % short(cancel))


async def csv_report(server):
    """elena (carer) gets CSV: text/csv, the header, one row per agreement and week."""
    mia = await account_id(server, "mia")
    status, headers, body = api_get(server, "/api/reports/%d?format=csv&weeks=3" % mia, await token_of(server, "elena"))
    check_eq(status, 200, "CSV status")
    check(headers.get("content-type", "").startswith("text/csv"), "Content-Type text/csv: %s" % headers)
    rows = list(csv.DictReader(io.StringIO(body)))
    check_eq(len(rows), 3 * 3, "rows")
    check(WEEK_KEYS | {"agreement_id", "relationship"} <= set(rows[0]), "columns: %s" % list(rows[0]))
    check(all(r["planned_windows"] == "" for r in rows if r["relationship"] == "Dad"), "null is an empty cell")
    check(all(r["planned_windows"] == "3" for r in rows if r["relationship"] == "Uncle Radu"), "Radu's windows")
    check(any("reviews contact" in r["cancellations"] for r in rows), "cancellation cell")


async def parameters(server):
    mia = await account_id(server, "mia")
    tok = await token_of(server, "sofie")
    rep = get_json(server, "/api/reports/%d" % mia, tok)
    check_eq(len(rep["agreements"][0]["weeks"]), 4, "default 4 weeks")
    rep = get_json(server, "/api/reports/%d?weeks=2&to=2026-03-04" % mia, tok)
    check_eq((rep["from"], rep["to"]), ("2026-02-23", "2026-03-08"), "to= picks the ISO week holding it")
    check_eq([w["week_start"] for w in rep["agreements"][0]["weeks"]], ["2026-02-23", "2026-03-02"], "week starts")
    for q, field in (("weeks=0", "weeks"), ("weeks=53", "weeks"), ("weeks=abc", "weeks"), ("weeks=", "weeks"),
                     ("format=xml", "format"), ("to=2026-02-30", "to"), ("to=yesterday", "to")):
        err = get_json(server, "/api/reports/%d?%s" % (mia, q), tok, want=400)["error"]
        check_eq((err["code"], err.get("field")), ("bad_request", field), "refused %s" % q)


async def scope(server):
    """Another family's adults, family accounts and the operator never see Mia's report, and ana never theirs."""
    child, child_id = server.add_account("child")
    others = {role: server.add_account(role)[0] for role in ("caseworker", "carer", "supervisor", "contact")}
    server.admin("case", "add", child, "--tz", "Europe/Oslo")
    for role in ("caseworker", "carer", "supervisor"):
        server.admin("case", "link", child, "--" + role, others[role])
    server.admin("agreement", "add", child, others["contact"], "--relationship", "Mum")
    await server.settle()
    mia, andrei = await account_id(server, "mia"), await account_id(server, "andrei")
    for role in ("caseworker", "carer", "supervisor"):
        tok = await token_of(server, others[role])
        get_json(server, "/api/reports/%d" % child_id, tok)  # their own child: fine
        for fmt in ("json", "csv"):
            err = get_json(server, "/api/reports/%d?format=%s" % (mia, fmt), tok, want=404)["error"]
            check_eq(err["code"], "not_found", "%s of another family reads Mia's report (%s)" % (role, fmt))
    ana = await token_of(server, "ana")
    check_eq(get_json(server, "/api/reports/%d" % child_id, ana, want=404)["error"]["code"], "not_found",
             "ana reads another caseload's child")
    for who in (andrei, 999999):
        get_json(server, "/api/reports/%d" % who, ana, want=404)
    for user in ("olav", "mia", "andrei", others["contact"]):
        err = get_json(server, "/api/reports/%d" % mia, await token_of(server, user), want=403)["error"]
        check_eq(err["code"], "forbidden", "%s may not read reports" % user)
    check_eq(api_get(server, "/api/reports/%d" % mia, None)[0], 401, "no token")
    check_eq(api_get(server, "/api/reports/%d" % mia, "0" * 64)[0], 401, "unknown token")


async def cli(server):
    r = server.admin("report", "mia", "--weeks", "2", "--format", "csv")
    lines = r.stdout.strip().splitlines()
    check_eq(len(lines), 1 + 3 * 2, "CLI CSV rows: %r" % r.stdout)
    check(lines[0].startswith("child_id,agreement_id,contact,relationship,week_start,"), "CLI CSV header")
    rep = json.loads(server.admin("report", "mia", "--to", "2026-01-01", "--weeks", "1").stdout)
    check_eq((rep["from"], rep["to"]), ("2025-12-29", "2026-01-04"), "CLI --to")
    check_eq(server.admin("report", "andrei", ok=False).returncode, 1, "a contact has no report")
    check_eq(server.admin("report", "nobody", ok=False).returncode, 1, "unknown username")
    for bad in (("--weeks", "0"), ("--weeks", "53"), ("--format", "xml"), ("--to", "2026-02-30")):
        check_eq(server.admin("report", "mia", *bad, ok=False).returncode, 2, "usage error for %s" % (bad,))


if __name__ == "__main__":
    main([
        Case("report.json_demo_history", json_report),
        Case("report.csv", csv_report),
        Case("report.parameters", parameters),
        Case("report.scope", scope),
        Case("report.cli", cli),
    ])
