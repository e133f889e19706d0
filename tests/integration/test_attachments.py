# test_attachments.py: photos, clips and voice notes as messages (PROTOCOL.md "Attachments in messages") and their
# review (ADMIN-API.md "Held messages"): a held photo approved then delivered and readable by the child; a rejected one
# with the supervisor's reason told to the sender and never readable by the child; a channel turned off refuses the
# send; another person's upload (or one for another conversation) is refused like a missing one; an allowed photo is
# delivered with its attachment member, idempotent on retry, in history and receipts; a caption is screened; and the
# word lists catch the tricks senders use (spacing, full-width letters, digits and signs for letters, look-alikes).
import base64
import http.client
import json
import sys
import urllib.request

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, expect_error, expect_ok, main, made_file


def family(server, terms=None):
    """A pair plus a caseworker, carer and supervisor of the child's case; terms through a proposal the caseworker
    makes and the carer approves."""
    p = server.add_pair()
    for role in ("caseworker", "carer", "supervisor"):
        name, ident = server.add_account(role)
        server.admin("case", "link", p["child"], "--" + role, name)
        p[role], p[role + "_id"] = name, ident
    if terms is not None:
        server.approve_terms(p, terms)
    return p


def photo_jpeg(w=320, h=240):
    return made_file("convert", "-size", "%dx%d" % (w, h), "gradient:skyblue-green", "{out}", name="p.jpg")


def http_call(server, method, path, token=None, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def upload(server, token, agreement_id, data, kind="photo"):
    """A whole tus upload (creation, one PATCH answered once processed): the attachment id."""
    meta = ",".join("%s %s" % (k, base64.b64encode(str(v).encode()).decode())
                    for k, v in (("kind", kind), ("agreement_id", agreement_id), ("filename", "p.jpg")))
    st, h, body = http_call(server, "POST", "/files/", token, headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": meta})
    check_eq(st, 201, "upload created (%s)" % body[:200])
    loc = h["location"]
    st, h, body = http_call(server, "PATCH", loc, token, body=data, headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    check_eq(st, 204, "upload processed (%s)" % body[:200])
    return loc[len("/files/"):]


def api(server, token, method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (server.port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


async def send(client, aid, att, text=None, key=None):
    params = {"agreement_id": aid, "attachment_id": att, "client_key": key or "att-%s" % att[:8]}
    if text is not None:
        params["text"] = text
    return await client.request("msg.send", **params)


def body_case(server, who, aid):
    """The case id of an agreement, as the admin API shows it to a member of the case."""
    st, body = api(server, who.token, "GET", "/api/agreements/%d" % aid)
    check_eq(st, 200, "agreement readable by the supervisor")
    return body.get("case_id") or (body.get("agreement") or {}).get("case_id")


async def people(server, p, *roles):
    out = []
    for r in roles:
        out.append(await server.login(p[r]))
    return out


def may_download(server, token, att, part=""):
    st, h, body = http_call(server, "GET", "/media/%s%s" % (att, part), token)
    return st, h.get("content-type"), body


async def held_photo_approved_then_delivered(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "moderated"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, sup = await people(server, p, "child", "contact", "supervisor")
    att = upload(server, contact.token, aid, photo_jpeg())
    r = expect_ok(await send(contact, aid, att, "Me at work"), "photo on a moderated channel")
    check_eq((r.get("held"), r["decision"]["reason"]), (True, "held_for_review"), "the sender sees it waits")
    await child.no_event("message", 0.5)
    check(may_download(server, child.token, att)[0] in (403, 404), "the child cannot open a held photo")
    st, body = api(server, sup.token, "GET", "/api/messages/held")
    items = [m for m in body.get("messages", []) if m["id"] == r["hold_id"]]
    check_eq(len(items), 1, "the supervisor's queue has the held photo")
    a = items[0].get("attachment") or {}
    check_eq((a.get("id"), a.get("kind"), items[0]["text"]), (att, "photo", "Me at work"), "queue item: photo + caption")
    st, ctype, thumb = may_download(server, sup.token, att, "/thumb")
    check_eq((st, ctype), (200, "image/jpeg"), "the supervisor sees the thumbnail")
    check(thumb[:2] == b"\xff\xd8", "the thumbnail is a JPEG")
    st, body = api(server, sup.token, "POST", "/api/messages/held/%d/release" % r["hold_id"])
    check_eq((st, body.get("state")), (200, "released"), "approve")
    m = await child.next_event("message", timeout=2)
    ma = m.get("attachment") or {}
    check_eq((ma.get("id"), ma.get("kind"), ma.get("url"), m["text"]), (att, "photo", "/media/" + att, "Me at work"),
             "the child receives the photo with its caption")
    check(ma.get("width", 0) > 0 and ma.get("thumb") == "/media/%s/thumb" % att, "dimensions and thumbnail")
    h = await contact.next_event("held", timeout=2)
    check_eq((h["state"], h["hold_id"]), ("released", r["hold_id"]), "the sender is told it was approved")
    st, ctype, body = may_download(server, child.token, att)
    check_eq((st, ctype), (200, "image/jpeg"), "the child can open the approved photo")
    hist = await child.ok("msg.history", agreement_id=aid)
    check_eq([(x.get("attachment") or {}).get("id") for x in hist["messages"]], [att], "history carries it")
    cw = await server.login(p["caseworker"])
    st, audit = api(server, cw.token, "GET", "/api/audit?case=%d" % items[0]["case_id"])
    reviews = [e for e in audit.get("entries", []) if e.get("kind") == "message_review"]
    check(any((e.get("detail") or {}).get("attachment_id") == att and (e.get("detail") or {}).get("decision") ==
              "release" for e in reviews), "the approval is in the audit log: %s" % reviews)


async def rejected_with_reason_sender_told(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"}, "supervision": {"messages": "before"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, sup = await people(server, p, "child", "contact", "supervisor")
    att = upload(server, contact.token, aid, photo_jpeg())
    r = expect_ok(await send(contact, aid, att), "photo under review before")
    check_eq((r.get("held"), r["decision"]["reason"]), (True, "review_before"), "held for review before")
    reason = "Please do not send pictures of the house."
    st, body = api(server, sup.token, "POST", "/api/messages/held/%d/reject" % r["hold_id"], {"reason": reason})
    check_eq((st, body.get("state"), body.get("reason")), (200, "rejected", reason), "reject with a reason")
    h = await contact.next_event("held", timeout=2)
    check_eq((h["state"], h.get("reason")), ("rejected", reason), "the sender is told, with the reason")
    await child.no_event("message", 0.5)
    check(may_download(server, child.token, att)[0] in (403, 404), "the child never reads a rejected photo")
    hist = await child.ok("msg.history", agreement_id=aid)
    check_eq(hist["messages"], [], "nothing reaches the conversation")
    expect_error(await send(contact, aid, att, key="again"), "attachment_unavailable", "a rejected photo again")
    st, body = api(server, sup.token, "POST", "/api/messages/held/%d/release" % r["hold_id"])
    check_eq(st, 409, "a decision is taken once")
    cw = await server.login(p["caseworker"])
    st, audit = api(server, cw.token, "GET", "/api/audit?case=%d" % body_case(server, sup, aid))
    details = [e.get("detail") or {} for e in audit.get("entries", []) if e.get("kind") == "message_review"]
    check(any(d.get("attachment_id") == att and d.get("decision") == "reject" and d.get("reason") == reason
              for d in details), "the rejection and its reason are in the audit log: %s" % details)


async def channel_off_refused(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"}})
    aid = p["agreement_id"]
    await server.settle()
    contact = await server.login(p["contact"])
    att = upload(server, contact.token, aid, photo_jpeg())
    server.approve_terms(p, {"channels": {"text": "allowed", "photo": "off"}})
    await server.settle()
    expect_error(await send(contact, aid, att), "channel_off", "photos turned off after the upload")
    child = await server.login(p["child"])
    await child.no_event("message", 0.5)


async def other_persons_attachment_refused(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"}})
    q = family(server, {"channels": {"text": "allowed", "photo": "allowed"}})
    aid, other = p["agreement_id"], q["agreement_id"]
    await server.settle()
    child, contact = await people(server, p, "child", "contact")
    att = upload(server, contact.token, aid, photo_jpeg())
    expect_error(await send(child, aid, att), "attachment_unavailable", "the child sends the contact's upload")
    stranger = await server.login(q["contact"])
    r = await send(stranger, other, att)
    expect_error(r, "attachment_unavailable", "someone else's upload in another conversation")
    expect_error(await send(contact, aid, "A" * 22), "attachment_unavailable", "an id that does not exist")
    own = upload(server, stranger.token, other, photo_jpeg())
    r = await send(stranger, aid, own)
    check(r.get("ok") is False, "no way into a conversation one is not part of: %s" % r)
    expect_ok(await send(contact, aid, att), "the uploader may")


async def allowed_photo_delivered_and_idempotent(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact = await people(server, p, "child", "contact")
    att = upload(server, contact.token, aid, photo_jpeg(800, 600))
    r1 = expect_ok(await send(contact, aid, att, key="k1"), "photo allowed")
    check_eq(r1.get("duplicate"), False, "first send")
    m = await child.next_event("message", timeout=2)
    ma = m.get("attachment") or {}
    check_eq((m["seq"], ma.get("id"), ma.get("mime"), m["text"]), (r1["seq"], att, "image/jpeg", ""),
             "delivered with its attachment, no caption")
    r2 = expect_ok(await send(contact, aid, att, key="k1"), "retry with the same key")
    check_eq((r2["seq"], r2.get("duplicate")), (r1["seq"], True), "the retry gets the first answer")
    await child.no_event("message", 0.5)
    expect_error(await send(contact, aid, att, key="k2"), "attachment_unavailable", "sent once only")
    expect_error(await contact.request("msg.send", agreement_id=aid, client_key="k1", text="other"),
                 "idempotency_conflict", "the key of the photo message for a text")
    expect_ok(await child.request("msg.receipt", agreement_id=aid, kind="read", seq=r1["seq"]), "read receipt")
    rc = await contact.next_event("receipt", timeout=2)
    check_eq((rc["kind"], rc["seq"]), ("read", r1["seq"]), "the sender learns it was seen")
    hist = await contact.ok("msg.history", agreement_id=aid)
    check_eq([((x.get("attachment") or {}).get("id"), x["seq"]) for x in hist["messages"]], [(att, r1["seq"])],
             "history")
    t = expect_ok(await contact.send_text(aid, "and a text"), "text after")
    hist = await child.ok("msg.history", agreement_id=aid)
    check_eq(["attachment" in x for x in hist["messages"]], [True, False], "only the photo carries an attachment")
    check_eq(hist["messages"][-1]["seq"], t["seq"], "order")


async def caption_screened(server):
    p = family(server, {"channels": {"text": "allowed", "photo": "allowed"},
                        "privacy": {"screen_contact_details": True}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact = await people(server, p, "child", "contact")
    att = upload(server, contact.token, aid, photo_jpeg())
    r = expect_ok(await send(contact, aid, att, "add me on instagram"), "caption with a social-media name")
    check_eq((r.get("held"), r["decision"]["reason"]), (True, "links"), "held for the caption")
    await child.no_event("message", 0.5)
    r2 = expect_ok(await send(contact, aid, att, "add me on instagram"), "retry of the held send")
    check_eq((r2.get("held"), r2.get("hold_id"), r2.get("duplicate")), (True, r["hold_id"], True), "same hold")


async def word_list_tricks_caught(server):
    p = family(server, {"privacy": {"screen_contact_details": True}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact = await people(server, p, "child", "contact")
    tricks = [
        ("spaced letters", "you look s e x y", "word_list"),
        ("full-width letters", "\uff53\uff45\uff58", "word_list"),
        ("digits for letters", "send me n4k3d pics", "word_list"),
        ("look-alike letters", "n\u0430k\u0435d", "word_list"),
        ("accents dropped, ro", "e secretul nostru, nu spune nimanui", "word_list"),
        ("da", "det er vores hemmelighed", "word_list"),
        ("it", "non dirlo a nessuno", "word_list"),
        ("es", "no se lo digas a nadie", "word_list"),
        ("link", "see fotos dot com", "links"),
        ("handle", "follow me @lina.2009", "links"),
        ("platform spaced", "my s n a p c h a t is lina", "links"),
    ]
    for name, text, reason in tricks:
        r = expect_ok(await contact.send_text(aid, text), name)
        check_eq((r.get("held"), (r.get("decision") or {}).get("reason")), (True, reason), name)
    await child.no_event("message", 0.3)
    ok = expect_ok(await contact.send_text(aid, "Bună, mi-e dor de tine! Vi ses på lørdag."), "an ordinary message")
    check(not ok.get("held"), "an ordinary message is delivered")
    m = await child.next_event("message", timeout=2)
    check_eq(m["seq"], ok["seq"], "only the ordinary message arrives")
    server.approve_terms(p, {"privacy": {"screen_words": False}})
    await server.settle()
    r = expect_ok(await contact.send_text(aid, "s e x y"), "word lists turned off")
    check(not r.get("held"), "with privacy.screen_words false the word lists do not hold")


CASES = [
    Case("held_photo_approved_then_delivered", held_photo_approved_then_delivered, timeout=60),
    Case("rejected_with_reason_sender_told", rejected_with_reason_sender_told, timeout=60),
    Case("channel_off_refused", channel_off_refused, timeout=60),
    Case("other_persons_attachment_refused", other_persons_attachment_refused, timeout=60),
    Case("allowed_photo_delivered_and_idempotent", allowed_photo_delivered_and_idempotent, timeout=60),
    Case("caption_screened", caption_screened, timeout=60),
    Case("word_list_tricks_caught", word_list_tricks_caught, timeout=60),
]

if __name__ == "__main__":
    main(CASES)
