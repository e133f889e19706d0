# test_profile_photo.py: profile photos (proto/PROTOCOL.md section 14) over real tus uploads and WebSocket clients.
"""A child sets her own picture: it is processed like a shared photo (the GPS the phone wrote is gone), her contact
sees it at once on the contact list (a `contact` event with peer.photo) and can download it, her other device gets
a `profile` event, and her next login carries it; a stranger cannot read it. The carer replaces it: the old picture
is gone, the change audit-logged. A contact cannot set the child's picture, nobody can use someone else's upload,
and a shared photo's upload cannot become a picture."""
import asyncio
import base64
import json
import os
import sqlite3
import subprocess
import tempfile

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, expect_error, expect_ok, main, short

GPS_ARGS = ["-GPSLatitude=55.6761", "-GPSLatitudeRef=N", "-GPSLongitude=12.5683", "-GPSLongitudeRef=E"]


def jpeg_with_gps(colour):
    """A 640x480 JPEG with GPS EXIF, as a phone camera writes it."""
    path = os.path.join(tempfile.mkdtemp(prefix="samvaer-photo-"), "p.jpg")
    subprocess.run(["convert", "-size", "640x480", "gradient:%s-white" % colour, path], check=True, timeout=30)
    subprocess.run(["exiftool", "-q", "-overwrite_original"] + GPS_ARGS + [path], check=True, timeout=30)
    gps = subprocess.run(["exiftool", "-s3", "-GPSLatitude", path], capture_output=True, text=True).stdout
    check(gps.strip(), "the fixture has GPS before upload")
    with open(path, "rb") as f:
        return f.read()


def meta(**kv):
    return ",".join("%s %s" % (k, base64.b64encode(str(v).encode()).decode()) for k, v in kv.items())


def http(server, method, path, headers=None, body=None):
    c = server._http(30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


async def upload(server, token, data, **metadata):
    """tus creation + one PATCH; returns (status of the step that ended it, upload id or error JSON)."""
    auth = {"Authorization": "Bearer %s" % token, "Tus-Resumable": "1.0.0"}
    st, h, body = await asyncio.to_thread(http, server, "POST", "/files/",
                                          dict(auth, **{"Upload-Length": str(len(data)), "Upload-Metadata": meta(**metadata)}))
    if st != 201:
        return st, json.loads(body or b"{}")
    url = h["location"]
    uid = url.rstrip("/").split("/")[-1]
    st, h, body = await asyncio.to_thread(http, server, "PATCH", "/files/%s" % uid,
                                          dict(auth, **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}), data)
    if st != 204:
        return st, json.loads(body or b"{}")
    return st, uid


async def get_media(server, token, url):
    return await asyncio.to_thread(http, server, "GET", url, {"Authorization": "Bearer %s" % token})


def exif_gps(data):
    path = os.path.join(tempfile.mkdtemp(prefix="samvaer-got-"), "got.jpg")
    with open(path, "wb") as f:
        f.write(data)
    r = subprocess.run(["exiftool", "-s", "-a", "-G1", "-GPS:all", "-XMP:all", "-EXIF:all", path],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def audit_kinds(server, kind):
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    try:
        return db.execute("SELECT detail FROM audit WHERE kind=? ORDER BY seq", (kind,)).fetchall()
    finally:
        db.close()


async def set_photo(client, upload_id, **kw):
    return await client.request("profile.set_photo", attachment_id=upload_id, **kw)


async def child_sets_own_photo(server):
    mia = await server.login("mia")
    mia2 = await server.login("mia")
    andrei = await server.login("andrei")
    ioana = await server.login("ioana")
    st, uid = await upload(server, mia.token, jpeg_with_gps("red"), kind="profile_photo", filename="me.jpg")
    check_eq(st, 204, "upload: %s" % short(uid))
    res = expect_ok(await set_photo(mia, uid), "mia sets her own photo")
    url = res.get("photo")
    check_eq(url, "/media/%s/thumb" % uid, "the photo URL: %s" % short(res))
    ev = await andrei.next_event_where("contact", lambda d: d.get("peer", {}).get("photo") == url, timeout=3)
    check(ev, "andrei's contact entry for mia shows her photo")
    listed = expect_ok(await andrei.request("contacts.list"), "contacts.list")["contacts"]
    check(any(c["peer"].get("photo") == url for c in listed), "contacts.list shows it: %s" % short(listed))
    ev = await mia2.next_event("profile", timeout=3)
    check_eq(ev.get("photo"), url, "mia's other connection is told")
    again = await server.login("mia")
    check_eq(again.account.get("photo"), url, "the next login's account carries the photo")
    st, h, body = await get_media(server, andrei.token, url)
    check_eq(st, 200, "andrei downloads it")
    check(h.get("content-type", "").startswith("image/"), "an image: %s" % h)
    check_eq(exif_gps(body), "", "no GPS or other metadata left in the picture")
    st, _, _ = await get_media(server, ioana.token, url)
    check(st in (403, 404), "someone without an agreement with mia cannot read it (%d)" % st)
    expect_ok(await set_photo(mia, uid), "asking again with the same upload is fine")


async def carer_replaces_it(server):
    mia = await server.login("mia")
    elena = await server.login("elena")
    andrei = await server.login("andrei")
    st, first = await upload(server, mia.token, jpeg_with_gps("green"), kind="profile_photo")
    check_eq(st, 204, "mia's upload")
    old = expect_ok(await set_photo(mia, first), "mia's photo")["photo"]
    st, second = await upload(server, elena.token, jpeg_with_gps("blue"), kind="profile_photo",
                              account_id=mia.account["id"])
    check_eq(st, 204, "elena's upload for mia: %s" % short(second))
    res = expect_ok(await set_photo(elena, second, account_id=mia.account["id"]), "the carer sets mia's photo")
    check_eq(res.get("photo"), "/media/%s/thumb" % second, "the new photo")
    ev = await mia.next_event("profile", timeout=3)
    check_eq(ev.get("photo"), res["photo"], "mia is told her picture changed")
    st, _, _ = await get_media(server, mia.token, old)
    check_eq(st, 404, "the replaced picture is gone")
    st, _, _ = await get_media(server, andrei.token, res["photo"])
    check_eq(st, 200, "andrei sees the new one")
    entries = [json.loads(d[0]) for d in audit_kinds(server, "profile_photo")]
    check(any(e.get("attachment") == second and e.get("replaced") == first for e in entries),
          "audit-logged with what it replaced: %s" % short(entries))


async def others_refused(server):
    mia = await server.login("mia")
    andrei = await server.login("andrei")
    mid = mia.account["id"]
    st, err = await upload(server, andrei.token, jpeg_with_gps("yellow"), kind="profile_photo", account_id=mid)
    check(st == 403, "a contact cannot even upload a picture for the child: %d %s" % (st, short(err)))
    st, own = await upload(server, andrei.token, jpeg_with_gps("yellow"), kind="profile_photo")
    check_eq(st, 204, "andrei's own picture")
    expect_error(await set_photo(andrei, own, account_id=mid), "not_found", "andrei cannot make it mia's picture")
    expect_error(await set_photo(mia, own), "not_found", "mia cannot use andrei's upload")
    st, shared = await upload(server, andrei.token, jpeg_with_gps("yellow"), kind="photo", agreement_id=1)
    if st == 204:  # only when the demo agreement allows photos; either way it is no profile photo
        expect_error(await set_photo(andrei, shared), "not_found", "a shared photo's upload is not a picture")
    expect_error(await set_photo(andrei, "x" * 5), "bad_request", "a malformed id")
    expect_ok(await set_photo(andrei, own), "his own upload, for himself")


CASES = [
    Case("child_sets_own_photo_everyone_who_sees_her_gets_it", child_sets_own_photo, timeout=60),
    Case("carer_replaces_it_old_one_gone_audited", carer_replaces_it, timeout=60),
    Case("others_refused", others_refused, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
