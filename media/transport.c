/* transport.c: one WebRTC peer connection: RFC 7983 demux, ICE, DTLS-SRTP keying, SRTP protect/unprotect. */
#include "media/transport.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/stun.h"

struct index_check;

/* Shared internal of media/dtls.c (wipes the DTLS object's copy of the exported SRTP keys); declared here, where
 * it is used, so that media/dtls.h keeps its current shape. */

struct transport {
	/* passed by argument */
	transport_send_fn send;
	transport_state_fn on_state;
	void *user;
	/* allocated by this */
	struct ice_agent ice;
	struct dtls_transport *dtls;
	struct srtp_session srtp_in, srtp_out;
	struct index_check *check; /* SAMVAER_SRTP_INDEX_CHECK: indices protected so far; NULL when off */
	/* others */
	uint64_t serial; /* process-wide number of this transport, for logs */
	enum transport_state state;
	bool srtp_ready;
	const char *profile_name; /* negotiated SRTP profile (static string), "" before */
	uint32_t dtls_gen;        /* ice selected_gen when DTLS was started */
	char err[96];
};

/* ---- SRTP index check (SAMVAER_SRTP_INDEX_CHECK=1 or =abort) ----
 * Independent of the SRTP code it watches: every (SSRC, RTP or RTCP, index) a successful protect sent is kept in
 * an open-addressing set per transport (a transport belongs to one thread, so no lock; only the counter is
 * shared). The RTP index is estimated from the sequence number as RFC 3711 Appendix A does (the receiver's view,
 * and both SRTP implementations' rule); the SRTCP index is read from the packet's trailer. Memory: the set grows
 * to CHECK_MAX_SLOTS (1 MiB), then forgets indices more than CHECK_KEEP below their stream's highest (it grows past
 * 1 MiB only if more than 16 streams are that busy at once); an index that old would be refused by either SRTP
 * implementation (window 1,024), so one that is protected anyway counts as a repeat. Exact for runs that never
 * prune (up to 65,536 indices per transport). */

#define CHECK_STREAMS 128 /* (SSRC, RTP/RTCP) pairs per transport: 2 x SRTP_AEAD_MAX_STREAMS, and room */
#define CHECK_MIN_SLOTS 256
#define CHECK_MAX_SLOTS (1u << 17) /* 1 MiB of slots per transport before pruning */
#define CHECK_KEEP 4096            /* indices kept per stream when pruning (> the SRTP window of 1,024) */

enum { CHECK_OFF, CHECK_LOG, CHECK_ABORT };

struct index_stream {
	uint32_t ssrc;
	bool rtcp;      /* SRTCP index (else SRTP) */
	bool have;      /* top holds a value */
	uint64_t top;   /* highest index recorded */
	uint64_t floor; /* indices below were forgotten by pruning */
};

struct index_check {
	unsigned n; /* streams in use */
	struct index_stream st[CHECK_STREAMS];
	size_t cap, used; /* slots (a power of two), keys in them */
	uint64_t *slot;   /* key: (stream + 1) << 48 | index; 0 = empty */
};

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static int check_mode = CHECK_OFF;
static atomic_ulong check_repeats;
static atomic_uint_fast64_t serials;

static void check_init(void)
{
	const char *v = getenv("SAMVAER_SRTP_INDEX_CHECK");
	if (v && !strcmp(v, "abort"))
		check_mode = CHECK_ABORT;
	else if (v && *v && strcmp(v, "0"))
		check_mode = CHECK_LOG;
}

unsigned long transport_index_repeats(void)
{
	return atomic_load(&check_repeats);
}

static size_t check_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (cap - 1);
}

/* The slot holding key, or the empty slot where it would go. */
static uint64_t *check_slot(const struct index_check *c, uint64_t key)
{
	for (size_t i = check_hash(key, c->cap);; i = (i + 1) & (c->cap - 1))
		if (c->slot[i] == key || c->slot[i] == 0)
			return &c->slot[i];
}

/* Re-insert every key into cap slots, dropping those older than CHECK_KEEP below their stream's top when prune. */
static int check_rehash(struct index_check *c, size_t cap, bool prune)
{
	uint64_t *old = c->slot;
	size_t old_cap = c->cap;
	if (!(c->slot = calloc(cap, sizeof *c->slot))) {
		c->slot = old;
		return -1;
	}
	c->cap = cap, c->used = 0;
	if (prune)
		for (unsigned i = 0; i < c->n; i++)
			if (c->st[i].top >= CHECK_KEEP && c->st[i].top - CHECK_KEEP + 1 > c->st[i].floor)
				c->st[i].floor = c->st[i].top - CHECK_KEEP + 1;
	for (size_t i = 0; i < old_cap; i++) {
		uint64_t k = old[i];
		if (k && (k & 0xffffffffffff) >= c->st[(k >> 48) - 1].floor)
			*check_slot(c, k) = k, c->used++;
	}
	free(old);
	return 0;
}

static struct index_check *check_new(void)
{
	struct index_check *c = calloc(1, sizeof *c);
	if (c && !(c->slot = calloc(CHECK_MIN_SLOTS, sizeof *c->slot)))
		free(c), c = NULL;
	if (c)
		c->cap = CHECK_MIN_SLOTS;
	return c;
}

static void check_free(struct index_check *c)
{
	if (c)
		free(c->slot);
	free(c);
}

static struct index_stream *check_stream(struct index_check *c, uint32_t ssrc, bool rtcp, unsigned *num)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->st[i].ssrc == ssrc && c->st[i].rtcp == rtcp)
			return *num = i, &c->st[i];
	if (c->n == CHECK_STREAMS)
		return NULL;
	c->st[c->n] = (struct index_stream){.ssrc = ssrc, .rtcp = rtcp};
	*num = c->n;
	return &c->st[c->n++];
}

static void check_report(const struct transport *t, uint32_t ssrc, bool rtcp, uint64_t index, const char *why)
{
	atomic_fetch_add(&check_repeats, 1);
	fprintf(stderr, "srtp: index reused ssrc=%u index=%llu (%s, transport %llu%s)\n", ssrc,
		(unsigned long long)index, rtcp ? "srtcp" : "srtp", (unsigned long long)t->serial, why);
	if (check_mode == CHECK_ABORT)
		abort();
}

bool transport_index_record(struct transport *t, uint32_t ssrc, bool rtcp, uint64_t index)
{
	struct index_check *c = t->check;
	unsigned num;
	struct index_stream *st = c ? check_stream(c, ssrc, rtcp, &num) : NULL;
	if (!st)
		return false; /* check off, or more streams than it follows */
	index &= 0xffffffffffff;
	if (index < st->floor) {
		check_report(t, ssrc, rtcp, index, ", older than the indices still checked");
		return true;
	}
	uint64_t key = (uint64_t)(num + 1) << 48 | index, *slot = check_slot(c, key);
	if (*slot == key) {
		check_report(t, ssrc, rtcp, index, "");
		return true;
	}
	if (c->used + 1 >= c->cap)
		return false; /* could not grow (out of memory): never fill the last slot */
	*slot = key, c->used++;
	if (!st->have || index > st->top)
		st->top = index, st->have = true;
	if (2 * c->used > c->cap) {
		bool prune = c->cap >= CHECK_MAX_SLOTS;
		if (check_rehash(c, prune ? c->cap : 2 * c->cap, prune) == 0 && 2 * c->used > c->cap)
			check_rehash(c, 2 * c->cap, false); /* pruned, still full: more streams than expected, grow */
	}
	return false;
}

/* RFC 3711 Appendix A: the index of seq nearest the stream's highest so far (as media/srtp_aead and libsrtp2). */
static uint64_t check_rtp_index(struct index_check *c, uint32_t ssrc, uint16_t seq)
{
	unsigned num;
	struct index_stream *st = check_stream(c, ssrc, false, &num);
	if (!st || !st->have)
		return seq;
	uint32_t roc = (uint32_t)(st->top >> 16), sl = (uint32_t)(st->top & 0xffff);
	if (sl < 32768 && seq > sl + 32768 && roc > 0)
		roc--;
	else if (sl >= 32768 && seq < sl - 32768)
		roc++;
	return (uint64_t)roc << 16 | seq;
}

static void set_state(struct transport *t, enum transport_state st)
{
	if (t->state == st)
		return;
	t->state = st;
	if (t->on_state)
		t->on_state(t->user, st);
}

static void dtls_send_cb(void *user, const uint8_t *buf, size_t len)
{
	struct transport *t = user;
	if (t->ice.selected_gen)
		t->send(t->user, buf, len, &t->ice.selected);
}

static int srtp_keying(struct transport *t)
{
	struct dtls_srtp_keys k;
	if (dtls_srtp_keys_get(t->dtls, &k) != DTLS_OK)
		return -1;
	enum srtp_session_profile prof;
	if (k.profile == DTLS_SRTP_AEAD_AES_128_GCM)
		prof = SRTP_SESSION_AEAD_AES_128_GCM;
	else if (k.profile == DTLS_SRTP_AES128_CM_SHA1_80)
		prof = SRTP_SESSION_AES128_CM_SHA1_80;
	else
		return -1;
	enum srtp_session_role role = k.local_is_client ? SRTP_SESSION_DTLS_CLIENT : SRTP_SESSION_DTLS_SERVER;
	int rc = -1;
	if (srtp_session_create(&t->srtp_in, prof, k.material, k.material_len, role, SRTP_SESSION_INBOUND))
		goto out;
	if (srtp_session_create(&t->srtp_out, prof, k.material, k.material_len, role, SRTP_SESSION_OUTBOUND)) {
		srtp_session_destroy(&t->srtp_in);
		goto out;
	}
	t->srtp_ready = true;
	t->profile_name = k.profile_name;
	rc = 0;
out:
	/* The sessions hold what they need (session keys and salts); no other copy of the master keys stays. */
	OPENSSL_cleanse(&k, sizeof k);
	dtls__srtp_keys_wipe(t->dtls);
	return rc;
}

static void dtls_state_cb(void *user, enum dtls_state st)
{
	struct transport *t = user;
	if (st == DTLS_STATE_CONNECTED && !t->srtp_ready) {
		if (srtp_keying(t) == 0)
			set_state(t, TRANSPORT_CONNECTED);
		else {
			strcpy(t->err, "transport: SRTP keying failed");
			set_state(t, TRANSPORT_FAILED);
		}
	} else if (st == DTLS_STATE_FAILED) {
		set_state(t, TRANSPORT_FAILED);
	} else if (st == DTLS_STATE_CLOSED && t->state != TRANSPORT_FAILED) {
		set_state(t, TRANSPORT_CLOSED);
	}
}

struct transport *transport_new(const struct transport_params *p)
{
	if (!p || !p->dtls || !p->send || !p->remote_fingerprint)
		return NULL;
	struct transport *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->send = p->send, t->on_state = p->on_state, t->user = p->user;
	t->serial = atomic_fetch_add(&serials, 1) + 1;
	pthread_once(&check_once, check_init);
	if (check_mode != CHECK_OFF && !(t->check = check_new()))
		goto err;
	if (ice_agent_init(&t->ice, p->ice_role, p->local_ufrag, p->local_pwd, p->remote_ufrag, p->remote_pwd,
			   p->remote_cand) != 0)
		goto err;
	if (p->consent_timeout_ms)
		t->ice.consent_timeout_ms = p->consent_timeout_ms;
	struct dtls_callbacks cb = {.send = dtls_send_cb, .state = dtls_state_cb, .user = t};
	t->dtls = dtls_transport_new(p->dtls, p->remote_fingerprint, &cb);
	if (!t->dtls)
		goto err;
	return t;
err:
	check_free(t->check);
	free(t);
	return NULL;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	dtls_transport_free(t->dtls);
	if (t->srtp_ready) {
		srtp_session_destroy(&t->srtp_in);
		srtp_session_destroy(&t->srtp_out);
	}
	check_free(t->check);
	free(t);
}

void transport_close(struct transport *t)
{
	if (!t || t->state == TRANSPORT_CLOSED)
		return;
	dtls_close(t->dtls);
	set_state(t, TRANSPORT_CLOSED);
}

/* ICE moved: start DTLS once an address is selected (the client sends its ClientHello then). */
static void after_ice(struct transport *t)
{
	if (t->state == TRANSPORT_DISCONNECTED && t->ice.state == ICE_STATE_CONNECTED)
		set_state(t, t->srtp_ready ? TRANSPORT_CONNECTED : TRANSPORT_DTLS); /* consent regained */
	if (t->state != TRANSPORT_NEW || !t->ice.selected_gen || t->ice.state != ICE_STATE_CONNECTED)
		return;
	set_state(t, TRANSPORT_DTLS);
	t->dtls_gen = t->ice.selected_gen;
	dtls_start(t->dtls);
}

static int recv_stun(struct transport *t, uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now)
{
	uint8_t out[256];
	size_t out_len = 0;
	int rc = ice_agent_handle(&t->ice, buf, len, from, now, out, sizeof out, &out_len);
	if (out_len)
		t->send(t->user, out, out_len, from);
	if (rc < 0)
		return TRANSPORT_ERR_STUN;
	after_ice(t);
	return TRANSPORT_RX_CONSUMED;
}

static bool from_selected(const struct transport *t, const struct ice_addr *from)
{
	return t->ice.selected_gen && ice_addr_equal(&t->ice.selected, from);
}

static int recv_srtp(struct transport *t, uint8_t *buf, size_t *len, const struct ice_addr *from)
{
	if (t->state != TRANSPORT_CONNECTED || !from_selected(t, from))
		return TRANSPORT_ERR_STATE;
	if (rtcp_is_rtcp(buf, *len))
		return srtp_session_unprotect_rtcp(&t->srtp_in, buf, len) ? TRANSPORT_ERR_SRTP : TRANSPORT_RX_RTCP;
	return srtp_session_unprotect_rtp(&t->srtp_in, buf, len) ? TRANSPORT_ERR_SRTP : TRANSPORT_RX_RTP;
}

int transport_recv(struct transport *t, uint8_t *buf, size_t *len, const struct ice_addr *from, int64_t now_ms)
{
	if (!t || !buf || !len || !from || *len == 0)
		return TRANSPORT_ERR_ARG;
	uint8_t b = buf[0];
	if (b <= 3)
		return stun_is_stun(buf, *len) ? recv_stun(t, buf, *len, from, now_ms) : TRANSPORT_ERR_DEMUX;
	if (b >= 20 && b <= 63) {
		if (!from_selected(t, from) || t->state == TRANSPORT_NEW)
			return TRANSPORT_ERR_STATE;
		return dtls_feed(t->dtls, buf, *len) == DTLS_OK ? TRANSPORT_RX_CONSUMED : TRANSPORT_ERR_DTLS;
	}
	if (b >= 128 && b <= 191 && *len >= 8)
		return recv_srtp(t, buf, len, from);
	return TRANSPORT_ERR_DEMUX;
}

void transport_prefetch(const struct transport *t, bool outbound, int depth)
{
	const struct srtp_session *s = outbound ? &t->srtp_out : &t->srtp_in;
	if (depth == 0) {
		__builtin_prefetch(t);
		__builtin_prefetch(s);
		__builtin_prefetch(&t->ice.selected);
	} else if (t->srtp_ready) {
		srtp_session_prefetch(s, depth - 1);
	}
}

void transport_tick(struct transport *t, int64_t now_ms)
{
	uint8_t out[256];
	if (!t)
		return;
	int n = ice_agent_tick(&t->ice, now_ms, out, sizeof out);
	if (n > 0)
		t->send(t->user, out, (size_t)n, &t->ice.remote_cand);
	if (t->ice.state == ICE_STATE_DISCONNECTED && t->state != TRANSPORT_CLOSED && t->state != TRANSPORT_FAILED)
		set_state(t, TRANSPORT_DISCONNECTED);
	if (t->state == TRANSPORT_DTLS) {
		int64_t due = dtls_next_timeout_ms(t->dtls, now_ms);
		if (due >= 0 && due <= now_ms)
			dtls_handle_timeout(t->dtls);
	}
}

int64_t transport_next_timeout_ms(const struct transport *t, int64_t now_ms)
{
	int64_t due = -1;
	if (t->state == TRANSPORT_DTLS)
		due = dtls_next_timeout_ms(t->dtls, now_ms);
	if (t->ice.role == ICE_ROLE_CONTROLLING && (due < 0 || t->ice.next_check_ms < due))
		due = t->ice.next_check_ms;
	return due;
}

int transport_protect_rtp(struct transport *t, uint8_t *buf, size_t *len, size_t cap)
{
	if (t->state != TRANSPORT_CONNECTED)
		return TRANSPORT_ERR_STATE;
	if (srtp_session_protect_rtp(&t->srtp_out, buf, len, cap))
		return TRANSPORT_ERR_SRTP;
	if (t->check) { /* the RTP header stays in clear: SSRC at 8, sequence number at 2 */
		uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
		transport_index_record(t, ssrc, false,
				       check_rtp_index(t->check, ssrc, (uint16_t)(buf[2] << 8 | buf[3])));
	}
	return 0;
}

int transport_protect_rtcp(struct transport *t, uint8_t *buf, size_t *len, size_t cap)
{
	if (t->state != TRANSPORT_CONNECTED)
		return TRANSPORT_ERR_STATE;
	if (srtp_session_protect_rtcp(&t->srtp_out, buf, len, cap))
		return TRANSPORT_ERR_SRTP;
	/* E | SRTCP index: the last word under GCM (RFC 7714), before the 10-byte tag under AES-CM (RFC 3711 §3.4). */
	if (t->check && *len >= 8 + 4 + 10) {
		size_t at = *len - 4 - (t->srtp_out.profile == SRTP_SESSION_AES128_CM_SHA1_80 ? 10 : 0);
		uint32_t ssrc = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
		uint32_t word =
		    (uint32_t)buf[at] << 24 | (uint32_t)buf[at + 1] << 16 | (uint32_t)buf[at + 2] << 8 | buf[at + 3];
		transport_index_record(t, ssrc, true, word & 0x7fffffff);
	}
	return 0;
}

enum transport_state transport_state(const struct transport *t)
{
	return t->state;
}

const char *transport_state_name(enum transport_state s)
{
	static const char *const names[] = {"new", "dtls", "connected", "disconnected", "failed", "closed"};
	return (unsigned)s < 6 ? names[s] : "?";
}

const struct ice_addr *transport_remote(const struct transport *t, uint32_t *gen)
{
	if (gen)
		*gen = t->ice.selected_gen;
	return t->ice.selected_gen ? &t->ice.selected : NULL;
}

const char *transport_local_ufrag(const struct transport *t)
{
	return t->ice.local_ufrag;
}

const char *transport_error(const struct transport *t)
{
	if (t->err[0])
		return t->err;
	return dtls_error(t->dtls);
}

void *transport_user(const struct transport *t)
{
	return t->user;
}

const char *transport_srtp_profile(const struct transport *t)
{
	return t->profile_name ? t->profile_name : "";
}
