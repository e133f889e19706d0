/* fuzz_sdp.c: libFuzzer target for the SDP parser and answer builder: never crash; accepted input re-serializes equal. */
#include "media/sdp.h"

#include <stdlib.h>
#include <string.h>

static struct sdp_session s1, s2, ans, ans2; /* large: static */
static char out[SDP_MAX_TOTAL * 4], out2[SDP_MAX_TOTAL * 4];

/* serialize -> parse must give back an equal struct, and serializing that gives the same text */
static void round_trip(const struct sdp_session *s, struct sdp_session *tmp)
{
	int n = sdp_session_serialize(s, out, sizeof out);
	if (n < 0)
		abort();
	if (sdp_session_parse(tmp, out, (size_t)n, NULL) != SDP_OK || memcmp(tmp, s, sizeof *s) != 0)
		abort();
	int n2 = sdp_session_serialize(tmp, out2, sizeof out2);
	if (n2 != n || memcmp(out, out2, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fp[32] = {1, 2, 3};
	static const struct sdp_send_track send[2] = {{.ssrc = 1, .cname = "c", .stream_id = "s", .track_id = "a"},
						      {.ssrc = 2, .rtx_ssrc = 3, .cname = "c"}};
	static const struct sdp_answer_params p = {.ice_ufrag = "abcd",
						   .ice_pwd = "0123456789012345678901",
						   .dtls_sha256 = fp,
						   .cand_ip = "127.0.0.1",
						   .cand_port = 5000,
						   .send = send,
						   .n_send = 2};
	const char *err = NULL;
	int rc = sdp_session_parse(&s1, (const char *)data, size, &err);
	if (!err || strncmp(err, "sdp: ", 5) != 0)
		abort();
	if (rc != SDP_OK)
		return 0;
	round_trip(&s1, &s2);
	rc = sdp_answer_build(&ans, &s1, &p, &err);
	if (!err || strncmp(err, "sdp: ", 5) != 0)
		abort();
	if (rc == SDP_OK)
		round_trip(&ans, &ans2);
	/* the input as a peer's answer to a fixed offer of ours */
	static struct sdp_session ours;
	static bool have_ours;
	static const struct sdp_offer_section sec[2] = {
	    {.kind = SDP_KIND_AUDIO, .mid = "0", .dir = SDP_DIR_SENDONLY, .pt = 111, .send = {.ssrc = 5}},
	    {.kind = SDP_KIND_VIDEO, .mid = "1", .pt = 96, .rtx_pt = 97, .send = {.ssrc = 6, .rtx_ssrc = 7}}};
	if (!have_ours && sdp_offer_build(&ours, &p, "1", sec, 2, NULL) != SDP_OK)
		abort();
	have_ours = true;
	rc = sdp_answer_check(&ours, &s1, &err);
	if (!err || strncmp(err, "sdp: ", 5) != 0)
		abort();
	return 0;
}
