/* sdp_answer.c: the ICE-lite server's side of SDP negotiation: answers to browser offers, its own offers (JSEP RFC 8829). */
#include "media/sdp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Rules, in the order they are applied:
 * - the offer needs a=group:BUNDLE (RFC 8843); sections not in it are rejected (port 0);
 * - every audio/video RTP section that could be accepted needs a=rtcp-mux (RFC 8858 style, else the whole offer
 *   fails with SDP_ERR_NO_RTCP_MUX), ICE credentials and a fingerprint; a=setup must be actpass or active;
 * - audio: Opus/48000/2; video: VP8 or H.264 constrained baseline with packetization-mode=1 (preference from
 *   params), plus the RTX payload type bound to it; payload types are the offer's;
 * - rtcp-fb is cut to SDP_FB_HANDLED, extmaps to SDP_EXT_MID / SDP_EXT_ABS_SEND_TIME / SDP_EXT_AUDIO_LEVEL with
 *   ids 1..14 (the one-byte form the SFU writes, RFC 8285 §4.2); within the BUNDLE group one id must name one
 *   extension and one extension one id (RFC 8843 §9.2), else the offer fails with SDP_ERR_EXTMAP;
 * - direction mirrored (with quiet_unsent, a section the server sends nothing on is recvonly or inactive); ICE-lite, our ufrag/pwd, sha-256 fingerprint, a=setup:passive in each accepted section;
 * - one host candidate and a=end-of-candidates in the first accepted section;
 * - SSRC/msid of what the server sends, when the caller gives them and the direction lets us send. */

static const char *const handled_ext[] = {SDP_EXT_MID, SDP_EXT_ABS_SEND_TIME, SDP_EXT_AUDIO_LEVEL};

static bool setstr(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool in_bundle(const struct sdp_session *o, const char *mid)
{
	for (unsigned i = 0; mid[0] && i < o->n_bundle; i++)
		if (strcmp(o->bundle[i], mid) == 0)
			return true;
	return false;
}

/* A section we would like to accept, before codec negotiation. */
static bool candidate_section(const struct sdp_session *o, const struct sdp_media *m)
{
	return m->rtp && (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO) && (m->port || m->bundle_only) &&
	    in_bundle(o, m->mid);
}

/* RFC 8843 §9.2 / RFC 8285 §5: in one BUNDLE group an id means one extension, and an extension has one id. */
static int check_extmaps(const struct sdp_session *o)
{
	for (unsigned i = 0; i < o->n_media; i++)
		for (unsigned j = i; candidate_section(o, &o->media[i]) && j < o->n_media; j++) {
			const struct sdp_media *a = &o->media[i], *b = &o->media[j];
			if (!candidate_section(o, b))
				continue;
			for (unsigned x = 0; x < a->n_extmaps; x++)
				for (unsigned y = 0; y < b->n_extmaps; y++) {
					bool same_id = a->extmaps[x].id == b->extmaps[y].id;
					bool same_uri = strcmp(a->extmaps[x].uri, b->extmaps[y].uri) == 0;
					if ((i != j || x != y) && same_id != same_uri)
						return SDP_ERR_EXTMAP;
				}
		}
	return SDP_OK;
}

static int check_offer(const struct sdp_session *o)
{
	if (!o->has_bundle)
		return SDP_ERR_NO_BUNDLE;
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &o->media[i];
		if (!candidate_section(o, m))
			continue;
		if (!m->rtcp_mux) /* RFC 8829 §5.3.1: we only do rtcp-mux */
			return SDP_ERR_NO_RTCP_MUX;
		if (!sdp_media_ice_ufrag(o, m)[0] || !sdp_media_ice_pwd(o, m)[0]) /* RFC 8839 §5.4 */
			return SDP_ERR_NO_ICE;
		if (!sdp_media_fingerprint(o, m)->len) /* RFC 8122 §5 */
			return SDP_ERR_NO_FINGERPRINT;
		enum sdp_setup st =
		    sdp_media_setup(o, m); /* RFC 5763 §5: we are passive, so they must be able to be active */
		if (st == SDP_SETUP_PASSIVE || st == SDP_SETUP_HOLDCONN)
			return SDP_ERR_SETUP;
	}
	return check_extmaps(o);
}

/* RFC 6184 §8.1 / RFC 6184 Table 5: constrained baseline = 42 x1xx0000, 4D 1xxx0000 or 58 11xx0000. */
static bool h264_ok(const struct sdp_codec *k)
{
	char pm[8], pli[8];
	unsigned idc, iop;
	if (!sdp_fmtp_get(k->fmtp, "packetization-mode", pm, sizeof pm) || strcmp(pm, "1") != 0)
		return false;
	if (!sdp_fmtp_get(k->fmtp, "profile-level-id", pli, sizeof pli) || strlen(pli) != 6 ||
	    sscanf(pli, "%2x%2x", &idc, &iop) != 2)
		return false;
	return (idc == 0x42 && (iop & 0x4F) == 0x40) || (idc == 0x4D && (iop & 0x8F) == 0x80) ||
	    (idc == 0x58 && (iop & 0xCF) == 0xC0);
}

static bool codec_is(const struct sdp_codec *k, const char *name, uint32_t clock)
{
	return k->has_rtpmap && strcasecmp(k->name, name) == 0 && k->clock == clock;
}

static const struct sdp_codec *find_codec(const struct sdp_media *m, int which)
{
	for (unsigned i = 0; i < m->n_codecs; i++) {
		const struct sdp_codec *k = &m->codecs[i];
		if (which == 0 && codec_is(k, "opus", 48000) && k->channels == 2) /* RFC 7587 §7 */
			return k;
		if (which == 1 && codec_is(k, "VP8", 90000))
			return k;
		if (which == 2 && codec_is(k, "H264", 90000) && h264_ok(k))
			return k;
	}
	return NULL;
}

static const struct sdp_codec *find_rtx(const struct sdp_media *m, uint8_t apt)
{
	char v[8], want[8];
	snprintf(want, sizeof want, "%u", apt);
	for (unsigned i = 0; i < m->n_codecs; i++) /* RFC 4588 §8.6: apt binds RTX to its original payload type */
		if (codec_is(&m->codecs[i], "rtx", 90000) && sdp_fmtp_get(m->codecs[i].fmtp, "apt", v, sizeof v) &&
		    strcmp(v, want) == 0)
			return &m->codecs[i];
	return NULL;
}

static void add_codec(struct sdp_media *a, const struct sdp_codec *k)
{
	a->codecs[a->n_codecs] = *k;
	a->codecs[a->n_codecs].fb &= SDP_FB_HANDLED;
	a->n_codecs++;
}

/* Chooses the codecs; false if the section has none we take. */
static bool negotiate_codecs(struct sdp_media *a, const struct sdp_media *m, enum sdp_video_pref pref)
{
	const struct sdp_codec *k;
	if (m->kind == SDP_KIND_AUDIO)
		k = find_codec(m, 0);
	else if (pref == SDP_PREFER_H264)
		k = (k = find_codec(m, 2)) ? k : find_codec(m, 1);
	else
		k = (k = find_codec(m, 1)) ? k : find_codec(m, 2);
	if (!k)
		return false;
	add_codec(a, k);
	const struct sdp_codec *rtx = m->kind == SDP_KIND_VIDEO ? find_rtx(m, k->pt) : NULL;
	if (rtx)
		add_codec(a, rtx);
	return true;
}

static void filter_extmaps(struct sdp_media *a, const struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_extmaps; i++)
		for (size_t j = 0; j < sizeof handled_ext / sizeof handled_ext[0]; j++)
			if (strcmp(m->extmaps[i].uri, handled_ext[j]) == 0 && m->extmaps[i].id >= 1 &&
			    m->extmaps[i].id <= 14) {
				a->extmaps[a->n_extmaps] = m->extmaps[i];
				a->extmaps[a->n_extmaps++].dir = SDP_DIR_NONE;
			}
}

static enum sdp_dir mirror(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDONLY: return SDP_DIR_RECVONLY;
	case SDP_DIR_RECVONLY: return SDP_DIR_SENDONLY;
	case SDP_DIR_INACTIVE: return SDP_DIR_INACTIVE;
	default: return SDP_DIR_SENDRECV; /* RFC 3264 §6.1: absent means sendrecv */
	}
}

static int add_send_track(struct sdp_media *a, const struct sdp_send_track *t)
{
	const char *cname = t->cname ? t->cname : "samvaer";
	if ((t->stream_id && !setstr(a->msid_stream, SDP_TOKEN_MAX, t->stream_id)) ||
	    (t->track_id && !setstr(a->msid_track, SDP_TOKEN_MAX, t->track_id)))
		return SDP_ERR_ARG;
	a->ssrcs[0].ssrc = t->ssrc;
	if (!setstr(a->ssrcs[0].cname, SDP_TOKEN_MAX, cname))
		return SDP_ERR_ARG;
	a->n_ssrcs = 1;
	if (t->rtx_ssrc && a->kind == SDP_KIND_VIDEO && a->n_codecs > 1) { /* RFC 4588 §8.7: FID group */
		a->ssrcs[1] = a->ssrcs[0];
		a->ssrcs[1].ssrc = t->rtx_ssrc;
		a->n_ssrcs = 2;
		struct sdp_ssrc_group *g = &a->ssrc_groups[a->n_ssrc_groups++];
		strcpy(g->semantics, "FID");
		g->ssrcs[0] = t->ssrc, g->ssrcs[1] = t->rtx_ssrc, g->count = 2;
	}
	return SDP_OK;
}

static void set_transport(struct sdp_media *a, const struct sdp_answer_params *p)
{
	setstr(a->tr.ice_ufrag, SDP_ICE_MAX, p->ice_ufrag); /* lengths checked in check_params */
	setstr(a->tr.ice_pwd, SDP_ICE_MAX, p->ice_pwd);
	strcpy(a->tr.fingerprint.alg, "sha-256");
	memcpy(a->tr.fingerprint.hash, p->dtls_sha256, 32);
	a->tr.fingerprint.len = 32;
	a->tr.setup = SDP_SETUP_PASSIVE; /* RFC 5763 §5: the answerer picks; the ICE-lite server waits for the client */
	setstr(a->conn_addr, SDP_ADDR_MAX, p->cand_ip);
	a->conn_v6 = strchr(p->cand_ip, ':') != NULL;
	a->port = p->cand_port;
}

static void add_host_candidate(struct sdp_media *a, const struct sdp_answer_params *p)
{
	struct sdp_candidate *c = &a->candidates[a->n_candidates++];
	strcpy(c->foundation, "1");
	c->component = 1;
	strcpy(c->transport, "udp");
	c->priority = (126u << 24) | (65535u << 8) | 255u; /* RFC 8445 §5.1.2.1: host type preference 126 */
	setstr(c->addr, SDP_ADDR_MAX, p->cand_ip);
	c->port = p->cand_port;
	strcpy(c->type, "host");
	a->end_of_candidates = true;
}

/* Fills answer section a for offer section m: 1 accepted, 0 rejected (port 0), negative sdp_err. */
static int answer_section(struct sdp_session *ans, struct sdp_media *a, const struct sdp_session *o,
			  const struct sdp_media *m, const struct sdp_answer_params *p, unsigned idx)
{
	a->kind = m->kind;
	memcpy(a->media, m->media, sizeof a->media);
	memcpy(a->proto, m->proto, sizeof a->proto);
	memcpy(a->mid, m->mid, sizeof a->mid);
	a->rtp = m->rtp;
	memcpy(a->fmt_other, m->fmt_other, sizeof a->fmt_other);
	if (!candidate_section(o, m) || !negotiate_codecs(a, m, p->video_pref)) {
		if (m->rtp) { /* RFC 8829 §5.3.1: rejected: port 0, a format from the offer kept for syntax */
			a->codecs[0].pt = m->codecs[0].pt;
			a->n_codecs = 1;
		}
		return 0;
	}
	set_transport(a, p);
	a->dir = mirror(m->dir);
	bool has_track = p->send && idx < p->n_send && p->send[idx].ssrc;
	if (p->quiet_unsent && !has_track)
		a->dir = a->dir == SDP_DIR_SENDRECV ? SDP_DIR_RECVONLY
		    : a->dir == SDP_DIR_SENDONLY    ? SDP_DIR_INACTIVE
						    : a->dir;
	a->rtcp_mux = true;
	a->rtcp_rsize = m->rtcp_rsize;
	filter_extmaps(a, m);
	if (ans->n_bundle == 0)
		add_host_candidate(a, p);
	memcpy(ans->bundle[ans->n_bundle++], m->mid, SDP_TOKEN_MAX);
	bool sends = a->dir == SDP_DIR_SENDRECV || a->dir == SDP_DIR_SENDONLY;
	if (sends && p->send && idx < p->n_send && p->send[idx].ssrc) {
		int rc = add_send_track(a, &p->send[idx]);
		if (rc)
			return rc;
	}
	return 1;
}

static int check_params(const struct sdp_answer_params *p)
{
	if (!p || !p->ice_ufrag || !p->ice_pwd || !p->dtls_sha256 || !p->cand_ip || !p->cand_port)
		return SDP_ERR_ARG;
	size_t u = strlen(p->ice_ufrag), w = strlen(p->ice_pwd), ip = strlen(p->cand_ip);
	if (u < 4 || u >= SDP_ICE_MAX || w < 22 || w >= SDP_ICE_MAX || ip == 0 ||
	    ip >= SDP_ADDR_MAX) /* RFC 8839 §5.4 */
		return SDP_ERR_ARG;
	if (strpbrk(p->ice_ufrag, " \r\n") || strpbrk(p->ice_pwd, " \r\n") || strpbrk(p->cand_ip, " \r\n"))
		return SDP_ERR_ARG;
	return SDP_OK;
}

static bool decimal(const char *s)
{
	return s[0] && strspn(s, "0123456789") == strlen(s);
}

/* o=, s=, a=ice-lite and an empty BUNDLE group. */
static int init_session(struct sdp_session *s, const struct sdp_answer_params *p, const char *version)
{
	memset(s, 0, sizeof *s);
	strcpy(s->origin_user, "-");
	if (!setstr(s->origin_sess_id, sizeof s->origin_sess_id, p->session_id ? p->session_id : "1") ||
	    !setstr(s->origin_sess_version, sizeof s->origin_sess_version, version) || !decimal(s->origin_sess_id) ||
	    !decimal(s->origin_sess_version))
		return SDP_ERR_ARG;
	strcpy(s->origin_addr, "127.0.0.1");
	strcpy(s->name, "-");
	s->ice_lite = true; /* RFC 8445 §2.5 */
	s->has_bundle = true;
	return SDP_OK;
}

static int build(struct sdp_session *ans, const struct sdp_session *o, const struct sdp_answer_params *p)
{
	int rc = check_params(p);
	if (rc || (rc = check_offer(o)) || (rc = init_session(ans, p, "2")))
		return rc;
	ans->n_media = o->n_media; /* RFC 3264 §6: same number and order of m-lines */
	for (unsigned i = 0; i < o->n_media; i++) {
		rc = answer_section(ans, &ans->media[i], o, &o->media[i], p, i);
		if (rc < 0)
			return rc;
	}
	return ans->n_bundle ? SDP_OK : SDP_ERR_NO_MEDIA;
}

int sdp_answer_build(struct sdp_session *ans, const struct sdp_session *offer, const struct sdp_answer_params *p,
		     const char **err)
{
	int rc = ans && offer ? build(ans, offer, p) : SDP_ERR_ARG;
	if (err)
		*err = sdp_strerror(rc);
	return rc;
}

/* ---- the server's own offer (SFU downstream) ---- */

static void offer_codecs(struct sdp_media *m, const struct sdp_offer_section *sec)
{
	struct sdp_codec *k = &m->codecs[m->n_codecs++];
	k->pt = sec->pt;
	k->has_rtpmap = true;
	if (sec->kind == SDP_KIND_AUDIO) { /* RFC 7587 §7 */
		strcpy(k->name, "opus"), k->clock = 48000, k->channels = 2;
		strcpy(k->fmtp, "minptime=10;useinbandfec=1");
		return;
	}
	k->clock = 90000, k->fb = SDP_FB_HANDLED;
	strcpy(k->name, sec->h264 ? "H264" : "VP8");
	if (sec->h264) /* RFC 6184 §8.1 */
		strcpy(k->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
	if (sec->rtx_pt) { /* RFC 4588 §8.6 */
		struct sdp_codec *r = &m->codecs[m->n_codecs++];
		r->pt = sec->rtx_pt, r->has_rtpmap = true, r->clock = 90000;
		strcpy(r->name, "rtx");
		snprintf(r->fmtp, sizeof r->fmtp, "apt=%u", sec->pt);
	}
}

static void offer_extmaps(struct sdp_media *m)
{
	struct sdp_extmap *e = &m->extmaps[m->n_extmaps++];
	e->id = SDP_OFFER_EXTID_MID;
	strcpy(e->uri, SDP_EXT_MID);
	e = &m->extmaps[m->n_extmaps++];
	e->id = m->kind == SDP_KIND_AUDIO ? SDP_OFFER_EXTID_AUDIO_LEVEL : SDP_OFFER_EXTID_ABS_SEND_TIME;
	strcpy(e->uri, m->kind == SDP_KIND_AUDIO ? SDP_EXT_AUDIO_LEVEL : SDP_EXT_ABS_SEND_TIME);
}

static int offer_section(struct sdp_session *o, const struct sdp_offer_section *sec, const struct sdp_answer_params *p)
{
	struct sdp_media *m = &o->media[o->n_media++];
	bool video = sec->kind == SDP_KIND_VIDEO;
	if ((!video && sec->kind != SDP_KIND_AUDIO) || !sec->mid || !sec->mid[0] || strpbrk(sec->mid, " \r\n") ||
	    sec->pt > 127 || sec->rtx_pt > 127 || (sec->rtx_pt && (sec->rtx_pt == sec->pt || !video)) ||
	    !setstr(m->mid, SDP_TOKEN_MAX, sec->mid) || sec->dir > SDP_DIR_INACTIVE)
		return SDP_ERR_ARG;
	for (unsigned i = 0; i < o->n_bundle; i++)
		if (strcmp(o->bundle[i], sec->mid) == 0)
			return SDP_ERR_ARG; /* mids are unique (RFC 8843 §7.2) */
	m->kind = sec->kind;
	strcpy(m->media, video ? "video" : "audio");
	strcpy(m->proto, "UDP/TLS/RTP/SAVPF");
	m->rtp = true;
	set_transport(m, p);
	m->tr.setup = SDP_SETUP_ACTPASS; /* RFC 5763 §5: the offerer says actpass */
	m->dir = sec->dir ? sec->dir : SDP_DIR_SENDRECV;
	m->rtcp_mux = true;
	m->rtcp_rsize = video;
	offer_codecs(m, sec);
	offer_extmaps(m);
	if (o->n_bundle == 0)
		add_host_candidate(m, p);
	memcpy(o->bundle[o->n_bundle++], m->mid, SDP_TOKEN_MAX);
	bool sends = m->dir == SDP_DIR_SENDRECV || m->dir == SDP_DIR_SENDONLY;
	return sends && sec->send.ssrc ? add_send_track(m, &sec->send) : SDP_OK;
}

int sdp_offer_build(struct sdp_session *offer, const struct sdp_answer_params *p, const char *session_version,
		    const struct sdp_offer_section *sections, size_t n_sections, const char **err)
{
	int rc = offer && (sections || !n_sections) ? check_params(p) : SDP_ERR_ARG;
	if (rc == SDP_OK && (n_sections == 0 || n_sections > SDP_MAX_MEDIA))
		rc = SDP_ERR_ARG;
	if (rc == SDP_OK)
		rc = init_session(offer, p, session_version ? session_version : "1");
	for (size_t i = 0; rc == SDP_OK && i < n_sections; i++)
		rc = offer_section(offer, &sections[i], p);
	if (err)
		*err = sdp_strerror(rc);
	return rc;
}

/* ---- checking the peer's answer to our offer ---- */

static bool dir_ok(enum sdp_dir offered, enum sdp_dir answered)
{
	offered = offered ? offered : SDP_DIR_SENDRECV; /* RFC 3264 §6.1 table */
	answered = answered ? answered : SDP_DIR_SENDRECV;
	return answered == SDP_DIR_INACTIVE || offered == SDP_DIR_SENDRECV || answered == mirror(offered);
}

static int check_section(const struct sdp_session *o, const struct sdp_media *om, const struct sdp_session *a,
			 const struct sdp_media *am)
{
	if (strcmp(om->mid, am->mid) != 0 || om->kind != am->kind || strcmp(om->proto, am->proto) != 0)
		return SDP_ERR_MISMATCH; /* RFC 3264 §6: same order; RFC 8843 §7.3: same mid */
	if (am->port == 0)
		return SDP_OK; /* rejected */
	if (!in_bundle(a, am->mid))
		return SDP_ERR_NO_BUNDLE;
	if (!am->rtcp_mux)
		return SDP_ERR_NO_RTCP_MUX;
	if (!sdp_media_ice_ufrag(a, am)[0] || !sdp_media_ice_pwd(a, am)[0])
		return SDP_ERR_NO_ICE;
	if (!sdp_media_fingerprint(a, am)->len)
		return SDP_ERR_NO_FINGERPRINT;
	if (sdp_media_setup(a, am) != SDP_SETUP_ACTIVE) /* RFC 5763 §5: answer to actpass is active or passive */
		return SDP_ERR_SETUP;
	if (!dir_ok(om->dir, am->dir) || am->n_codecs == 0 || !am->rtp)
		return SDP_ERR_MISMATCH;
	for (unsigned i = 0; i < am->n_codecs; i++) { /* RFC 3264 §6.1: answer payload types come from the offer */
		const struct sdp_codec *ak = &am->codecs[i], *ok = sdp_media_codec(om, ak->pt);
		if (!ok || (ak->has_rtpmap && strcasecmp(ak->name, ok->name) != 0))
			return SDP_ERR_MISMATCH;
	}
	return SDP_OK;
}

int sdp_answer_check(const struct sdp_session *offer, const struct sdp_session *answer, const char **err)
{
	int rc = offer && answer ? SDP_OK : SDP_ERR_ARG;
	if (rc == SDP_OK && answer->n_media != offer->n_media)
		rc = SDP_ERR_MISMATCH;
	if (rc == SDP_OK && !answer->has_bundle)
		rc = SDP_ERR_NO_BUNDLE;
	for (unsigned i = 0; rc == SDP_OK && i < answer->n_media; i++)
		rc = check_section(offer, &offer->media[i], answer, &answer->media[i]);
	if (err)
		*err = sdp_strerror(rc);
	return rc;
}
