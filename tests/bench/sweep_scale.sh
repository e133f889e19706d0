#!/bin/bash
# sweep_scale.sh BUILD [N]: the retention sweep's search for expired media at N attachments (default 1,000,000), as
# the server runs it (the two queries of server/blobs/attachments_expire.c, read from the source), beside the single
# query it ran before schema 10 (a scan of every sent attachment). Data: samvaer-admin bench-seed (1,000 agreements),
# N sent photos spread over them, one case with a 30-day media period and one conversation with a floor.
set -euo pipefail
BUILD=$(cd "${1:?usage: sweep_scale.sh BUILD [N]}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${2:-1000000}
DIR=$(mktemp -d /tmp/samvaer-sweep.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$BUILD/samvaer-admin" --data "$DIR" bench-seed 2000 --tokens "$DIR/tokens.txt" >/dev/null
sqlite3 "$DIR/samvaer.db" <<SQL
INSERT OR IGNORE INTO blobs(hash, bytes, refs, created_at) VALUES ('h', 1, 1, 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO attachments(id, kind, state, uploader_id, case_id, agreement_id, seq, mime, bytes, blob, total_bytes,
                        created_at, used_at)
SELECT printf('att%08d', i), 'photo', 'sent', 1, (SELECT case_id FROM agreements WHERE id = 1 + i % 1000),
       1 + i % 1000, 1 + i / 1000, 'image/jpeg', 1000, 'h', 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000
FROM n;
INSERT INTO retention(case_id, media_days, set_at) SELECT case_id, 30, 0 FROM agreements WHERE id = 5;
INSERT INTO message_floors(agreement_id, first_seq) VALUES (7, 100);
SQL
NOW=$((1700000000000 + N * 1000 + 31 * 86400000)) # the newest attachment is 31 days old: all of case 5's are due
"$BUILD/samvaer-admin" --data "$DIR" retention >/dev/null 2>&1 || true # opening the store migrates it (schema 10)
/usr/bin/python3 - "$DIR/samvaer.db" "$ROOT/server/blobs/attachments_expire.c" "$NOW" "$N" <<'PY'
import re, sqlite3, sys, time
db, src, now, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
block = re.search(r"static const char \*const due_sql\[\] = \{(.*?)\n\};", open(src).read(), re.S).group(1)
new, cur = [], ""
for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', block):  # the server's queries, as compiled in
    cur += lit
    if cur.endswith("LIMIT ?2"):
        new.append(cur)
        cur = ""
old = ("SELECT x.id, x.kind, x.agreement_id, x.seq, g.case_id, x.uploader_id, x.total_bytes,"
       " CASE WHEN r.media_days > 0 AND x.used_at < ?1 - 86400000 * r.media_days THEN r.media_days ELSE 0 END"
       " FROM attachments x JOIN agreements g ON g.id = x.agreement_id"
       " LEFT JOIN retention r ON r.case_id = g.case_id LEFT JOIN message_floors f ON f.agreement_id = x.agreement_id"
       " WHERE x.state IN ('sent', 'approved', 'rejected') AND ((r.media_days > 0 AND x.used_at < ?1 - 86400000 *"
       " r.media_days) OR (x.seq > 0 AND x.seq < coalesce(f.first_seq, 1))) ORDER BY x.used_at, x.id LIMIT ?2")
c = sqlite3.connect(db)
print("retention sweep: expired media among %s attachments (schema %d, SQLite %s)"
      % (n, c.execute("PRAGMA user_version").fetchone()[0], sqlite3.sqlite_version))
for label, sql in (("before schema 10: one query over every sent attachment", old),
                   ("now, rule 1: past the case's media period", new[0]),
                   ("now, rule 2: below the conversation's floor", new[1])):
    best, rows = None, 0
    for _ in range(3):
        t = time.perf_counter()
        rows = len(c.execute(sql, (now, 64)).fetchall())
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print("%-56s %9.2f ms  (%d rows, the best of 3)" % (label, best * 1000, rows))
PY
