# test_call_recording.py: recorded calls (PROTOCOL.md "Recording a call") with real WebRTC peers sending a tone and
# real VP8: the supervisor asks, the contact agrees, everyone sees the indicator; the files in the store play in
# ffprobe/ffmpeg (the mix holds both voices; each video decodes frame by frame); refusals (agreement, role, a no);
# kill -9 mid-recording leaves files that play, and the next start takes them in as interrupted.
import asyncio
import http.client
import json
import math
import os
import signal
import sqlite3
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/integration free of __pycache__

from harness import Case, Server, TestFailure, check, check_eq, expect_error, main
from test_admin_api import api, expect_api, token
from test_calls import CALLS_ON, PEER, PeerProc, pair, propose, state

RECORDED = dict(CALLS_ON, supervision={"calls": "supervised", "recording_allowed": True,
                                       "listen_in_needs_consent": False})
SECONDS = 30  # each peer sends at most this long: the tests stop (or kill) their peers when done


async def peer_join(client, cid, tone):
    proc = await asyncio.create_subprocess_exec(PEER, "--tone", str(tone), "--real-video", str(SECONDS),
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    offer = json.loads(await asyncio.wait_for(proc.stdout.readline(), 5))["offer"]
    answer = (await client.ok("call.offer", call_id=cid, sdp=offer))["sdp"]
    proc.stdin.write((json.dumps({"answer": answer}) + "\n").encode())
    await proc.stdin.drain()
    return PeerProc(proc, client, cid)


def stop_peer(x):
    if x.proc.returncode is None:
        try:
            x.proc.kill()
        except ProcessLookupError:
            pass
    for t in x.tasks:
        t.cancel()


async def change(client, cid, what, timeout=5.0):
    return await client.next_event_where("call.state", lambda d: d.get("call_id") == cid and d.get("change") == what,
                                         timeout=timeout)


async def supervised_call(server, terms=RECORDED):
    """A supervised call with media: contact (440 Hz), child (880 Hz) and the case's supervisor joined."""
    p, child, contact = await pair(server, terms)
    sup_name, sup_id = server.add_account("supervisor")
    server.admin("case", "link", p["child"], "--supervisor", sup_name)
    await server.settle()
    sup = await server.login(sup_name)
    cid = (await contact.ok("call.start", agreement_id=p["agreement_id"], video=True))["call_id"]
    await child.next_event_where("call.ring", lambda d: d.get("call_id") == cid)
    await child.ok("call.accept", call_id=cid)
    peers = [await peer_join(contact, cid, 440), await peer_join(child, cid, 880)]
    await sup.ok("call.join", call_id=cid)
    peers.append(await peer_join(sup, cid, 660))
    await change(child, cid, "supervisor_joined", timeout=6)
    await media_flowing(peers)
    p["sup_id"], p["supervisor"] = sup_id, sup_name
    return p, child, contact, sup, cid, peers


async def media_flowing(peers, timeout=15):
    """Each peer sends audio and hears the others' mix: under load a peer's handshake can lag its join, and a
    recording started before would miss that voice."""
    last = None
    for _ in range(int(timeout * 4)):
        last = [await x.counts() for x in peers]
        if all(c["audio_tx"] > 0 and c["audio_rx"] > 0 for c in last):
            return
        await asyncio.sleep(0.25)
    raise TestFailure("media does not flow to and from every peer: %s" % last)


def rows(server, where="1"):
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    db.row_factory = sqlite3.Row
    out = [dict(r) for r in db.execute("SELECT * FROM recordings WHERE %s ORDER BY kind, account_id" % where)]
    db.close()
    return out


def audit_actions(server):
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    out = [json.loads(d)["action"] for (d,) in db.execute("SELECT detail FROM audit WHERE kind='call_recording'"
                                                          " ORDER BY seq")]
    db.close()
    return out


def blob_path(server, h):
    return os.path.join(server.data_dir, "blobs", h[:2], h)


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json",
                          path], capture_output=True, text=True, timeout=30)
    check_eq(out.returncode, 0, "ffprobe reads %s: %s" % (path, out.stderr[-300:]))
    return json.loads(out.stdout)


def tone_energy(path, freqs, block=4800):
    """Decode with ffmpeg to 48 kHz mono; the share of the energy at each frequency (Goertzel per 100 ms block,
    summed: a frame the jitter buffer inserts or skips shifts a tone's phase, and one sum over the whole file would
    let the parts before and after cancel), the length in seconds, and in which blocks each tone is at least a tenth
    of the block's energy at freqs (for a failure's message: where a voice went missing)."""
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
                         capture_output=True, timeout=30).stdout
    x = struct.unpack("<%dh" % (len(pcm) // 2), pcm)
    e, heard = dict.fromkeys(freqs, 0.0), {f: "" for f in freqs}
    for at in range(0, len(x) - block + 1, block):
        here = {}
        for f in freqs:
            k, s1, s2 = 2 * math.cos(2 * math.pi * f / 48000), 0.0, 0.0
            for v in x[at:at + block]:
                s1, s2 = v / 32768.0 + k * s1 - s2, s1
            here[f] = s1 * s1 + s2 * s2 - k * s1 * s2
            e[f] += here[f]
        for f in freqs:
            heard[f] += "#" if here[f] >= 0.1 * (sum(here.values()) or 1) else "."
    total = sum(e.values()) or 1
    return {f: e[f] / total for f in freqs}, len(x) / 48000.0, heard


async def folder_goes(root, timeout=10):
    """The server removes a recording's folder once its rows are durable (after the group commit's fsync), so a
    test that sees the rows may still see the folder for a moment."""
    for _ in range(int(timeout * 10)):
        if not os.listdir(root):
            return
        await asyncio.sleep(0.1)
    check_eq(os.listdir(root), [], "the folder went once stored")


async def wait_rows(server, n, where="1", timeout=10):
    for _ in range(int(timeout * 10)):
        r = rows(server, where)
        if len(r) >= n:
            return r
        await asyncio.sleep(0.1)
    raise TestFailure("expected %d recording rows, have %s" % (n, rows(server, where)))


async def record_and_play(server):
    """Ask, agree, indicator for all, stop; the mix holds the contact's and the child's tones, each video decodes."""
    p, child, contact, sup, cid, peers = await supervised_call(server)
    expect_error(await contact.request("call.record", call_id=cid, on=True), "forbidden", "a contact cannot record")
    res = await sup.ok("call.record", call_id=cid, on=True)
    check_eq(res["recording"], "requested", "asked: waiting for the contact's consent")
    ask = await contact.next_event_where("call.record_request", lambda d: d.get("call_id") == cid)
    check_eq(ask["by"], p["sup_id"], "the contact is asked, naming the supervisor")
    ev = await change(child, cid, "recording_requested")
    check_eq(ev["recording"], "requested", "the child sees that recording was asked for")
    await contact.ok("call.record_consent", call_id=cid, allow=True)
    for who in (child, contact, sup):
        ev = await change(who, cid, "recording_started")
        check_eq(ev["recording"], "on", "everyone sees the recording indicator")
    await asyncio.sleep(4)
    res = await sup.ok("call.record", call_id=cid, on=False)
    check_eq(res["recording"], "off", "stopped")
    await change(contact, cid, "recording_stopped")
    got = await wait_rows(server, 4)
    kinds = sorted((r["kind"], r["account_id"]) for r in got)
    check_eq(kinds, sorted([("audio", None), ("video", p["child_id"]), ("video", p["contact_id"]),
                            ("video", p["sup_id"])]), "the mix and one video per participant")
    check(all(r["interrupted"] == 0 and r["case_id"] and r["started_by"] == p["sup_id"] for r in got),
          "rows name the case and who started it: %s" % got)
    audio = next(r for r in got if r["kind"] == "audio")
    info = probe(blob_path(server, audio["blob"]))
    check_eq((info["streams"][0]["codec_name"], info["format"]["format_name"]), ("opus", "ogg"), "the mix is Ogg Opus")
    share, secs, heard = tone_energy(blob_path(server, audio["blob"]), (440, 660, 880))
    check(3.0 <= secs <= 5.5 and abs(audio["duration_ms"] / 1000.0 - secs) < 0.5,
          "the mix lasts about 4 s (%.2f s, row %d ms)" % (secs, audio["duration_ms"]))
    check(min(share.values()) > 0.1,
          "the mix holds the contact (440 Hz), the child (880 Hz) and the supervisor (660 Hz): %s, heard in"
          " 100 ms blocks: %s" % (share, heard))
    for r in got:
        if r["kind"] != "video":
            continue
        v = probe(blob_path(server, r["blob"]))
        s = v["streams"][0]
        frames = int(s.get("nb_read_frames", "0"))
        check(s["codec_name"] == "vp8" and "webm" in v["format"]["format_name"], "video is VP8 in WebM: %s" % s)
        check(frames >= 30, "the video of %d decodes frame by frame (%d frames)" % (r["account_id"], frames))
        check(not v["format"].get("tags") or set(v["format"]["tags"]) <= {"encoder", "ENCODER"},
              "no metadata in the file: %s" % v["format"].get("tags"))
    await folder_goes(os.path.join(server.data_dir, "recordings"))
    for x in peers:
        x.finish()
        await x.wait_report(10)
    await console_plays_and_deletes(server, p, got)


async def console_plays_and_deletes(server, p, got):
    """The case's adults list and play the files (Range for seeking); others get nothing; a caseworker deletes."""
    case_id, audio = got[0]["case_id"], next(r for r in got if r["kind"] == "audio")
    cw, sup, contact = (await token(server, p["caseworker"]), await token(server, p["supervisor"]),
                        await token(server, p["contact"]))
    files = (await expect_api(server, "GET", "/api/cases/%d/recordings" % case_id, sup, what="list"))["files"]
    check_eq(sorted(f["id"] for f in files), sorted(r["id"] for r in got), "the supervisor lists every file")
    check(all(f["url"] == "/media/recordings/" + f["id"] for f in files), "each file has its player URL")
    await expect_api(server, "GET", "/api/cases/%d/recordings" % case_id, contact, status=404, what="a contact")
    with open(blob_path(server, audio["blob"]), "rb") as f:
        data = f.read()
    st, body, headers = await asyncio.to_thread(media_get, server, "/media/recordings/" + audio["id"], cw)
    check_eq((st, headers.get("content-type"), body == data), (200, "audio/ogg", True), "the caseworker plays it")
    check("private" in headers.get("cache-control", ""), "private caching: %s" % headers)
    st, body, headers = await asyncio.to_thread(media_get, server, "/media/recordings/" + audio["id"], cw,
                                                "bytes=100-199")
    check_eq((st, body), (206, data[100:200]), "a Range request seeks")
    st, _, _ = await asyncio.to_thread(media_get, server, "/media/recordings/" + audio["id"], contact)
    check_eq(st, 404, "a contact cannot play a recording")
    await expect_api(server, "POST", "/api/cases/%d/recordings/delete" % case_id, sup,
                     body={"recording": audio["recording"]}, status=403, what="a supervisor deletes")
    res = await expect_api(server, "POST", "/api/cases/%d/recordings/delete" % case_id, cw,
                           body={"recording": audio["recording"]}, what="the caseworker deletes")
    check_eq(res["files"], len(got), "every file of the recording goes")
    check_eq((await expect_api(server, "GET", "/api/cases/%d/recordings" % case_id, cw))["files"], [], "listed no more")
    check(not os.path.exists(blob_path(server, audio["blob"])), "the file is gone from the disk")
    actions = audit_actions(server)
    for a in ("requested", "consent_given", "started", "stopped", "saved", "played", "deleted"):
        check(a in actions, "audit has %s: %s" % (a, actions))
    check_eq(actions.count("played"), 1, "one playback is one audit entry (Range requests are not)")


def media_get(server, path, tok, rng=None):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers = {"Authorization": "Bearer " + tok}
        if rng:
            headers["Range"] = rng
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


async def refusals(server):
    """No recording without the agreement's permission; a contact's no stops it before it starts."""
    no_rec = dict(CALLS_ON, supervision={"calls": "supervised", "listen_in_needs_consent": False})
    p, child, contact, sup, cid, peers = await supervised_call(server, no_rec)
    res = await sup.request("call.record", call_id=cid, on=True)
    expect_error(res, "recording_not_allowed", "the agreement does not allow recording")
    check("message" in res["error"] and "record" in res["error"]["message"], "a plain reason: %s" % res)
    await sup.ok("call.end", call_id=cid)
    p, child, contact, sup, cid, peers2 = await supervised_call(server)
    await sup.ok("call.record", call_id=cid, on=True)
    await contact.next_event_where("call.record_request", lambda d: d.get("call_id") == cid)
    await contact.ok("call.record_consent", call_id=cid, allow=False)
    ev = await change(sup, cid, "recording_declined")
    check_eq(ev["recording"], "off", "a no: nothing is recorded")
    await asyncio.sleep(0.5)
    check_eq(rows(server, "call_id=%d" % cid), [], "no file for a declined recording")
    # Asked again, agreed, recorded; then the contact's data is erased on a lawful request: the recording goes too.
    await sup.ok("call.record", call_id=cid, on=True)
    await contact.ok("call.record_consent", call_id=cid, allow=True)
    await change(sup, cid, "recording_started")
    await asyncio.sleep(1.5)
    await sup.ok("call.end", call_id=cid)
    got = await wait_rows(server, 2, "call_id=%d" % cid)
    cw = await token(server, p["caseworker"])
    await expect_api(server, "POST", "/api/accounts/%d/erase" % p["contact_id"], cw, body={"reference": "REQ-1"})
    check_eq(rows(server, "call_id=%d" % cid), [], "erasing the contact removes the recording they are in")
    db = sqlite3.connect(os.path.join(server.data_dir, "samvaer.db"))
    # No references left: the row says 0, or the blob sweep that follows an erasure has removed it already.
    refs = [(db.execute("SELECT refs FROM blobs WHERE hash=?", (r["blob"],)).fetchone() or (0,))[0] for r in got]
    db.close()
    check_eq(refs, [0] * len(got), "its files lose their references (the blob sweep deletes them)")
    for x in peers + peers2:
        stop_peer(x)
        await x.proc.wait()


async def killed_mid_recording(_):
    """kill -9 while recording: the files play up to their last second, the next start stores them as interrupted."""
    srv = Server()
    srv2 = None
    try:
        srv.start()
        p, child, contact, sup, cid, peers = await supervised_call(srv)
        await sup.ok("call.record", call_id=cid, on=True)
        await contact.next_event_where("call.record_request", lambda d: d.get("call_id") == cid)
        await contact.ok("call.record_consent", call_id=cid, allow=True)
        await change(sup, cid, "recording_started")
        await asyncio.sleep(3.5)
        srv.signal(signal.SIGKILL)
        await asyncio.get_running_loop().run_in_executor(None, srv.wait_exit, 10)
        srv.proc = None
        root = os.path.join(srv.data_dir, "recordings")
        (folder,) = os.listdir(root)
        audio = os.path.join(root, folder, "audio.opus")
        share, secs, heard = tone_energy(audio, (440, 880))
        check(secs >= 2.0, "the cut mix still plays %.2f s of 3.5" % secs)
        check(share[440] > 0.1 and share[880] > 0.1, "and holds both voices: %s, heard: %s" % (share, heard))
        srv2 = Server(data_dir=srv.data_dir, extra_args=["--retention-sweep-s", "1"])
        srv2.start(seed=False)
        got = rows(srv2)
        check(len(got) >= 2 and all(r["interrupted"] == 1 for r in got), "taken in as interrupted: %s" % got)
        await folder_goes(root)
        a = next(r for r in got if r["kind"] == "audio")
        check(a["duration_ms"] >= 2000, "its duration is measured from the file (%d ms)" % a["duration_ms"])
        probe(blob_path(srv2, a["blob"]))
        # The case keeps recordings 30 days: one made 31 days ago goes at the next sweep, file and row.
        cw = await token(srv2, p["caseworker"])
        await expect_api(srv2, "POST", "/api/cases/%d/retention" % a["case_id"], cw, body={"recordings_days": 30})
        db = sqlite3.connect(os.path.join(srv2.data_dir, "samvaer.db"))
        db.execute("UPDATE recordings SET started_at = started_at - 31 * 86400000")
        db.commit()
        db.close()
        for _ in range(60):
            if not rows(srv2):
                break
            await asyncio.sleep(0.1)
        check_eq(rows(srv2), [], "the retention sweep removed the old recording")
        check(not os.path.exists(blob_path(srv2, a["blob"])), "and its file")
        check("expired" in audit_actions(srv2), "audit: expired")
        err = srv2.stop()
        check(err is None, "restarted server: %s" % err)
        for x in peers:
            stop_peer(x)
    except TestFailure as e:
        raise TestFailure("%s\n  --- first server log ---\n%s\n  --- restarted server log ---\n%s"
                          % (e, srv.log_tail(20), srv2.log_tail(20) if srv2 else ""))
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main([Case("record_and_play", record_and_play, timeout=60),
          Case("refusals", refusals, timeout=60),
          Case("killed_mid_recording", killed_mid_recording, own_servers=True, timeout=60)])
