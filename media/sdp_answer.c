/* sdp_answer.c: the ICE-lite server's SDP answer to a browser offer (JSEP RFC 8829 §5.3, BUNDLE + rtcp-mux only). */
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
 * - rtcp-fb is cut to SDP_FB_HANDLED, extmaps to SDP_EXT_MID / SDP_EXT_ABS_SEND_TIME / SDP_EXT_AUDIO_LEVEL;
 * - direction mirrored; ICE-lite, our ufrag/pwd, sha-256 fingerprint, a=setup:passive in each accepted section;
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
        enum sdp_setup st = sdp_media_setup(o, m); /* RFC 5763 §5: we are passive, so they must be able to be active */
        if (st == SDP_SETUP_PASSIVE || st == SDP_SETUP_HOLDCONN)
            return SDP_ERR_SETUP;
    }
    return SDP_OK;
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
            if (strcmp(m->extmaps[i].uri, handled_ext[j]) == 0) {
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
    if (u < 4 || u >= SDP_ICE_MAX || w < 22 || w >= SDP_ICE_MAX || ip == 0 || ip >= SDP_ADDR_MAX) /* RFC 8839 §5.4 */
        return SDP_ERR_ARG;
    if (strpbrk(p->ice_ufrag, " \r\n") || strpbrk(p->ice_pwd, " \r\n") || strpbrk(p->cand_ip, " \r\n"))
        return SDP_ERR_ARG;
    return SDP_OK;
}

static int build(struct sdp_session *ans, const struct sdp_session *o, const struct sdp_answer_params *p)
{
    int rc = check_params(p);
    if (rc || (rc = check_offer(o)))
        return rc;
    memset(ans, 0, sizeof *ans);
    strcpy(ans->origin_user, "-");
    if (!setstr(ans->origin_sess_id, sizeof ans->origin_sess_id, p->session_id ? p->session_id : "1") ||
        strspn(ans->origin_sess_id, "0123456789") != strlen(ans->origin_sess_id) || !ans->origin_sess_id[0])
        return SDP_ERR_ARG;
    strcpy(ans->origin_sess_version, "2");
    strcpy(ans->origin_addr, "127.0.0.1");
    strcpy(ans->name, "-");
    ans->ice_lite = true; /* RFC 8445 §2.5 */
    ans->has_bundle = true;
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
