/* test_transport.c: unit tests for media/ice and media/transport: in-memory ICE-lite + DTLS-SRTP peer connections, the SRTP index check. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "media/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/stun.h"
#include "tests/unit/media/check_media.h"

#define QCAP 32
struct queue { /* datagrams one side emitted, waiting for the other */
	uint8_t buf[QCAP][1600];
	size_t len[QCAP];
	struct ice_addr to[QCAP];
	size_t n;
	int last_state;
	int state_changes;
};

static void on_send(void *user, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	struct queue *q = user;
	if (q->n < QCAP && len <= sizeof q->buf[0]) {
		memcpy(q->buf[q->n], buf, len);
		q->len[q->n] = len, q->to[q->n++] = *to;
	}
}

static void on_state(void *user, enum transport_state st)
{
	struct queue *q = user;
	q->last_state = (int)st;
	q->state_changes++;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct dtls_cert *cert_s, *cert_c;
static struct dtls_ctx *sctx, *cctx;

struct conn {
	struct transport *srv, *cli;
	struct queue sq, cq; /* emitted by server / client */
	struct ice_addr srv_addr, cli_addr;
};

/* Build a server (lite) and client (controlling) pair; fp_ok=false gives the server a wrong client fingerprint. */
static void conn_init(struct conn *c, bool fp_ok, uint32_t consent_ms)
{
	memset(c, 0, sizeof *c);
	char su[ICE_CRED_MAX], sp[ICE_CRED_MAX], cu[ICE_CRED_MAX], cp[ICE_CRED_MAX];
	ice_credentials_generate(su, sp);
	ice_credentials_generate(cu, cp);
	ice_addr_from_string(&c->srv_addr, "127.0.0.1", 40000);
	ice_addr_from_string(&c->cli_addr, "127.0.0.1", 50000);
	struct transport_params sp_ = {.dtls = sctx,
				       .ice_role = ICE_ROLE_LITE,
				       .local_ufrag = su,
				       .local_pwd = sp,
				       .remote_ufrag = cu,
				       .remote_pwd = cp,
				       .remote_fingerprint = dtls_cert_fingerprint(fp_ok ? cert_c : cert_s),
				       .consent_timeout_ms = consent_ms,
				       .send = on_send,
				       .on_state = on_state,
				       .user = &c->sq};
	struct transport_params cp_ = {.dtls = cctx,
				       .ice_role = ICE_ROLE_CONTROLLING,
				       .local_ufrag = cu,
				       .local_pwd = cp,
				       .remote_ufrag = su,
				       .remote_pwd = sp,
				       .remote_fingerprint = dtls_cert_fingerprint(cert_s),
				       .remote_cand = &c->srv_addr,
				       .send = on_send,
				       .on_state = on_state,
				       .user = &c->cq};
	c->srv = transport_new(&sp_);
	c->cli = transport_new(&cp_);
}

static void conn_free(struct conn *c)
{
	transport_free(c->srv);
	transport_free(c->cli);
}

/* Deliver queued datagrams both ways and run timers until nothing moves (or rounds run out). */
static void pump(struct conn *c, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		int64_t now = now_ms();
		transport_tick(c->cli, now);
		transport_tick(c->srv, now);
		struct queue cq = c->cq, sq = c->sq; /* snapshot: callbacks append to the live queues */
		c->cq.n = c->sq.n = 0;
		for (size_t i = 0; i < cq.n; i++)
			transport_recv(c->srv, cq.buf[i], &cq.len[i], &c->cli_addr, now);
		for (size_t i = 0; i < sq.n; i++)
			transport_recv(c->cli, sq.buf[i], &sq.len[i], &c->srv_addr, now);
		if (transport_state(c->cli) == TRANSPORT_CONNECTED && transport_state(c->srv) == TRANSPORT_CONNECTED &&
		    !c->cq.n && !c->sq.n)
			return;
		if (!cq.n && !sq.n) {
			struct timespec ts = {0, 5 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
}

static size_t make_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, size_t payload)
{
	uint8_t p[1200];
	memset(p, 0xAB, sizeof p);
	struct rtp_header h = {
	    .version = 2, .pt = 111, .seq = seq, .ts = seq * 960u, .ssrc = ssrc, .payload = p, .payload_len = payload};
	return (size_t)rtp_header_serialize(&h, buf, 1500);
}

static void test_connect_and_media(void)
{
	struct conn c;
	conn_init(&c, true, 0);
	CHECK(c.srv && c.cli, "transports created");
	pump(&c, 200);
	CHECK(transport_state(c.cli) == TRANSPORT_CONNECTED, "client %s (%s)",
	      transport_state_name(transport_state(c.cli)), transport_error(c.cli));
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED, "server %s (%s)",
	      transport_state_name(transport_state(c.srv)), transport_error(c.srv));
	CHECK(strcmp(transport_srtp_profile(c.srv), "SRTP_AEAD_AES_128_GCM") == 0, "GCM negotiated: %s",
	      transport_srtp_profile(c.srv));
	uint32_t gen = 0;
	const struct ice_addr *r = transport_remote(c.srv, &gen);
	CHECK(r && ice_addr_equal(r, &c.cli_addr) && gen == 1, "server selected the client's address");
	static const struct {
		bool to_srv;
		size_t payload;
		uint16_t seq;
	} cases[] = {{true, 80, 1}, {true, 1100, 2}, {false, 80, 7}, {false, 1000, 8}, {true, 0, 3}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t buf[1600], orig[1600];
		size_t n = make_rtp(buf, 0x1234, cases[i].seq, cases[i].payload), on = n;
		memcpy(orig, buf, n);
		struct transport *tx = cases[i].to_srv ? c.cli : c.srv, *rx = cases[i].to_srv ? c.srv : c.cli;
		CHECK(transport_protect_rtp(tx, buf, &n, sizeof buf) == 0 && n > on, "case %zu protect", i);
		int rc = transport_recv(rx, buf, &n, cases[i].to_srv ? &c.cli_addr : &c.srv_addr, now_ms());
		CHECK(rc == TRANSPORT_RX_RTP && n == on && memcmp(buf, orig, n) == 0, "case %zu rtp rc=%d", i, rc);
	}
	uint8_t buf[256];
	struct rtcp_fb fb = {.sender_ssrc = 1, .media_ssrc = 2};
	size_t n = (size_t)rtcp_pli_build(buf, sizeof buf, &fb), on = n;
	CHECK(transport_protect_rtcp(c.cli, buf, &n, sizeof buf) == 0, "rtcp protect");
	CHECK(transport_recv(c.srv, buf, &n, &c.cli_addr, now_ms()) == TRANSPORT_RX_RTCP && n == on, "rtcp roundtrip");
	conn_free(&c);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The SRTP index check (main sets SAMVAER_SRTP_INDEX_CHECK=1): real traffic records what it sends and finds no
 * repeat; a repeat made behind the SRTP sessions' back (transport_index_record, as a session with repeats allowed
 * would) is found, with the full index (ROC || SEQ) for SRTP and the trailer's index for SRTCP, on either profile. */
static void test_index_check(const char *name, struct dtls_ctx *s_ctx, struct dtls_ctx *c_ctx, const char *profile,
			     size_t tag)
{
	struct dtls_ctx *keep_s = sctx, *keep_c = cctx;
	sctx = s_ctx, cctx = c_ctx;
	struct conn c;
	conn_init(&c, true, 0);
	sctx = keep_s, cctx = keep_c;
	pump(&c, 200);
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED && !strcmp(transport_srtp_profile(c.srv), profile),
	      "%s: connected with %s", name, transport_srtp_profile(c.srv));
	unsigned long base = transport_index_repeats();
	/* SRTP: 65534, 65535, then 0 and 1 of the next ROC; reordered, never twice. */
	static const uint16_t seqs[] = {65534, 0, 65535, 1};
	int sent = 0;
	for (size_t i = 0; i < 4; i++) {
		uint8_t buf[1600];
		size_t n = make_rtp(buf, 0xabc, seqs[i], 100);
		sent += transport_protect_rtp(c.srv, buf, &n, sizeof buf) == 0;
	}
	/* SRTCP: three packets, consecutive indices in the trailer (from 0 here, from 1 in libsrtp2). */
	uint32_t idx[3];
	for (int i = 0; i < 3; i++) {
		uint8_t buf[256];
		struct rtcp_fb fb = {.sender_ssrc = 0xabd, .media_ssrc = 2};
		size_t n = (size_t)rtcp_pli_build(buf, sizeof buf, &fb);
		sent += transport_protect_rtcp(c.srv, buf, &n, sizeof buf) == 0;
		idx[i] = be32(buf + n - 4 - tag) & 0x7fffffff;
	}
	uint32_t last = idx[2];
	CHECK(sent == 7 && idx[0] <= 1 && idx[1] == idx[0] + 1 && last == idx[0] + 2,
	      "%s: %d of 7 protected, SRTCP indices %u %u %u", name, sent, idx[0], idx[1], idx[2]);
	CHECK(transport_index_repeats() == base, "%s: real traffic: %lu repeats", name,
	      transport_index_repeats() - base);
	/* Behind the sessions' back: SRTP (ROC 1, SEQ 1) = 65537 and (0, 65535) again are repeats; (0, 1) never went. */
	CHECK(transport_index_record(c.srv, 0xabc, false, 65537) && transport_index_record(c.srv, 0xabc, false, 65535),
	      "%s: SRTP repeats found", name);
	CHECK(!transport_index_record(c.srv, 0xabc, false, 1), "%s: (ROC 0, SEQ 1) is another index", name);
	CHECK(transport_index_record(c.srv, 0xabd, true, last) && !transport_index_record(c.srv, 0xabd, true, last + 1),
	      "%s: the last SRTCP index repeated, the next new", name);
	CHECK(!transport_index_record(c.srv, 0xabd, false, 2) && !transport_index_record(c.cli, 0xabd, true, 2),
	      "%s: another kind, another transport: separate", name);
	CHECK(transport_index_repeats() == base + 3, "%s: counter %lu", name, transport_index_repeats() - base);
	/* Long runs: 300,000 indices on one stream (past the ~65,536 kept before pruning) never repeat; the recent
     * ones are still checked, and one long forgotten counts as a repeat (no SRTP session would take it). */
	int rep = 0;
	for (uint64_t i = 100; i < 300100; i++)
		rep += transport_index_record(c.cli, 0x77, false, i);
	CHECK(rep == 0, "%s: %d repeats among 300,000 distinct indices", name, rep);
	CHECK(transport_index_record(c.cli, 0x77, false, 300099) && transport_index_record(c.cli, 0x77, false, 296100),
	      "%s: recent indices still checked after pruning", name);
	CHECK(transport_index_record(c.cli, 0x77, false, 150), "%s: a forgotten index counts as a repeat", name);
	CHECK(!transport_index_record(c.cli, 0x77, false, 300100), "%s: the next index is new", name);
	CHECK(transport_index_repeats() == base + 6, "%s: counter %lu", name, transport_index_repeats() - base);
	conn_free(&c);
}

/* SAMVAER_SRTP_INDEX_CHECK=abort: this binary again, as a child that records one index twice; it must abort. */
static void test_index_check_abort(void)
{
	if (getenv("TEST_TRANSPORT_ABORT_CHILD")) {
		struct conn c;
		conn_init(&c, true, 0);
		transport_index_record(c.srv, 5, false, 7);
		transport_index_record(c.srv, 5, false, 7);
		exit(0); /* not reached when the check works */
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("TEST_TRANSPORT_ABORT_CHILD", "1", 1);
		setenv("SAMVAER_SRTP_INDEX_CHECK", "abort", 1);
		setenv("ASAN_OPTIONS", "handle_abort=0", 1);
		execl("/proc/self/exe", "test_transport", (char *)NULL);
		_exit(3);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	      "=abort: child status %#x", st);
}

static void test_demux_errors(void)
{
	struct conn c;
	conn_init(&c, true, 0);
	uint8_t buf[1600];
	size_t n = make_rtp(buf, 9, 1, 50);
	CHECK(transport_recv(c.srv, buf, &n, &c.cli_addr, now_ms()) == TRANSPORT_ERR_STATE, "rtp before connect");
	pump(&c, 200);
	struct ice_addr other;
	ice_addr_from_string(&other, "127.0.0.2", 50000);
	static const struct {
		uint8_t first;
		size_t len;
		int want;
	} cases[] = {{0x40, 100, TRANSPORT_ERR_DEMUX}, {0x05, 100, TRANSPORT_ERR_DEMUX},
		     {0xC5, 100, TRANSPORT_ERR_DEMUX}, {0x80, 100, TRANSPORT_ERR_SRTP},
		     {0x16, 100, TRANSPORT_ERR_DTLS},  {0x00, 20, TRANSPORT_ERR_DEMUX},
		     {0x80, 4, TRANSPORT_ERR_DEMUX}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(buf, 0x11, sizeof buf);
		buf[0] = cases[i].first;
		size_t l = cases[i].len;
		int rc = transport_recv(c.srv, buf, &l, &c.cli_addr, now_ms());
		CHECK(rc == cases[i].want || (cases[i].want == TRANSPORT_ERR_DTLS && rc <= 0),
		      "garbage case %zu: rc=%d want %d", i, rc, cases[i].want);
	}
	n = make_rtp(buf, 9, 1, 50);
	transport_protect_rtp(c.cli, buf, &n, sizeof buf);
	CHECK(transport_recv(c.srv, buf, &n, &other, now_ms()) == TRANSPORT_ERR_STATE, "media from unselected address");
	/* a check with the wrong ufrag is not for us and selects nothing */
	struct stun_binding_request req = {.username = "nobody:x",
					   .priority = 1,
					   .controlling = true,
					   .use_candidate = true,
					   .key = (const uint8_t *)"pwdpwdpwdpwdpwdpwdpwdpwd",
					   .key_len = 24};
	int l = stun_build_binding_request(buf, sizeof buf, &req);
	n = (size_t)l;
	CHECK(transport_recv(c.srv, buf, &n, &other, now_ms()) == TRANSPORT_ERR_STUN, "foreign STUN");
	uint32_t gen;
	transport_remote(c.srv, &gen);
	CHECK(gen == 1, "selected address unchanged by a foreign check");
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED, "still connected after garbage");
	conn_free(&c);
}

static void test_fingerprint_mismatch(void)
{
	struct conn c;
	conn_init(&c, false, 0);
	pump(&c, 100);
	CHECK(transport_state(c.srv) == TRANSPORT_FAILED, "server with wrong fingerprint: %s",
	      transport_state_name(transport_state(c.srv)));
	conn_free(&c);
}

static void test_consent_expiry(void)
{
	struct conn c;
	conn_init(&c, true, 150);
	pump(&c, 200);
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED, "connected");
	int64_t t0 = now_ms();
	transport_tick(c.srv, t0 + 100);
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED, "consent still fresh at 100 ms");
	transport_tick(c.srv, t0 + 400);
	CHECK(transport_state(c.srv) == TRANSPORT_DISCONNECTED && c.sq.last_state == TRANSPORT_DISCONNECTED,
	      "consent lost after 150 ms without checks");
	c.cli_addr = c.cli_addr; /* a fresh check from the client restores it */
	transport_tick(c.cli, t0 + 5000);
	pump(&c, 3);
	CHECK(transport_state(c.srv) == TRANSPORT_CONNECTED, "consent regained: %s",
	      transport_state_name(transport_state(c.srv)));
	conn_free(&c);
}

static void test_ice_lite_unit(void)
{
	struct ice_agent a;
	char u[ICE_CRED_MAX], p[ICE_CRED_MAX];
	CHECK(ice_credentials_generate(u, p) == 0 && strlen(u) == ICE_UFRAG_GEN_LEN && strlen(p) == ICE_PWD_GEN_LEN,
	      "credentials");
	CHECK(ice_agent_init(&a, ICE_ROLE_LITE, u, p, "rem", "remotepasswordremotepassword", NULL) == 0, "init");
	CHECK(ice_agent_init(&a, ICE_ROLE_CONTROLLING, u, p, "r", "x", NULL) == ICE_ERR_ARG, "controlling needs cand");
	ice_agent_init(&a, ICE_ROLE_LITE, u, p, "rem", "remotepasswordremotepassword", NULL);
	struct ice_addr from;
	ice_addr_from_string(&from, "::1", 1234);
	char user[2 * ICE_CRED_MAX];
	snprintf(user, sizeof user, "%s:rem", u);
	static const struct {
		bool good_key, use_cand;
		int want;
	} cases[] = {
	    {false, true, ICE_ERR_AUTH}, {true, false, ICE_RX_REPLY | ICE_RX_SELECTED}, {true, true, ICE_RX_REPLY}};
	for (size_t i = 0; i < 3; i++) {
		uint8_t buf[512], out[512];
		struct stun_binding_request req = {
		    .username = user,
		    .priority = 7,
		    .controlling = true,
		    .use_candidate = cases[i].use_cand,
		    .key = (const uint8_t *)(cases[i].good_key ? p : "wrongwrongwrongwrongwrong"),
		    .key_len = cases[i].good_key ? strlen(p) : 25};
		req.tid[0] = (uint8_t)i;
		int n = stun_build_binding_request(buf, sizeof buf, &req);
		size_t ol = 0;
		int rc = ice_agent_handle(&a, buf, (size_t)n, &from, 1000, out, sizeof out, &ol);
		CHECK(rc == cases[i].want && ol > 0, "lite case %zu rc=%d", i, rc);
		struct stun_msg m;
		CHECK(stun_msg_parse(&m, out, ol, NULL) == STUN_OK &&
			  m.type == (cases[i].good_key ? STUN_BINDING_SUCCESS : STUN_BINDING_ERROR),
		      "lite case %zu reply type", i);
	}
	CHECK(a.state == ICE_STATE_CONNECTED && a.selected_gen == 1, "lite connected");
	CHECK(ice_agent_tick(&a, 1000 + ICE_CONSENT_TIMEOUT_MS + 1, NULL, 0) == 0 && a.state == ICE_STATE_DISCONNECTED,
	      "lite consent timeout");
}

int main(void)
{
	char err[128];
	if (dtls_cert_generate(&cert_s, err, sizeof err) || dtls_cert_generate(&cert_c, err, sizeof err)) {
		fprintf(stderr, "cert: %s\n", err);
		return 1;
	}
	sctx = dtls_ctx_new(cert_s, DTLS_ROLE_SERVER, NULL, err, sizeof err);
	cctx = dtls_ctx_new(cert_c, DTLS_ROLE_CLIENT, NULL, err, sizeof err);
	if (getenv("TEST_TRANSPORT_ABORT_CHILD"))
		test_index_check_abort();           /* does not return */
	setenv("SAMVAER_SRTP_INDEX_CHECK", "1", 1); /* before the first transport: read once per process */
	test_ice_lite_unit();
	test_connect_and_media();
	CHECK(transport_index_repeats() == 0, "no SRTP index repeated by real traffic: %lu", transport_index_repeats());
	test_index_check("GCM", sctx, cctx, "SRTP_AEAD_AES_128_GCM", 0);
	struct dtls_ctx *cm_s = dtls_ctx_new(cert_s, DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_80", err, sizeof err);
	struct dtls_ctx *cm_c = dtls_ctx_new(cert_c, DTLS_ROLE_CLIENT, "SRTP_AES128_CM_SHA1_80", err, sizeof err);
	test_index_check("AES-CM", cm_s, cm_c, "SRTP_AES128_CM_SHA1_80", 10);
	dtls_ctx_free(cm_s);
	dtls_ctx_free(cm_c);
	test_index_check_abort();
	test_demux_errors();
	test_fingerprint_mismatch();
	test_consent_expiry();
	dtls_ctx_free(sctx);
	dtls_ctx_free(cctx);
	dtls_cert_free(cert_s);
	dtls_cert_free(cert_c);
	printf("test_transport: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
