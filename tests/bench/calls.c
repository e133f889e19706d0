/* calls.c: media load generator (bench-calls): N concurrent 1:1 video calls through samvaer or Janus; server CPU per relayed packet, loss, latency, setup. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/dtls.h"
#include "tests/bench/lib/procstat.h"
#include "tests/peer/peer.h"

/*
 * Model
 *   Each call has legs (one media/peer.h peer = one UDP socket each): samvaer 2 (each side sends and receives
 *   on one PeerConnection), Janus 4 (two publishers, two subscriptions). Every sending leg sends Opus-like
 *   audio (50 packets/s) and VP8-like video (100 packets/s of 1,200 bytes: ~1 Mbit/s), each packet stamped
 *   with its send time.
 *   One thread, one core. Legs are spread over SLOTS 1-ms slots: each leg is visited once every SLOTS ms, when
 *   it reads everything queued on its socket (recvmmsg, kernel receive timestamps) and sends what is due (one
 *   sendmmsg per leg). Video is counted from the clear RTP header; audio is decrypted to read the send stamp,
 *   so latency = kernel receive time - send stamp. While a leg is being set up (ICE, DTLS, first media) its
 *   socket is also in epoll, so setup time is measured to the millisecond.
 *   Measured window: after every call is up (or failed) and a warm-up, for --duration seconds: packets received
 *   by the legs (= relayed by the server), loss from RTP sequence numbers, the server's utime+stime from
 *   /proc/PID/stat.
 * Output: human lines on stderr, one "RESULT k=v ..." line on stdout.
 */

#define SLOTS 20            /* ms between two visits of one leg */
#define RXB 32              /* datagrams per recvmmsg */
#define TXB 32              /* datagrams per sendmmsg */
#define HIST_US 10          /* latency histogram bucket */
#define HIST_N 20000        /* buckets: up to 200 ms */
#define TAG_WS (1ull << 62) /* epoll data: WebSocket (pointer) */

struct call;

struct leg {
	struct peer *p;
	struct call *call;
	int fd;
	bool in_epoll;       /* setting up: every datagram handled at once */
	bool recv_media;     /* must receive media for the call to count as up */
	int64_t first_rx_ms; /* first RTP received, 0 before */
};

#include "tests/bench/calls/ws.c"

struct call {
	int idx;
	bool failed, up;
	struct leg *leg[4];
	int n_legs;
	int64_t t0_ms;      /* samvaer: call.accept sent; Janus: first publish sent */
	int64_t setup_ms;   /* t0 -> the last receiving leg's first media */
	int ready, offered; /* signalling progress */
	/* samvaer */
	struct ws ws[2];
	const char *token[2];
	int64_t agreement, call_id;
	/* Janus */
	uint64_t session, handle[4], room, feed[2];
};

enum mode { MODE_SAMVAER, MODE_JANUS };

static struct {
	struct {
		enum mode mode;
		const char *host, *tokens;
		int port, calls, server_pid;
		double rate, warmup, duration, setup_timeout;
	} o;
	int ep;
	struct dtls_cert *cert;
	struct dtls_ctx *dtls;
	struct call *calls;
	struct leg **legs;
	int n_legs, started, n_up, n_failed;
	bool stopping, measuring;
	/* send batch (one socket at a time) */
	struct mmsghdr txm[TXB];
	struct iovec txiov[TXB];
	uint8_t txbuf[TXB][1600];
	struct ice_addr txto[TXB];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} txcm[TXB];  /* UDP_SEGMENT */
	bool gso_off; /* the kernel refused UDP_SEGMENT */
	int txfd;
	unsigned txn;
	uint64_t tx_err;
	/* latency */
	uint32_t hist[HIST_N + 1];
	uint64_t hist_n;
} G;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void call_fail(struct call *c, const char *why)
{
	if (c->failed || G.stopping)
		return;
	c->failed = true;
	G.n_failed++;
	if (G.n_failed <= 5)
		fprintf(stderr, "calls: call %d failed: %s\n", c->idx, why ? why : "?");
}

static void watch_ws(struct ws *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_WS | (uint64_t)(uintptr_t)w};
	epoll_ctl(G.ep, EPOLL_CTL_ADD, w->fd, &ev);
}

/* ---- media: send batching, receive, delay samples ---- */

/* Runs of queued datagrams to one address, all but the last of one size, go as one UDP_SEGMENT message (the
 * server's worker does the same): a leg's video packets of one visit cost the generator one send, so its one
 * core can offer more of the load. The receiving socket is the server's and has no UDP_GRO: it still gets
 * every datagram on its own. Returns the number of messages built in G.txm. */
static unsigned tx_messages(void)
{
	unsigned m = 0;
	for (unsigned i = 0; i < G.txn; m++) {
		unsigned k = 1;
		size_t seg = G.txiov[i].iov_len, total = seg;
		while (!G.gso_off && i + k < G.txn && G.txiov[i + k - 1].iov_len == seg &&
		       G.txiov[i + k].iov_len <= seg && total + G.txiov[i + k].iov_len <= 65000 &&
		       ice_addr_equal(&G.txto[i + k], &G.txto[i])) {
			total += G.txiov[i + k].iov_len;
			k++;
		}
		struct msghdr *h = &G.txm[m].msg_hdr;
		*h = (struct msghdr){
		    .msg_name = &G.txto[i].u, .msg_namelen = G.txto[i].len, .msg_iov = &G.txiov[i], .msg_iovlen = k};
		if (k > 1) {
			h->msg_control = G.txcm[m].buf, h->msg_controllen = sizeof G.txcm[m].buf;
			struct cmsghdr *c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP, c->cmsg_type = UDP_SEGMENT, c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			uint16_t v = (uint16_t)seg;
			memcpy(CMSG_DATA(c), &v, sizeof v);
		}
		i += k;
	}
	return m;
}

static void tx_flush(void)
{
	unsigned n = tx_messages(), off = 0;
	while (off < n) {
		int r = sendmmsg(G.txfd, G.txm + off, n - off, MSG_DONTWAIT);
		if (r <= 0) {
			if (r < 0 && (errno == EIO || errno == EINVAL) && G.txm[off].msg_hdr.msg_iovlen > 1)
				G.gso_off = true; /* no UDP_SEGMENT: one datagram per message from the next flush on */
			for (; off < n; off++)
				G.tx_err += G.txm[off].msg_hdr.msg_iovlen;
			break;
		}
		off += (unsigned)r;
	}
	G.txn = 0;
}

static void tx_push(void *user, int fd, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	(void)user;
	if (G.txn && (fd != G.txfd || G.txn == TXB))
		tx_flush();
	if (len > sizeof G.txbuf[0])
		return;
	unsigned i = G.txn++;
	memcpy(G.txbuf[i], buf, len);
	G.txiov[i] = (struct iovec){G.txbuf[i], len};
	G.txto[i] = *to;
	G.txfd = fd;
}

static void on_delay(void *user, int64_t us)
{
	(void)user;
	if (!G.measuring)
		return;
	int64_t b = us < 0 ? 0 : us / HIST_US;
	G.hist[b > HIST_N ? HIST_N : b]++;
	G.hist_n++;
}

static void call_check_up(struct call *c)
{
	int64_t last = 0;
	for (int i = 0; i < c->n_legs; i++) {
		if (c->leg[i]->recv_media && !c->leg[i]->first_rx_ms)
			return;
		if (c->leg[i]->first_rx_ms > last)
			last = c->leg[i]->first_rx_ms;
	}
	c->up = true;
	c->setup_ms = last - c->t0_ms;
	G.n_up++;
}

static void leg_first_rx(struct leg *l, int64_t now)
{
	struct peer_stats st;
	peer_stats_get(l->p, &st);
	if (!st.audio.rx && !st.video.rx)
		return;
	l->first_rx_ms = now;
	if (getenv("CALLS_DEBUG") && l->call->idx < 3)
		fprintf(stderr, "debug: call %d leg first media at +%lld ms\n", l->call->idx,
			(long long)(now - l->call->t0_ms));
	if (l->in_epoll) { /* steady state: visited in its slot only */
		epoll_ctl(G.ep, EPOLL_CTL_DEL, l->fd, NULL);
		l->in_epoll = false;
	}
	if (!l->call->up && !l->call->failed)
		call_check_up(l->call);
}

static void leg_recv(struct leg *l, int64_t now)
{
	static struct mmsghdr m[RXB];
	static struct iovec iov[RXB];
	static uint8_t buf[RXB][2048];
	static struct ice_addr from[RXB];
	static char ctl[RXB][CMSG_SPACE(sizeof(struct timespec))];
	for (;;) {
		for (int i = 0; i < RXB; i++) {
			iov[i] = (struct iovec){buf[i], sizeof buf[i]};
			m[i].msg_hdr = (struct msghdr){.msg_name = &from[i].u,
						       .msg_namelen = sizeof from[i].u,
						       .msg_iov = &iov[i],
						       .msg_iovlen = 1,
						       .msg_control = ctl[i],
						       .msg_controllen = sizeof ctl[i]};
		}
		int n = recvmmsg(l->fd, m, RXB, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			int64_t rx_us = 0;
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m[i].msg_hdr);
			if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(cm), sizeof ts);
				rx_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
			}
			from[i].len = m[i].msg_hdr.msg_namelen;
			peer_input(l->p, buf[i], m[i].msg_len, &from[i], now, rx_us);
		}
		tx_flush(); /* DTLS flights and STUN answers go out at once */
		if (n < RXB)
			break;
	}
	if (!l->first_rx_ms)
		leg_first_rx(l, now);
}

/* A leg's transport exists: watch its socket until media flows, and start ICE now. */
static void leg_started(struct leg *l)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)l};
	if (!l->in_epoll && epoll_ctl(G.ep, EPOLL_CTL_ADD, l->fd, &ev) == 0)
		l->in_epoll = true;
	peer_tick(l->p, now_ms());
	tx_flush();
	if (getenv("CALLS_DEBUG") && l->call->idx < 3)
		fprintf(stderr, "debug: call %d leg started at +%lld ms\n", l->call->idx,
			(long long)(now_ms() - l->call->t0_ms));
}

static struct leg *leg_new(struct call *c, bool send, bool recv)
{
	char err[256] = "";
	struct leg *l = calloc(1, sizeof *l);
	struct peer_config pc = {.bind_ip = G.o.host,
				 .dtls = G.dtls,
				 .cert = G.cert,
				 .send_audio = send,
				 .send_video = send,
				 .video_pps = 100,
				 .video_size = 1188,
				 .send = tx_push,
				 .user = l,
				 .rx_header_only = true,
				 .on_delay = on_delay,
				 .offer_active = G.o.mode == MODE_JANUS};
	if (!l || !(l->p = peer_new(&pc, err, sizeof err))) {
		fprintf(stderr, "calls: peer: %s\n", err);
		free(l);
		return NULL;
	}
	int one = 1;
	l->fd = peer_fd(l->p);
	setsockopt(l->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	l->call = c, l->recv_media = recv;
	c->leg[c->n_legs++] = l;
	G.legs[G.n_legs++] = l;
	return l;
}

#include "tests/bench/calls/janus.c"
#include "tests/bench/calls/samvaer.c"

/* ---- the run ---- */

static void visit_slot(int slot, int64_t now)
{
	for (int i = slot; i < G.n_legs; i += SLOTS) {
		struct leg *l = G.legs[i];
		if (!l->in_epoll)
			leg_recv(l, now);
		peer_tick(l->p, now);
		tx_flush();
	}
}

static void handle_events(int timeout_ms, int64_t now)
{
	struct epoll_event evs[256];
	int n = epoll_wait(G.ep, evs, 256, timeout_ms);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 & TAG_WS) {
			struct ws *w = (struct ws *)(uintptr_t)(evs[i].data.u64 & ~TAG_WS);
			if (ws_read(w) < 0) {
				epoll_ctl(G.ep, EPOLL_CTL_DEL, w->fd, NULL);
				if (!G.stopping)
					fprintf(stderr, "calls: signalling connection closed\n");
			}
		} else {
			leg_recv((struct leg *)(uintptr_t)evs[i].data.u64, now);
		}
	}
}

/* Run the loop until until_ms; start calls at the configured rate while any are left. */
static void run_until(int64_t until_ms, bool (*done)(void))
{
	static int64_t last_slot_ms, next_start_ms;
	double gap = G.o.rate > 0 ? 1000.0 / G.o.rate : 0;
	for (int64_t now = now_ms(); now < until_ms && !(done && done()); now = now_ms()) {
		while (G.started < G.o.calls && now >= next_start_ms) {
			struct call *c = &G.calls[G.started++];
			G.o.mode == MODE_JANUS ? jn_call_start(c) : sv_call_start(c);
			next_start_ms = (next_start_ms ? next_start_ms : now) + (int64_t)gap;
		}
		if (!last_slot_ms)
			last_slot_ms = now - 1;
		for (int64_t t = last_slot_ms + 1; t <= now; t++)
			visit_slot((int)(t % SLOTS), now);
		last_slot_ms = now;
		handle_events(1, now);
	}
}

static bool all_settled(void)
{
	return G.started == G.o.calls && G.n_up + G.n_failed >= G.o.calls;
}

struct totals {
	uint64_t rx, lost, tx, bad;
};

static void totals_get(struct totals *t)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < G.n_legs; i++) {
		struct peer_stats st;
		peer_stats_get(G.legs[i]->p, &st);
		t->rx += st.audio.rx + st.video.rx, t->lost += st.audio.lost + st.video.lost;
		t->tx += st.audio.tx + st.video.tx, t->bad += st.rx_bad;
	}
}

static double hist_pct(double q)
{
	uint64_t want = (uint64_t)(q * (double)G.hist_n), acc = 0;
	for (int b = 0; b <= HIST_N; b++)
		if ((acc += G.hist[b]) > want)
			return (b + 0.5) * HIST_US;
	return -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void setup_pcts(double *p50, double *p99)
{
	int64_t *v = malloc(sizeof *v * (size_t)(G.o.calls + 1));
	int n = 0;
	for (int i = 0; v && i < G.o.calls; i++)
		if (G.calls[i].up)
			v[n++] = G.calls[i].setup_ms;
	*p50 = *p99 = -1;
	if (n) {
		qsort(v, (size_t)n, sizeof *v, cmp_i64);
		*p50 = (double)v[n / 2], *p99 = (double)v[(int)(0.99 * (n - 1))];
	}
	free(v);
}

static void measure(void)
{
	for (int i = 0; i < G.n_legs; i++)
		peer_stats_reset(G.legs[i]->p);
	double srv0 = procstat_cpu_s(G.o.server_pid), gen0 = procstat_self_cpu_s();
	int64_t t0 = now_ms();
	G.measuring = true;
	run_until(t0 + (int64_t)(G.o.duration * 1000), NULL);
	G.measuring = false;
	double secs = (double)(now_ms() - t0) / 1000.0;
	double srv = procstat_cpu_s(G.o.server_pid) - srv0, gen = procstat_self_cpu_s() - gen0;
	struct totals t;
	totals_get(&t);
	double s50, s99;
	setup_pcts(&s50, &s99);
	if (getenv("CALLS_DEBUG")) {
		int by_state[8] = {0};
		for (int i = 0; i < G.n_legs; i++)
			by_state[peer_state(G.legs[i]->p) & 7]++;
		for (int k = 0; k < 6; k++)
			fprintf(stderr, "debug: %d legs %s\n", by_state[k],
				transport_state_name((enum transport_state)k));
	}
	double loss = t.rx + t.lost ? 100.0 * (double)t.lost / (double)(t.rx + t.lost) : -1;
	fprintf(stderr,
		"calls: %d up, %d failed; %.1f s: %llu packets relayed (%.0f/s), loss %.3f%%, server %.2f s CPU\n",
		G.n_up, G.n_failed, secs, (unsigned long long)t.rx, (double)t.rx / secs, loss, srv);
	printf("RESULT mode=%s calls=%d up=%d failed=%d duration_s=%.1f relayed=%llu pps=%.0f sent=%llu "
	       "server_cpu_s=%.3f us_per_pkt=%.2f loss_pct=%.4f lat_p50_us=%.0f lat_p99_us=%.0f lat_samples=%llu "
	       "setup_p50_ms=%.0f setup_p99_ms=%.0f gen_cpu_pct=%.0f tx_err=%llu rx_bad=%llu\n",
	       G.o.mode == MODE_JANUS ? "janus" : "samvaer", G.o.calls, G.n_up, G.n_failed, secs,
	       (unsigned long long)t.rx, (double)t.rx / secs, (unsigned long long)t.tx, srv,
	       t.rx && srv >= 0 ? srv * 1e6 / (double)t.rx : -1, loss, hist_pct(0.5), hist_pct(0.99),
	       (unsigned long long)G.hist_n, s50, s99, 100 * gen / secs, (unsigned long long)G.tx_err,
	       (unsigned long long)t.bad);
	fflush(stdout);
}

/* ---- options ---- */

static int load_tokens(void)
{
	FILE *f = fopen(G.o.tokens, "r");
	char tok[256];
	long long ag;
	for (int i = 0; f && i < 2 * G.o.calls; i++) {
		if (fscanf(f, "%255s %lld", tok, &ag) != 2)
			break;
		struct call *c = &G.calls[i / 2];
		c->token[i % 2] = strdup(tok), c->agreement = ag;
	}
	if (f)
		fclose(f);
	return f && G.calls[G.o.calls - 1].token[1] ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-calls --mode samvaer|janus --port P [--host 127.0.0.1] --calls N [--tokens FILE]\n"
		"  [--rate CALLS_PER_S (50)] [--warmup S (3)] [--duration S (10)] [--setup-timeout S (30)]\n"
		"  --server-pid PID\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	G.o.host = "127.0.0.1", G.o.rate = 50, G.o.warmup = 3, G.o.duration = 10, G.o.setup_timeout = 30;
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--mode"))
			G.o.mode = !strcmp(v, "janus") ? MODE_JANUS
			    : !strcmp(v, "samvaer")    ? MODE_SAMVAER
						       : (usage(), 0);
		else if (!strcmp(a, "--host"))
			G.o.host = v;
		else if (!strcmp(a, "--port"))
			G.o.port = atoi(v);
		else if (!strcmp(a, "--calls"))
			G.o.calls = atoi(v);
		else if (!strcmp(a, "--tokens"))
			G.o.tokens = v;
		else if (!strcmp(a, "--rate"))
			G.o.rate = atof(v);
		else if (!strcmp(a, "--warmup"))
			G.o.warmup = atof(v);
		else if (!strcmp(a, "--duration"))
			G.o.duration = atof(v);
		else if (!strcmp(a, "--setup-timeout"))
			G.o.setup_timeout = atof(v);
		else if (!strcmp(a, "--server-pid"))
			G.o.server_pid = atoi(v);
		else
			usage();
	}
	if (G.o.calls < 1 || !G.o.port || !G.o.server_pid || (G.o.mode == MODE_SAMVAER && !G.o.tokens))
		usage();
}

int main(int argc, char **argv)
{
	char err[256] = "";
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl = {65536, 65536};
	setrlimit(RLIMIT_NOFILE, &rl);
	G.calls = calloc((size_t)G.o.calls, sizeof *G.calls);
	G.legs = calloc((size_t)G.o.calls * 4, sizeof *G.legs);
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; G.calls && i < G.o.calls; i++)
		G.calls[i].idx = i;
	if (!G.calls || !G.legs || (G.o.mode == MODE_SAMVAER && load_tokens())) {
		fprintf(stderr, "calls: need %d token pairs in %s\n", G.o.calls, G.o.tokens);
		return 1;
	}
	if (dtls_cert_generate(&G.cert, err, sizeof err) ||
	    !(G.dtls = dtls_ctx_new(G.cert, DTLS_ROLE_CLIENT, NULL, err, sizeof err))) {
		fprintf(stderr, "calls: %s\n", err);
		return 1;
	}
	int64_t t0 = now_ms();
	run_until(t0 + (int64_t)((G.o.calls / (G.o.rate > 0 ? G.o.rate : 1e9) + G.o.setup_timeout) * 1000),
		  all_settled);
	fprintf(stderr, "calls: %d of %d calls up in %.1f s (%d failed)\n", G.n_up, G.o.calls,
		(double)(now_ms() - t0) / 1000.0, G.n_failed);
	run_until(now_ms() + (int64_t)(G.o.warmup * 1000), NULL);
	measure();
	G.stopping = true;
	for (int i = 0; i < G.n_legs; i++)
		peer_free(G.legs[i]->p);
	for (int i = 0; i < G.o.calls; i++)
		for (int k = 0; k < 2; k++)
			if (G.calls[i].ws[k].fd > 0)
				ws_close(&G.calls[i].ws[k]);
	if (jn_ws.fd > 0)
		ws_close(&jn_ws);
	return G.n_up ? 0 : 1;
}
