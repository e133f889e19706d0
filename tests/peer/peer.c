/* peer.c: WebRTC client peer for tests and load generation: offer/answer, ICE-controlling, DTLS client, synthetic media. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/peer/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/peer/peer_audio.h"
#include "tests/peer/peer_video.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp.h"

#define PEER_PT_OPUS 111
#define PEER_PT_VP8 96
#define PEER_PT_RTX 97
#define PEER_VIDEO_MAX 1188 /* payload bytes: 1,200-byte RTP packets */
#define PEER_STAMP_OFF 2    /* payload offset of the 8-byte send stamp (after the codec's first bytes) */

#define PEER_NACK_MS 20   /* hostile_nack: period */
#define PEER_NACK_SEQS 64 /* sequence numbers per NACK packet (an SFU may read no more of one) */

struct peer_rx { /* receive side of one kind */
	struct rtp_seq_state seq;
	bool init;
	uint16_t last_seq;
};

struct peer_rstream { /* one remote SSRC (track_streams) */
	struct peer_stream pub;
	struct peer_audio_rx *audio; /* audio: decoder and tone window */
	bool seen;                   /* a packet arrived: pub.first_seq/last_seq hold */
};

struct peer {
	/* allocated by this */
	int fd;
	struct ice_addr local;
	char ip[64];
	struct dtls_cert *own_cert;
	struct dtls_ctx *own_ctx;
	struct transport *tr;
	struct sdp_session *sdp; /* scratch for offer/answer (large) */
	/* passed by argument */
	const struct dtls_cert *cert;
	struct dtls_ctx *ctx;
	bool send_a, send_v;
	unsigned vpps, vsize;
	peer_send_fn send_fn; /* NULL: sendto() */
	peer_delay_fn on_delay;
	void *user;
	bool rx_header_only, offer_active;
	unsigned tone_hz;
	bool track, hostile, send_mid;
	unsigned loss_pct;
	bool fec, level;
	const uint8_t *const *frames;
	const uint16_t *frame_len;
	unsigned n_frames, next_frame;
	/* others */
	uint32_t loss_rng;
	char ufrag[ICE_CRED_MAX], pwd[ICE_CRED_MAX];
	uint32_t ssrc[2], rtx_ssrc, rtcp_ssrc;
	uint16_t seq[2];
	uint32_t ts[2];
	int64_t next_send[2], next_key_ms, next_sr_ms;
	struct peer_rx rx[2];
	uint8_t pt[2];
	struct peer_stats st;
	/* negotiation and test state */
	unsigned n_recv;             /* recvonly pairs in our last offer */
	unsigned version;            /* o= session version of our last offer */
	bool reoffered;              /* peer_reoffer() waits for its answer */
	char mids[SDP_MAX_MEDIA][4]; /* "0", "1", ...: the mids we offer */
	char r_ufrag[ICE_CRED_MAX], r_pwd[ICE_CRED_MAX], r_fp[DTLS_FINGERPRINT_MAX]; /* remote transport */
	uint8_t rtx_pt, mid_ext;     /* from the answer: RTX payload type, MID extension id (0: none) */
	bool stereo;                 /* the answer's Opus fmtp says stereo=1 */
	struct peer_audio_enc *tone; /* tone_hz: made on the first answer */
	struct peer_video_enc *venc; /* real_video */
	struct peer_rstream *rs;     /* track: PEER_STREAMS_MAX */
	size_t n_rs;
	int64_t next_nack_ms;
};

#define PEER_LEVEL_EXT SDP_OFFER_EXTID_AUDIO_LEVEL /* the id our offer gives RFC 6464 audio levels */

static uint32_t rand32(void)
{
	uint32_t v = 0;
	while (!v)
		RAND_bytes((uint8_t *)&v, sizeof v);
	return v;
}

static void peer_send(void *user, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	struct peer *p = user;
	if (p->send_fn) {
		p->send_fn(p->user, p->fd, buf, len, to);
		return;
	}
	if (sendto(p->fd, buf, len, MSG_DONTWAIT, &to->u.sa, to->len) < 0) { /* UDP: a lost send is a lost packet */
	}
}

static int open_socket(struct peer *p, const char *ip)
{
	if (ice_addr_from_string(&p->local, ip, 0))
		return -1;
	p->fd = socket(p->local.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, &p->local.u.sa, p->local.len) < 0)
		return -1;
	int sz = 1 << 20;
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	socklen_t l = sizeof p->local.u;
	return getsockname(p->fd, &p->local.u.sa, &l);
}

struct peer *peer_new(const struct peer_config *cfg, char *err, size_t errlen)
{
	struct peer *p = calloc(1, sizeof *p);
	if (!p || !cfg || !cfg->bind_ip || strlen(cfg->bind_ip) >= sizeof p->ip || !!cfg->dtls != !!cfg->cert)
		goto err;
	p->fd = -1;
	strcpy(p->ip, cfg->bind_ip);
	p->send_a = cfg->send_audio, p->send_v = cfg->send_video;
	p->vpps = cfg->video_pps ? cfg->video_pps : 100;
	p->venc = cfg->real_video ? peer_video_enc_new() : NULL;
	p->vsize = cfg->video_size ? cfg->video_size : 1000;
	if (p->vsize > PEER_VIDEO_MAX)
		p->vsize = PEER_VIDEO_MAX;
	p->send_fn = cfg->send, p->on_delay = cfg->on_delay, p->user = cfg->user,
	p->rx_header_only = cfg->rx_header_only;
	p->offer_active = cfg->offer_active;
	p->tone_hz = cfg->tone_hz, p->hostile = cfg->hostile_nack, p->send_mid = cfg->send_mid;
	p->loss_pct = cfg->audio_loss_pct, p->fec = cfg->audio_fec, p->loss_rng = 12345, p->level = cfg->send_level;
	p->frames = cfg->audio_frames, p->frame_len = cfg->audio_frame_len, p->n_frames = cfg->n_audio_frames;
	p->track = cfg->track_streams || cfg->hostile_nack;
	p->n_recv = cfg->recv_sections;
	if (p->n_recv > PEER_RECV_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "peer: at most %d recv_sections", PEER_RECV_MAX);
		goto err;
	}
	for (unsigned i = 0; i < SDP_MAX_MEDIA; i++)
		snprintf(p->mids[i], sizeof p->mids[i], "%u", i);
	if (p->track && !(p->rs = calloc(PEER_STREAMS_MAX, sizeof *p->rs)))
		goto err;
	p->ctx = cfg->dtls, p->cert = cfg->cert;
	if (!p->ctx) {
		if (dtls_cert_generate(&p->own_cert, err, errlen) ||
		    !(p->own_ctx = dtls_ctx_new(p->own_cert, DTLS_ROLE_CLIENT, NULL, err, errlen)))
			goto err;
		p->ctx = p->own_ctx, p->cert = p->own_cert;
	}
	if (!(p->sdp = malloc(sizeof *p->sdp)) || open_socket(p, cfg->bind_ip) ||
	    ice_credentials_generate(p->ufrag, p->pwd))
		goto err;
	p->ssrc[0] = rand32(), p->ssrc[1] = rand32(), p->rtx_ssrc = rand32(), p->rtcp_ssrc = rand32();
	p->seq[0] = (uint16_t)rand32(), p->seq[1] = (uint16_t)rand32();
	p->pt[0] = PEER_PT_OPUS, p->pt[1] = PEER_PT_VP8;
	return p;
err:
	if (err && errlen && !err[0])
		snprintf(err, errlen, "peer: setup failed: %s", strerror(errno));
	peer_free(p);
	return NULL;
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	transport_free(p->tr);
	if (p->fd >= 0)
		close(p->fd);
	dtls_ctx_free(p->own_ctx);
	dtls_cert_free(p->own_cert);
	for (size_t i = 0; p->rs && i < p->n_rs; i++)
		peer_audio_rx_free(p->rs[i].audio);
	free(p->rs);
	peer_audio_enc_free(p->tone);
	peer_video_enc_free(p->venc);
	free(p->sdp);
	free(p);
}

static uint16_t local_port(const struct peer *p)
{
	return ntohs(p->local.u.sa.sa_family == AF_INET ? p->local.u.v4.sin_port : p->local.u.v6.sin6_port);
}

/* Our offer: sendrecv audio "0" and video "1", then n_recv recvonly audio + video pairs ("2", "3", ...). */
static int build_offer(struct peer *p, unsigned n_recv, char *buf, size_t cap)
{
	struct dtls_fingerprint fp;
	char version[16];
	if (n_recv > PEER_RECV_MAX || dtls_fingerprint_parse(&fp, dtls_cert_fingerprint(p->cert)) || fp.len != 32)
		return SDP_ERR_ARG;
	struct sdp_answer_params ap = {.ice_ufrag = p->ufrag,
				       .ice_pwd = p->pwd,
				       .dtls_sha256 = fp.digest,
				       .cand_ip = p->ip,
				       .cand_port = local_port(p)};
	struct sdp_offer_section sec[SDP_MAX_MEDIA] = {
	    {.kind = SDP_KIND_AUDIO,
	     .mid = p->mids[0],
	     .dir = SDP_DIR_SENDRECV,
	     .pt = PEER_PT_OPUS,
	     .send = {.ssrc = p->ssrc[0], .cname = "peer", .stream_id = "s", .track_id = "a"}},
	    {.kind = SDP_KIND_VIDEO,
	     .mid = p->mids[1],
	     .dir = SDP_DIR_SENDRECV,
	     .pt = PEER_PT_VP8,
	     .rtx_pt = PEER_PT_RTX,
	     .send = {
		 .ssrc = p->ssrc[1], .rtx_ssrc = p->rtx_ssrc, .cname = "peer", .stream_id = "s", .track_id = "v"}}};
	size_t n = 2;
	for (unsigned i = 0; i < n_recv; i++, n += 2) {
		sec[n] = (struct sdp_offer_section){
		    .kind = SDP_KIND_AUDIO, .mid = p->mids[n], .dir = SDP_DIR_RECVONLY, .pt = PEER_PT_OPUS};
		sec[n + 1] = (struct sdp_offer_section){.kind = SDP_KIND_VIDEO,
							.mid = p->mids[n + 1],
							.dir = SDP_DIR_RECVONLY,
							.pt = PEER_PT_VP8,
							.rtx_pt = PEER_PT_RTX};
	}
	snprintf(version, sizeof version, "%u", ++p->version);
	int rc = sdp_offer_build(p->sdp, &ap, version, sec, n, NULL);
	if (rc != SDP_OK)
		return rc;
	p->sdp->ice_lite = false; /* a full (controlling) agent */
	for (unsigned i = 0; p->offer_active && i < p->sdp->n_media; i++)
		p->sdp->media[i].tr.setup = SDP_SETUP_ACTIVE; /* we are the DTLS client either way */
	rc = sdp_session_serialize(p->sdp, buf, cap);
	if (rc >= 0)
		p->n_recv = n_recv;
	return rc;
}

int peer_offer(struct peer *p, char *buf, size_t cap)
{
	return build_offer(p, p->n_recv, buf, cap);
}

int peer_reoffer(struct peer *p, unsigned recv_sections, char *buf, size_t cap)
{
	if (!p->tr)
		return SDP_ERR_ARG;
	int rc = build_offer(p, recv_sections, buf, cap);
	p->reoffered = rc >= 0;
	return rc;
}

/* Remote transport from the answer: ICE credentials, fingerprint, the first host candidate. */
static int answer_transport(struct peer *p, char *ufrag, char *pwd, char *fp, size_t fp_cap, struct ice_addr *cand)
{
	const struct sdp_session *a = p->sdp;
	for (unsigned i = 0; i < a->n_media; i++) {
		const struct sdp_media *m = &a->media[i];
		if (!m->port || !m->n_candidates)
			continue;
		snprintf(ufrag, ICE_CRED_MAX, "%s", sdp_media_ice_ufrag(a, m));
		snprintf(pwd, ICE_CRED_MAX, "%s", sdp_media_ice_pwd(a, m));
		const struct sdp_fingerprint *f = sdp_media_fingerprint(a, m);
		size_t n = (size_t)snprintf(fp, fp_cap, "%s ", f->alg);
		for (unsigned j = 0; j < f->len && n + 4 < fp_cap; j++)
			n += (size_t)snprintf(fp + n, fp_cap - n, j ? ":%02X" : "%02X", f->hash[j]);
		return ice_addr_from_string(cand, m->candidates[0].addr, m->candidates[0].port);
	}
	return -1;
}

static int start_transport(struct peer *p, const char *ufrag, const char *pwd, const char *fp,
			   const struct ice_addr *cand, const char **err)
{
	struct transport_params tp = {.dtls = p->ctx,
				      .ice_role = ICE_ROLE_CONTROLLING,
				      .local_ufrag = p->ufrag,
				      .local_pwd = p->pwd,
				      .remote_ufrag = ufrag,
				      .remote_pwd = pwd,
				      .remote_fingerprint = fp,
				      .remote_cand = cand,
				      .send = peer_send,
				      .user = p};
	p->tr = transport_new(&tp);
	if (!p->tr && err)
		*err = "peer: transport setup failed";
	return p->tr ? SDP_OK : SDP_ERR_ARG;
}

/* ---- what the answer says about the streams we receive ---- */

static struct peer_rstream *stream_find(struct peer *p, uint32_t ssrc)
{
	for (size_t i = 0; i < p->n_rs; i++)
		if (p->rs[i].pub.ssrc == ssrc)
			return &p->rs[i];
	return NULL;
}

static struct peer_rstream *stream_get(struct peer *p, uint32_t ssrc, bool video)
{
	struct peer_rstream *s = stream_find(p, ssrc);
	if (s || p->n_rs == PEER_STREAMS_MAX)
		return s;
	s = &p->rs[p->n_rs++];
	s->pub.ssrc = ssrc, s->pub.video = video;
	return s;
}

/* The media stream whose RTX SSRC is rtx_ssrc (RFC 4588 §8.2: a=ssrc-group:FID <media> <rtx>). */
static struct peer_rstream *stream_by_rtx(struct peer *p, uint32_t rtx_ssrc)
{
	for (size_t i = 0; i < p->n_rs; i++)
		if (p->rs[i].pub.rtx_ssrc == rtx_ssrc)
			return &p->rs[i];
	return NULL;
}

static uint32_t fid_rtx(const struct sdp_media *m, uint32_t ssrc)
{
	for (unsigned g = 0; g < m->n_ssrc_groups; g++) {
		const struct sdp_ssrc_group *sg = &m->ssrc_groups[g];
		if (strcmp(sg->semantics, "FID") == 0 && sg->count >= 2 && sg->ssrcs[0] == ssrc)
			return sg->ssrcs[1];
	}
	return 0;
}

static bool is_fid_rtx(const struct sdp_media *m, uint32_t ssrc)
{
	for (unsigned g = 0; g < m->n_ssrc_groups; g++) {
		const struct sdp_ssrc_group *sg = &m->ssrc_groups[g];
		if (strcmp(sg->semantics, "FID") == 0 && sg->count >= 2 && sg->ssrcs[1] == ssrc)
			return true;
	}
	return false;
}

/* Each SSRC the answer announces becomes (or updates) a stream: kind, section mid, msid, cname, RTX SSRC. */
static void note_announced(struct peer *p, const struct sdp_session *a)
{
	for (size_t i = 0; i < p->n_rs; i++)
		p->rs[i].pub.announced = false;
	for (unsigned i = 0; i < a->n_media; i++) {
		const struct sdp_media *m = &a->media[i];
		if (!m->port || (m->kind != SDP_KIND_AUDIO && m->kind != SDP_KIND_VIDEO))
			continue;
		for (unsigned j = 0; j < m->n_ssrcs; j++) {
			struct peer_rstream *s;
			if (is_fid_rtx(m, m->ssrcs[j].ssrc) ||
			    !(s = stream_get(p, m->ssrcs[j].ssrc, m->kind == SDP_KIND_VIDEO)))
				continue;
			struct peer_stream *ps = &s->pub;
			ps->announced = true, ps->video = m->kind == SDP_KIND_VIDEO;
			uint32_t rtx = fid_rtx(m, ps->ssrc);
			if (rtx)
				ps->rtx_ssrc = rtx;
			snprintf(ps->sdp_mid, sizeof ps->sdp_mid, "%s", m->mid);
			snprintf(ps->msid, sizeof ps->msid, "%s", m->msid_stream);
			snprintf(ps->track, sizeof ps->track, "%s", m->msid_track);
			snprintf(ps->cname, sizeof ps->cname, "%s", m->ssrcs[j].cname);
		}
	}
}

/* Payload types and extension ids the answer negotiated; with track, it must answer every section we offered. */
static int note_answer(struct peer *p, const char **err)
{
	const struct sdp_session *a = p->sdp;
	if (p->track && a->n_media != 2 + 2 * p->n_recv) {
		if (err)
			*err = "peer: the answer's m-sections differ from the offer's";
		return SDP_ERR_MISMATCH;
	}
	for (unsigned i = 0; i < a->n_media; i++) {
		const struct sdp_media *m = &a->media[i];
		if (p->track && strcmp(m->mid, p->mids[i]) != 0) {
			if (err)
				*err = "peer: the answer's mids differ from the offer's";
			return SDP_ERR_MISMATCH;
		}
		if (!m->port)
			continue;
		int id = sdp_media_extmap_id(m, SDP_EXT_MID);
		if (id > 0 && id < 15 && !p->mid_ext)
			p->mid_ext =
			    (uint8_t)id; /* one-byte form only (RFC 8285 §4.2); BUNDLE: one id for all sections */
		for (unsigned c = 0; c < m->n_codecs; c++) {
			const struct sdp_codec *k = &m->codecs[c];
			char v[16];
			if (m->kind == SDP_KIND_VIDEO && strcasecmp(k->name, "rtx") == 0 &&
			    sdp_fmtp_get(k->fmtp, "apt", v, sizeof v) && atoi(v) == p->pt[1])
				p->rtx_pt = k->pt;
			if (m->kind == SDP_KIND_AUDIO && k->pt == p->pt[0] &&
			    sdp_fmtp_get(k->fmtp, "stereo", v, sizeof v))
				p->stereo = strcmp(v, "1") == 0;
		}
	}
	if (p->track)
		note_announced(p, a);
	if (p->tone_hz && !p->tone && (p->tone = peer_audio_enc_new(p->tone_hz, p->stereo ? 2 : 1)) && p->fec)
		peer_audio_enc_fec(p->tone, 10);
	if (p->tone_hz && !p->tone) {
		if (err)
			*err = "peer: Opus encoder setup failed";
		return SDP_ERR_ARG;
	}
	return SDP_OK;
}

/* The answer to a re-offer: same remote transport, new sections. */
static int take_reanswer(struct peer *p, const char *ufrag, const char *pwd, const char *fp, const char **err)
{
	p->reoffered = false;
	if (strcmp(ufrag, p->r_ufrag) != 0 || strcmp(pwd, p->r_pwd) != 0 || strcmp(fp, p->r_fp) != 0) {
		if (err)
			*err = "peer: the answer to the re-offer changes the transport (ICE credentials or DTLS "
			       "fingerprint)";
		return SDP_ERR_MISMATCH;
	}
	return note_answer(p, err);
}

int peer_set_answer(struct peer *p, const char *sdp, size_t len, const char **err)
{
	char ufrag[ICE_CRED_MAX], pwd[ICE_CRED_MAX], fp[DTLS_FINGERPRINT_MAX];
	struct ice_addr cand;
	if (p->tr && !p->reoffered)
		return SDP_ERR_ARG;
	int rc = sdp_session_parse(p->sdp, sdp, len, err);
	if (rc != SDP_OK)
		return rc;
	if (answer_transport(p, ufrag, pwd, fp, sizeof fp, &cand)) {
		if (err)
			*err = "peer: answer has no usable host candidate";
		return SDP_ERR_ATTR;
	}
	if (p->tr)
		return take_reanswer(p, ufrag, pwd, fp, err);
	snprintf(p->r_ufrag, sizeof p->r_ufrag, "%s", ufrag);
	snprintf(p->r_pwd, sizeof p->r_pwd, "%s", pwd);
	snprintf(p->r_fp, sizeof p->r_fp, "%s", fp);
	rc = note_answer(p, err);
	return rc == SDP_OK ? start_transport(p, ufrag, pwd, fp, &cand, err) : rc;
}

/* Our answer to an SFU's offer: the server's answer builder, then the full-ICE, DTLS-client side of it. */
static int build_answer(struct peer *p, struct sdp_session *ans, char *buf, size_t cap, const char **err)
{
	struct dtls_fingerprint fp;
	if (dtls_fingerprint_parse(&fp, dtls_cert_fingerprint(p->cert)) || fp.len != 32)
		return SDP_ERR_ARG;
	struct sdp_answer_params ap = {.ice_ufrag = p->ufrag,
				       .ice_pwd = p->pwd,
				       .dtls_sha256 = fp.digest,
				       .cand_ip = p->ip,
				       .cand_port = local_port(p)};
	int rc = sdp_answer_build(ans, p->sdp, &ap, err);
	if (rc != SDP_OK)
		return rc;
	ans->ice_lite = false;
	for (unsigned i = 0; i < ans->n_media; i++) {
		struct sdp_media *m = &ans->media[i];
		int k = m->kind == SDP_KIND_AUDIO ? 0 : m->kind == SDP_KIND_VIDEO ? 1 : -1;
		m->tr.setup = SDP_SETUP_ACTIVE; /* RFC 5763 §5: we are the DTLS client */
		if (k >= 0 && m->port && m->n_codecs)
			p->pt[k] = m->codecs[0].pt;
	}
	return sdp_session_serialize(ans, buf, cap);
}

int peer_answer(struct peer *p, const char *offer, size_t len, char *buf, size_t cap, const char **err)
{
	char ufrag[ICE_CRED_MAX], pwd[ICE_CRED_MAX], fp[DTLS_FINGERPRINT_MAX];
	struct ice_addr cand;
	if (p->tr)
		return SDP_ERR_ARG;
	int rc = sdp_session_parse(p->sdp, offer, len, err);
	if (rc != SDP_OK)
		return rc;
	if (answer_transport(p, ufrag, pwd, fp, sizeof fp, &cand)) {
		if (err)
			*err = "peer: offer has no usable host candidate";
		return SDP_ERR_ATTR;
	}
	struct sdp_session *ans = malloc(sizeof *ans);
	if (!ans)
		return SDP_ERR_ARG;
	int n = build_answer(p, ans, buf, cap, err);
	free(ans);
	if (n < 0)
		return n;
	rc = start_transport(p, ufrag, pwd, fp, &cand, err);
	return rc == SDP_OK ? n : rc;
}

/* ---- receive ---- */

static void count_rtp(struct peer *p, const uint8_t *buf, size_t len)
{
	if (len < RTP_HEADER_MIN)
		return;
	uint8_t pt = buf[1] & 0x7f;
	int k = pt == p->pt[0] ? 0 : pt == p->pt[1] ? 1 : -1;
	if (k < 0)
		return;
	struct peer_kind_stats *ks = k ? &p->st.video : &p->st.audio;
	struct peer_rx *rx = &p->rx[k];
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
	if (!rx->init || ssrc != ks->last_ssrc) {
		if (rx->init)
			ks->ssrc_changes++;
		rtp_seq_init(&rx->seq, seq);
		rx->seq.probation = 0;
		rx->init = true;
		rx->last_seq = seq;
	}
	rtp_seq_update(&rx->seq, seq);
	if (rtp_seq_newer(seq, rx->last_seq))
		rx->last_seq = seq;
	ks->last_ssrc = ssrc;
	ks->rx++;
	int32_t lost = rtp_seq_cumulative_lost(&rx->seq);
	ks->lost = lost > 0 ? (uint64_t)lost : 0;
}

/* track: one decrypted RTP packet into its stream. RTX (RFC 4588 §4): payload = 2-byte original sequence number
 * (OSN) + the original payload, on the RTX SSRC; it counts for the original stream. */
static void track_rtp(struct peer *p, const uint8_t *buf, size_t len)
{
	struct rtp_header h;
	if (rtp_header_parse(&h, buf, len) != RTP_OK) {
		p->st.rx_untracked++;
		return;
	}
	if (p->rtx_pt && h.pt == p->rtx_pt) {
		struct peer_rstream *s = stream_by_rtx(p, h.ssrc);
		if (!s || h.payload_len < 2) {
			p->st.rx_untracked++;
			return;
		}
		s->pub.rtx++, s->pub.rtx_bytes += h.payload_len - 2;
		return;
	}
	int k = h.pt == p->pt[0] ? 0 : h.pt == p->pt[1] ? 1 : -1;
	struct peer_rstream *s = k >= 0 ? stream_get(p, h.ssrc, k == 1) : NULL;
	if (!s) {
		p->st.rx_untracked++;
		return;
	}
	struct peer_stream *ps = &s->pub;
	ps->packets++, ps->bytes += h.payload_len;
	if (!s->seen)
		s->seen = true, ps->first_seq = ps->last_seq = h.seq;
	else if (rtp_seq_newer(h.seq, ps->last_seq))
		ps->last_seq = h.seq;
	size_t ml = 0;
	const uint8_t *mid = p->mid_ext ? rtp_header_ext_find(&h, p->mid_ext, &ml) : NULL;
	if (mid && ml < sizeof ps->mid) {
		if (ps->mid_packets && (strlen(ps->mid) != ml || memcmp(ps->mid, mid, ml) != 0))
			ps->mid_changes++;
		memcpy(ps->mid, mid, ml);
		ps->mid[ml] = 0;
		ps->mid_packets++;
	}
	if (k == 0 && !s->audio)
		s->audio = peer_audio_rx_new();
	if (k == 0 && s->audio && peer_audio_rx_push(s->audio, h.payload, h.payload_len))
		ps->decode_errors++;
}

static void count_rtcp(struct peer *p, const uint8_t *buf, size_t len)
{
	static __thread struct rtcp_remb remb;
	struct rtcp_iter it;
	struct rtcp_packet pk;
	p->st.rx_rtcp++;
	rtcp_iter_init(&it, buf, len);
	while (rtcp_iter_next(&it, &pk) == 1) {
		if (pk.pt == RTCP_PT_RR)
			p->st.rx_rr++;
		else if (pk.pt == RTCP_PT_SR && pk.len >= 8) {
			p->st.rx_sr++;
			p->st.last_sr_ssrc = (uint32_t)pk.data[4] << 24 | (uint32_t)pk.data[5] << 16 |
			    (uint32_t)pk.data[6] << 8 | pk.data[7];
		} else if (pk.pt == RTCP_PT_RTPFB && pk.count == RTCP_FMT_NACK)
			p->st.rx_nack++;
		else if (pk.pt == RTCP_PT_PSFB && (pk.count == RTCP_FMT_PLI || pk.count == RTCP_FMT_FIR))
			p->st.rx_pli++, p->venc ? peer_video_enc_key(p->venc) : (void)0;
		else if (pk.pt == RTCP_PT_PSFB && pk.count == RTCP_FMT_AFB && rtcp_remb_parse(&pk, &remb) == RTCP_OK) {
			p->st.rx_remb++;
			p->st.last_remb_bps = (uint32_t)remb.bitrate;
		}
	}
}

static int64_t realtime_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t read_stamp(const uint8_t *pl)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | pl[PEER_STAMP_OFF + i];
	return (int64_t)v;
}

/* RTP counted from its clear header (RFC 3711 §3.1: SRTP leaves the header unencrypted), without decrypting. */
static bool count_header_only(struct peer *p, const uint8_t *buf, size_t len, const struct ice_addr *from)
{
	const struct ice_addr *sel = transport_remote(p->tr, NULL);
	if (len < RTP_HEADER_MIN || buf[0] < 128 || buf[0] > 191 || rtcp_is_rtcp(buf, len) ||
	    (buf[1] & 0x7f) != p->pt[1] || transport_state(p->tr) != TRANSPORT_CONNECTED || !sel ||
	    !ice_addr_equal(sel, from))
		return false;
	count_rtp(p, buf, len);
	return true;
}

void peer_input(struct peer *p, uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now_ms, int64_t rx_us)
{
	if (!p->tr) {
		p->st.rx_bad++;
		return;
	}
	if (p->rx_header_only && count_header_only(p, buf, len, from))
		return;
	int rc = transport_recv(p->tr, buf, &len, from, now_ms);
	if (rc == TRANSPORT_RX_RTP) {
		count_rtp(p, buf, len);
		if (p->track)
			track_rtp(p, buf, len);
		struct rtp_header h;
		if (p->on_delay && rx_us && (buf[1] & 0x7f) == p->pt[0] && rtp_header_parse(&h, buf, len) == RTP_OK &&
		    h.payload_len >= PEER_STAMP_OFF + 8)
			p->on_delay(p->user, rx_us - read_stamp(h.payload));
	} else if (rc == TRANSPORT_RX_RTCP)
		count_rtcp(p, buf, len);
	else if (rc < 0 && rc != TRANSPORT_ERR_STUN) /* STUN indications (libnice keep-alives) are not errors */
		p->st.rx_bad++;
}

static void receive_all(struct peer *p, int64_t now)
{
	uint8_t buf[2048];
	for (int i = 0; i < 256; i++) {
		struct ice_addr from;
		socklen_t fl = sizeof from.u;
		ssize_t n = recvfrom(p->fd, buf, sizeof buf, MSG_DONTWAIT, &from.u.sa, &fl);
		if (n <= 0)
			return;
		from.len = fl;
		peer_input(p, buf, (size_t)n, &from, now, 0);
	}
}

/* ---- send ---- */

/* RFC 8285 §4.2 one-byte header extension holding only the MID element; returns its length. */
static size_t put_mid(uint8_t *pkt, uint8_t id, const char *mid)
{
	size_t ml = strlen(mid), words = (1 + ml + 3) / 4;
	uint8_t *x = pkt + RTP_HEADER_MIN;
	pkt[0] |= 0x10; /* X bit */
	x[0] = 0xBE, x[1] = 0xDE, x[2] = (uint8_t)(words >> 8), x[3] = (uint8_t)words;
	memset(x + 4, 0, words * 4);
	x[4] = (uint8_t)(id << 4 | (ml - 1)); /* ID, L = length - 1 */
	memcpy(x + 5, mid, ml);
	return 4 + words * 4;
}

/* RFC 6464 in a one-byte extension block of its own (audio packets without a MID element). */
static size_t put_level(uint8_t *pkt, uint8_t dbov)
{
	uint8_t *x = pkt + RTP_HEADER_MIN;
	pkt[0] |= 0x10;
	x[0] = 0xBE, x[1] = 0xDE, x[2] = 0, x[3] = 1;
	x[4] = (uint8_t)(PEER_LEVEL_EXT << 4), x[5] = (uint8_t)((dbov < 127 ? 0x80 : 0) | dbov), x[6] = x[7] = 0;
	return 8;
}

/* One media packet: payload bytes from opus (a real Opus frame), else synthetic. */
static void send_media(struct peer *p, int k, bool marker, size_t payload, bool key, const uint8_t *opus)
{
	uint8_t buf[1600];
	memset(buf, 0, RTP_HEADER_MIN);
	buf[0] = 0x80;
	rtp_set_pt(buf, p->pt[k]);
	rtp_set_marker(buf, marker);
	rtp_set_seq(buf, p->seq[k]++);
	rtp_set_ts(buf, p->ts[k]);
	rtp_set_ssrc(buf, p->ssrc[k]);
	size_t hl = RTP_HEADER_MIN + (p->send_mid && p->mid_ext ? put_mid(buf, p->mid_ext, p->mids[k]) : 0);
	if (k == 0 && p->level && hl == RTP_HEADER_MIN && opus) /* a tone of 0.3 full scale is about -13 dBov */
		hl += put_level(buf, p->tone || payload >= 8 ? 13 : 127);
	uint8_t *pl = buf + hl;
	if (opus) {
		memcpy(pl, opus, payload);
		goto send;
	}
	memset(pl, 0x5a, payload);
	if (k == 0)
		pl[0] = 0x78; /* Opus TOC: SILK-only WB 20 ms, one frame */
	else
		pl[0] = 0x10, pl[1] = key ? 0x00 : 0x01; /* VP8 descriptor S bit; frame tag P bit (0 = key frame) */
	if (payload >= PEER_STAMP_OFF + 8) {
		uint64_t t = (uint64_t)realtime_us();
		for (int i = 7; i >= 0; i--, t >>= 8)
			pl[PEER_STAMP_OFF + i] = (uint8_t)t;
	}
send:;
	size_t len = hl + payload;
	const struct ice_addr *to = transport_remote(p->tr, NULL);
	if (to && transport_protect_rtp(p->tr, buf, &len, sizeof buf) == 0) {
		peer_send(p, buf, len, to);
		(k ? &p->st.video : &p->st.audio)->tx++;
	}
}

static int send_rtcp(struct peer *p, uint8_t *buf, int n);

static void send_sr(struct peer *p, int k, int64_t now)
{
	static __thread struct rtcp_sr sr;
	uint8_t buf[1500];
	const struct peer_kind_stats *ks = k ? &p->st.video : &p->st.audio;
	memset(&sr, 0, sizeof sr);
	sr.ssrc = p->ssrc[k];
	sr.ntp_sec = (uint32_t)(now / 1000) + 2208988800u, sr.ntp_frac = (uint32_t)((now % 1000) * 4294967ull);
	sr.rtp_ts = p->ts[k], sr.packet_count = (uint32_t)ks->tx;
	sr.octet_count = (uint32_t)(ks->tx * (k ? p->vsize : 80));
	send_rtcp(p, buf, rtcp_sr_build(buf, 1400, &sr));
}

static void send_hostile_nacks(struct peer *p);

/* real_video: one VP8 frame every 1/15 s, in packets of at most 1100 bytes behind a VP8 payload descriptor
 * (RFC 7741: S on the first), the marker on the last. */
static void send_real_video(struct peer *p, int64_t now)
{
	if (!p->send_v || now < p->next_send[1])
		return;
	p->next_send[1] = p->next_send[1] && now - p->next_send[1] < 200 ? p->next_send[1] + 1000 / PEER_VIDEO_FPS
									 : now + 1000 / PEER_VIDEO_FPS;
	const uint8_t *f;
	bool key;
	int n = peer_video_enc_frame(p->venc, &f, &key);
	uint8_t pl[1101];
	for (int off = 0; n > 0 && off < n; off += 1100) {
		int chunk = n - off < 1100 ? n - off : 1100;
		pl[0] = off == 0 ? 0x10 : 0x00;
		memcpy(pl + 1, f + off, (size_t)chunk);
		send_media(p, 1, off + chunk == n, (size_t)chunk + 1, key, pl);
	}
	p->ts[1] += 90000 / PEER_VIDEO_FPS;
}

static void send_due(struct peer *p, int64_t now)
{
	if (p->hostile && now >= p->next_nack_ms) {
		p->next_nack_ms = now + PEER_NACK_MS;
		send_hostile_nacks(p);
	}
	if (now >= p->next_sr_ms) {
		p->next_sr_ms = now + 1000;
		for (int k = 0; k < 2; k++)
			if (k ? p->send_v : p->send_a)
				send_sr(p, k, now);
	}
	if (p->send_a && now >= p->next_send[0]) {
		p->next_send[0] = p->next_send[0] && now - p->next_send[0] < 100 ? p->next_send[0] + 20 : now + 20;
		uint8_t frame[1200];
		const uint8_t *replay = p->n_frames ? p->frames[p->next_frame % p->n_frames] : NULL;
		int n = replay ? p->frame_len[p->next_frame++ % p->n_frames]
		    : p->tone  ? peer_audio_enc_frame(p->tone, frame, sizeof frame)
			       : -1;
		p->loss_rng = p->loss_rng * 1103515245u + 12345u; /* the same losses every run */
		if (p->loss_pct && (p->loss_rng >> 16) % 100 < p->loss_pct)
			p->seq[0]++; /* lost on the way */
		else if (n > 0)
			send_media(p, 0, false, (size_t)n, false, replay ? replay : frame);
		else
			send_media(p, 0, false, 80, false, NULL);
		p->ts[0] += 960; /* 20 ms at 48 kHz */
	}
	if (p->venc) {
		send_real_video(p, now);
		return;
	}
	int64_t step = 1000 / (int64_t)p->vpps;
	for (int i = 0; p->send_v && now >= p->next_send[1] && i < 8; i++) {
		p->next_send[1] = p->next_send[1] && now - p->next_send[1] < 100 ? p->next_send[1] + (step ? step : 1)
										 : now + (step ? step : 1);
		bool key = now >= p->next_key_ms, end = (p->seq[1] % 3) == 2;
		if (key)
			p->next_key_ms = now + 3000;
		send_media(p, 1, end, p->vsize, key, NULL);
		if (end)
			p->ts[1] += 3000; /* 30 fps at 90 kHz, three packets a frame */
	}
}

void peer_poll(struct peer *p, int64_t now_ms)
{
	receive_all(p, now_ms);
	peer_tick(p, now_ms);
}

void peer_tick(struct peer *p, int64_t now_ms)
{
	if (!p->tr)
		return;
	transport_tick(p->tr, now_ms);
	if (transport_state(p->tr) == TRANSPORT_CONNECTED)
		send_due(p, now_ms);
}

void peer_set_sending(struct peer *p, bool audio, bool video)
{
	p->send_a = audio, p->send_v = video;
}

static int send_rtcp(struct peer *p, uint8_t *buf, int n)
{
	size_t len = n > 0 ? (size_t)n : 0;
	const struct ice_addr *to = p->tr ? transport_remote(p->tr, NULL) : NULL;
	if (!len || !to || transport_protect_rtcp(p->tr, buf, &len, 1500))
		return -1;
	peer_send(p, buf, len, to);
	return 0;
}

int peer_send_pli(struct peer *p)
{
	uint8_t buf[1500];
	struct rtcp_fb fb = {.sender_ssrc = p->rtcp_ssrc, .media_ssrc = p->st.video.last_ssrc};
	return send_rtcp(p, buf, rtcp_pli_build(buf, 1400, &fb));
}

int peer_send_nack(struct peer *p, uint16_t seq)
{
	uint8_t buf[1500];
	struct rtcp_fb fb = {.sender_ssrc = p->rtcp_ssrc, .media_ssrc = p->st.video.last_ssrc};
	return send_rtcp(p, buf, rtcp_nack_build(buf, 1400, &fb, &seq, 1));
}

/* NACKs for count sequence numbers from first on, PEER_NACK_SEQS per NACK packet, compound up to ~1200 bytes. */
static void nack_range(struct peer *p, uint32_t ssrc, uint16_t first, unsigned count)
{
	uint8_t buf[1500];
	uint16_t seqs[PEER_NACK_SEQS];
	size_t len = 0;
	struct rtcp_fb fb = {.sender_ssrc = p->rtcp_ssrc, .media_ssrc = ssrc};
	for (unsigned done = 0; done < count;) {
		unsigned n = count - done < PEER_NACK_SEQS ? count - done : PEER_NACK_SEQS;
		for (unsigned i = 0; i < n; i++)
			seqs[i] = (uint16_t)(first + done + i);
		if (len > 1100) {
			send_rtcp(p, buf, (int)len);
			len = 0;
		}
		int w = rtcp_nack_build(buf + len, 1200 - len, &fb, seqs, n);
		if (w <= 0)
			break;
		len += (size_t)w, done += n;
		p->st.tx_nack++;
	}
	if (len)
		send_rtcp(p, buf, (int)len);
}

/* hostile_nack: every media SSRC we know, received or only announced. The server's first output sequence
 * number is predictable (ssrc >> 16), so streams not yet seen are asked for around it. */
static void send_hostile_nacks(struct peer *p)
{
	for (size_t i = 0; i < p->n_rs; i++) {
		const struct peer_rstream *s = &p->rs[i];
		if (s->seen)
			nack_range(p, s->pub.ssrc, (uint16_t)(s->pub.last_seq - 100), 401);
		else
			nack_range(p, s->pub.ssrc, (uint16_t)((s->pub.ssrc >> 16) - 512), 1025);
	}
}

uint16_t peer_last_video_seq(const struct peer *p)
{
	return p->rx[1].last_seq;
}
void peer_stats_get(const struct peer *p, struct peer_stats *out)
{
	*out = p->st;
}

size_t peer_streams_get(const struct peer *p, struct peer_stream *out, size_t max)
{
	size_t n = 0;
	for (; n < max && n < p->n_rs; n++) {
		out[n] = p->rs[n].pub;
		if (p->rs[n].audio)
			peer_audio_rx_tone(p->rs[n].audio, &out[n].tone_hz, &out[n].tone_share);
	}
	return n;
}

double peer_stream_tone_share(const struct peer *p, uint32_t ssrc, unsigned hz)
{
	for (size_t i = 0; i < p->n_rs; i++)
		if (p->rs[i].pub.ssrc == ssrc && p->rs[i].audio)
			return peer_audio_rx_share(p->rs[i].audio, hz);
	return 0;
}

void peer_stats_reset(struct peer *p)
{
	uint32_t a = p->st.audio.last_ssrc, v = p->st.video.last_ssrc;
	memset(&p->st, 0, sizeof p->st);
	p->st.audio.last_ssrc = a, p->st.video.last_ssrc = v;
	p->rx[0].init = p->rx[1].init = false;
}

enum transport_state peer_state(const struct peer *p)
{
	return p->tr ? transport_state(p->tr) : TRANSPORT_NEW;
}
int peer_fd(const struct peer *p)
{
	return p->fd;
}
uint32_t peer_ssrc(const struct peer *p, bool video)
{
	return p->ssrc[video ? 1 : 0];
}
