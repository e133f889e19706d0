# test_uploads.py: media uploads over tus 1.0 at /files/ and downloads at /media/ (PROTOCOL.md "Media uploads and
# downloads"): the protocol's answers (OPTIONS, creation, PATCH in pieces, HEAD, offsets, termination), the creation
# pre-checks (login, kind, policy, size, the processing queue), the spool on disk holding no clear bytes, a restart
# losing unfinished uploads, refusals of damaged files, and who may download: uploader, the other party once sent,
# adults of the case; never another contact, another case, the operator; Bearer or cookie; Range.
import base64
import http.client
import json
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, TestFailure, check, check_eq, expect_ok, main, made_file


def photo_bytes(w=640, h=480, marker=None):
    """A JPEG made by ImageMagick; with marker, a JPEG comment carrying it (to look for in the spool)."""
    args = ["convert", "-size", "%dx%d" % (w, h), "gradient:orange-purple"]
    if marker:
        args += ["-set", "comment", marker]
    return made_file(*args, "{out}", name="p.jpg")


def b64(s):
    return base64.b64encode(str(s).encode()).decode()


def metadata(kind="photo", agreement=1, **more):
    pairs = ["kind " + b64(kind)] if kind else []
    if agreement:
        pairs.append("agreement_id " + b64(agreement))
    pairs += ["%s %s" % (k, b64(v)) for k, v in more.items()]
    return ",".join(pairs)


def call(server, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def tus(token=None, **h):
    out = {"Tus-Resumable": "1.0.0"}
    if token:
        out["Authorization"] = "Bearer " + token
    out.update({k.replace("_", "-"): str(v) for k, v in h.items()})
    return out


def error_code(body):
    import json
    try:
        return json.loads(body).get("error")
    except ValueError:
        return None


def create(server, token, length, meta=None, expect=201):
    st, h, body = call(server, "POST", "/files/", tus(token, Upload_Length=length,
                                                      Upload_Metadata=meta or metadata()))
    check_eq(st, expect, "creation status (%s)" % body[:200])
    if st == 201:
        check(h.get("location", "").startswith("/files/") and len(h["location"]) == 7 + 22,
              "Location /files/<22 chars>: %r" % h.get("location"))
        check("upload-expires" in h and h.get("tus-resumable") == "1.0.0", "Upload-Expires and Tus-Resumable")
        return h["location"]
    return error_code(body)


def patch(server, token, loc, offset, data):
    return call(server, "PATCH", loc, tus(token, Upload_Offset=offset, Content_Type="application/offset+octet-stream"),
                data)


async def tokens(server, *names):
    out = {}
    for n in names:
        c = await server.login(n, password="samvaer-demo" if n == "lena" else None)
        out[n] = c.token
        await c.close()
    return out


def allow_photos(server, agreement=1):
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    db.execute("UPDATE agreements SET ch_photo='allowed' WHERE id=?", (agreement,))
    db.commit()
    db.close()
    server._last_change = time.monotonic()


async def upload_photo(server, token, data):
    loc = create(server, token, len(data))
    st, h, body = patch(server, token, loc, 0, data)
    check_eq(st, 204, "final PATCH answered once processed (%s)" % body[:200])
    check_eq(h.get("upload-offset"), str(len(data)), "Upload-Offset at the end")
    return loc[len("/files/"):]


async def protocol(server):
    """OPTIONS, creation, PATCH in two pieces with a wrong offset between, HEAD, the final answer after processing."""
    allow_photos(server)
    await server.settle()
    t = (await tokens(server, "andrei", "radu"))
    st, h, _ = call(server, "OPTIONS", "/files/")
    check_eq(st, 204, "OPTIONS")
    check_eq(h.get("tus-version"), "1.0.0", "Tus-Version")
    check_eq(set(h.get("tus-extension", "").split(",")), {"creation", "termination", "expiration"}, "Tus-Extension")
    data = photo_bytes()
    loc = create(server, t["andrei"], len(data))
    st, h, _ = patch(server, t["andrei"], loc, 0, data[:5000])
    check_eq((st, h.get("upload-offset")), (204, "5000"), "first piece")
    st, h, body = patch(server, t["andrei"], loc, 4000, data[4000:])
    check_eq((st, error_code(body), h.get("upload-offset")), (409, "upload_offset_mismatch", "5000"),
             "a PATCH at the wrong offset")
    st, h, _ = call(server, "HEAD", loc, tus(t["andrei"]))
    check_eq((st, h.get("upload-offset"), h.get("upload-length")), (200, "5000", str(len(data))), "HEAD")
    check_eq(h.get("cache-control"), "no-store", "HEAD is not cached")
    st, h, _ = call(server, "HEAD", loc, tus(t["radu"]))
    check_eq(st, 404, "another account's upload does not exist for it")
    st, h, body = patch(server, t["andrei"], loc, 5000, data[5000:])
    check_eq((st, h.get("upload-offset")), (204, str(len(data))), "final piece (%s)" % body[:200])
    st, h, _ = call(server, "HEAD", loc, tus(t["andrei"]))
    check_eq((st, h.get("upload-offset")), (200, str(len(data))), "HEAD of a finished upload: complete")
    st, h, body = call(server, "GET", "/media/" + loc[7:], {"Authorization": "Bearer " + t["andrei"]})
    check_eq((st, h.get("content-type")), (200, "image/jpeg"), "the processed photo")
    check(body[:2] == b"\xff\xd8" and len(body) == int(h["content-length"]), "a JPEG of its Content-Length")


async def creation_checks(server):
    """Creation refused before any byte is sent: version, login, kind, no agreement, channel off, too large."""
    allow_photos(server)
    await server.settle()
    t = await tokens(server, "andrei", "ioana", "lena")
    st, h, body = call(server, "POST", "/files/", {"Upload-Length": "10", "Authorization": "Bearer " + t["andrei"]})
    check_eq((st, error_code(body), h.get("tus-version")), (412, "tus_version", "1.0.0"), "no Tus-Resumable")
    check_eq(create(server, None, 10, expect=401), "unauthenticated", "no token")
    check_eq(create(server, "0" * 64, 10, expect=401), "unauthenticated", "unknown token")
    check_eq(create(server, t["andrei"], 10, meta=metadata(kind="sticker"), expect=400), "bad_metadata", "kind")
    check_eq(create(server, t["andrei"], 10, meta=metadata(kind=None), expect=400), "bad_metadata", "no kind")
    check_eq(create(server, t["ioana"], 10, expect=403), "no_agreement", "no agreement with the child")
    check_eq(create(server, t["lena"], 10, meta=metadata(agreement=3), expect=403), "channel_off",
             "photos are off for this contact")
    check_eq(create(server, t["andrei"], 10, meta=metadata(kind="voice_note"), expect=403), "channel_off",
             "voice notes are off")
    check_eq(create(server, t["andrei"], 1 << 40, expect=413), "media_too_large", "a terabyte photo")
    check_eq(create(server, t["andrei"], "12abc", expect=400), "bad_upload_length", "Upload-Length")
    st, h, body = call(server, "POST", "/files/", tus(t["andrei"], Upload_Defer_Length=1, Upload_Metadata=metadata()))
    check_eq((st, error_code(body)), (400, "upload_length_required"), "deferred length is not offered")


async def busy_and_terminate(server):
    """Every processing slot reserved: 503 upload_busy with Retry-After; a termination frees one."""
    allow_photos(server)
    await server.settle()
    t = await tokens(server, "andrei", "mia")
    locs = []
    for _ in range(64):
        st, h, body = call(server, "POST", "/files/", tus(t["andrei"] if len(locs) < 7 else t["mia"],
                                                          Upload_Length=100, Upload_Metadata=metadata()))
        if st != 201:
            break
        locs.append((h["location"], t["andrei"] if len(locs) < 7 else t["mia"]))
    check_eq((st, error_code(body)), (503, "upload_busy"), "creation once the queue is full")
    check(h.get("retry-after", "").isdigit(), "Retry-After on upload_busy")
    loc, tok = locs.pop()
    st, _, _ = call(server, "DELETE", loc, tus(tok))
    check_eq(st, 204, "termination")
    st, _, _ = call(server, "HEAD", loc, tus(tok))
    check_eq(st, 404, "a terminated upload is gone")
    st, h, _ = call(server, "POST", "/files/", tus(tok, Upload_Length=100, Upload_Metadata=metadata()))
    check_eq(st, 201, "the freed slot takes a new upload")
    locs.append((h["location"], tok))
    for loc, tok in locs:
        call(server, "DELETE", loc, tus(tok))


async def spool_and_restart(server):
    """The spool file holds no clear bytes of the upload; a restart loses unfinished uploads (HEAD 404)."""
    allow_photos(server)
    await server.settle()
    t = await tokens(server, "andrei")
    marker = "SECRET-GPS-59.9139N-10.7522E"
    data = photo_bytes(marker=marker)
    check(marker.encode() in data, "the marker is in the original")
    loc = create(server, t["andrei"], len(data))
    st, _, _ = patch(server, t["andrei"], loc, 0, data[:len(data) - 10])
    check_eq(st, 204, "all but the last bytes")
    spool = os.path.join(server.data_dir, "spool", loc[7:])
    deadline = time.monotonic() + 5  # the spool writer thread writes behind the answer
    while os.path.getsize(spool) < len(data) - 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    with open(spool, "rb") as f:
        on_disk = f.read()
    check_eq(len(on_disk), len(data) - 10, "the spool holds every byte received")
    check(marker.encode() not in on_disk and data[:64] not in on_disk, "no clear text in the spool")
    server.stop()
    server.start(seed=False)
    t = await tokens(server, "andrei")
    st, _, _ = call(server, "HEAD", loc, tus(t["andrei"]))
    check_eq(st, 404, "after a restart the upload is gone: the client starts again")
    check_eq(os.listdir(os.path.join(server.data_dir, "spool")), [], "and its spool file with it")


async def refusals(server):
    """Bytes that are no photo: the final PATCH answers the processing refusal, and HEAD says it is gone."""
    allow_photos(server)
    await server.settle()
    t = await tokens(server, "andrei")
    junk = os.urandom(20000)
    loc = create(server, t["andrei"], len(junk))
    st, _, body = patch(server, t["andrei"], loc, 0, junk)
    check_eq((st, error_code(body)), (415, "media_unsupported"), "random bytes as a photo")
    st, _, _ = call(server, "HEAD", loc, tus(t["andrei"]))
    check_eq(st, 410, "a refused upload")
    data = photo_bytes()
    loc = create(server, t["andrei"], len(data) - 1)
    st, _, body = patch(server, t["andrei"], loc, 0, data)
    check_eq((st, error_code(body)), (413, "upload_too_long"), "more bytes than Upload-Length")


async def downloads(server):
    """Who may read /media/<id>: before it is sent, once it is sent; Bearer, cookie, Range, headers."""
    allow_photos(server)
    await server.settle()
    names = ("andrei", "mia", "elena", "ana", "sofie", "lena", "ioana", "olav", "radu")
    t = await tokens(server, *names)
    # a second case: its caseworker must not see this one's media
    other = server.add_pair()
    cw, _ = server.add_account("caseworker")
    server.admin("case", "link", other["child"], "--caseworker", cw)
    t.update(await tokens(server, cw, other["contact"]))
    aid = await upload_photo(server, t["andrei"], photo_bytes())
    url = "/media/" + aid

    def status(who, path=url, **h):
        headers = dict(h)
        if who:
            headers["Authorization"] = "Bearer " + t[who]
        return call(server, "GET", path, headers)[0]

    before = {"andrei": 200, "mia": 404, "elena": 200, "ana": 200, "sofie": 200, "lena": 404, "ioana": 404,
              "olav": 404, "radu": 404, cw: 404, other["contact"]: 404}
    for who, want in before.items():
        check_eq(status(who), want, "before it is sent: %s" % who)
    check_eq(status(None), 401, "nobody")
    check_eq(status("andrei", "/media/" + "A" * 22), 404, "an id that does not exist")
    check_eq(status("andrei", "/media/../samvaer.db"), 404, "a path outside")
    check_eq(status("andrei", url + "/poster"), 404, "a photo has no poster")
    check_eq(status("andrei", url + "/thumb"), 200, "its thumbnail")
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))  # what msg.send does (attach helper)
    db.execute("UPDATE attachments SET state='sent', seq=1 WHERE id=?", (aid,))
    db.commit()
    db.close()
    after = dict(before, mia=200)
    for who, want in after.items():
        check_eq(status(who), want, "once sent: %s" % who)
    # Range and headers
    st, h, body = call(server, "GET", url, {"Authorization": "Bearer " + t["mia"], "Range": "bytes=0-99"})
    check_eq((st, len(body)), (206, 100), "a range")
    check(h.get("content-range", "").startswith("bytes 0-99/"), "Content-Range: %r" % h.get("content-range"))
    check_eq(h.get("x-content-type-options"), "nosniff", "nosniff")
    check(h.get("cache-control", "").startswith("private"), "Cache-Control private")
    st, h, _ = call(server, "GET", url, {"Authorization": "Bearer " + t["mia"], "Range": "bytes=99999999-"})
    check_eq(st, 416, "a range past the end")
    # the cookie for <img> and <video>
    st, h, _ = call(server, "POST", "/media/session", {"Authorization": "Bearer " + t["mia"]})
    cookie = h.get("set-cookie", "")
    check_eq(st, 204, "media session")
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/media"):
        check(attr in cookie, "cookie %s: %r" % (attr, cookie))
    value = cookie.split(";")[0]
    check_eq(call(server, "GET", url, {"Cookie": value})[0], 200, "the cookie reads what its account may")
    check_eq(call(server, "GET", url, {"Cookie": value[:-1] + ("0" if value[-1] != "0" else "1")})[0], 401,
             "a wrong cookie")
    st, h, _ = call(server, "POST", "/media/session", {"Authorization": "Bearer " + t["lena"]})
    check_eq(call(server, "GET", url, {"Cookie": h["set-cookie"].split(";")[0]})[0], 404,
             "another contact's cookie")
    c = await server.login("mia")
    st, h, _ = call(server, "POST", "/media/session", {"Authorization": "Bearer " + c.token})
    value = h["set-cookie"].split(";")[0]
    try:
        await c.request("auth.logout")
    except ConnectionError:
        pass  # the server may end the connection (session_ended) as it answers
    await c.close()
    check_eq(call(server, "GET", url, {"Cookie": value})[0], 401, "logging out ends the cookie")


async def expiry(server):
    """An unfinished upload expires upload_expiry_s after creation: HEAD 404, its spool file gone, its slot free."""
    allow_photos(server)
    await server.settle()
    t = await tokens(server, "andrei")
    data = photo_bytes()
    loc = create(server, t["andrei"], len(data))
    st, h, _ = call(server, "HEAD", loc, tus(t["andrei"]))
    check_eq(st, 200, "there at first")
    patch(server, t["andrei"], loc, 0, data[:1000])
    spool = os.path.join(server.data_dir, "spool", loc[7:])
    check(os.path.exists(spool), "its spool file")
    deadline = time.monotonic() + 10
    while call(server, "HEAD", loc, tus(t["andrei"]))[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
    check_eq(call(server, "HEAD", loc, tus(t["andrei"]))[0], 404, "gone after Upload-Expires")
    check(not os.path.exists(spool), "its spool file deleted")
    st, _, body = patch(server, t["andrei"], loc, 1000, data[1000:])
    check_eq((st, error_code(body)), (404, "upload_not_found"), "a PATCH after expiry")


def catalog(lang, code):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "server", "i18n", lang + ".json")) as f:
        return json.load(f)["error." + code]


def refusal(answer):
    st, _, body = answer
    try:
        doc = json.loads(body)
    except ValueError:
        raise TestFailure("not a JSON refusal: %s %r" % (st, body[:200]))
    return st, doc.get("error"), doc.get("message")


async def refusals_in_language(server):
    """HTTP refusals of /files/ and /media/ speak the account's language, else Accept-Language, else English; the
    error code never changes."""
    allow_photos(server)
    await server.settle()
    andrei = await server.login("andrei")
    tok = andrei.token
    expect_ok(await andrei.request("account.set_locale", locale="ro"), "andrei chooses Romanian")
    check_eq(refusal(call(server, "POST", "/files/", tus(tok, Upload_Length=0, Upload_Metadata=metadata()))),
             (422, "media_empty", "Acest fișier este gol."), "creation refused in Romanian")
    check_eq(refusal(call(server, "GET", "/media/" + "A" * 22, {"Authorization": "Bearer " + tok,
                                                                 "Accept-Language": "da"})),
             (404, "media_not_found", catalog("ro", "media_not_found")), "the account's choice beats the header")
    words = b"this is not a picture at all, only words, words and more words!"
    loc = create(server, tok, len(words))
    check_eq(refusal(patch(server, tok, loc, 0, words)),
             (415, "media_unsupported", catalog("ro", "media_unsupported")), "processing's refusal in Romanian")
    check_eq(refusal(call(server, "POST", "/files/", {"Tus-Resumable": "1.0.0", "Accept-Language": "da-DK,da;q=0.9"})),
             (401, "unauthenticated", catalog("da", "unauthenticated")), "no account: the header's language (Danish)")
    check_eq(refusal(call(server, "POST", "/files/", {"Tus-Resumable": "1.0.0"})),
             (401, "unauthenticated", "Please log in."), "neither: English")
    expect_ok(await andrei.request("account.set_locale", locale=""), "back to the device's language")
    check_eq(refusal(call(server, "POST", "/files/", tus(tok, Upload_Length=0, Upload_Metadata=metadata(),
                                                         Accept_Language="es-ES"))),
             (422, "media_empty", "Este archivo está vacío."), "following the device: Spanish from the header")


main([
    Case("protocol", protocol, timeout=60),
    Case("creation_checks", creation_checks, timeout=60),
    Case("busy_and_terminate", busy_and_terminate, timeout=60),
    Case("refusals", refusals, timeout=60),
    Case("downloads", downloads, timeout=90),
    Case("spool_and_restart", spool_and_restart, fresh=True, timeout=60),
    Case("expiry", expiry, fresh=True, timeout=60, server_args=("--upload-expiry-s", "2")),
    Case("refusals_in_language", refusals_in_language, fresh=True, timeout=60),
])
