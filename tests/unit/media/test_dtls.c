/* test_dtls.c: unit tests for media/dtls: in-memory DTLS-SRTP handshakes, loss, fingerprints, garbage, close. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#endif
#include "media/dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/unit/media/check_media.h"

/* ---------------------------------------------------------------- harness */

#define QCAP 64
#define DGRAM_CAP 2048

typedef struct queue {
	uint8_t buf[QCAP][DGRAM_CAP]; /* datagrams waiting for delivery */
	size_t len[QCAP];
	size_t n;          /* queued */
	size_t sent_total; /* datagrams emitted over the whole test */
	size_t oversize;   /* datagrams above DTLS_MTU */
	int states[8];     /* state callback history */
	int nstates;
} queue_t;

static void on_send(void *user, const uint8_t *buf, size_t len)
{
	queue_t *q = user;
	q->sent_total++;
	if (len > DTLS_MTU)
		q->oversize++;
	if (q->n < QCAP && len <= DGRAM_CAP) {
		memcpy(q->buf[q->n], buf, len);
		q->len[q->n++] = len;
	}
}

static void on_state(void *user, enum dtls_state s)
{
	queue_t *q = user;
	if (q->nstates < 8)
		q->states[q->nstates++] = (int)s;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	if (ms > 0)
		nanosleep(&ts, NULL);
}

static struct dtls_cert *cert_a, *cert_b; /* client's and server's process certificates */

typedef struct pair {
	struct dtls_ctx *cctx, *sctx;
	struct dtls_transport *client, *server;
	queue_t cq, sq; /* what the client / server emitted */
} pair_t;

/* drop(from_client, index of that side's datagram since start) -> 1 to lose it */
typedef int (*drop_fn)(int from_client, size_t index);

static int pair_init(pair_t *p, const char *cprof, const char *sprof, const char *cfp, const char *sfp)
{
	char err[256] = "";
	memset(p, 0, sizeof *p);
	p->cctx = dtls_ctx_new(cert_a, DTLS_ROLE_CLIENT, cprof, err, sizeof err);
	p->sctx = dtls_ctx_new(cert_b, DTLS_ROLE_SERVER, sprof, err, sizeof err);
	if (p->cctx == NULL || p->sctx == NULL) {
		fprintf(stderr, "ctx: %s\n", err);
		return -1;
	}
	dtls_ctx_set_initial_timeout_ms(p->cctx, 30);
	dtls_ctx_set_initial_timeout_ms(p->sctx, 30);
	struct dtls_callbacks ccb = {on_send, on_state, &p->cq}, scb = {on_send, on_state, &p->sq};
	p->client = dtls_transport_new(p->cctx, cfp, &ccb);
	p->server = dtls_transport_new(p->sctx, sfp, &scb);
	return p->client && p->server ? 0 : -1;
}

static void pair_free(pair_t *p)
{
	dtls_transport_free(p->client);
	dtls_transport_free(p->server);
	dtls_ctx_free(p->cctx);
	dtls_ctx_free(p->sctx);
}

static double server_cpu; /* CPU seconds spent feeding the server side (bench) */

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Delivers everything queued on `from` to `to`; returns datagrams moved. */
static size_t deliver(queue_t *from, struct dtls_transport *to, int from_client, drop_fn drop, size_t *counter)
{
	size_t n = from->n;
	static uint8_t copy[QCAP][DGRAM_CAP];
	static size_t lens[QCAP];
	for (size_t i = 0; i < n; i++) {
		memcpy(copy[i], from->buf[i], from->len[i]);
		lens[i] = from->len[i];
	}
	from->n = 0;
	for (size_t i = 0; i < n; i++) {
		size_t idx = (*counter)++;
		if (drop != NULL && drop(from_client, idx))
			continue;
		double t0 = from_client ? cpu_s() : 0;
		dtls_feed(to, copy[i], lens[i]);
		if (from_client)
			server_cpu += cpu_s() - t0;
	}
	return n;
}

static int settled(const struct dtls_transport *t)
{
	enum dtls_state s = dtls_state(t);
	return s == DTLS_STATE_CONNECTED || s == DTLS_STATE_FAILED || s == DTLS_STATE_CLOSED;
}

/* Runs the handshake to completion (or 3 s), driving retransmission timers when idle. */
static void pair_run(pair_t *p, drop_fn drop)
{
	size_t cidx = 0, sidx = 0;
	int64_t deadline = now_ms() + 3000;
	dtls_start(p->server);
	dtls_start(p->client);
	while (now_ms() < deadline) {
		size_t moved = deliver(&p->cq, p->server, 1, drop, &cidx);
		moved += deliver(&p->sq, p->client, 0, drop, &sidx);
		if (moved > 0)
			continue;
		if (settled(p->client) && settled(p->server))
			return;
		int64_t now = now_ms(), tc = dtls_next_timeout_ms(p->client, now);
		int64_t ts = dtls_next_timeout_ms(p->server, now), next = tc;
		if (next < 0 || (ts >= 0 && ts < next))
			next = ts;
		if (next < 0)
			return; /* nothing queued, no timer: stuck */
		sleep_ms(next - now);
		dtls_handle_timeout(p->client);
		dtls_handle_timeout(p->server);
	}
}

static int nonzero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 1;
	return 0;
}

/* Both connected, same material, halves swapped, right lengths for `profile`. */
static void check_keys(const char *name, pair_t *p, enum dtls_srtp_profile profile)
{
	struct dtls_srtp_keys ck, sk;
	size_t salt = profile == DTLS_SRTP_AES128_CM_SHA1_80 ? 14 : 12;
	int cok = dtls_srtp_keys_get(p->client, &ck) == DTLS_OK, sok = dtls_srtp_keys_get(p->server, &sk) == DTLS_OK;
	CHECK(cok && sok, "%s: keys: client %s (%s), server %s (%s)", name, dtls_state_name(dtls_state(p->client)),
	      dtls_error(p->client), dtls_state_name(dtls_state(p->server)), dtls_error(p->server));
	if (!cok || !sok)
		return;
	CHECK(ck.profile == profile && sk.profile == profile, "%s: profile %#x/%#x", name, ck.profile, sk.profile);
	CHECK(ck.key_len == 16 && ck.salt_len == salt && ck.master_len == 16 + salt, "%s: lengths", name);
	CHECK(ck.material_len == 2 * (16 + salt) && sk.material_len == ck.material_len, "%s: material len", name);
	CHECK(memcmp(ck.material, sk.material, ck.material_len) == 0, "%s: material differs", name);
	CHECK(nonzero(ck.material, ck.material_len), "%s: material all zero", name);
	CHECK(ck.local_is_client == 1 && sk.local_is_client == 0, "%s: local_is_client", name);
	CHECK(memcmp(ck.local_master, sk.remote_master, ck.master_len) == 0, "%s: client tx != server rx", name);
	CHECK(memcmp(sk.local_master, ck.remote_master, ck.master_len) == 0, "%s: server tx != client rx", name);
	CHECK(memcmp(ck.local_master, ck.remote_master, ck.master_len) != 0, "%s: halves equal", name);
	/* RFC 5764 §4.2 layout: client key at 0, client salt at 2*key_len. */
	CHECK(memcmp(ck.local_master, ck.material, 16) == 0 &&
		  memcmp(ck.local_master + 16, ck.material + 32, salt) == 0,
	      "%s: client half layout", name);
	CHECK(memcmp(sk.local_master, ck.material + 16, 16) == 0 &&
		  memcmp(sk.local_master + 16, ck.material + 32 + salt, salt) == 0,
	      "%s: server half layout", name);
	CHECK(strcmp(ck.profile_name,
		     profile == DTLS_SRTP_AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80") == 0,
	      "%s: profile name %s", name, ck.profile_name);
	/* Once its SRTP sessions are keyed, media/transport wipes the DTLS object's copy: it is gone, the other
     * side's is not, and the connection stays up. */
	dtls__srtp_keys_wipe(p->client);
	CHECK(dtls_srtp_keys_get(p->client, &ck) == DTLS_ERR_STATE && dtls_srtp_keys_get(p->server, &sk) == DTLS_OK &&
		  dtls_state(p->client) == DTLS_STATE_CONNECTED,
	      "%s: keys after the wipe", name);
}

/* ---------------------------------------------------------------- handshake + profiles */

static void test_handshakes(void)
{
	static const struct {
		const char *name, *cprof, *sprof;
		enum dtls_srtp_profile want; /* DTLS_SRTP_NONE: both must fail */
	} cases[] = {
	    {"default both", NULL, NULL, DTLS_SRTP_AEAD_AES_128_GCM},
	    {"client CM only", "SRTP_AES128_CM_SHA1_80", NULL, DTLS_SRTP_AES128_CM_SHA1_80},
	    {"client prefers CM, server GCM", "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", NULL,
	     DTLS_SRTP_AEAD_AES_128_GCM},
	    {"server CM only", NULL, "SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80},
	    {"no common profile", "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80", DTLS_SRTP_NONE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		int ok = pair_init(&p, cases[i].cprof, cases[i].sprof, dtls_cert_fingerprint(cert_b),
				   dtls_cert_fingerprint(cert_a)) == 0;
		CHECK(ok, "%s: init", cases[i].name);
		if (ok) {
			pair_run(&p, NULL);
			if (cases[i].want == DTLS_SRTP_NONE) {
				CHECK(dtls_state(p.client) == DTLS_STATE_FAILED &&
					  dtls_state(p.server) == DTLS_STATE_FAILED,
				      "%s: states %s/%s", cases[i].name, dtls_state_name(dtls_state(p.client)),
				      dtls_state_name(dtls_state(p.server)));
				CHECK(strstr(dtls_error(p.server), "SRTP") != NULL, "%s: error '%s'", cases[i].name,
				      dtls_error(p.server));
			} else {
				check_keys(cases[i].name, &p, cases[i].want);
			}
			CHECK(p.cq.oversize == 0 && p.sq.oversize == 0, "%s: datagram above MTU", cases[i].name);
			CHECK(p.sq.nstates >= 2 && p.sq.states[0] == DTLS_STATE_CONNECTING, "%s: state callbacks",
			      cases[i].name);
		}
		pair_free(&p);
	}
}

/* ---------------------------------------------------------------- fingerprints */

static void test_fingerprint_mismatch(void)
{
	static const struct {
		const char *name;
		int client_wrong, server_wrong; /* give that side the wrong certificate's fingerprint */
	} cases[] = {
	    {"server sees wrong client fp", 0, 1},
	    {"client sees wrong server fp", 1, 0},
	    {"both wrong", 1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		const char *cfp = dtls_cert_fingerprint(cases[i].client_wrong ? cert_a : cert_b);
		const char *sfp = dtls_cert_fingerprint(cases[i].server_wrong ? cert_b : cert_a);
		if (pair_init(&p, NULL, NULL, cfp, sfp) == 0) {
			pair_run(&p, NULL);
			struct dtls_srtp_keys k;
			if (cases[i].server_wrong) {
				CHECK(dtls_state(p.server) == DTLS_STATE_FAILED, "%s: server %s", cases[i].name,
				      dtls_state_name(dtls_state(p.server)));
				CHECK(strstr(dtls_error(p.server), "fingerprint") != NULL, "%s: '%s'", cases[i].name,
				      dtls_error(p.server));
				CHECK(dtls_srtp_keys_get(p.server, &k) == DTLS_ERR_STATE, "%s: keys leaked",
				      cases[i].name);
			}
			if (cases[i].client_wrong) {
				CHECK(dtls_state(p.client) == DTLS_STATE_FAILED, "%s: client %s", cases[i].name,
				      dtls_state_name(dtls_state(p.client)));
				CHECK(dtls_srtp_keys_get(p.client, &k) == DTLS_ERR_STATE, "%s: keys leaked",
				      cases[i].name);
			}
		} else {
			CHECK(0, "%s: init", cases[i].name);
		}
		pair_free(&p);
	}
}

/* Server learns the client's fingerprint only after the handshake (answer arrives late). */
static void test_fingerprint_late(void)
{
	static const struct {
		const char *name;
		int right; /* the late fingerprint is the right one */
		enum dtls_state want;
	} cases[] = {
	    {"late right fp", 1, DTLS_STATE_CONNECTED},
	    {"late wrong fp", 0, DTLS_STATE_FAILED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), NULL) != 0) {
			CHECK(0, "%s: init", cases[i].name);
			pair_free(&p);
			continue;
		}
		pair_run(&p, NULL);
		CHECK(dtls_state(p.server) == DTLS_STATE_CONNECTING, "%s: before fp: %s", cases[i].name,
		      dtls_state_name(dtls_state(p.server)));
		int rc = dtls_set_remote_fingerprint(p.server, dtls_cert_fingerprint(cases[i].right ? cert_a : cert_b));
		CHECK(dtls_state(p.server) == cases[i].want, "%s: after fp: %s rc=%d (%s)", cases[i].name,
		      dtls_state_name(dtls_state(p.server)), rc, dtls_error(p.server));
		if (cases[i].want == DTLS_STATE_CONNECTED)
			check_keys(cases[i].name, &p, DTLS_SRTP_AEAD_AES_128_GCM);
		pair_free(&p);
	}
}

static void test_fingerprint_parse(void)
{
	const char *own = dtls_cert_fingerprint(cert_a);
	char lower[DTLS_FINGERPRINT_MAX];
	snprintf(lower, sizeof lower, "SHA-256 %s", own + 8);
	for (char *c = lower + 8; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
	static const char sha1[] = "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB";
	static const struct {
		const char *name, *value;
		int want_rc;
		size_t want_len;
	} cases[] = {
	    {"own cert", NULL, DTLS_OK, 32},
	    {"lower case hex, upper hash", "(lower)", DTLS_OK, 32},
	    {"sha-1", sha1, DTLS_OK, 20},
	    {"too short for sha-256", "sha-256 AB:CD", DTLS_ERR_ARG, 0},
	    {"bad hex", "sha-1 4G:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB", DTLS_ERR_ARG, 0},
	    {"unknown hash", "md5 AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD", DTLS_ERR_ARG, 0},
	    {"no space", "sha-256", DTLS_ERR_ARG, 0},
	    {"trailing colon", "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:", DTLS_ERR_ARG, 0},
	    {"empty", "", DTLS_ERR_ARG, 0},
	};
	CHECK(strncmp(own, "sha-256 ", 8) == 0 && strlen(own) == 8 + 32 * 3 - 1, "format '%s'", own);
	CHECK(strcmp(own, dtls_cert_fingerprint(cert_b)) != 0, "two certs share a fingerprint");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dtls_fingerprint fp;
		const char *v = cases[i].value == NULL       ? own
		    : strcmp(cases[i].value, "(lower)") == 0 ? lower
							     : cases[i].value;
		int rc = dtls_fingerprint_parse(&fp, v);
		CHECK(rc == cases[i].want_rc, "%s: rc %d", cases[i].name, rc);
		if (rc == DTLS_OK)
			CHECK(fp.len == cases[i].want_len, "%s: len %zu", cases[i].name, fp.len);
	}
	CHECK(dtls_transport_new(NULL, NULL, NULL) == NULL, "NULL ctx accepted");
}

/* ---------------------------------------------------------------- loss */

static size_t drop_side, drop_from, drop_to; /* drop datagrams [from, to) sent by side (1 = client) */

static int drop_range(int from_client, size_t index)
{
	return (size_t)from_client == drop_side && index >= drop_from && index < drop_to;
}

static int drop_all_but_few(int from_client, size_t index)
{
	return index < 4; /* both directions lose their first 4 datagrams */
}

static void test_loss(void)
{
	static const struct {
		const char *name;
		size_t side, from, to;
		drop_fn fn;
	} cases[] = {
	    {"client hello lost", 1, 0, 1, drop_range},         {"server first flight lost", 0, 0, 5, drop_range},
	    {"server flight partly lost", 0, 2, 3, drop_range}, {"client second flight lost", 1, 1, 6, drop_range},
	    {"server final flight lost", 0, 5, 7, drop_range},  {"heavy loss both ways", 0, 0, 0, drop_all_but_few},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		drop_side = cases[i].side, drop_from = cases[i].from, drop_to = cases[i].to;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) == 0) {
			pair_run(&p, cases[i].fn);
			CHECK(dtls_state(p.client) == DTLS_STATE_CONNECTED &&
				  dtls_state(p.server) == DTLS_STATE_CONNECTED,
			      "%s: %s/%s (%s | %s)", cases[i].name, dtls_state_name(dtls_state(p.client)),
			      dtls_state_name(dtls_state(p.server)), dtls_error(p.client), dtls_error(p.server));
			check_keys(cases[i].name, &p, DTLS_SRTP_AEAD_AES_128_GCM);
		} else {
			CHECK(0, "%s: init", cases[i].name);
		}
		pair_free(&p);
	}
}

/* ---------------------------------------------------------------- demux, garbage, close */

static void test_is_dtls(void)
{
	static const struct {
		uint8_t first;
		int want;
	} cases[] = {
	    {0, 0},  {1, 0},  {3, 0},  {19, 0},  {20, 1},  {22, 1},  {23, 1},
	    {63, 1}, {64, 0}, {79, 0}, {127, 0}, {128, 0}, {191, 0}, {255, 0},
	};
	pair_t p;
	int ok = pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) == 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t d[64] = {cases[i].first, 0xfe, 0xfd};
		CHECK(dtls_is_dtls(d, sizeof d) == cases[i].want, "first byte %u", cases[i].first);
		if (!cases[i].want && ok)
			CHECK(dtls_feed(p.server, d, sizeof d) == DTLS_ERR_NOT_DTLS, "feed accepted byte %u",
			      cases[i].first);
	}
	CHECK(dtls_is_dtls(NULL, 0) == 0 && dtls_is_dtls((const uint8_t *)"\x16", 0) == 0, "empty");
	CHECK(ok && dtls_state(p.server) == DTLS_STATE_NEW, "non-DTLS changed state");
	pair_free(&p);
}

static uint32_t rng = 0x9e3779b9u;
static uint8_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
	return (uint8_t)rng;
}

/* Builds garbage case k into d; returns its length. */
static size_t make_garbage(int k, uint8_t *d, const pair_t *p)
{
	static const uint8_t hs_epoch0[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 99, 0, 12,
					    1,  0,    0,    0, 0, 0, 0, 0, 0, 0, 0,  0}; /* ClientHello, no body */
	static const uint8_t alert_epoch0[] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 98, 0, 2, 2, 40};
	static const uint8_t alert_epoch1[] = {21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 50, 0, 2, 2, 40};
	static const uint8_t ccs_epoch0[] = {20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 1, 1};
	static const uint8_t bad_len[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 1, 2, 3};
	size_t n;
	if (k >= 6 && k < 6 + 64) { /* epoch-1 record of every short length: must be dropped, not fatal */
		n = 13 + (size_t)(k - 6);
		for (size_t i = 0; i < n; i++)
			d[i] = rnd();
		memcpy(d, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x01\x00", 11);
		d[0] = (uint8_t)(k % 2 ? 21 : 23); /* alert or application data */
		d[11] = 0, d[12] = (uint8_t)(k - 6);
		return n;
	}
	switch (k) {
	case 0: memcpy(d, hs_epoch0, n = sizeof hs_epoch0); break;
	case 1: memcpy(d, alert_epoch0, n = sizeof alert_epoch0); break;
	case 2: memcpy(d, alert_epoch1, n = sizeof alert_epoch1); break;
	case 3: memcpy(d, ccs_epoch0, n = sizeof ccs_epoch0); break;
	case 4: memcpy(d, bad_len, n = sizeof bad_len); break;
	case 5: /* appdata epoch 1, random body: fails the AEAD tag */
		n = 13 + 64;
		for (size_t i = 0; i < n; i++)
			d[i] = rnd();
		memcpy(d, "\x17\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x40\x00\x40", 13);
		break;
	default: /* random bytes with a DTLS first byte */
		n = 13 + rnd() % 300;
		for (size_t i = 0; i < n; i++)
			d[i] = rnd();
		d[0] = (uint8_t)(20 + rnd() % 44);
		break;
	}
	return n;
}

static void test_garbage(void)
{
	pair_t p;
	if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) != 0) {
		CHECK(0, "garbage: init");
		pair_free(&p);
		return;
	}
	pair_run(&p, NULL);
	struct dtls_srtp_keys before, after;
	CHECK(dtls_srtp_keys_get(p.server, &before) == DTLS_OK, "garbage: not connected");
	for (int k = 0; k < 200; k++) {
		uint8_t d[400];
		size_t n = make_garbage(k, d, &p);
		dtls_feed(p.server, d, n);
		dtls_feed(p.client, d, n);
		for (size_t cut = 0; k < 6 && cut < n; cut++) /* every truncation of the crafted ones */
			dtls_feed(p.server, d, cut);
		CHECK(dtls_state(p.server) == DTLS_STATE_CONNECTED && dtls_state(p.client) == DTLS_STATE_CONNECTED,
		      "garbage case %d broke the session: %s / %s", k, dtls_error(p.server), dtls_error(p.client));
		if (dtls_state(p.server) != DTLS_STATE_CONNECTED || dtls_state(p.client) != DTLS_STATE_CONNECTED)
			break;
	}
	CHECK(dtls_srtp_keys_get(p.server, &after) == DTLS_OK && memcmp(&before, &after, sizeof before) == 0,
	      "garbage: keys changed");
	CHECK(p.sq.n == 0 && p.cq.n == 0, "garbage was answered (%zu/%zu datagrams), e.g. with an alert", p.sq.n,
	      p.cq.n);
	pair_free(&p);
}

/* close_notify either way: the closer is CLOSED at once, the other side when it arrives. */
static void test_close(void)
{
	static const struct {
		const char *name;
		int client_closes;
	} cases[] = {{"client closes", 1}, {"server closes", 0}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) != 0) {
			CHECK(0, "%s: init", cases[i].name);
			pair_free(&p);
			continue;
		}
		pair_run(&p, NULL);
		struct dtls_transport *closer = cases[i].client_closes ? p.client : p.server;
		struct dtls_transport *other = cases[i].client_closes ? p.server : p.client;
		queue_t *q = cases[i].client_closes ? &p.cq : &p.sq;
		size_t idx = 0;
		CHECK(dtls_close(closer) == DTLS_OK && dtls_state(closer) == DTLS_STATE_CLOSED, "%s: closer",
		      cases[i].name);
		CHECK(q->n == 1, "%s: %zu datagrams for close_notify", cases[i].name, q->n);
		deliver(q, other, cases[i].client_closes, NULL, &idx);
		CHECK(dtls_state(other) == DTLS_STATE_CLOSED, "%s: other side %s (%s)", cases[i].name,
		      dtls_state_name(dtls_state(other)), dtls_error(other));
		struct dtls_srtp_keys k;
		CHECK(dtls_srtp_keys_get(other, &k) == DTLS_ERR_STATE, "%s: keys after close", cases[i].name);
		uint8_t late[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 200, 0, 0};
		CHECK(dtls_feed(other, late, sizeof late) == DTLS_ERR_STATE, "%s: closed accepted input",
		      cases[i].name);
		CHECK(dtls_close(closer) == DTLS_ERR_STATE, "%s: double close", cases[i].name);
		pair_free(&p);
	}
}

/* A client with no server retransmits its ClientHello max_retransmits times, then FAILS. */
static void test_timeout(void)
{
	static const struct {
		unsigned max;
	} cases[] = {{0}, {1}, {3}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) != 0) {
			CHECK(0, "timeout: init");
			pair_free(&p);
			continue;
		}
		dtls_ctx_set_max_retransmits(p.cctx, cases[i].max);
		int64_t t0 = now_ms();
		CHECK(dtls_next_timeout_ms(p.client, t0) == -1, "timer before start");
		dtls_start(p.server);
		CHECK(dtls_next_timeout_ms(p.server, t0) == -1, "server timer before ClientHello");
		dtls_start(p.client);
		int64_t next = dtls_next_timeout_ms(p.client, t0);
		CHECK(next >= t0 + 15 && next <= t0 + 31, "first timeout at +%lld ms", (long long)(next - t0));
		CHECK(dtls_handle_timeout(p.client) == DTLS_OK && p.cq.sent_total == 1, "early handle_timeout acted");
		while (dtls_state(p.client) == DTLS_STATE_CONNECTING && now_ms() - t0 < 2000) {
			int64_t now = now_ms();
			sleep_ms(dtls_next_timeout_ms(p.client, now) - now);
			dtls_handle_timeout(p.client);
		}
		CHECK(dtls_state(p.client) == DTLS_STATE_FAILED && strstr(dtls_error(p.client), "timed out"),
		      "max %u: %s (%s)", cases[i].max, dtls_state_name(dtls_state(p.client)), dtls_error(p.client));
		CHECK(p.cq.sent_total == 1 + cases[i].max, "max %u: %zu ClientHellos", cases[i].max, p.cq.sent_total);
		CHECK(dtls_next_timeout_ms(p.client, now_ms()) == -1, "timer after failure");
		pair_free(&p);
	}
}

/* Garbage during the handshake must not crash; the handshake may fail but must settle. */
static void test_garbage_handshake(void)
{
	for (int k = 0; k < 40; k++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) != 0) {
			CHECK(0, "init");
			pair_free(&p);
			return;
		}
		uint8_t d[400];
		size_t n = make_garbage(k, d, &p);
		dtls_start(p.server);
		dtls_feed(p.server, d, n);
		dtls_start(p.client);
		dtls_feed(p.client, d, n);
		pair_run(&p, NULL);
		CHECK(settled(p.server) || dtls_state(p.server) == DTLS_STATE_CONNECTING, "garbage hs %d", k);
		pair_free(&p);
	}
}

/* A spoofed epoch-0 record with a high sequence number before the first flight must not move the
 * replay window past the real ClientHello / ServerHello (that wedged OpenSSL until timeout). */
static void test_first_flight_spoof(void)
{
	static const struct {
		const char *name;
		int to_server;
		uint8_t rec[16]; /* type, version, epoch 0, seq 97, length, body */
		size_t len;
	} cases[] = {
	    {"ccs to server", 1, {20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 1, 1}, 14},
	    {"ccs to client", 0, {20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 1, 1}, 14},
	    {"appdata epoch 0 to server", 1, {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 2, 1, 2}, 15},
	    {"server_hello to server", 1, {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 2, 2, 0}, 15},
	    {"client_hello to client", 0, {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 2, 1, 0}, 15},
	    {"heartbeat to server", 1, {24, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 97, 0, 2, 1, 0}, 15},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) != 0) {
			CHECK(0, "%s: init", cases[i].name);
			pair_free(&p);
			continue;
		}
		dtls_ctx_set_max_retransmits(p.cctx, 1);
		dtls_ctx_set_max_retransmits(p.sctx, 1);
		dtls_start(p.server);
		dtls_start(p.client);
		int rc = dtls_feed(cases[i].to_server ? p.server : p.client, cases[i].rec, cases[i].len);
		CHECK(rc == DTLS_ERR_DROPPED, "%s: rc %d", cases[i].name, rc);
		pair_run(&p, NULL);
		CHECK(dtls_state(p.client) == DTLS_STATE_CONNECTED && dtls_state(p.server) == DTLS_STATE_CONNECTED,
		      "%s: %s/%s", cases[i].name, dtls_state_name(dtls_state(p.client)),
		      dtls_state_name(dtls_state(p.server)));
		pair_free(&p);
	}
}

/* ---------------------------------------------------------------- bench (report only) */

static void bench(int n)
{
	int ok = 0;
	double t0 = cpu_s();
	server_cpu = 0;
	for (int i = 0; i < n; i++) {
		pair_t p;
		if (pair_init(&p, NULL, NULL, dtls_cert_fingerprint(cert_b), dtls_cert_fingerprint(cert_a)) == 0) {
			pair_run(&p, NULL);
			ok += dtls_state(p.client) == DTLS_STATE_CONNECTED &&
			    dtls_state(p.server) == DTLS_STATE_CONNECTED;
		}
		pair_free(&p);
	}
	double dt = cpu_s() - t0;
	printf("dtls bench: %d/%d handshakes (client+server in one thread) in %.3f s CPU: %.0f/s, %.2f ms each\n", ok,
	       n, dt, n / dt, dt * 1000 / n);
	printf("dtls bench: server side (feeding ClientHello..Finished) %.3f ms CPU each: %.0f handshakes/s/core\n",
	       server_cpu * 1000 / n, n / server_cpu);
}

int main(int argc, char **argv)
{
	char err[256] = "";
	if (dtls_cert_generate(&cert_a, err, sizeof err) != DTLS_OK ||
	    dtls_cert_generate(&cert_b, err, sizeof err) != DTLS_OK) {
		fprintf(stderr, "cert: %s\n", err);
		return 1;
	}
	if (argc > 2 && strcmp(argv[1], "--bench") == 0) {
		bench(atoi(argv[2]));
	} else {
		test_fingerprint_parse();
		test_is_dtls();
		test_handshakes();
		test_fingerprint_mismatch();
		test_fingerprint_late();
		test_loss();
		test_garbage();
		test_close();
		test_timeout();
		test_garbage_handshake();
		test_first_flight_spoof();
	}
	dtls_cert_free(cert_a);
	dtls_cert_free(cert_b);
	printf("dtls: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
