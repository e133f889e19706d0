/* test_sdp.c: SDP parser, serializer and ICE-lite answer tests on realistic Chromium/Firefox offers and broken ones. */
#include "media/sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SAMVAER_SOURCE_DIR
#define SAMVAER_SOURCE_DIR "."
#endif
#define CORPUS SAMVAER_SOURCE_DIR "/tests/fuzz/media/corpus/sdp/"

static int checks, failures;
#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		checks++;                                                               \
		if (!(cond)) {                                                          \
			failures++;                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

static struct sdp_session offer, answer, again; /* large: static, not on the stack */
static char text[SDP_MAX_TOTAL * 2], out[SDP_MAX_TOTAL * 2], out2[SDP_MAX_TOTAL * 2];

static const uint8_t our_fp[32] = {0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
				   13,   14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static const struct sdp_send_track send_tracks[2] = {
    {.ssrc = 11111, .cname = "samvaer", .stream_id = "srv", .track_id = "srv-audio"},
    {.ssrc = 22222, .rtx_ssrc = 22223, .cname = "samvaer", .stream_id = "srv", .track_id = "srv-video"},
};
static struct sdp_answer_params params = {
    .ice_ufrag = "SrvU",
    .ice_pwd = "srvpassword0123456789abcd",
    .dtls_sha256 = our_fp,
    .cand_ip = "127.0.0.1",
    .cand_port = 40000,
    .session_id = "42",
    .send = send_tracks,
    .n_send = 2,
};

static size_t load(const char *name, char *buf, size_t cap)
{
	char path[512];
	snprintf(path, sizeof path, CORPUS "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return n;
}

/* Edits for derived cases: delete every line starting with del, then replace from -> to (once each, all). */
static size_t edit(char *buf, size_t n, const char *del, const char *from, const char *to)
{
	static char tmp[sizeof text];
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) + 1 : n;
		if (!del || strncmp(buf + i, del, strlen(del)) != 0) {
			memcpy(tmp + o, buf + i, end - i);
			o += end - i;
		}
		i = end;
	}
	tmp[o] = 0;
	if (from) {
		char *p = tmp;
		size_t fl = strlen(from), tl = strlen(to);
		while ((p = strstr(p, from))) {
			memmove(p + tl, p + fl, strlen(p + fl) + 1);
			memcpy(p, to, tl);
			p += tl;
		}
		o = strlen(tmp);
	}
	memcpy(buf, tmp, o + 1);
	return o;
}

/* parse -> serialize -> parse gives an equal struct, and serialization is stable. */
static void check_round_trip(const char *name, const struct sdp_session *s)
{
	int n = sdp_session_serialize(s, out, sizeof out);
	CHECK(n > 0, "%s: serialize %d", name, n);
	if (n <= 0)
		return;
	const char *err = NULL;
	int rc = sdp_session_parse(&again, out, (size_t)n, &err);
	CHECK(rc == SDP_OK, "%s: reparse %s line %u", name, err, again.err_line);
	CHECK(memcmp(&again, s, sizeof again) == 0, "%s: reparsed struct differs", name);
	int n2 = sdp_session_serialize(&again, out2, sizeof out2);
	CHECK(n2 == n && memcmp(out, out2, (size_t)n) == 0, "%s: serialization not stable", name);
	CHECK(sdp_session_serialize(s, out2, (size_t)n) == SDP_ERR_NOSPACE, "%s: nospace", name);
}

/* ---- answer checks, field by field ---- */

static void check_accepted(const char *name, const struct sdp_media *a, const char *mid, uint8_t pt, const char *codec,
			   int rtx_pt, uint32_t fb)
{
	CHECK(a->port == 40000 && strcmp(a->conn_addr, "127.0.0.1") == 0, "%s/%s: port/c=", name, mid);
	CHECK(strcmp(a->mid, mid) == 0 && a->rtcp_mux, "%s/%s: mid, rtcp-mux", name, mid);
	CHECK(a->tr.setup == SDP_SETUP_PASSIVE && strcmp(a->tr.ice_ufrag, "SrvU") == 0 &&
		  strcmp(a->tr.ice_pwd, params.ice_pwd) == 0,
	      "%s/%s: transport", name, mid);
	CHECK(strcmp(a->tr.fingerprint.alg, "sha-256") == 0 && a->tr.fingerprint.len == 32 &&
		  memcmp(a->tr.fingerprint.hash, our_fp, 32) == 0,
	      "%s/%s: fingerprint", name, mid);
	CHECK(a->n_codecs == (rtx_pt >= 0 ? 2 : 1), "%s/%s: codec count %u", name, mid, a->n_codecs);
	CHECK(a->codecs[0].pt == pt && strcmp(a->codecs[0].name, codec) == 0, "%s/%s: codec %u %s", name, mid,
	      a->codecs[0].pt, a->codecs[0].name);
	CHECK(a->codecs[0].fb == fb, "%s/%s: fb %x want %x", name, mid, a->codecs[0].fb, fb);
	if (rtx_pt >= 0 && a->n_codecs == 2) {
		char apt[8], want[8];
		snprintf(want, sizeof want, "%u", pt);
		CHECK(a->codecs[1].pt == rtx_pt && sdp_fmtp_get(a->codecs[1].fmtp, "apt", apt, sizeof apt) &&
			  strcmp(apt, want) == 0,
		      "%s/%s: rtx", name, mid);
	}
	for (unsigned i = 0; i < a->n_extmaps; i++)
		CHECK(strcmp(a->extmaps[i].uri, SDP_EXT_MID) == 0 ||
			  strcmp(a->extmaps[i].uri, SDP_EXT_ABS_SEND_TIME) == 0 ||
			  strcmp(a->extmaps[i].uri, SDP_EXT_AUDIO_LEVEL) == 0,
		      "%s/%s: extmap %s", name, mid, a->extmaps[i].uri);
}

static void check_answer_common(const char *name, const struct sdp_session *o, const struct sdp_session *a)
{
	CHECK(a->ice_lite && a->has_bundle && a->n_media == o->n_media, "%s: ice-lite/bundle/count", name);
	CHECK(strcmp(a->origin_sess_id, "42") == 0, "%s: origin", name);
	unsigned with_cand = 0, accepted = 0;
	for (unsigned i = 0; i < a->n_media; i++) {
		const struct sdp_media *m = &a->media[i];
		CHECK(strcmp(m->mid, o->media[i].mid) == 0 && m->kind == o->media[i].kind, "%s: section %u order", name,
		      i);
		with_cand += m->n_candidates;
		if (m->port) {
			CHECK(accepted < a->n_bundle && strcmp(a->bundle[accepted], m->mid) == 0, "%s: bundle order",
			      name);
			accepted++;
		}
	}
	CHECK(accepted == a->n_bundle, "%s: bundle has the accepted mids", name);
	const struct sdp_media *first = NULL;
	for (unsigned i = 0; i < a->n_media && !first; i++)
		if (a->media[i].port)
			first = &a->media[i];
	CHECK(with_cand == 1 && first && first->n_candidates == 1 && first->end_of_candidates, "%s: one candidate",
	      name);
	if (first) {
		const struct sdp_candidate *c = &first->candidates[0];
		CHECK(strcmp(c->addr, "127.0.0.1") == 0 && c->port == 40000 && strcmp(c->type, "host") == 0 &&
			  strcmp(c->transport, "udp") == 0 && c->component == 1,
		      "%s: candidate fields", name);
	}
}

#define FB_VIDEO (SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB)

static void test_chromium_av(void)
{
	size_t n = load("chromium-av.sdp", text, sizeof text);
	const char *err = NULL;
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "chromium parse: %s line %u", err, offer.err_line);
	CHECK(offer.n_media == 2 && offer.has_bundle && offer.n_bundle == 2, "sections/bundle");
	const struct sdp_media *au = &offer.media[0], *vi = &offer.media[1];
	CHECK(au->kind == SDP_KIND_AUDIO && au->port == 9 && strcmp(au->proto, "UDP/TLS/RTP/SAVPF") == 0, "m=audio");
	CHECK(au->n_codecs == 8 && au->codecs[0].pt == 111 && au->codecs[0].channels == 2 &&
		  strcmp(au->codecs[0].fmtp, "minptime=10;useinbandfec=1") == 0,
	      "opus");
	CHECK(au->codecs[0].fb == SDP_FB_TRANSPORT_CC, "opus fb");
	CHECK(strcmp(sdp_media_ice_ufrag(&offer, au), "Oyef") == 0 && au->tr.ice_trickle, "ufrag");
	CHECK(sdp_media_fingerprint(&offer, au)->len == 32 && sdp_media_setup(&offer, au) == SDP_SETUP_ACTPASS, "dtls");
	CHECK(au->n_candidates == 2 && au->candidates[0].port == 46243 &&
		  strcmp(au->candidates[1].transport, "tcp") == 0,
	      "candidates");
	CHECK(sdp_media_extmap_id(au, SDP_EXT_MID) == 4 && sdp_media_extmap_id(au, SDP_EXT_AUDIO_LEVEL) == 1, "extmap");
	CHECK(strcmp(au->msid_stream, "3a5d7c1e-stream") == 0 && strcmp(au->msid_track, "9b2f4e60-audio") == 0, "msid");
	CHECK(au->n_ssrcs == 1 && au->ssrcs[0].ssrc == 1001 && strcmp(au->ssrcs[0].cname, "Yq1zR+8T2Gm3rPAb") == 0,
	      "ssrc");
	CHECK(vi->n_codecs == 19 && vi->rtcp_rsize && vi->n_extmaps == 11, "video counts %u %u", vi->n_codecs,
	      vi->n_extmaps);
	CHECK(sdp_media_codec(vi, 96)->fb == (FB_VIDEO | SDP_FB_TRANSPORT_CC), "VP8 fb");
	CHECK(vi->n_ssrc_groups == 1 && strcmp(vi->ssrc_groups[0].semantics, "FID") == 0 &&
		  vi->ssrc_groups[0].ssrcs[1] == 2002,
	      "FID");
	check_round_trip("chromium offer", &offer);

	CHECK(sdp_answer_build(&answer, &offer, &params, &err) == SDP_OK, "answer: %s", err);
	check_answer_common("chromium", &offer, &answer);
	check_accepted("chromium", &answer.media[0], "0", 111, "opus", -1, 0);
	check_accepted("chromium", &answer.media[1], "1", 96, "VP8", 97, FB_VIDEO);
	CHECK(answer.media[0].n_extmaps == 3 && answer.media[1].n_extmaps == 2, "extmaps kept");
	CHECK(sdp_media_extmap_id(&answer.media[1], SDP_EXT_ABS_SEND_TIME) == 2, "abs-send-time id");
	CHECK(answer.media[0].dir == SDP_DIR_SENDRECV && answer.media[1].rtcp_rsize, "dir, rsize");
	CHECK(answer.media[0].n_ssrcs == 1 && answer.media[0].ssrcs[0].ssrc == 11111, "audio send ssrc");
	CHECK(answer.media[1].n_ssrcs == 2 && answer.media[1].n_ssrc_groups == 1 &&
		  answer.media[1].ssrc_groups[0].ssrcs[1] == 22223,
	      "video FID");
	CHECK(strcmp(answer.media[1].msid_track, "srv-video") == 0, "msid");
	check_round_trip("chromium answer", &answer);
	int len = sdp_session_serialize(&answer, out, sizeof out);
	CHECK(len > 0 && strstr(out, "a=ice-lite\r\n") && strstr(out, "a=group:BUNDLE 0 1\r\n") &&
		  strstr(out, "a=setup:passive\r\n") &&
		  strstr(out, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n") &&
		  strstr(out, "a=end-of-candidates\r\n") && strstr(out, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n") &&
		  strstr(out, "a=fingerprint:sha-256 DE:AD:BE:EF:01:02:"),
	      "answer text:\n%s", out);

	params.video_pref = SDP_PREFER_H264;
	CHECK(sdp_answer_build(&answer, &offer, &params, &err) == SDP_OK, "h264 answer: %s", err);
	check_accepted("chromium-h264", &answer.media[1], "1", 106, "H264", 107,
		       FB_VIDEO); /* 102 is 42001f: baseline */
	params.video_pref = SDP_PREFER_VP8;
}

static void test_firefox(void)
{
	size_t n = load("firefox-av.sdp", text, sizeof text);
	const char *err = NULL;
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "firefox parse: %s line %u", err, offer.err_line);
	CHECK(offer.tr.fingerprint.len == 32 && offer.media[0].tr.fingerprint.len == 0, "session-level fingerprint");
	CHECK(offer.media[0].extmaps[1].dir == SDP_DIR_RECVONLY, "extmap direction");
	CHECK(strcmp(offer.origin_user, "mozilla...THIS_IS_SDPARTA-99.0") == 0, "origin user");
	check_round_trip("firefox offer", &offer);
	CHECK(sdp_answer_build(&answer, &offer, &params, &err) == SDP_OK, "answer: %s", err);
	check_answer_common("firefox", &offer, &answer);
	check_accepted("firefox", &answer.media[0], "0", 109, "opus", -1, 0);
	check_accepted("firefox", &answer.media[1], "1", 120, "VP8", 124, FB_VIDEO);
	params.video_pref = SDP_PREFER_H264;
	CHECK(sdp_answer_build(&answer, &offer, &params, &err) == SDP_OK, "answer: %s", err);
	check_accepted("firefox-h264", &answer.media[1], "1", 126, "H264", 127, FB_VIDEO); /* 97 lacks pm=1 */
	params.video_pref = SDP_PREFER_VP8;
	check_round_trip("firefox answer", &answer);
}

/* Offers derived from the corpus files by deleting lines / replacing text, with the expected outcome. */
struct offer_case {
	const char *name, *file, *del, *from, *to;
	int parse_rc, answer_rc;
	enum sdp_dir dir0; /* expected answer direction of section 0 (if answered) */
	int accepted;      /* expected accepted sections */
};

static const struct offer_case offer_cases[] = {
    {"chromium audio-only", "chromium-audio.sdp", NULL, NULL, NULL, SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 1},
    {"missing rtcp-mux", "chromium-av.sdp", "a=rtcp-mux", NULL, NULL, SDP_OK, SDP_ERR_NO_RTCP_MUX, 0, 0},
    {"missing fingerprint", "chromium-av.sdp", "a=fingerprint", NULL, NULL, SDP_OK, SDP_ERR_NO_FINGERPRINT, 0, 0},
    {"firefox missing fingerprint", "firefox-av.sdp", "a=fingerprint", NULL, NULL, SDP_OK, SDP_ERR_NO_FINGERPRINT, 0,
     0},
    {"missing ice-pwd", "chromium-av.sdp", "a=ice-pwd", NULL, NULL, SDP_OK, SDP_ERR_NO_ICE, 0, 0},
    {"missing BUNDLE", "chromium-av.sdp", "a=group", NULL, NULL, SDP_OK, SDP_ERR_NO_BUNDLE, 0, 0},
    {"setup passive", "chromium-av.sdp", NULL, "setup:actpass", "setup:passive", SDP_OK, SDP_ERR_SETUP, 0, 0},
    {"setup active", "chromium-av.sdp", NULL, "setup:actpass", "setup:active", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 2},
    {"recvonly", "chromium-av.sdp", NULL, "a=sendrecv", "a=recvonly", SDP_OK, SDP_OK, SDP_DIR_SENDONLY, 2},
    {"sendonly", "chromium-av.sdp", NULL, "a=sendrecv", "a=sendonly", SDP_OK, SDP_OK, SDP_DIR_RECVONLY, 2},
    {"inactive", "chromium-av.sdp", NULL, "a=sendrecv", "a=inactive", SDP_OK, SDP_OK, SDP_DIR_INACTIVE, 2},
    {"no direction", "chromium-av.sdp", "a=sendrecv", NULL, NULL, SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 2},
    {"no VP8: H.264 fallback", "chromium-av.sdp", NULL, "VP8/", "VP7/", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 2},
    {"video only VP9/AV1", "chromium-av.sdp", "a=rtpmap:96", "H264/", "H265/", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 1},
    {"H.264 baseline only", "firefox-av.sdp", "a=rtpmap:120", "42e01f", "42001f", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 1},
    {"audio without opus", "chromium-audio.sdp", NULL, "opus/", "opux/", SDP_OK, SDP_ERR_NO_MEDIA, 0, 0},
    {"audio port 0", "chromium-av.sdp", NULL, "m=audio 9", "m=audio 0", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 1},
    {"video not bundled", "chromium-av.sdp", NULL, "BUNDLE 0 1", "BUNDLE 0", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 1},
    {"datachannel only", "datachannel.sdp", NULL, NULL, NULL, SDP_OK, SDP_ERR_NO_MEDIA, 0, 0},
    {"LF line ends", "chromium-av.sdp", NULL, "\r\n", "\n", SDP_OK, SDP_OK, SDP_DIR_SENDRECV, 2},
    /* RFC 8843 §9.2: one id, one extension, across the BUNDLE group */
    {"extmap id names two extensions", "chromium-av.sdp", NULL, "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
     "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset", SDP_OK, SDP_ERR_EXTMAP, 0, 0},
    {"extension with two ids", "chromium-av.sdp", NULL,
     "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
     "a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:mid", SDP_OK, SDP_ERR_EXTMAP, 0, 0},
    {"extmap id twice in a section", "chromium-av.sdp", NULL, "a=extmap:13 urn:3gpp:video-orientation",
     "a=extmap:14 urn:3gpp:video-orientation", SDP_OK, SDP_ERR_EXTMAP, 0, 0},
    {"bad fingerprint hex", "chromium-av.sdp", NULL, "sha-256 ", "sha-256 ZZ:", SDP_ERR_ATTR, 0, 0, 0},
    {"bad candidate", "chromium-av.sdp", NULL, " typ host", " type host", SDP_ERR_ATTR, 0, 0, 0},
    {"bad rtpmap", "chromium-av.sdp", NULL, "VP8/90000", "VP8", SDP_ERR_ATTR, 0, 0, 0},
    {"bad setup", "chromium-av.sdp", NULL, "setup:actpass", "setup:maybe", SDP_ERR_ATTR, 0, 0, 0},
    {"payload type 128", "chromium-av.sdp", NULL, " 126\r", " 128\r", SDP_ERR_MEDIA, 0, 0, 0},
    {"duplicate payload type", "chromium-av.sdp", NULL, "SAVPF 111 63", "SAVPF 111 111", SDP_ERR_MEDIA, 0, 0, 0},
    {"bad port", "chromium-av.sdp", NULL, "m=audio 9", "m=audio 70000", SDP_ERR_MEDIA, 0, 0, 0},
    {"missing o=", "chromium-av.sdp", "o=", NULL, NULL, SDP_ERR_ORIGIN, 0, 0, 0},
    {"missing s=", "chromium-av.sdp", "s=", NULL, NULL, SDP_ERR_SESSION_NAME, 0, 0, 0},
    {"version 1", "chromium-av.sdp", NULL, "v=0", "v=1", SDP_ERR_VERSION, 0, 0, 0},
    {"bad c=", "chromium-av.sdp", NULL, "c=IN IP4 0.0.0.0", "c=IN IPX 0.0.0.0", SDP_ERR_CONNECTION, 0, 0, 0},
    {"control char", "chromium-av.sdp", NULL, "a=mid:0", "a=mid:\x01", SDP_ERR_SYNTAX, 0, 0, 0},
    {"upper-case type", "chromium-av.sdp", NULL, "t=0 0", "T=0 0", SDP_ERR_SYNTAX, 0, 0, 0},
};

static void run_offer_case(const struct offer_case *c)
{
	size_t n = load(c->file, text, sizeof text);
	n = edit(text, n, c->del, c->from, c->to);
	const char *err = NULL;
	int rc = sdp_session_parse(&offer, text, n, &err);
	CHECK(rc == c->parse_rc, "%s: parse %d (%s line %u) want %d", c->name, rc, err, offer.err_line, c->parse_rc);
	CHECK(err && strncmp(err, "sdp: ", 5) == 0, "%s: message", c->name);
	if (rc != SDP_OK || c->parse_rc != SDP_OK) {
		CHECK(rc == SDP_OK || offer.err_line > 0, "%s: error line", c->name);
		return;
	}
	check_round_trip(c->name, &offer);
	rc = sdp_answer_build(&answer, &offer, &params, &err);
	CHECK(rc == c->answer_rc, "%s: answer %d (%s) want %d", c->name, rc, err, c->answer_rc);
	if (rc != SDP_OK || c->answer_rc != SDP_OK)
		return;
	check_answer_common(c->name, &offer, &answer);
	CHECK(answer.n_bundle == c->accepted, "%s: accepted %u want %d", c->name, answer.n_bundle, c->accepted);
	const struct sdp_media *first = answer.media[0].port ? &answer.media[0] : &answer.media[1];
	CHECK(first->dir == c->dir0, "%s: dir %d want %d", c->name, first->dir, c->dir0);
	bool sends = c->dir0 == SDP_DIR_SENDRECV || c->dir0 == SDP_DIR_SENDONLY;
	CHECK((first->n_ssrcs > 0) == sends, "%s: ssrc only when sending", c->name);
	for (unsigned i = 0; i < answer.n_media; i++)
		if (!answer.media[i].port)
			CHECK(answer.media[i].n_candidates == 0 && !answer.media[i].tr.fingerprint.len &&
				  !answer.media[i].rtcp_mux,
			      "%s: rejected section %u is bare", c->name, i);
	check_round_trip(c->name, &answer);
}

/* ---- garbage and limits ---- */

struct garbage_case {
	const char *name;
	const char *text;
	int rc;
};

static const struct garbage_case garbage[] = {
    {"empty", "", SDP_ERR_VERSION},
    {"blank lines", "\r\n\r\n", SDP_ERR_VERSION},
    {"words", "hello world", SDP_ERR_SYNTAX},
    {"json", "{\"type\":\"offer\"}", SDP_ERR_SYNTAX},
    {"v only", "v=0\r\n", SDP_ERR_ORIGIN},
    {"two v", "v=0\r\nv=0\r\n", SDP_ERR_VERSION},
    {"short o", "v=0\r\no=- 1 2 IN IP4\r\ns=-\r\n", SDP_ERR_ORIGIN},
    {"o not numeric", "v=0\r\no=- x 2 IN IP4 1.2.3.4\r\ns=-\r\n", SDP_ERR_ORIGIN},
    {"m before s", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nm=audio 9 RTP/AVP 0\r\n", SDP_ERR_SESSION_NAME},
    {"m no formats", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP\r\n", SDP_ERR_MEDIA},
    {"m port letters", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio x RTP/AVP 0\r\n", SDP_ERR_MEDIA},
    {"minimal", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", SDP_OK},
    {"minimal no CRLF", "v=0\no=- 1 2 IN IP4 1.2.3.4\ns=x y", SDP_OK},
    {"extmap id 0", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n",
     SDP_ERR_ATTR},
    {"ssrc huge", "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=ssrc:4294967296 cname:x\r\n",
     SDP_ERR_ATTR},
    /* regressions found by fuzz_sdp: a shorter repeated value must not leave stale bytes behind */
    {"repeated msid shorter",
     "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n"
     "a=msid:a-rather-long-stream-id t\r\na=msid:s\r\n",
     SDP_OK},
    {"repeated fingerprint shorter",
     "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\na=fingerprint:sha-256 01:02:03:04\r\n"
     "a=fingerprint:sha-1 05\r\n",
     SDP_OK},
    {"mid too long",
     "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\na=mid:"
     "0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
     SDP_ERR_LIMIT},
};

static void test_garbage_and_limits(void)
{
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		const char *err = NULL;
		int rc = sdp_session_parse(&offer, garbage[i].text, strlen(garbage[i].text), &err);
		CHECK(rc == garbage[i].rc, "%s: %d (%s) want %d", garbage[i].name, rc, err, garbage[i].rc);
		if (rc == SDP_OK)
			check_round_trip(garbage[i].name, &offer);
	}
	static const char head[] = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\n";
	/* 17 m-sections */
	size_t n = (size_t)sprintf(text, "%s", head);
	for (int i = 0; i < 17; i++)
		n += (size_t)sprintf(text + n, "m=audio 9 RTP/AVP 0\r\n");
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_ERR_LIMIT && offer.err_line == 20, "17 m-sections (%u)",
	      offer.err_line);
	CHECK(sdp_session_parse(&offer, text, n - 21, NULL) == SDP_OK && offer.n_media == 16, "16 m-sections");
	/* SDP_MAX_CODECS payload types pass, one more is refused */
	n = (size_t)sprintf(text, "%sm=video 9 RTP/AVP", head);
	for (int i = 0; i < SDP_MAX_CODECS; i++)
		n += (size_t)sprintf(text + n, " %d", i);
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_OK, "%d codecs", SDP_MAX_CODECS);
	n += (size_t)sprintf(text + n, " %d", SDP_MAX_CODECS);
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_ERR_LIMIT, "%d codecs", SDP_MAX_CODECS + 1);
	/* 4 KiB line, 64 KiB total */
	n = (size_t)sprintf(text, "%sa=x:", head);
	memset(text + n, 'a', SDP_MAX_LINE);
	n += SDP_MAX_LINE;
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_ERR_LINE_TOO_LONG, "long line");
	CHECK(sdp_session_parse(&offer, text, n - 4, NULL) == SDP_OK, "4 KiB line");
	n = (size_t)sprintf(text, "%s", head);
	while (n <= SDP_MAX_TOTAL)
		n += (size_t)sprintf(text + n, "a=x\r\n");
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_ERR_TOO_LONG, "65 KiB");
	const char nul[] = "v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=\0\r\n";
	CHECK(sdp_session_parse(&offer, nul, sizeof nul - 1, NULL) == SDP_ERR_SYNTAX, "NUL byte");
	CHECK(sdp_session_parse(NULL, "", 0, NULL) == SDP_ERR_ARG, "NULL session");
	CHECK(strcmp(sdp_strerror(-1000), "sdp: unknown error") == 0, "strerror");
}

static void test_params_and_helpers(void)
{
	size_t n = load("chromium-av.sdp", text, sizeof text);
	CHECK(sdp_session_parse(&offer, text, n, NULL) == SDP_OK, "parse");
	struct sdp_answer_params p = params;
	p.ice_pwd = "short";
	CHECK(sdp_answer_build(&answer, &offer, &p, NULL) == SDP_ERR_ARG, "short pwd");
	p = params;
	p.cand_ip = "1.2.3.4 x";
	CHECK(sdp_answer_build(&answer, &offer, &p, NULL) == SDP_ERR_ARG, "ip with space");
	p = params;
	p.session_id = "12ab";
	CHECK(sdp_answer_build(&answer, &offer, &p, NULL) == SDP_ERR_ARG, "session id");
	p = params;
	p.cand_ip = "::1";
	p.send = NULL;
	CHECK(sdp_answer_build(&answer, &offer, &p, NULL) == SDP_OK && answer.media[0].conn_v6 &&
		  answer.media[0].n_ssrcs == 0,
	      "IPv6, no send tracks");
	char v[16];
	CHECK(sdp_fmtp_get("a=1; packetization-mode=1;b=22", "packetization-mode", v, sizeof v) && strcmp(v, "1") == 0,
	      "fmtp get");
	CHECK(!sdp_fmtp_get("a=1;b=22", "c", v, sizeof v) && !sdp_fmtp_get("b=123456", "b", v, 4),
	      "fmtp miss/too long");
	CHECK(sdp_media_codec(&offer.media[0], 5) == NULL && sdp_media_extmap_id(&offer.media[0], "urn:none") == 0,
	      "lookups miss");
}

/* ---- the server's own offer (SFU downstream) and the browser's answer to it ---- */

static const struct sdp_offer_section down[3] = {
    {.kind = SDP_KIND_AUDIO,
     .mid = "0",
     .dir = SDP_DIR_SENDONLY,
     .pt = 111,
     .send = {.ssrc = 5001, .cname = "sfu", .stream_id = "alice", .track_id = "alice-a"}},
    {.kind = SDP_KIND_VIDEO,
     .mid = "1",
     .dir = SDP_DIR_SENDONLY,
     .pt = 96,
     .rtx_pt = 97,
     .send = {.ssrc = 6001, .rtx_ssrc = 6002, .cname = "sfu", .stream_id = "alice", .track_id = "alice-v"}},
    {.kind = SDP_KIND_VIDEO, .mid = "2", .dir = SDP_DIR_SENDONLY, .pt = 102, .rtx_pt = 103, .h264 = true},
};

/* What Chromium answers to that offer (recvonly, setup:active, its own credentials). */
static const char browser_answer[] =
    "v=0\r\no=- 7165410388736373372 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:bRwx\r\na=ice-pwd:0kWq9Xz1y2u3v4t5s6r7q8p9\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
    "a=setup:active\r\na=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:bRwx\r\na=ice-pwd:0kWq9Xz1y2u3v4t5s6r7q8p9\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
    "a=setup:active\r\na=mid:1\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:bRwx\r\na=ice-pwd:0kWq9Xz1y2u3v4t5s6r7q8p9\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
    "a=setup:active\r\na=mid:2\r\na=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n";

struct answer_case {
	const char *name, *del, *from, *to;
	int rc;
};

static const struct answer_case answer_cases[] = {
    {"browser answer", NULL, NULL, NULL, SDP_OK},
    {"video rejected", NULL, "m=video 9 UDP/TLS/RTP/SAVPF 102", "m=video 0 UDP/TLS/RTP/SAVPF 102", SDP_OK},
    {"inactive", NULL, "a=recvonly", "a=inactive", SDP_OK},
    {"setup passive", NULL, "a=setup:active", "a=setup:passive", SDP_ERR_SETUP},
    {"setup actpass", NULL, "a=setup:active", "a=setup:actpass", SDP_ERR_SETUP},
    {"mid changed", NULL, "a=mid:1", "a=mid:x", SDP_ERR_MISMATCH},
    {"payload type not offered", NULL, "96 97\r", "98 97\r", SDP_ERR_MISMATCH},
    {"codec renamed", NULL, "a=rtpmap:96 VP8", "a=rtpmap:96 VP9", SDP_ERR_MISMATCH},
    {"sendonly to sendonly", NULL, "a=recvonly", "a=sendonly", SDP_ERR_MISMATCH},
    {"no rtcp-mux", "a=rtcp-mux", NULL, NULL, SDP_ERR_NO_RTCP_MUX},
    {"no BUNDLE", "a=group", NULL, NULL, SDP_ERR_NO_BUNDLE},
    {"not in BUNDLE", NULL, "BUNDLE 0 1 2", "BUNDLE 0 1", SDP_ERR_NO_BUNDLE},
    {"no fingerprint", "a=fingerprint", NULL, NULL, SDP_ERR_NO_FINGERPRINT},
    {"no ufrag", "a=ice-ufrag", NULL, NULL, SDP_ERR_NO_ICE},
    {"section missing", NULL, NULL, NULL, 1 /* special: truncated before the last m-section */},
    {"audio/video swapped", NULL, "m=audio 9", "m=video 9", SDP_ERR_MISMATCH},
};

static void test_server_offer(void)
{
	static struct sdp_session ours, theirs;
	const char *err = NULL;
	int rc = sdp_offer_build(&ours, &params, "3", down, 3, &err);
	CHECK(rc == SDP_OK, "offer build: %s", err);
	CHECK(ours.ice_lite && ours.n_media == 3 && ours.n_bundle == 3 && strcmp(ours.bundle[2], "2") == 0,
	      "offer shape");
	CHECK(strcmp(ours.origin_sess_version, "3") == 0, "session version");
	for (unsigned i = 0; i < 3; i++) {
		const struct sdp_media *m = &ours.media[i];
		CHECK(m->tr.setup == SDP_SETUP_ACTPASS && m->dir == SDP_DIR_SENDONLY && m->rtcp_mux && m->port == 40000,
		      "offer section %u transport", i);
		CHECK(m->n_candidates == (i == 0) && m->end_of_candidates == (i == 0), "candidate on first only (%u)",
		      i);
		CHECK(sdp_media_extmap_id(m, SDP_EXT_MID) == SDP_OFFER_EXTID_MID, "mid extmap %u", i);
	}
	CHECK(strcmp(ours.media[0].codecs[0].name, "opus") == 0 && ours.media[0].codecs[0].channels == 2, "opus");
	CHECK(ours.media[1].n_codecs == 2 && ours.media[1].codecs[0].fb == SDP_FB_HANDLED &&
		  strcmp(ours.media[1].codecs[1].fmtp, "apt=96") == 0,
	      "VP8 + rtx");
	CHECK(strcmp(ours.media[2].codecs[0].name, "H264") == 0 && strstr(ours.media[2].codecs[0].fmtp, "42e01f"),
	      "H264");
	CHECK(ours.media[1].n_ssrcs == 2 && ours.media[1].n_ssrc_groups == 1 && ours.media[2].n_ssrcs == 0, "ssrcs");
	CHECK(sdp_media_extmap_id(&ours.media[1], SDP_EXT_ABS_SEND_TIME) == SDP_OFFER_EXTID_ABS_SEND_TIME,
	      "abs extmap");
	check_round_trip("server offer", &ours);
	/* our offer is itself acceptable to our own answerer (sendonly -> recvonly) */
	CHECK(sdp_answer_build(&answer, &ours, &params, &err) == SDP_OK && answer.n_bundle == 3 &&
		  answer.media[0].dir == SDP_DIR_RECVONLY && answer.media[0].n_ssrcs == 0,
	      "self answer: %s", err);

	for (size_t i = 0; i < sizeof answer_cases / sizeof answer_cases[0]; i++) {
		const struct answer_case *c = &answer_cases[i];
		memcpy(text, browser_answer, sizeof browser_answer);
		size_t n = edit(text, sizeof browser_answer - 1, c->del, c->from, c->to);
		rc = sdp_session_parse(&theirs, text, n, &err);
		if (c->rc == 1) { /* "section missing": drop the last m-section by truncating before it */
			char *cut = strstr(text, "m=video 9 UDP/TLS/RTP/SAVPF 102");
			rc = sdp_session_parse(&theirs, text, (size_t)(cut - text), &err);
			CHECK(rc == SDP_OK && sdp_answer_check(&ours, &theirs, NULL) == SDP_ERR_MISMATCH, "%s",
			      c->name);
			continue;
		}
		CHECK(rc == SDP_OK, "%s: parse %s", c->name, err);
		rc = sdp_answer_check(&ours, &theirs, &err);
		CHECK(rc == c->rc, "%s: check %d (%s) want %d", c->name, rc, err, c->rc);
	}

	struct sdp_offer_section bad[2] = {down[0], down[0]};
	CHECK(sdp_offer_build(&ours, &params, "1", bad, 2, NULL) == SDP_ERR_ARG, "duplicate mid");
	bad[0].kind = SDP_KIND_APPLICATION;
	CHECK(sdp_offer_build(&ours, &params, "1", bad, 1, NULL) == SDP_ERR_ARG, "application section");
	bad[0] = down[0];
	bad[0].rtx_pt = 97;
	CHECK(sdp_offer_build(&ours, &params, "1", bad, 1, NULL) == SDP_ERR_ARG, "rtx on audio");
	CHECK(sdp_offer_build(&ours, &params, "1", down, 0, NULL) == SDP_ERR_ARG, "no sections");
	CHECK(sdp_offer_build(&ours, &params, "v2", down, 1, NULL) == SDP_ERR_ARG, "bad version");
}

/* The SFU's answers: a section the server sends nothing on loses its send direction; ids above 14 (which the
 * one-byte form cannot carry) are not negotiated. */
static void test_quiet_unsent_and_ids(void)
{
	size_t n = load("chromium-av.sdp", text, sizeof text);
	const char *err = NULL;
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "parse: %s", err);
	struct sdp_send_track only_video[2] = {{0}, send_tracks[1]};
	struct sdp_answer_params p = params;
	p.send = only_video, p.quiet_unsent = true;
	CHECK(sdp_answer_build(&answer, &offer, &p, &err) == SDP_OK, "answer: %s", err);
	CHECK(answer.media[0].dir == SDP_DIR_RECVONLY && answer.media[0].n_ssrcs == 0,
	      "sendrecv offer, nothing to send: recvonly, no ssrc (dir %d)", answer.media[0].dir);
	CHECK(answer.media[1].dir == SDP_DIR_SENDRECV && answer.media[1].n_ssrcs == 2,
	      "the section with a track sends");
	n = edit(text, n, NULL, "a=sendrecv", "a=recvonly");
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "parse: %s", err);
	p.send = NULL;
	CHECK(sdp_answer_build(&answer, &offer, &p, &err) == SDP_OK && answer.media[0].dir == SDP_DIR_INACTIVE &&
		  answer.media[1].dir == SDP_DIR_INACTIVE,
	      "recvonly offer, nothing to send: inactive");
	n = load("chromium-av.sdp", text, sizeof text);
	n = edit(text, n, NULL, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		 "a=extmap:15 urn:ietf:params:rtp-hdrext:sdes:mid");
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "parse: %s", err);
	CHECK(sdp_answer_build(&answer, &offer, &params, &err) == SDP_OK, "answer: %s", err);
	CHECK(sdp_media_extmap_id(&answer.media[0], SDP_EXT_MID) <= 0 &&
		  sdp_media_extmap_id(&answer.media[1], SDP_EXT_MID) <= 0 &&
		  sdp_media_extmap_id(&answer.media[0], SDP_EXT_AUDIO_LEVEL) == 1,
	      "MID with id 15 is not negotiated, the rest is");
}

int main(void)
{
	test_quiet_unsent_and_ids();
	test_chromium_av();
	test_firefox();
	for (size_t i = 0; i < sizeof offer_cases / sizeof offer_cases[0]; i++)
		run_offer_case(&offer_cases[i]);
	test_garbage_and_limits();
	test_params_and_helpers();
	test_server_offer();
	printf("test_sdp: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
