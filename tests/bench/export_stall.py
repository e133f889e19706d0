# export_stall.py: what a subject-access export with large clips costs everyone else. Two 65 MB clips are sent; then,
# three times, a caseworker asks for the sender's export and 50 ms later the child sends a text: the text's delivery
# time (the control thread's stall, if any), how long the export still took, and how much the server's peak memory grew.
# Run: SAMVAER_BIN=build/samvaer SAMVAER_ADMIN=build/samvaer-admin SAMVAER_WEB=web \
#      PYTHONPATH=tests/integration /usr/bin/python3 tests/bench/export_stall.py
import asyncio
import sys
import time

sys.dont_write_bytecode = True

from harness import Case, expect_ok, main
import test_media_retention as mr
from test_attachments import family, people, send, upload


async def stall(server):
    p = family(server, {"channels": {"text": "allowed", "video_clip": "allowed"}})
    aid = p["agreement_id"]
    await server.settle()
    child, contact, worker = await people(server, p, "child", "contact", "caseworker")
    for i, seed in enumerate((1, 2)):
        att = upload(server, contact.token, aid, mr.clip_mp4(seed), kind="video_clip")
        expect_ok(await send(contact, aid, att, key="c%d" % i))
    for r in range(3):
        peak = mr.peak_rss_kb(server)
        s = mr.raw_export(server, p["contact_id"], worker.token, "bench")
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        expect_ok(await child.send_text(aid, "m%d" % r))
        await contact.next_event_where("message", lambda d: d.get("text") == "m%d" % r, timeout=10)
        lat = time.monotonic() - t0
        t1 = time.monotonic()
        st, h, data = await asyncio.to_thread(mr.read_http, s)
        s.close()
        print("export %d: a text sent meanwhile delivered in %.1f ms; the export answered %.0f ms after that "
              "(%d bytes, status %d); peak memory +%d kB"
              % (r + 1, lat * 1000, (time.monotonic() - t1) * 1000, len(data), st, mr.peak_rss_kb(server) - peak))


main([Case("export_stall", stall, fresh=True, timeout=180)])
