/* sdp.c: SDP parser and serializer (RFC 8866 lines, the WebRTC attributes of RFC 8829/8839/8842/8843/4585/8285). */
#include "media/sdp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const sdp_messages[] = {
#define SDP_X_MSG(name, val, msg) [-(val)] = msg,
    SDP_ERRORS(SDP_X_MSG)
#undef SDP_X_MSG
};

const char *sdp_strerror(int code)
{
	if (code > 0 || -code >= (int)(sizeof sdp_messages / sizeof sdp_messages[0]))
		return "sdp: unknown error";
	return sdp_messages[-code];
}

/* ---- spans and tokens ---- */

struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span a, const char *lit)
{
	return a.n == strlen(lit) && memcmp(a.p, lit, a.n) == 0;
}

/* Next space-separated token of *s (runs of spaces are one separator). False if none. */
static bool next_tok(struct span *s, struct span *tok)
{
	while (s->n && *s->p == ' ')
		s->p++, s->n--;
	if (!s->n)
		return false;
	size_t i = 0;
	while (i < s->n && s->p[i] != ' ')
		i++;
	*tok = (struct span){s->p, i};
	s->p += i, s->n -= i;
	return true;
}

static struct span rest(struct span s)
{
	while (s.n && *s.p == ' ')
		s.p++, s.n--;
	return s;
}

/* Split at the first c: head before, *tail after (tail.p NULL if c is absent). */
static struct span split_at(struct span s, char c, struct span *tail)
{
	const char *q = memchr(s.p, c, s.n);
	if (!q) {
		*tail = (struct span){NULL, 0};
		return s;
	}
	*tail = (struct span){q + 1, s.n - (size_t)(q + 1 - s.p)};
	return (struct span){s.p, (size_t)(q - s.p)};
}

static int copy(char *dst, size_t cap, struct span v)
{
	if (v.n >= cap)
		return SDP_ERR_LIMIT;
	memcpy(dst, v.p, v.n);
	memset(dst + v.n, 0, cap - v.n); /* no stale bytes from an earlier, longer value: structs compare with memcmp */
	return SDP_OK;
}

static bool parse_u64(struct span v, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	if (v.n == 0 || v.n > 20)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		unsigned d = (unsigned)(v.p[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

static bool parse_num(struct span v, uint32_t max, uint32_t *out)
{
	uint64_t x;
	if (!parse_u64(v, max, &x))
		return false;
	*out = (uint32_t)x;
	return true;
}

static enum sdp_dir dir_of(struct span v)
{
	static const char *const names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};
	for (int i = 1; i < 5; i++)
		if (span_is(v, names[i]))
			return (enum sdp_dir)i;
	return SDP_DIR_NONE;
}

/* ---- parse context ---- */

struct ctx {
	struct sdp_session *s;
	struct sdp_media *m; /* current m-section, NULL at session level */
	bool seen_v, seen_o, seen_s;
};

static struct sdp_transport *cur_tr(struct ctx *c)
{
	return c->m ? &c->m->tr : &c->s->tr;
}

static struct sdp_codec *codec_by_pt(struct sdp_media *m, struct span v)
{
	uint32_t pt;
	if (!parse_num(v, 127, &pt))
		return NULL;
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>   RFC 8866 §5.2 */
static int parse_origin(struct ctx *c, struct span v)
{
	struct span t[6], extra;
	uint64_t x;
	for (int i = 0; i < 6; i++)
		if (!next_tok(&v, &t[i]))
			return SDP_ERR_ORIGIN;
	if (next_tok(&v, &extra) || !parse_u64(t[1], UINT64_MAX, &x) || !parse_u64(t[2], UINT64_MAX, &x) ||
	    !span_is(t[3], "IN") || !(span_is(t[4], "IP4") || span_is(t[4], "IP6")))
		return SDP_ERR_ORIGIN;
	c->s->origin_v6 = span_is(t[4], "IP6");
	if (copy(c->s->origin_user, sizeof c->s->origin_user, t[0]) || copy(c->s->origin_sess_id, 32, t[1]) ||
	    copy(c->s->origin_sess_version, 32, t[2]) || copy(c->s->origin_addr, SDP_ADDR_MAX, t[5]))
		return SDP_ERR_LIMIT;
	c->seen_o = true;
	return SDP_OK;
}

/* c=<nettype> <addrtype> <connection-address>   RFC 8866 §5.7 (a /ttl suffix is dropped) */
static int parse_conn(struct ctx *c, struct span v)
{
	struct span net, type, addr, extra, ttl;
	if (!next_tok(&v, &net) || !next_tok(&v, &type) || !next_tok(&v, &addr) || next_tok(&v, &extra) ||
	    !span_is(net, "IN") || !(span_is(type, "IP4") || span_is(type, "IP6")))
		return SDP_ERR_CONNECTION;
	addr = split_at(addr, '/', &ttl);
	char *dst = c->m ? c->m->conn_addr : c->s->conn_addr;
	*(c->m ? &c->m->conn_v6 : &c->s->conn_v6) = span_is(type, "IP6");
	if (addr.n == 0)
		return SDP_ERR_CONNECTION;
	return copy(dst, SDP_ADDR_MAX, addr);
}

static int add_fmt(struct sdp_media *m, struct span t)
{
	uint32_t pt;
	if (!parse_num(t, 127, &pt)) /* RFC 3551: RTP payload types are 0..127 */
		return SDP_ERR_MEDIA;
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return SDP_ERR_MEDIA;
	if (m->n_codecs == SDP_MAX_CODECS)
		return SDP_ERR_LIMIT;
	m->codecs[m->n_codecs++].pt = (uint8_t)pt;
	return SDP_OK;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ...   RFC 8866 §5.14 */
static int parse_media(struct ctx *c, struct span v)
{
	struct span media, port, proto, t, nports;
	uint32_t x;
	if (c->s->n_media == SDP_MAX_MEDIA)
		return SDP_ERR_LIMIT;
	struct sdp_media *m = c->m = &c->s->media[c->s->n_media++];
	if (!next_tok(&v, &media) || !next_tok(&v, &port) || !next_tok(&v, &proto))
		return SDP_ERR_MEDIA;
	port = split_at(port, '/', &nports);
	if (!parse_num(port, 65535, &x) || (nports.p && !parse_num(nports, 65535, &(uint32_t){0})))
		return SDP_ERR_MEDIA;
	m->port = (uint16_t)x;
	if (copy(m->media, sizeof m->media, media) || copy(m->proto, sizeof m->proto, proto))
		return SDP_ERR_LIMIT;
	m->kind = span_is(media, "audio")   ? SDP_KIND_AUDIO
	    : span_is(media, "video")       ? SDP_KIND_VIDEO
	    : span_is(media, "application") ? SDP_KIND_APPLICATION
					    : SDP_KIND_OTHER;
	m->rtp = strstr(m->proto, "RTP/") != NULL;
	if (!m->rtp) { /* e.g. UDP/DTLS/SCTP webrtc-datachannel: keep the formats verbatim */
		struct span fmts = rest(v);
		return fmts.n == 0 ? SDP_ERR_MEDIA : copy(m->fmt_other, sizeof m->fmt_other, fmts);
	}
	while (next_tok(&v, &t)) {
		int rc = add_fmt(m, t);
		if (rc)
			return rc;
	}
	return m->n_codecs ? SDP_OK : SDP_ERR_MEDIA; /* at least one format */
}

/* ---- attributes ---- */

/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]   RFC 8866 §6.6 */
static int a_rtpmap(struct ctx *c, struct span v)
{
	struct span pt, enc, clock, chans;
	uint32_t rate, ch = 0;
	if (!next_tok(&v, &pt) || !next_tok(&v, &enc))
		return SDP_ERR_ATTR;
	struct sdp_codec *k = codec_by_pt(c->m, pt);
	struct span name = split_at(enc, '/', &clock);
	if (!clock.p)
		return SDP_ERR_ATTR;
	clock = split_at(clock, '/', &chans);
	if (!parse_num(clock, UINT32_MAX, &rate) || (chans.p && !parse_num(chans, 255, &ch)) || name.n == 0)
		return SDP_ERR_ATTR;
	if (!k) /* rtpmap for a payload type not on the m= line: ignored */
		return SDP_OK;
	k->has_rtpmap = true;
	k->clock = rate;
	k->channels = (uint8_t)ch;
	return copy(k->name, sizeof k->name, name);
}

/* a=fmtp:<format> <format specific parameters>   RFC 8866 §6.15 */
static int a_fmtp(struct ctx *c, struct span v)
{
	struct span pt;
	if (!next_tok(&v, &pt))
		return SDP_ERR_ATTR;
	struct sdp_codec *k = codec_by_pt(c->m, pt);
	return k ? copy(k->fmtp, sizeof k->fmtp, rest(v)) : SDP_OK;
}

/* a=rtcp-fb:<pt|*> <type> [<subtype>]   RFC 4585 §4.2, RFC 5104 §7.1 */
static int a_rtcp_fb(struct ctx *c, struct span v)
{
	struct span pt, type, sub = {"", 0};
	if (!next_tok(&v, &pt) || !next_tok(&v, &type))
		return SDP_ERR_ATTR;
	next_tok(&v, &sub);
	uint32_t bit = span_is(type, "nack")              ? (sub.n == 0                ? SDP_FB_NACK
								 : span_is(sub, "pli") ? SDP_FB_NACK_PLI
										       : 0)
	    : span_is(type, "ccm") && span_is(sub, "fir") ? SDP_FB_CCM_FIR
	    : span_is(type, "goog-remb")                  ? SDP_FB_GOOG_REMB
	    : span_is(type, "transport-cc")               ? SDP_FB_TRANSPORT_CC
							  : 0;
	if (span_is(pt, "*")) {
		for (unsigned i = 0; i < c->m->n_codecs; i++)
			c->m->codecs[i].fb |= bit;
		return SDP_OK;
	}
	struct sdp_codec *k = codec_by_pt(c->m, pt);
	if (k)
		k->fb |= bit;
	return SDP_OK;
}

/* a=extmap:<value>["/"<direction>] <URI> <extensionattributes>   RFC 8285 §8 */
static int a_extmap(struct ctx *c, struct span v)
{
	struct span idd, uri, dir;
	uint32_t id;
	if (!next_tok(&v, &idd) || !next_tok(&v, &uri))
		return SDP_ERR_ATTR;
	idd = split_at(idd, '/', &dir);
	if (!parse_num(idd, 255, &id) || id == 0 || (dir.p && dir_of(dir) == SDP_DIR_NONE))
		return SDP_ERR_ATTR;
	if (c->m->n_extmaps == SDP_MAX_EXTMAP)
		return SDP_ERR_LIMIT;
	struct sdp_extmap *e = &c->m->extmaps[c->m->n_extmaps++];
	e->id = (uint16_t)id;
	e->dir = dir.p ? dir_of(dir) : SDP_DIR_NONE;
	return copy(e->uri, sizeof e->uri, uri);
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0'
	    : ch >= 'a' && ch <= 'f'  ? ch - 'a' + 10
	    : ch >= 'A' && ch <= 'F'  ? ch - 'A' + 10
				      : -1;
}

/* a=fingerprint:<hash-func> <XX:XX:...>   RFC 8122 §5 */
static int a_fingerprint(struct ctx *c, struct span v)
{
	struct span alg, hex, extra;
	struct sdp_fingerprint *f = &cur_tr(c)->fingerprint;
	if (!next_tok(&v, &alg) || !next_tok(&v, &hex) || next_tok(&v, &extra) || (hex.n + 1) % 3)
		return SDP_ERR_ATTR;
	if ((hex.n + 1) / 3 > SDP_HASH_MAX)
		return SDP_ERR_LIMIT;
	memset(f->hash, 0, sizeof f->hash);
	for (size_t i = 0; i < hex.n; i += 3) {
		int hi = hexval(hex.p[i]), lo = hexval(hex.p[i + 1]);
		if (hi < 0 || lo < 0 || (i + 2 < hex.n && hex.p[i + 2] != ':'))
			return SDP_ERR_ATTR;
		f->hash[i / 3] = (uint8_t)(hi << 4 | lo);
	}
	f->len = (uint8_t)((hex.n + 1) / 3);
	return alg.n ? copy(f->alg, sizeof f->alg, alg) : SDP_ERR_ATTR;
}

/* a=setup:<role>   RFC 4145 §4 */
static int a_setup(struct ctx *c, struct span v)
{
	static const char *const roles[] = {"", "actpass", "active", "passive", "holdconn"};
	for (int i = 1; i < 5; i++)
		if (span_is(v, roles[i])) {
			cur_tr(c)->setup = (enum sdp_setup)i;
			return SDP_OK;
		}
	return SDP_ERR_ATTR;
}

static int a_ufrag(struct ctx *c, struct span v)
{
	return copy(cur_tr(c)->ice_ufrag, SDP_ICE_MAX, v);
}
static int a_pwd(struct ctx *c, struct span v)
{
	return copy(cur_tr(c)->ice_pwd, SDP_ICE_MAX, v);
}

static int a_ice_options(struct ctx *c, struct span v)
{
	struct span t;
	while (next_tok(&v, &t))
		if (span_is(t, "trickle"))
			cur_tr(c)->ice_trickle = true;
	return SDP_OK;
}

/* a=group:BUNDLE <mid> ...   RFC 8843 §7.1; only the first BUNDLE group is kept */
static int a_group(struct ctx *c, struct span v)
{
	struct span sem, mid;
	if (!next_tok(&v, &sem) || !span_is(sem, "BUNDLE") || c->s->has_bundle)
		return SDP_OK;
	c->s->has_bundle = true;
	while (next_tok(&v, &mid)) {
		if (c->s->n_bundle == SDP_MAX_MEDIA)
			return SDP_ERR_LIMIT;
		if (copy(c->s->bundle[c->s->n_bundle++], SDP_TOKEN_MAX, mid))
			return SDP_ERR_LIMIT;
	}
	return SDP_OK;
}

static int a_mid(struct ctx *c, struct span v)
{
	return copy(c->m->mid, SDP_TOKEN_MAX, v);
}

/* a=msid:<stream id> [<track id>]   RFC 8830 §2 */
static int a_msid(struct ctx *c, struct span v)
{
	struct span id, app = {"", 0};
	if (!next_tok(&v, &id))
		return SDP_ERR_ATTR;
	next_tok(&v, &app);
	return copy(c->m->msid_stream, SDP_TOKEN_MAX, id) ? SDP_ERR_LIMIT : copy(c->m->msid_track, SDP_TOKEN_MAX, app);
}

/* a=ssrc:<ssrc-id> <attribute>[:<value>]   RFC 5576 §4.1; only cname is kept */
static int a_ssrc(struct ctx *c, struct span v)
{
	struct span id, attr, val;
	uint32_t ssrc;
	struct sdp_ssrc *e = NULL;
	if (!next_tok(&v, &id) || !parse_num(id, UINT32_MAX, &ssrc))
		return SDP_ERR_ATTR;
	for (unsigned i = 0; i < c->m->n_ssrcs && !e; i++)
		if (c->m->ssrcs[i].ssrc == ssrc)
			e = &c->m->ssrcs[i];
	if (!e) {
		if (c->m->n_ssrcs == SDP_MAX_SSRC)
			return SDP_ERR_LIMIT;
		e = &c->m->ssrcs[c->m->n_ssrcs++];
		e->ssrc = ssrc;
	}
	if (!next_tok(&v, &attr))
		return SDP_OK;
	attr = split_at(attr, ':', &val);
	return span_is(attr, "cname") && val.p ? copy(e->cname, SDP_TOKEN_MAX, val) : SDP_OK;
}

/* a=ssrc-group:<semantics> <ssrc-id> ...   RFC 5576 §4.2 */
static int a_ssrc_group(struct ctx *c, struct span v)
{
	struct span sem, id;
	uint32_t ssrc;
	if (!next_tok(&v, &sem))
		return SDP_ERR_ATTR;
	if (c->m->n_ssrc_groups == SDP_MAX_SSRC_GROUPS)
		return SDP_ERR_LIMIT;
	struct sdp_ssrc_group *g = &c->m->ssrc_groups[c->m->n_ssrc_groups++];
	if (copy(g->semantics, sizeof g->semantics, sem))
		return SDP_ERR_LIMIT;
	while (next_tok(&v, &id)) {
		if (!parse_num(id, UINT32_MAX, &ssrc))
			return SDP_ERR_ATTR;
		if (g->count == SDP_MAX_GROUP_SSRCS)
			return SDP_ERR_LIMIT;
		g->ssrcs[g->count++] = ssrc;
	}
	return SDP_OK;
}

/* a=candidate:<foundation> <component-id> <transport> <priority> <address> <port> typ <type>
 *             [raddr <addr>] [rport <port>] *(<extension-att-name> <extension-att-value>)   RFC 8839 §5.1 */
static int a_candidate(struct ctx *c, struct span v)
{
	struct span t[8], k, val;
	uint32_t comp, prio, port, rport;
	for (int i = 0; i < 8; i++)
		if (!next_tok(&v, &t[i]))
			return SDP_ERR_ATTR;
	if (!parse_num(t[1], 256, &comp) || comp == 0 || !parse_num(t[3], UINT32_MAX, &prio) ||
	    !parse_num(t[5], 65535, &port) || !span_is(t[6], "typ"))
		return SDP_ERR_ATTR;
	if (c->m->n_candidates == SDP_MAX_CANDIDATES)
		return SDP_ERR_LIMIT;
	struct sdp_candidate *cd = &c->m->candidates[c->m->n_candidates++];
	cd->component = (uint16_t)comp, cd->priority = prio, cd->port = (uint16_t)port;
	if (copy(cd->foundation, sizeof cd->foundation, t[0]) || copy(cd->transport, sizeof cd->transport, t[2]) ||
	    copy(cd->addr, sizeof cd->addr, t[4]) || copy(cd->type, sizeof cd->type, t[7]))
		return SDP_ERR_LIMIT;
	while (next_tok(&v, &k) && next_tok(&v, &val)) {
		if (span_is(k, "raddr") && copy(cd->raddr, sizeof cd->raddr, val))
			return SDP_ERR_LIMIT;
		if (span_is(k, "rport")) {
			if (!parse_num(val, 65535, &rport))
				return SDP_ERR_ATTR;
			cd->rport = (uint16_t)rport;
		}
	}
	return SDP_OK;
}

static int a_flag(struct ctx *c, struct span name)
{
	struct sdp_media *m = c->m;
	if (span_is(name, "ice-lite") && !m)
		c->s->ice_lite = true;
	if (!m)
		return SDP_OK;
	if (dir_of(name) != SDP_DIR_NONE)
		m->dir = dir_of(name);
	else if (span_is(name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (span_is(name, "rtcp-rsize"))
		m->rtcp_rsize = true;
	else if (span_is(name, "bundle-only"))
		m->bundle_only = true;
	else if (span_is(name, "end-of-candidates"))
		m->end_of_candidates = true;
	return SDP_OK;
}

struct attr_handler {
	const char *name;
	bool media_only; /* ignored at session level */
	int (*fn)(struct ctx *, struct span);
};

static const struct attr_handler handlers[] = {
    {"rtpmap", true, a_rtpmap},
    {"fmtp", true, a_fmtp},
    {"rtcp-fb", true, a_rtcp_fb},
    {"extmap", true, a_extmap},
    {"fingerprint", false, a_fingerprint},
    {"setup", false, a_setup},
    {"ice-ufrag", false, a_ufrag},
    {"ice-pwd", false, a_pwd},
    {"ice-options", false, a_ice_options},
    {"group", false, a_group},
    {"mid", true, a_mid},
    {"msid", true, a_msid},
    {"ssrc", true, a_ssrc},
    {"ssrc-group", true, a_ssrc_group},
    {"candidate", true, a_candidate},
};

/* a=<attribute>[:<value>]   RFC 8866 §5.13 */
static int parse_attr(struct ctx *c, struct span v)
{
	struct span val, name = split_at(v, ':', &val);
	if (!val.p)
		return a_flag(c, name);
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
		const struct attr_handler *h = &handlers[i];
		if (!span_is(name, h->name))
			continue;
		if (h->media_only && !c->m)
			return SDP_OK;
		if (h->fn == a_group && c->m)
			return SDP_OK; /* group is session-level */
		return h->fn(c, val);
	}
	return SDP_OK; /* unknown attributes are ignored (RFC 8866 §5.13) */
}

static int parse_line(struct ctx *c, struct span line)
{
	if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
		return SDP_ERR_SYNTAX; /* RFC 8866 §5: <type>=<value>, type is one lower-case letter */
	for (size_t i = 0; i < line.n; i++)
		if ((unsigned char)line.p[i] < 0x20 || line.p[i] == 0x7f)
			return SDP_ERR_SYNTAX;
	struct span v = {line.p + 2, line.n - 2};
	if (!c->seen_v) /* §5.1: v=0 first */
		return (c->seen_v = line.p[0] == 'v' && span_is(v, "0")) ? SDP_OK : SDP_ERR_VERSION;
	switch (line.p[0]) {
	case 'v': return SDP_ERR_VERSION;
	case 'o': return c->seen_o ? SDP_ERR_ORIGIN : parse_origin(c, v);
	case 's': c->seen_s = true; return copy(c->s->name, sizeof c->s->name, v);
	case 'c': return parse_conn(c, v);
	case 'm':
		return c->seen_o && c->seen_s ? parse_media(c, v) : (c->seen_o ? SDP_ERR_SESSION_NAME : SDP_ERR_ORIGIN);
	case 'a': return parse_attr(c, v);
	}
	return SDP_OK; /* t=, b=, i=, u=, e=, p=, k=, r=, z=: not used by WebRTC, ignored */
}

int sdp_session_parse(struct sdp_session *s, const char *text, size_t len, const char **err)
{
	struct ctx c = {.s = s};
	unsigned lineno = 0;
	int rc = SDP_OK;
	if (!s || (!text && len)) {
		rc = SDP_ERR_ARG;
		goto out;
	}
	memset(s, 0, sizeof *s);
	if (len > SDP_MAX_TOTAL) {
		rc = SDP_ERR_TOO_LONG;
		goto out;
	}
	for (size_t off = 0; off < len && rc == SDP_OK;) {
		lineno++;
		const char *nl = memchr(text + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct span line = {text + off, end - off};
		off = end + 1;
		if (line.n && line.p[line.n - 1] == '\r') /* §5: CRLF, but a bare LF is accepted */
			line.n--;
		if (line.n > SDP_MAX_LINE)
			rc = SDP_ERR_LINE_TOO_LONG;
		else if (line.n) /* empty lines are skipped */
			rc = parse_line(&c, line);
	}
	if (rc == SDP_OK && !c.seen_v)
		rc = SDP_ERR_VERSION;
	else if (rc == SDP_OK && !c.seen_o)
		rc = SDP_ERR_ORIGIN;
	else if (rc == SDP_OK && !c.seen_s)
		rc = SDP_ERR_SESSION_NAME;
	if (rc)
		s->err_line = lineno ? lineno : 1;
out:
	if (err)
		*err = sdp_strerror(rc);
	return rc;
}

/* ---- lookups ---- */

const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->tr.ice_ufrag[0] ? m->tr.ice_ufrag : s->tr.ice_ufrag;
}

const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->tr.ice_pwd[0] ? m->tr.ice_pwd : s->tr.ice_pwd;
}

const struct sdp_fingerprint *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->tr.fingerprint.len ? &m->tr.fingerprint : &s->tr.fingerprint;
}

enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->tr.setup ? m->tr.setup : s->tr.setup;
}

const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

int sdp_media_extmap_id(const struct sdp_media *m, const char *uri)
{
	for (unsigned i = 0; i < m->n_extmaps; i++)
		if (strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	return 0;
}

bool sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t out_len)
{
	size_t kl = strlen(key);
	for (const char *p = fmtp; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			if (n - kl - 1 >= out_len)
				return false;
			memcpy(out, p + kl + 1, n - kl - 1);
			out[n - kl - 1] = 0;
			return true;
		}
		p = end;
	}
	return false;
}

/* ---- serializer ---- */

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		o->buf[o->len] = 0;
		return;
	}
	o->len += (size_t)n;
}

static const char *const dir_names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};
static const char *const setup_names[] = {"", "actpass", "active", "passive", "holdconn"};

static void put_transport(struct out *o, const struct sdp_transport *t)
{
	if (t->ice_ufrag[0])
		put(o, "a=ice-ufrag:%s\r\n", t->ice_ufrag);
	if (t->ice_pwd[0])
		put(o, "a=ice-pwd:%s\r\n", t->ice_pwd);
	if (t->ice_trickle)
		put(o, "a=ice-options:trickle\r\n");
	if (t->fingerprint.len) {
		put(o, "a=fingerprint:%s ", t->fingerprint.alg);
		for (unsigned i = 0; i < t->fingerprint.len; i++)
			put(o, i ? ":%02X" : "%02X", t->fingerprint.hash[i]);
		put(o, "\r\n");
	}
	if (t->setup)
		put(o, "a=setup:%s\r\n", setup_names[t->setup]);
}

static void put_codec(struct out *o, const struct sdp_codec *k)
{
	static const struct {
		uint32_t bit;
		const char *text;
	} fbs[] = {
	    {SDP_FB_GOOG_REMB, "goog-remb"}, {SDP_FB_TRANSPORT_CC, "transport-cc"}, {SDP_FB_CCM_FIR, "ccm fir"},
	    {SDP_FB_NACK, "nack"},           {SDP_FB_NACK_PLI, "nack pli"},
	};
	if (k->has_rtpmap) {
		put(o, "a=rtpmap:%u %s/%u", k->pt, k->name, k->clock);
		if (k->channels)
			put(o, "/%u", k->channels);
		put(o, "\r\n");
	}
	for (size_t i = 0; i < sizeof fbs / sizeof fbs[0]; i++)
		if (k->fb & fbs[i].bit)
			put(o, "a=rtcp-fb:%u %s\r\n", k->pt, fbs[i].text);
	if (k->fmtp[0])
		put(o, "a=fmtp:%u %s\r\n", k->pt, k->fmtp);
}

static void put_candidate(struct out *o, const struct sdp_candidate *c)
{
	put(o, "a=candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component, c->transport, c->priority, c->addr,
	    c->port, c->type);
	if (c->raddr[0])
		put(o, " raddr %s", c->raddr);
	if (c->rport)
		put(o, " rport %u", c->rport);
	put(o, "\r\n");
}

static void put_ssrcs(struct out *o, const struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_ssrc_groups; i++) {
		const struct sdp_ssrc_group *g = &m->ssrc_groups[i];
		put(o, "a=ssrc-group:%s", g->semantics);
		for (unsigned j = 0; j < g->count; j++)
			put(o, " %u", g->ssrcs[j]);
		put(o, "\r\n");
	}
	for (unsigned i = 0; i < m->n_ssrcs; i++) {
		put(o, "a=ssrc:%u", m->ssrcs[i].ssrc);
		if (m->ssrcs[i].cname[0])
			put(o, " cname:%s", m->ssrcs[i].cname);
		put(o, "\r\n");
	}
}

static void put_media(struct out *o, const struct sdp_media *m)
{
	put(o, "m=%s %u %s", m->media, m->port, m->proto);
	if (m->rtp)
		for (unsigned i = 0; i < m->n_codecs; i++)
			put(o, " %u", m->codecs[i].pt);
	else
		put(o, " %s", m->fmt_other);
	put(o, "\r\n");
	if (m->conn_addr[0])
		put(o, "c=IN %s %s\r\n", m->conn_v6 ? "IP6" : "IP4", m->conn_addr);
	for (unsigned i = 0; i < m->n_candidates; i++)
		put_candidate(o, &m->candidates[i]);
	if (m->end_of_candidates)
		put(o, "a=end-of-candidates\r\n");
	put_transport(o, &m->tr);
	if (m->mid[0])
		put(o, "a=mid:%s\r\n", m->mid);
	for (unsigned i = 0; i < m->n_extmaps; i++) {
		const struct sdp_extmap *e = &m->extmaps[i];
		put(o, "a=extmap:%u%s%s %s\r\n", e->id, e->dir ? "/" : "", dir_names[e->dir], e->uri);
	}
	if (m->dir)
		put(o, "a=%s\r\n", dir_names[m->dir]);
	if (m->msid_stream[0])
		put(o, "a=msid:%s%s%s\r\n", m->msid_stream, m->msid_track[0] ? " " : "", m->msid_track);
	if (m->rtcp_mux)
		put(o, "a=rtcp-mux\r\n");
	if (m->rtcp_rsize)
		put(o, "a=rtcp-rsize\r\n");
	if (m->bundle_only)
		put(o, "a=bundle-only\r\n");
	for (unsigned i = 0; i < m->n_codecs; i++)
		put_codec(o, &m->codecs[i]);
	put_ssrcs(o, m);
}

int sdp_session_serialize(const struct sdp_session *s, char *buf, size_t cap)
{
	if (!s || !buf || cap == 0)
		return SDP_ERR_ARG;
	struct out o = {buf, cap, 0, false};
	buf[0] = 0;
	put(&o, "v=0\r\no=%s %s %s IN %s %s\r\ns=%s\r\n", s->origin_user, s->origin_sess_id, s->origin_sess_version,
	    s->origin_v6 ? "IP6" : "IP4", s->origin_addr, s->name);
	if (s->conn_addr[0])
		put(&o, "c=IN %s %s\r\n", s->conn_v6 ? "IP6" : "IP4", s->conn_addr);
	put(&o, "t=0 0\r\n");
	if (s->ice_lite)
		put(&o, "a=ice-lite\r\n");
	put_transport(&o, &s->tr);
	if (s->has_bundle) {
		put(&o, "a=group:BUNDLE");
		for (unsigned i = 0; i < s->n_bundle; i++)
			put(&o, " %s", s->bundle[i]);
		put(&o, "\r\n");
	}
	for (unsigned i = 0; i < s->n_media; i++)
		put_media(&o, &s->media[i]);
	return o.full ? SDP_ERR_NOSPACE : (int)o.len;
}
