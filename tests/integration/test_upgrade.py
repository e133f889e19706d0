# test_upgrade.py: a WebSocket upgrade that does not ask for samvaer.v1 is answered with HTTP 400 and the error
# subprotocol_required, not a dropped socket (PROTOCOL.md §1).
import asyncio
import base64
import json
import os

import sys
sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

import websockets

from harness import Case, check, check_eq, main, next_source_addr, short, still_serving, SUBPROTOCOL, TestFailure


async def raw_upgrade(server, protocol_header):
    """Sends a hand-made upgrade request; returns (status line, headers dict, body) or raises on a dropped socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(next_source_addr(), 0))
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (server.port, key))
    if protocol_header is not None:
        req += "Sec-WebSocket-Protocol: %s\r\n" % protocol_header
    writer.write((req + "\r\n").encode())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    except asyncio.IncompleteReadError as e:
        raise TestFailure("upgrade with Sec-WebSocket-Protocol %r: the server dropped the socket without an answer "
                          "(read %r)" % (protocol_header, e.partial[:80]))
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    n = int(headers.get("content-length", "0") or 0)
    if n:
        body = await asyncio.wait_for(reader.readexactly(n), 5)
    writer.close()
    return lines[0], headers, body


async def refused_with_400(server):
    for header in (None, "chat", "samvaer.v2, chat", "samvaer.v1x", ""):
        status, headers, body = await raw_upgrade(server, header)
        what = "upgrade with Sec-WebSocket-Protocol %r" % header
        check(status.startswith("HTTP/1.1 400"), "%s: status line %r (§1: 400 subprotocol_required)" % (what, status))
        check(headers.get("content-type", "").startswith("application/json"), "%s: content-type %r"
              % (what, headers.get("content-type")))
        try:
            err = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            raise TestFailure("%s: body is not {\"error\": ...}: %r" % (what, body[:200]))
        check_eq(err.get("code"), "subprotocol_required", "%s: error code" % what)
        check(isinstance(err.get("message"), str) and SUBPROTOCOL in err["message"],
              "%s: the message names %s: %s" % (what, SUBPROTOCOL, short(err)))
    await still_serving(server, what="after refused upgrades")


async def websockets_client_sees_400(server):
    # what a client library reports: the status, not a reset connection
    for protos in (None, ("chat",)):
        try:
            ws = await websockets.connect(server.ws_url, subprotocols=list(protos) if protos else None,
                                          open_timeout=5, local_addr=(next_source_addr(), 0))
        except websockets.InvalidStatusCode as e:
            check_eq(e.status_code, 400, "status seen by a client offering %r" % (protos,))
            continue
        except Exception as e:
            raise TestFailure("client offering %r: %s: %s (§1: an HTTP 400 answer)" % (protos, type(e).__name__, e))
        await ws.close()
        raise TestFailure("client offering %r was accepted (negotiated %r)" % (protos, ws.subprotocol))


async def listed_among_others_accepted(server):
    # samvaer.v1 anywhere in the list is what counts; the answer names it
    status, headers, _ = await raw_upgrade(server, "chat, samvaer.v1")
    check(status.startswith("HTTP/1.1 101"), "upgrade offering 'chat, samvaer.v1': %r" % status)
    check_eq(headers.get("sec-websocket-protocol"), SUBPROTOCOL, "negotiated subprotocol")


CASES = [
    Case("upgrade_without_samvaer_v1_400_subprotocol_required", refused_with_400),
    Case("websockets_client_sees_status_400", websockets_client_sees_400),
    Case("samvaer_v1_among_others_accepted", listed_among_others_accepted),
]

if __name__ == "__main__":
    main(CASES)
