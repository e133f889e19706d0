# test_media_retention.py: what happens to photos, clips and voice notes over time (OPERATIONS.md "Retention",
# PROTOCOL.md §16 "Expired attachments"): a case's media period removes the attachments of older messages (rows and
# blob files, a blob shared with a newer message kept), history shows them as expired, each removal is audited and
# counted; uploads never sent are swept after the grace period; a subject-access export carries the person's media,
# byte for byte as /media serves them, and nothing they may not see; a large export is made off the control thread
# and sent from a file.
import asyncio
import hashlib
import io
import json
import os
import re
import select
import socket
import sqlite3
import sys
import time
import zipfile

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, TestFailure, check, check_eq, expect_ok, main, made_file
from test_attachments import family, http_call, may_download, people, photo_jpeg, send, upload

DAY_MS = 86400000


def audit_text(server):
    return server.admin("audit", "list", "--limit", "100000").stdout


def metric(server, name):
    status, text = server.http_get("/metrics")
    m = re.search(r"^%s (\d+)$" % name, text, re.M)
    check(status == 200 and m, "/metrics has %s" % name)
    return int(m.group(1))


def post_raw(server, path, tok, body):
    st, h, data = http_call(server, "POST", path, tok, body=json.dumps(body), headers={"Content-Type": "application/json"})
    return st, h.get("content-type"), data


def blob_path(server, data):
    h = hashlib.sha256(data).hexdigest()
    return os.path.join(server.data_dir, "blobs", h[:2], h)


def backdate(server, ids, days, column):
    """Make attachments look `days` older (the server is stopped: the database is edited in place)."""
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    q = "UPDATE attachments SET {0} = {0} - ? WHERE id IN ({1})".format(column, ",".join("?" * len(ids)))
    db.execute(q, [days * DAY_MS] + list(ids))
    if column == "used_at":
        db.execute("UPDATE attachments SET created_at = created_at - ? WHERE id IN (%s)" % ",".join("?" * len(ids)),
                   [days * DAY_MS] + list(ids))
    db.commit()
    db.close()


async def wait_until(what, pred, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        await asyncio.sleep(0.2)
    raise TestFailure("timed out waiting for %s" % what)


async def media_period_expires_old_attachments(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    same, other, unsent_bytes = photo_jpeg(640, 480), photo_jpeg(500, 500), photo_jpeg(300, 200)
    old = upload(server, contact.token, aid, same)
    r_old = expect_ok(await send(contact, aid, old, key="old"), "old photo sent")
    gone = upload(server, contact.token, aid, other)
    r_gone = expect_ok(await send(contact, aid, gone, key="gone"), "second old photo sent")
    new = upload(server, contact.token, aid, same)  # the same bytes again: one blob, two references
    r_new = expect_ok(await send(contact, aid, new, key="new"), "new photo sent")
    unsent = upload(server, contact.token, aid, unsent_bytes)  # processed, never sent
    fresh = upload(server, contact.token, aid, photo_jpeg(200, 300))  # never sent, but inside the grace period
    st, _, shared = may_download(server, child.token, new)
    check_eq(st, 200, "the new photo downloads")
    _, _, other_served = may_download(server, child.token, gone)
    _, _, unsent_served = may_download(server, contact.token, unsent)
    paths = {k: blob_path(server, v) for k, v in
             (("shared", shared), ("other", other_served), ("unsent", unsent_served))}
    check(all(os.path.exists(x) for x in paths.values()), "the blobs are on disk: %s" % paths)
    st, h, raw = http_call(server, "GET", "/api/agreements/%d" % aid, worker.token)
    doc = json.loads(raw)
    case_id = doc.get("case_id") or (doc.get("agreement") or {}).get("case_id")
    st, h, raw = http_call(server, "POST", "/api/cases/%d/retention" % case_id, worker.token,
                           body=json.dumps({"media_days": 7}), headers={"Content-Type": "application/json"})
    check_eq((st, json.loads(raw)["media_days"]), (200, 7), "media period set by the caseworker")
    await asyncio.sleep(1.5)
    check(os.path.exists(paths["other"]), "nothing is removed while every photo is recent")
    for c in (child, contact, worker):
        await c.close()
    server.stop()
    backdate(server, [old, gone], 10, "used_at")  # sent 10 days ago
    backdate(server, [unsent], 2, "created_at")  # uploaded 2 days ago, never sent
    server.start(seed=False)
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    await wait_until("the sweep to remove the old photos", lambda: not os.path.exists(paths["other"]))
    await wait_until("the unsent upload to go", lambda: not os.path.exists(paths["unsent"]))
    check(os.path.exists(paths["shared"]), "a blob a newer message still uses stays on disk")
    for att, who in ((old, child), (gone, child), (old, contact), (unsent, contact)):
        check_eq(may_download(server, who.token, att)[0], 404, "an expired attachment is not served")
    st, _, again = may_download(server, child.token, new)
    check(st == 200 and again == shared, "the newer photo with the same bytes is served whole (%d)" % st)
    check_eq(may_download(server, contact.token, fresh)[0], 200, "an unsent upload inside the grace period stays")
    hist = {m["seq"]: m for m in (await child.ok("msg.history", agreement_id=aid))["messages"]}
    check_eq(sorted(hist), sorted([r_old["seq"], r_gone["seq"], r_new["seq"]]), "the messages stay in history")
    check_eq(hist[r_old["seq"]].get("attachment"), {"id": old, "kind": "photo", "expired": True},
             "an expired attachment is shown as expired, with no URL")
    check_eq(hist[r_gone["seq"]]["attachment"].get("expired"), True, "the other one too")
    check_eq(hist[r_new["seq"]]["attachment"].get("url"), "/media/%s" % new, "the newer one is untouched")
    text = audit_text(server)
    for att in (old, gone):
        check(re.search(r'retention\s+case=%d .*"action":"media_expired".*"attachment":"%s"' % (case_id, att), text)
              or re.search(r'retention\s+case=%d .*"attachment":"%s".*"media_expired"' % (case_id, att), text),
              "the removal of %s is audited: %s" % (att, text[-800:]))
    check(unsent not in text, "an unsent upload is no conversation's content: not in the audit trail")
    check_eq(metric(server, "samvaer_retention_media_removed_total"), 2, "/metrics counts the expired attachments")
    check_eq(metric(server, "samvaer_unsent_uploads_removed_total"), 1, "/metrics counts the unsent upload")
    log = server.log_text()
    check("retention: removed 2 attachment(s)" in log and "retention: removed 1 upload(s) never sent" in log,
          "the sweep is logged")
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    left = {r[0] for r in db.execute("SELECT id FROM attachments")}
    db.close()
    check(not left & {old, gone, unsent} and {new, fresh} <= left, "the rows went: %s" % left)


async def export_carries_media(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"},
                        "privacy": {"screen_contact_details": True}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    sent = upload(server, contact.token, aid, photo_jpeg(700, 500))
    r = expect_ok(await send(contact, aid, sent, key="sent"), "photo sent")
    held = upload(server, contact.token, aid, photo_jpeg(400, 300))
    h = expect_ok(await send(contact, aid, held, "add me on instagram", key="held"), "photo with a caption held")
    check(h.get("held"), "the photo waits for a supervisor")
    ids = {}
    for who in ("child", "contact"):
        st, ctype, data = await asyncio.to_thread(post_raw, server, "/api/accounts/%d/export" % p[who + "_id"],
                                                  worker.token, {"reference": "SAR media"})
        check(st == 200 and ctype == "application/zip", "export of the %s: %s" % (who, st))
        z = zipfile.ZipFile(io.BytesIO(data))
        doc = json.loads(z.read("export.json"))
        ids[who] = {m["id"]: m for m in doc["media"]}
        files = {n for n in z.namelist() if n.startswith("media/")}
        check_eq(files, {m["file"] for m in doc["media"]}, "%s: one file per media entry" % who)
        st, _, served = may_download(server, child.token, sent)
        m = ids[who].get(sent) or {}
        check_eq((m.get("kind"), m.get("mime"), m.get("from"), m.get("agreement_id"), m.get("seq"), m.get("bytes")),
                 ("photo", "image/jpeg", p["contact_id"], aid, r["seq"], len(served)), "%s: the photo listed" % who)
        check(m.get("sent_at"), "%s: when it was sent" % who)
        check(z.read(m["file"]) == served, "%s: the photo's bytes are those /media serves" % who)
        check("media/" in z.read("README.txt").decode(), "the README explains the media folder")
    check(held not in ids["child"], "a held photo the child may not see is not in the child's export")
    check_eq(ids["contact"].get(held, {}).get("state"), "held", "the sender's export lists their held photo")


def clip_mp4(seed):
    """A real MP4 (H.264 + AAC) of about 65 MB: four seconds of lossless noise, different for each seed."""
    return made_file("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                     "testsrc2=size=640x480:rate=25,noise=alls=100:allf=t:all_seed=%d" % seed, "-f", "lavfi", "-i",
                     "sine=f=440", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt",
                     "yuv420p", "-c:a", "aac", "-shortest", "{out}", name="c.mp4")


def peak_rss_kb(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def raw_export(server, account_id, token, reference):
    """POST the export on a socket of our own: the request is on its way when this returns; nothing is read yet."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    body = json.dumps({"reference": reference}).encode()
    s.sendall(("POST /api/accounts/%d/export HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (account_id, token, len(body))).encode() + body)
    return s


def read_http(s):
    """Status, headers and body of one answer on socket s (Content-Length framed)."""
    f = s.makefile("rb")
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline().strip()
        if not line:
            break
        k, v = line.decode().split(":", 1)
        headers[k.lower()] = v.strip()
    return status, headers, f.read(int(headers["content-length"]))


async def export_of_large_clips_streams(server):
    """Two clips of 65 MB: the export is made off the control thread (a message sent after the request is delivered
    before the export's first byte), sent from a file (the server's peak memory does not grow by the zip), and a
    client that hangs up mid-way leaves nothing behind."""
    p = family(server, {"channels": {"text": "allowed", "video_clip": "allowed"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    clips = [clip_mp4(seed) for seed in (1, 2)]
    atts = []
    for i, data in enumerate(clips):
        att = upload(server, contact.token, aid, data, kind="video_clip")
        expect_ok(await send(contact, aid, att, key="clip-%d" % i), "clip %d sent" % i)
        await child.next_event("message", timeout=10)
        atts.append(att)
    served = {att: may_download(server, child.token, att)[2] for att in atts}
    size = sum(len(v) for v in served.values())
    check(size > 100 * 1024 * 1024, "the clips are large (%d bytes)" % size)
    peak = peak_rss_kb(server)
    s = raw_export(server, p["contact_id"], worker.token, "SAR clips")
    await asyncio.sleep(0.05)  # the request is read and the export under way before the message goes
    expect_ok(await child.send_text(aid, "still here"), "a message while the export is made")
    m = await contact.next_event_where("message", lambda d: d.get("text") == "still here", timeout=5)
    ready = select.select([s], [], [], 0)[0]
    check(not ready, "the message was delivered before the export's first byte: the loop did not wait for it")
    status, headers, data = await asyncio.to_thread(read_http, s)
    s.close()
    check_eq((status, headers.get("content-type")), (200, "application/zip"), "the export answers")
    check_eq(m.get("text"), "still here", "the message delivered")
    z = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(z.read("export.json"))
    files = {e["id"]: z.read(e["file"]) for e in doc["media"]}
    for att in atts:
        check(files.get(att) == served[att], "the zip holds clip %s byte for byte" % att)
    grew = peak_rss_kb(server) - peak
    check(grew < size // 1024 // 2, "peak memory grew by %d kB for a %d kB export: sent from a file" % (grew, size // 1024))
    exports = os.path.join(server.data_dir, "exports")
    check_eq(os.listdir(exports), [], "the export's file is gone once sent")
    # A caseworker who gives up: the connection closes while the export is made or sent.
    for wait in (0, 0.05):
        s = raw_export(server, p["contact_id"], worker.token, "SAR gave up")
        await asyncio.sleep(wait)
        s.close()
    st, ctype, data = await asyncio.to_thread(post_raw, server, "/api/accounts/%d/export" % p["child_id"],
                                              worker.token, {"reference": "SAR after"})
    check_eq((st, ctype), (200, "application/zip"), "the next export is answered")
    await wait_until("the abandoned exports' files to go", lambda: os.listdir(exports) == [])
    check(server.alive(), "the server runs on")


async def erasure_removes_media(server):
    terms = {"channels": {"text": "allowed", "photo": "allowed"}}
    p, q = family(server, terms), family(server, terms)
    await server.settle()
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    (other,) = await people(server, q, "contact")
    shared, mine, theirs = photo_jpeg(640, 480), photo_jpeg(500, 400), photo_jpeg(420, 300)
    sent = upload(server, contact.token, p["agreement_id"], shared)
    expect_ok(await send(contact, p["agreement_id"], sent, key="a"), "the contact's photo")
    got = upload(server, child.token, p["agreement_id"], theirs)
    expect_ok(await send(child, p["agreement_id"], got, key="b"), "the child's photo to the contact")
    unsent = upload(server, contact.token, p["agreement_id"], mine)
    elsewhere = upload(server, other.token, q["agreement_id"], shared)  # the same bytes in another family
    expect_ok(await send(other, q["agreement_id"], elsewhere, key="c"), "the same photo elsewhere")
    paths = {}
    before = hashlib.sha256(may_download(server, other.token, elsewhere)[2]).hexdigest()
    for name, att, who in (("shared", sent, child), ("theirs", got, contact), ("mine", unsent, contact)):
        st, _, data = may_download(server, who.token, att)
        check_eq(st, 200, "%s downloads before the erasure" % name)
        paths[name] = blob_path(server, data)
    st, _, raw = http_call(server, "POST", "/api/accounts/%d/erase" % p["contact_id"], worker.token,
                           body=json.dumps({"reference": "SAR media 1"}), headers={"Content-Type": "application/json"})
    check_eq(st, 200, "the contact erased (%s)" % raw[:200])
    for att in (sent, got, unsent):
        check_eq(may_download(server, child.token, att)[0], 404, "the conversation's media are gone for the child")
        check_eq(may_download(server, worker.token, att)[0], 404, "and for the caseworker")
    check(not os.path.exists(paths["theirs"]) and not os.path.exists(paths["mine"]),
          "their files left the disk with the erasure")
    check(os.path.exists(paths["shared"]), "a file another family's photo shares stays")
    st, _, data = may_download(server, other.token, elsewhere)
    check_eq((st, hashlib.sha256(data).hexdigest()), (200, before), "the other family's photo is untouched")
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    left = {r[0] for r in db.execute("SELECT id FROM attachments")}
    db.close()
    check(not left & {sent, got, unsent} and elsewhere in left, "the rows went: %s" % left)


CASES = [
    Case("media_period_expires_old_attachments", media_period_expires_old_attachments, fresh=True, timeout=120,
         server_args=("--retention-sweep-s", "1")),
    Case("export_carries_media", export_carries_media, fresh=True, timeout=60),
    Case("erasure_removes_media", erasure_removes_media, fresh=True, timeout=60),
    Case("export_of_large_clips_streams", export_of_large_clips_streams, fresh=True, timeout=120),
]

if __name__ == "__main__":
    main(CASES, shared_server=False)
