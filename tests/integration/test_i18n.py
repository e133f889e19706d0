# test_i18n.py: the server speaks the person's language: an account set to Romanian gets its refusals, errors and
# contact states in Romanian whatever the device says; with no language set the device's `locale` at login decides
# (and before login too); codes never change; developer details stay English; the choice is audited and reaches
# every open session; an invitation's locale becomes the new account's language.
"""Covers proto/PROTOCOL.md "Languages" (account.set_locale, `locale` at login), docs/ADMIN-API.md invitations `locale`."""
import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, check, check_eq, expect_error, expect_ok, main, short
from test_admin_api import TEXT_ONLY, demo_ids, expect_api, token
from test_audit import audit_rows, find

RO = {
    "text_empty": "Mesajul este gol.",
    "agreement_pending": "Acordul de contact așteaptă aprobarea.",
    "bad_credentials": "Nume de utilizator sau parolă greșită.",
    "can_write": "Poți scrie acum.",
}
DA_TEXT_EMPTY = "Beskeden er tom."
EN_TEXT_EMPTY = "The message is empty."


async def login(server, username, locale=None):
    """auth.login from a device that says `locale` (None: says nothing); the Client with .account set."""
    c = await server.connect()
    params = {"locale": locale} if locale else {}
    res = expect_ok(await c.request("auth.login", username=username, password=server.password_of(username),
                                    **params), "login %s (%s)" % (username, locale))
    c.account, c.token = res["account"], res["token"]
    return c


async def send_empty(c, agreement_id):
    return expect_error(await c.request("msg.send", agreement_id=agreement_id, text="", client_key="k-empty"),
                        "text_empty", "empty message")["message"]


async def romanian_account(server):
    pair = server.add_pair(text="allowed")
    pending = server.add_pair(text="allowed", status="pending")
    c = await login(server, pair["contact"], "da-DK")
    check_eq(c.account.get("locale"), "", "no language chosen yet")
    check_eq(await send_empty(c, pair["agreement_id"]), DA_TEXT_EMPTY, "the device's Danish until one is chosen")

    res = expect_ok(await c.request("account.set_locale", locale="ro"), "set Romanian")
    check_eq(res, {"locale": "ro", "effective": "ro"}, "the answer")
    check_eq(await send_empty(c, pair["agreement_id"]), RO["text_empty"], "Romanian at once on this connection")

    # a new login from a Danish (or an unsaid) device: the account's Romanian wins, and login tells the client
    for device in ("da-DK", None):
        c2 = await login(server, pair["contact"], device)
        check_eq(c2.account.get("locale"), "ro", "auth.login's account carries its language")
        check_eq(await send_empty(c2, pair["agreement_id"]), RO["text_empty"], "Romanian from device %r" % device)

    # a refusal by the agreement: same code, Romanian words
    other = await server.login(pending["contact"])
    expect_ok(await other.request("account.set_locale", locale="ro"), "the other contact chooses Romanian")
    err = expect_error(await other.request("msg.send", agreement_id=pending["agreement_id"], text="Salut",
                                           client_key="k1"), "agreement_pending", "agreement not yet approved")
    check_eq(err["message"], RO["agreement_pending"], "the refusal in Romanian")
    check_eq(err["decision"]["reason"], "agreement_pending", "the decision's code is unchanged")

    # contact states
    lst = expect_ok(await c.request("contacts.list"), "contacts")["contacts"]
    mine = [x for x in lst if x["agreement_id"] == pair["agreement_id"]]
    check(mine and mine[0]["text"]["message"] == RO["can_write"], "contact state in Romanian: %s" % short(mine))

    # a developer's detail is not translated; the code is the same in every language
    err = expect_error(await c.request("msg.receipt", agreement_id=pair["agreement_id"], seq=1, kind="seen"),
                       "bad_request", "a wrong member")
    check(err["message"].startswith("proto:"), "developer detail stays as written: %r" % err["message"])

    # audited
    find(audit_rows(server), "the choice", lambda x: x["kind"] == "account"
         and x["detail"] == {"action": "locale", "locale": "ro"})

    # back to the device's language
    check_eq(expect_ok(await c.request("account.set_locale", locale=""), "follow the device"),
             {"locale": "", "effective": "da"}, "'' follows the device again (this one said da-DK)")
    check_eq(await send_empty(c, pair["agreement_id"]), DA_TEXT_EMPTY, "Danish again")
    c3 = await login(server, pair["contact"])
    check_eq(await send_empty(c3, pair["agreement_id"]), EN_TEXT_EMPTY, "a device that says nothing: English")


async def every_session_switches(server):
    pair = server.add_pair(text="allowed")
    a = await server.login(pair["contact"])
    b = await server.login(pair["contact"])
    expect_ok(await a.request("account.set_locale", locale="ro"), "set on one device")
    check_eq(await send_empty(b, pair["agreement_id"]), RO["text_empty"], "the other open session follows")


async def before_login(server):
    c = await server.connect()
    err = expect_error(await c.request("auth.login", username="andrei", password="wrong-password", locale="ro-RO"),
                       "bad_credentials", "wrong password from a Romanian browser")
    check_eq(err["message"], RO["bad_credentials"], "the device's language before login")
    c = await server.connect()
    err = expect_error(await c.request("auth.login", username="andrei", password="wrong-password", locale="de-DE"),
                       "bad_credentials", "a language the server lacks")
    check_eq(err["message"], "Wrong username or password.", "English for a language the server does not have")


async def refused_values(server):
    pair = server.add_pair(text="allowed")
    c = await server.login(pair["contact"])
    for bad in ("de", "ro-RO", "xx", 5):
        expect_error(await c.request("account.set_locale", locale=bad), "bad_request", "locale %r" % (bad,))
    expect_error(await c.request("account.set_locale"), "bad_request", "no locale")
    anon = await server.connect()
    expect_error(await anon.request("account.set_locale", locale="ro"), "unauthenticated", "before login")


async def invitation_locale(server):
    case_id, _ = await demo_ids(server)
    elena = await token(server, "elena")
    body = {"invitee_name": "Ileana", "relationship": "Bunica", "locale": "ro", "terms": TEXT_ONLY,
            "app_url": "http://127.0.0.1:%d/" % server.port}
    made = await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, elena, body, 201, what="invite")
    check_eq(made["invitation"]["language"], "ro", "the invitation keeps the locale")
    body["locale"] = "de"
    await expect_api(server, "POST", "/api/cases/%d/invitations" % case_id, elena, body, 400, "bad_request",
                     what="a language the apps lack")
    c = await server.connect()
    res = expect_ok(await c.request("invite.accept", code=made["code"], username="ileana_bunica",
                                    display_name="Ileana", password="ileana-pw-123", locale="da"), "accept")
    check_eq(res["account"].get("locale"), "ro", "the new account speaks the invitation's language")
    err = expect_error(await c.request("msg.send", agreement_id=res["agreement_id"], text="Bună", client_key="x"),
                       "agreement_pending", "a message before the approval")
    check_eq(err["message"], RO["agreement_pending"], "Romanian from the first login, though the device said da")
    out = server.admin("invite", "create", "mia", "--as", "elena", "--name", "Karen", "--relationship", "Moster",
                       "--locale", "da").stdout
    inv_id = int(out.split("invitation:")[1].split()[0])
    rows = await expect_api(server, "GET", "/api/cases/%d/invitations" % case_id, elena, what="list")
    check_eq([r["language"] for r in rows if r["id"] == inv_id], ["da"], "the CLI's --locale")


main([
    Case("romanian_account", romanian_account),
    Case("every_session_switches", every_session_switches),
    Case("before_login", before_login),
    Case("refused_values", refused_values),
    Case("invitation_locale", invitation_locale),
])
