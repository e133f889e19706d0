/* loadgen.c: single-threaded epoll WebSocket load generator for the messaging bench (echo, samvaer and idle modes;
 * --stall: half the clients stop reading; --flood: one account floods while the others are paced). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/lib/procstat.h"
#include "tests/bench/lib/ws_frame.h"

#define LG_MAX_FRAME (1u << 20) /* largest server frame we accept */
#define LG_READ_BUF (256 * 1024)
#define LG_MAX_ERRPRINT 5 /* error responses printed verbatim */

enum lg_mode { LG_ECHO, LG_SAMVAER };
enum lg_state { ST_NEW, ST_CONNECTING, ST_UPGRADING, ST_AUTHING, ST_READY, ST_DEAD };

struct lg_opts {
	const char *host;       /* server address (IPv4 literal) */
	int port;               /* server port */
	const char *path;       /* WebSocket path */
	const char *mode_name;  /* --mode as given */
	enum lg_mode mode;      /* echo or samvaer */
	int conns;              /* connections */
	int window;             /* frames in flight per connection (saturated), or cap (paced) */
	double rate;            /* paced total msg/s; 0 = saturated */
	double duration;        /* measured seconds */
	double warmup;          /* unmeasured seconds of traffic first */
	const char *tokens;     /* samvaer: file of "TOKEN AGREEMENT_ID" lines */
	int idle;               /* connect+authenticate, hold, measure server RSS */
	double hold;            /* idle: seconds to hold the connections */
	int text_len;           /* characters of message text */
	int server_pid;         /* server to sample CPU/RSS from (0 = none) */
	int max_pending;        /* handshakes in progress at once */
	double connect_timeout; /* seconds to get every connection ready */
	int stall;              /* 1: odd connections stop reading once ready, even ones send to them (paced);
				 * 2: the same traffic with every connection reading (the control) */
	int flood;              /* connections [0, flood) send as fast as their window allows; the rest are paced */
	int flood_window;       /* sends in flight per flooding connection (0: it sends nothing, the control) */
	double flood_period;    /* > 0: the flooders flood for this many seconds, then are gone (closed) as long */
	double alt_period;      /* > 0: samples sent in even periods of CLOCK_MONOTONIC (t / period) are "on", odd
				 * ones "off" (another process loads the server in the even periods only) */
	double alt_guard;       /* --alt-period: samples sent this soon after a period began are dropped */
};

struct lg_conn {
	int fd;              /* socket, -1 when closed */
	enum lg_state state; /* life cycle */
	char *token;         /* samvaer session token */
	long agreement;      /* samvaer agreement id */
	unsigned char *out;  /* bytes waiting to be written */
	size_t out_len;      /* valid bytes in out */
	size_t out_off;      /* bytes of out already written */
	size_t out_cap;      /* capacity of out */
	int want_out;        /* EPOLLOUT is registered */
	int dirty;           /* on the flush list */
	unsigned char *in;   /* unparsed received bytes */
	size_t in_len;       /* valid bytes in in */
	size_t in_cap;       /* capacity of in */
	unsigned char *msg;  /* fragmented message being reassembled */
	size_t msg_len;      /* bytes in msg */
	size_t msg_cap;      /* capacity of msg */
	int inflight;        /* sent frames not yet answered */
	uint32_t seq;        /* request ids / message numbers */
	int flood;           /* --flood: this one floods (its messages carry no timestamp) */
	int stalled;         /* --stall: this one stops reading once ready */
};

struct lg_stats {
	uint64_t sent;      /* frames sent (measured window) */
	uint64_t acks;      /* ok responses (measured window) */
	uint64_t delivered; /* messages/echoes received (measured window) */
	uint64_t errors;    /* error responses (whole run) */
	uint64_t closes;    /* connections lost after becoming ready (whole run) */
	uint64_t skipped;   /* paced sends skipped: connection not ready or window full */
	uint64_t flood_ok;  /* flooding sends accepted (measured window) */
	uint64_t flood_lim; /* flooding sends refused with send_rate_limited (measured window) */
	uint64_t cut;       /* stalled connections the server closed (whole run) */
	uint32_t *lat;      /* latency samples in microseconds */
	size_t lat_n;       /* samples */
	size_t lat_cap;     /* capacity of lat */
	uint32_t *off;      /* --flood-period: samples of messages sent while the flooders were gone */
	size_t off_n;       /* samples in off */
	size_t off_cap;     /* capacity of off */
};

static struct {
	struct lg_opts o;                /* options */
	struct lg_conn *c;               /* connections */
	int epfd;                        /* epoll instance */
	int *dirty;                      /* connections with unflushed output */
	int ndirty;                      /* entries in dirty */
	int started;                     /* connections started */
	int failed;                      /* connections that never became ready */
	int pending;                     /* connections started but not ready or dead */
	int ready;                       /* connections ready */
	int dead;                        /* connections failed or closed */
	int measuring;                   /* inside the measured window */
	uint64_t t_from;                 /* measured window start (ns) */
	double cpu0;                     /* server CPU seconds at the window start (-1 = unknown) */
	double cpu1;                     /* server CPU seconds at the window end */
	long rss;                        /* server VmRSS (KB) at the last sample */
	long rss_start, rss_peak;        /* --stall: VmRSS at the window start and its highest sample */
	long rss_half;                   /* --stall: VmRSS half-way through the window */
	struct lg_stats st;              /* counters */
	unsigned run_id;                 /* makes client_keys unique across runs */
	uint32_t rng;                    /* xorshift state for masks */
	unsigned char rbuf[LG_READ_BUF]; /* shared read buffer */
} G;

static uint64_t lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t lg_rand(void)
{
	G.rng ^= G.rng << 13;
	G.rng ^= G.rng >> 17;
	G.rng ^= G.rng << 5;
	return G.rng;
}

static void *lg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(1);
	}
	return q;
}

/* Grows *buf so that it holds at least need bytes. */
static void lg_reserve(unsigned char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 1024;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*buf = lg_xrealloc(*buf, n);
	*cap = n;
}

/* ---- server sampling (/proc) ---- */

/* CPU seconds (all threads) and VmRSS of a process; -1 when unknown. */
static void lg_proc_sample(int pid, double *cpu_s, long *rss_kb)
{
	*cpu_s = procstat_cpu_s(pid);
	*rss_kb = *cpu_s < 0 ? -1 : procstat_rss_kb(pid);
}

/* ---- output: frames and flushing ---- */

static void lg_mark_dirty(int i)
{
	if (!G.c[i].dirty) {
		G.c[i].dirty = 1;
		G.dirty[G.ndirty++] = i;
	}
}

static void lg_append(int i, const void *data, size_t len)
{
	struct lg_conn *c = &G.c[i];

	lg_reserve(&c->out, &c->out_cap, c->out_len + len);
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	lg_mark_dirty(i);
}

/* Appends one masked client frame with FIN set. */
static void lg_send_frame(int i, int opcode, const void *payload, size_t len)
{
	struct lg_conn *c = &G.c[i];

	lg_reserve(&c->out, &c->out_cap, c->out_len + ws_frame_size(len));
	c->out_len += ws_frame_write(c->out + c->out_len, opcode, payload, len, lg_rand());
	lg_mark_dirty(i);
}

static void lg_close(int i, const char *why)
{
	struct lg_conn *c = &G.c[i];
	static int printed;

	if (c->state == ST_DEAD)
		return;
	if (c->state == ST_READY) {
		G.ready--;
		G.st.closes++;
	} else {
		G.pending--;
		G.failed++;
	}
	if (why && ++printed <= LG_MAX_ERRPRINT)
		fprintf(stderr, "loadgen: conn %d closed (%s)\n", i, why);
	c->state = ST_DEAD;
	G.dead++;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	free(c->in);
	free(c->msg);
	c->out = c->in = c->msg = NULL;
	c->out_len = c->out_off = c->out_cap = c->in_len = c->in_cap = c->msg_len = c->msg_cap = 0;
}

static void lg_flush(int i)
{
	struct lg_conn *c = &G.c[i];
	ssize_t n;

	c->dirty = 0;
	if (c->fd < 0 || c->state == ST_CONNECTING)
		return;
	while (c->out_off < c->out_len) {
		n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			lg_close(i, "write failed");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->want_out != (c->out_len > 0)) { /* EPOLLOUT only while output is pending */
		uint32_t in = c->stalled && c->state == ST_READY ? EPOLLRDHUP : EPOLLIN;
		struct epoll_event ev = {.events = in | (c->out_len ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};

		c->want_out = c->out_len > 0;
		epoll_ctl(G.epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static void lg_flush_all(void)
{
	int k;

	for (k = 0; k < G.ndirty; k++)
		lg_flush(G.dirty[k]);
	G.ndirty = 0;
}

/* ---- requests ---- */

/* Sends one msg.send-shaped request whose text embeds the send time; echo mode sends the same bytes. */
static void lg_send_msg(int i)
{
	struct lg_conn *c = &G.c[i];
	char text[2100], frame[2400];
	int n, len;

	c->seq++;
	if (c->flood)
		n = snprintf(text, sizeof(text), "flood c=%d n=%u ", i, c->seq);
	else
		n = snprintf(text, sizeof(text), "bench t=%llu c=%d n=%u ", (unsigned long long)lg_now(), i, c->seq);
	for (; n < G.o.text_len && n < (int)sizeof(text) - 1; n++)
		text[n] = (char)('a' + n % 26);
	text[n] = 0;
	len = snprintf(
	    frame, sizeof(frame),
	    "{\"id\":%u,\"type\":\"msg.send\",\"agreement_id\":%ld,\"text\":\"%s\",\"client_key\":\"%08x-%d-%u\"}",
	    c->seq, c->agreement, text, G.run_id, i, c->seq);
	lg_send_frame(i, 1, frame, (size_t)len);
	c->inflight++;
	if (G.measuring && !c->flood)
		G.st.sent++;
}

static void lg_send_auth(int i)
{
	char frame[512];
	int len =
	    snprintf(frame, sizeof(frame), "{\"id\":\"auth\",\"type\":\"auth.resume\",\"token\":\"%s\"}", G.c[i].token);

	lg_send_frame(i, 1, frame, (size_t)len);
}

static void lg_fill_window(int i)
{
	if (G.c[i].flood) {
		while (G.c[i].state == ST_READY && G.c[i].inflight < G.o.flood_window)
			lg_send_msg(i);
		return;
	}
	if (G.o.rate > 0 || G.o.idle)
		return;
	while (G.c[i].state == ST_READY && G.c[i].inflight < G.o.window)
		lg_send_msg(i);
}

static void lg_became_ready(int i)
{
	struct lg_conn *c = &G.c[i];

	c->state = ST_READY;
	G.pending--;
	G.ready++;
	if (c->stalled) { /* from now on it reads nothing; it only hears the server hanging up */
		struct epoll_event ev = {.events = EPOLLRDHUP | (c->want_out ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};

		epoll_ctl(G.epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* ---- incoming messages ---- */

/* Returns the start of the value of "key" in a JSON text, or NULL. */
static const char *lg_json_value(const char *s, size_t len, const char *key)
{
	char pat[64];
	size_t pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\"", key);
	const char *p = s, *end = s + len;

	while ((p = memmem(p, (size_t)(end - p), pat, pl))) {
		p += pl;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p < end && *p == ':') {
			p++;
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
				p++;
			return p < end ? p : NULL;
		}
	}
	return NULL;
}

/* Records a received message carrying "bench t=NS"; returns 1 if it had a timestamp. */
static int lg_record_delivery(const char *s, size_t len, uint64_t now)
{
	const char *p = memmem(s, len, "bench t=", 8);
	uint64_t t = 0;

	if (!p)
		return 0;
	for (p += 8; p < s + len && *p >= '0' && *p <= '9'; p++)
		t = t * 10 + (uint64_t)(*p - '0');
	if (!G.measuring)
		return 1;
	G.st.delivered++;
	if (t >= G.t_from && now >= t) {
		uint64_t period = (uint64_t)(G.o.flood_period * 1e9), alt = (uint64_t)(G.o.alt_period * 1e9);
		int off = period && ((t - G.t_from) / period) % 2; /* sent while the flooders were gone */
		if (alt) {
			if (t % alt < (uint64_t)(G.o.alt_guard * 1e9))
				return 1; /* the other load is starting or draining */
			off = (t / alt) % 2;
		}
		uint32_t **lat = off ? &G.st.off : &G.st.lat;
		size_t *n = off ? &G.st.off_n : &G.st.lat_n, *cap = off ? &G.st.off_cap : &G.st.lat_cap;

		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 65536;
			*lat = lg_xrealloc(*lat, *cap * sizeof(uint32_t));
		}
		(*lat)[(*n)++] = (uint32_t)((now - t) / 1000);
	}
	return 1;
}

static void lg_print_error(const char *s, size_t len)
{
	if (++G.st.errors <= LG_MAX_ERRPRINT)
		fprintf(stderr, "loadgen: error response: %.*s\n", (int)(len > 400 ? 400 : len), s);
}

static void lg_on_samvaer(int i, const char *s, size_t len, uint64_t now)
{
	struct lg_conn *c = &G.c[i];
	const char *v;

	if (lg_json_value(s, len, "event")) {
		v = lg_json_value(s, len, "event");
		if (!strncmp(v, "\"message\"", 9))
			lg_record_delivery(s, len, now);
		return;
	}
	v = lg_json_value(s, len, "ok");
	if (!v)
		return;
	if (c->flood && c->state == ST_READY) { /* a flooder's answers: counted apart, never errors */
		if (c->inflight > 0)
			c->inflight--;
		if (*v == 't')
			G.st.flood_ok += G.measuring;
		else if (memmem(s, len, "\"send_rate_limited\"", 19))
			G.st.flood_lim += G.measuring;
		else
			lg_print_error(s, len);
		lg_fill_window(i);
		return;
	}
	if (*v != 't') {
		lg_print_error(s, len);
		if (c->state == ST_AUTHING)
			lg_close(i, "auth failed");
		else if (c->inflight > 0)
			c->inflight--;
		return;
	}
	if (c->state == ST_AUTHING) {
		lg_became_ready(i);
		lg_fill_window(i);
		return;
	}
	if (c->inflight > 0)
		c->inflight--;
	if (G.measuring)
		G.st.acks++;
	lg_fill_window(i);
}

static void lg_on_text(int i, const char *s, size_t len, uint64_t now)
{
	if (G.o.mode == LG_SAMVAER) {
		lg_on_samvaer(i, s, len, now);
		return;
	}
	if (lg_record_delivery(s, len, now) && G.c[i].inflight > 0) {
		G.c[i].inflight--;
		if (G.measuring)
			G.st.acks++;
	}
	lg_fill_window(i);
}

/* Handles one complete frame; returns -1 if the connection was closed. */
static int lg_on_frame(int i, int fin, int op, const unsigned char *p, size_t len, uint64_t now)
{
	struct lg_conn *c = &G.c[i];
	char why[160];

	if (op == 9) { /* ping: answer with pong */
		lg_send_frame(i, 10, p, len);
		return 0;
	}
	if (op == 8) {
		int code = len >= 2 ? (p[0] << 8 | p[1]) : 0;

		snprintf(why, sizeof(why), "server close %d %.*s", code,
			 (int)(len > 2 ? (len - 2 > 100 ? 100 : len - 2) : 0), len > 2 ? (const char *)p + 2 : "");
		lg_close(i, why);
		return -1;
	}
	if (op == 10)
		return 0;
	if (op == 0 || !fin) { /* fragmented message: reassemble */
		lg_reserve(&c->msg, &c->msg_cap, c->msg_len + len + 1);
		memcpy(c->msg + c->msg_len, p, len);
		c->msg_len += len;
		if (c->msg_len > LG_MAX_FRAME) {
			lg_close(i, "message too large");
			return -1;
		}
		if (!fin)
			return 0;
		lg_on_text(i, (const char *)c->msg, c->msg_len, now);
		c->msg_len = 0;
		return c->state == ST_DEAD ? -1 : 0;
	}
	lg_on_text(i, (const char *)p, len, now);
	return c->state == ST_DEAD ? -1 : 0;
}

/* Parses server frames from buf; returns bytes consumed, or -1 if the connection was closed. */
static long lg_parse_frames(int i, const unsigned char *buf, size_t len, uint64_t now)
{
	size_t off = 0;
	struct ws_frame f;
	long n;

	while ((n = ws_frame_read(buf + off, len - off, LG_MAX_FRAME, &f)) > 0) {
		if (lg_on_frame(i, f.fin, f.opcode, f.payload, f.len, now))
			return -1;
		off += (size_t)n;
	}
	if (n < 0) {
		lg_close(i, "bad frame from server");
		return -1;
	}
	return (long)off;
}

/* Checks the HTTP upgrade response; returns bytes consumed, 0 if incomplete, -1 if closed. */
static long lg_parse_upgrade(int i, const unsigned char *buf, size_t len)
{
	const char *s = (const char *)buf;
	const char *end = memmem(s, len, "\r\n\r\n", 4);

	if (!end)
		return len > 8192 ? (lg_close(i, "upgrade response too long"), -1) : 0;
	if (len < 12 || memcmp(s, "HTTP/1.1 101", 12) || !memmem(s, (size_t)(end - s), "samvaer.v1", 10)) {
		if (G.dead < LG_MAX_ERRPRINT)
			fprintf(stderr, "loadgen: upgrade refused: %.*s\n", (int)(end - s > 300 ? 300 : end - s), s);
		lg_close(i, "upgrade refused");
		return -1;
	}
	if (G.o.mode == LG_SAMVAER) {
		G.c[i].state = ST_AUTHING;
		lg_send_auth(i);
	} else {
		lg_became_ready(i);
		lg_fill_window(i);
	}
	return (long)(end + 4 - s);
}

static long lg_parse(int i, const unsigned char *buf, size_t len, uint64_t now)
{
	long used = 0, n;

	if (G.c[i].state == ST_UPGRADING) {
		used = lg_parse_upgrade(i, buf, len);
		if (used <= 0)
			return used;
	}
	n = lg_parse_frames(i, buf + used, len - (size_t)used, now);
	return n < 0 ? -1 : used + n;
}

static void lg_on_readable(int i, uint64_t now)
{
	struct lg_conn *c = &G.c[i];
	ssize_t n = read(c->fd, G.rbuf, sizeof(G.rbuf));
	long used;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		lg_close(i, n == 0 ? "eof" : "read error");
		return;
	}
	lg_reserve(&c->in, &c->in_cap, c->in_len + (size_t)n);
	memcpy(c->in + c->in_len, G.rbuf, (size_t)n);
	c->in_len += (size_t)n;
	used = lg_parse(i, c->in, c->in_len, now);
	if (used < 0)
		return;
	memmove(c->in, c->in + used, c->in_len - (size_t)used);
	c->in_len -= (size_t)used;
}

/* ---- connections ---- */

static void lg_start_conn(int i)
{
	struct lg_conn *c = &G.c[i];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)G.o.port)};
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
	int one = 1;

	G.started++;
	G.pending++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || inet_pton(AF_INET, G.o.host, &sa.sin_addr) != 1) {
		lg_close(i, "socket failed (fd limit?)");
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->stalled) { /* a small receive window: what it does not read backs up into the server sooner */
		int small = 4096;

		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		lg_close(i, "connect failed");
		return;
	}
	c->state = ST_CONNECTING;
	c->want_out = 1;
	epoll_ctl(G.epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void lg_on_connected(int i)
{
	char req[512], key[25];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int err = 0, k, len;
	socklen_t sl = sizeof(err);

	if (getsockopt(G.c[i].fd, SOL_SOCKET, SO_ERROR, &err, &sl) || err) {
		lg_close(i, err ? strerror(err) : "connect failed");
		return;
	}
	for (k = 0; k < 21; k++) /* 16 random bytes, base64: 22 chars + "==" */
		key[k] = b64[lg_rand() % 64];
	key[21] = b64[(lg_rand() % 4) * 16];
	memcpy(key + 22, "==", 3);
	len =
	    snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: samvaer.v1\r\n\r\n",
		     G.o.path, G.o.host, G.o.port, key);
	G.c[i].state = ST_UPGRADING;
	lg_append(i, req, (size_t)len);
}

static void lg_on_event(const struct epoll_event *ev, uint64_t now)
{
	int i = (int)ev->data.u32;
	struct lg_conn *c = &G.c[i];

	if (c->state == ST_DEAD)
		return;
	if (c->state == ST_CONNECTING) {
		if (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			lg_on_connected(i);
		return;
	}
	if (c->stalled && c->state == ST_READY) {
		if (ev->events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) { /* the server cut it off */
			G.st.cut++;
			G.st.closes--; /* expected: not a lost connection */
			lg_close(i, NULL);
		} else if (ev->events & EPOLLOUT)
			lg_mark_dirty(i);
		return;
	}
	if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		lg_on_readable(i, now);
	if (c->state != ST_DEAD && (ev->events & EPOLLOUT))
		lg_mark_dirty(i);
}

/* Waits up to timeout_ns for socket events and handles them, then flushes output. */
static void lg_poll(uint64_t timeout_ns)
{
	struct epoll_event evs[512];
	struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull),
			      .tv_nsec = (long)(timeout_ns % 1000000000ull)};
	int n, k;
	uint64_t now;

	n = epoll_pwait2(G.epfd, evs, 512, &ts, NULL);
	now = lg_now();
	for (k = 0; k < n; k++)
		lg_on_event(&evs[k], now);
	lg_flush_all();
}

/* Opens every connection (at most max_pending handshakes at once); returns seconds taken. */
static double lg_connect_all(void)
{
	uint64_t t0 = lg_now(), deadline = t0 + (uint64_t)(G.o.connect_timeout * 1e9);

	while (G.ready + G.dead < G.o.conns && lg_now() < deadline) {
		while (G.started < G.o.conns && G.pending < G.o.max_pending)
			lg_start_conn(G.started);
		lg_flush_all();
		lg_poll(10000000ull);
	}
	return (double)(lg_now() - t0) / 1e9;
}

/* --flood-period: the flooders leave (closed, their unanswered sends with them) or come back (a new connection,
 * auth.resume, then the flood again). */
static void lg_flooders(int on)
{
	int i;

	for (i = 0; i < G.o.flood; i++) {
		struct lg_conn *c = &G.c[i];

		if (!on && c->state != ST_DEAD) {
			if (c->state == ST_READY)
				G.st.closes--; /* on purpose: not a lost connection */
			lg_close(i, NULL);
		} else if (on && c->state == ST_DEAD) {
			c->inflight = 0;
			c->want_out = 0;
			G.dead--;
			lg_start_conn(i);
		}
	}
}

/* Runs the measured window; paced mode sends message k of the whole run at t0 + k/rate from conn k mod C. */
static void lg_run_traffic(void)
{
	uint64_t t0 = lg_now(), t_measure = t0 + (uint64_t)(G.o.warmup * 1e9);
	uint64_t t_end = t_measure + (uint64_t)(G.o.duration * 1e9), k = 0, now, t_rss = 0;
	double gap = G.o.rate > 0 ? 1e9 / G.o.rate : 0, cpu;
	uint64_t period = (uint64_t)(G.o.flood_period * 1e9);
	/* paced senders: the even ones (--stall), or those past the flooders and their peers */
	int i, first = G.o.flood + (G.o.flood & 1), senders = G.o.stall ? G.o.conns / 2 : G.o.conns - first;
	int flooding = 1;

	for (i = 0; i < G.o.conns; i++)
		lg_fill_window(i);
	lg_flush_all();
	while ((now = lg_now()) < t_end) {
		uint64_t wait = t_end - now;

		if (!G.measuring && now >= t_measure) {
			G.measuring = 1;
			G.t_from = now;
			lg_proc_sample(G.o.server_pid, &G.cpu0, &G.rss);
			G.rss_start = G.rss_peak = G.rss;
			t_rss = now;
		}
		if (G.o.stall && G.measuring && now >= t_rss) { /* the server's memory every half second */
			lg_proc_sample(G.o.server_pid, &cpu, &G.rss);
			G.rss_peak = G.rss > G.rss_peak ? G.rss : G.rss_peak;
			if (!G.rss_half && now >= G.t_from + (uint64_t)(G.o.duration * 0.5e9))
				G.rss_half = G.rss;
			t_rss = now + 500000000ull;
		}
		if (gap > 0) {
			for (; t0 + (uint64_t)(k * gap) <= now; k++) {
				i = (int)(k % (uint64_t)senders);
				i = G.o.stall ? 2 * i : i + first;
				if (G.c[i].state == ST_READY && G.c[i].inflight < G.o.window)
					lg_send_msg(i);
				else if (G.measuring)
					G.st.skipped++;
			}
			wait = t0 + (uint64_t)(k * gap) - now;
		}
		if (period && G.measuring && ((now - G.t_from) / period) % 2 == (uint64_t)flooding) {
			flooding = !flooding;
			lg_flooders(flooding);
		}
		if ((G.o.stall || period) && G.measuring && wait > 100000000ull)
			wait = 100000000ull;
		if (!G.measuring && t_measure - now < wait)
			wait = t_measure - now;
		lg_flush_all();
		lg_poll(wait);
	}
	G.measuring = 0;
	lg_proc_sample(G.o.server_pid, &G.cpu1, &G.rss);
}

static int lg_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t lg_pct_of(const uint32_t *lat, size_t n, double p)
{
	return n ? lat[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

static uint32_t lg_pct(double p)
{
	return lg_pct_of(G.st.lat, G.st.lat_n, p);
}

static void lg_report_traffic(double connect_s)
{
	double secs = G.o.duration, cpu = G.cpu1 - G.cpu0;

	qsort(G.st.lat, G.st.lat_n, sizeof(uint32_t), lg_cmp_u32);
	qsort(G.st.off, G.st.off_n, sizeof(uint32_t), lg_cmp_u32);
	printf("RESULT mode=%s kind=%s conns=%d ready=%d window=%d target_rate=%.0f duration_s=%.1f connect_s=%.2f "
	       "sent=%llu acks=%llu msgs=%llu rate=%.0f p50_us=%u p90_us=%u p99_us=%u max_us=%u samples=%zu "
	       "errors=%llu failed=%d closes=%llu skipped=%llu server_cpu_s=%.2f cpu_s_per_1k=%.4f server_rss_kb=%ld "
	       "flood_ok=%llu flood_limited=%llu stalled=%d cut=%llu rss_start_kb=%ld rss_half_kb=%ld rss_peak_kb=%ld "
	       "off_p50_us=%u off_p99_us=%u off_samples=%zu\n",
	       G.o.mode == LG_ECHO ? "echo" : "samvaer", G.o.rate > 0 ? "paced" : "saturated", G.o.conns, G.ready,
	       G.o.window, G.o.rate, secs, connect_s, (unsigned long long)G.st.sent, (unsigned long long)G.st.acks,
	       (unsigned long long)G.st.delivered, (double)G.st.delivered / secs, lg_pct(0.50), lg_pct(0.90),
	       lg_pct(0.99), lg_pct(1.0), G.st.lat_n, (unsigned long long)G.st.errors, G.failed,
	       (unsigned long long)G.st.closes, (unsigned long long)G.st.skipped, G.cpu0 >= 0 ? cpu : -1.0,
	       G.cpu0 >= 0 && G.st.delivered ? cpu * 1000.0 / (double)G.st.delivered : -1.0, G.rss,
	       (unsigned long long)G.st.flood_ok, (unsigned long long)G.st.flood_lim,
	       G.o.stall == 1 ? G.o.conns / 2 : 0, (unsigned long long)G.st.cut, G.rss_start, G.rss_half, G.rss_peak,
	       lg_pct_of(G.st.off, G.st.off_n, 0.50), lg_pct_of(G.st.off, G.st.off_n, 0.99), G.st.off_n);
}

/* Idle mode: all connections are up; let the server settle, sample its RSS, then hold. */
static void lg_run_idle(double connect_s, long rss0)
{
	uint64_t t_settle = lg_now() + 2000000000ull, t_end;
	long rss1;
	int up;

	while (lg_now() < t_settle)
		lg_poll(50000000ull);
	lg_proc_sample(G.o.server_pid, &G.cpu1, &rss1);
	up = G.ready;
	fprintf(stderr, "loadgen: %d connections ready, holding %.0f s\n", up, G.o.hold);
	t_end = lg_now() + (uint64_t)(G.o.hold * 1e9);
	while (lg_now() < t_end)
		lg_poll(50000000ull);
	printf("RESULT mode=idle conns=%d ready=%d connect_s=%.2f rss_before_kb=%ld rss_after_kb=%ld per_conn_kb=%.2f "
	       "errors=%llu failed=%d closes=%llu still_up=%d\n",
	       G.o.conns, up, connect_s, rss0, rss1, up > 0 && rss0 >= 0 ? (double)(rss1 - rss0) / up : -1.0,
	       (unsigned long long)G.st.errors, G.failed, (unsigned long long)G.st.closes, G.ready);
}

/* ---- setup ---- */

static int lg_load_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], tok[256];
	long agr;
	int n = 0;

	if (!f) {
		fprintf(stderr, "loadgen: cannot open tokens file %s\n", path);
		return -1;
	}
	while (n < G.o.conns && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %ld", tok, &agr) != 2)
			continue;
		G.c[n].token = strdup(tok);
		G.c[n].agreement = agr;
		n++;
	}
	fclose(f);
	if (n < G.o.conns) {
		fprintf(stderr, "loadgen: tokens file has %d usable lines, need %d\n", n, G.o.conns);
		return -1;
	}
	return 0;
}

static void lg_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < (rlim_t)G.o.conns + 64)
		fprintf(stderr, "loadgen: warning: fd limit %llu is below %d connections\n",
			(unsigned long long)rl.rlim_cur, G.o.conns);
}

static void lg_usage(void)
{
	fprintf(
	    stderr,
	    "usage: bench-loadgen --port N [--host 127.0.0.1] [--path /ws] --mode echo|samvaer [--conns C]\n"
	    "  [--window W] [--rate R] [--duration S] [--warmup S] [--tokens FILE] [--idle --hold S]\n"
	    "  [--text-len N] [--server-pid PID] [--max-pending N] [--connect-timeout S]\n"
	    "  [--stall 1|2 | --flood N [--flood-window W] [--flood-period S]]   (both need --rate; --stall 2: the\n"
	    "  same, all reading; --flood-period: flood S seconds, gone S seconds, ...: p99_us and off_p99_us)\n"
	    "  [--alt-period S [--alt-guard G]]   (samples sent in even S-second periods of CLOCK_MONOTONIC give "
	    "p99_us,\n"
	    "  odd ones off_p99_us, each without its first G seconds: another process loads the server in even "
	    "ones)\n");
	exit(2);
}

/* Options: "--name value" (or a bare flag), each written straight into G.o. */
static const struct {
	const char *name;
	char type;
	void *dst;
} lg_options[] = {
    {"host", 's', &G.o.host},
    {"port", 'i', &G.o.port},
    {"path", 's', &G.o.path},
    {"mode", 's', &G.o.mode_name},
    {"conns", 'i', &G.o.conns},
    {"window", 'i', &G.o.window},
    {"rate", 'd', &G.o.rate},
    {"duration", 'd', &G.o.duration},
    {"warmup", 'd', &G.o.warmup},
    {"tokens", 's', &G.o.tokens},
    {"idle", 'f', &G.o.idle},
    {"hold", 'd', &G.o.hold},
    {"text-len", 'i', &G.o.text_len},
    {"server-pid", 'i', &G.o.server_pid},
    {"max-pending", 'i', &G.o.max_pending},
    {"connect-timeout", 'd', &G.o.connect_timeout},
    {"stall", 'i', &G.o.stall},
    {"flood", 'i', &G.o.flood},
    {"flood-window", 'i', &G.o.flood_window},
    {"flood-period", 'd', &G.o.flood_period},
    {"alt-period", 'd', &G.o.alt_period},
    {"alt-guard", 'd', &G.o.alt_guard},
};

static void lg_parse_args(int argc, char **argv)
{
	struct lg_opts o = {"127.0.0.1", 0,  "/ws", "echo", LG_ECHO, 1000, 0, 0,   10, 2, NULL, 0,
			    5,           64, 0,     256,    60,      0,    0, 256, 0,  0, 0};
	size_t k;
	int a;

	G.o = o;
	for (a = 1; a < argc; a++) {
		for (k = 0; k < sizeof(lg_options) / sizeof(lg_options[0]); k++)
			if (!strncmp(argv[a], "--", 2) && !strcmp(argv[a] + 2, lg_options[k].name))
				break;
		if (k == sizeof(lg_options) / sizeof(lg_options[0]) || (lg_options[k].type != 'f' && a + 1 >= argc))
			lg_usage();
		switch (lg_options[k].type) {
		case 'f': *(int *)lg_options[k].dst = 1; break;
		case 'i': *(int *)lg_options[k].dst = atoi(argv[++a]); break;
		case 'd': *(double *)lg_options[k].dst = atof(argv[++a]); break;
		default: *(const char **)lg_options[k].dst = argv[++a]; break;
		}
	}
	G.o.mode = !strcmp(G.o.mode_name, "samvaer") ? LG_SAMVAER : LG_ECHO;
	if (!G.o.window)
		G.o.window = G.o.rate > 0 ? 64 : 4; /* paced: the window only caps a stalled connection */
	if (G.o.port <= 0 || G.o.port > 65535 || (strcmp(G.o.mode_name, "echo") && G.o.mode != LG_SAMVAER) ||
	    G.o.conns <= 0 || G.o.window <= 0 || G.o.duration <= 0 || G.o.max_pending <= 0 || G.o.text_len < 0 ||
	    G.o.text_len > 2000 || (G.o.mode == LG_SAMVAER && !G.o.tokens) || G.o.flood < 0 || G.o.flood >= G.o.conns ||
	    G.o.flood_window < 0 || ((G.o.stall || G.o.flood) && G.o.rate <= 0) || (G.o.stall && G.o.flood) ||
	    G.o.stall < 0 || G.o.stall > 2)
		lg_usage();
}

int main(int argc, char **argv)
{
	double connect_s;
	long rss0 = -1;
	int i;

	lg_parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lg_raise_fd_limit();
	G.rng = (uint32_t)(lg_now() ^ (uint64_t)getpid()) | 1u;
	G.run_id = lg_rand();
	G.c = calloc((size_t)G.o.conns, sizeof(*G.c));
	G.dirty = calloc((size_t)G.o.conns, sizeof(int));
	G.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!G.c || !G.dirty || G.epfd < 0)
		return 1;
	for (i = 0; i < G.o.conns; i++) {
		G.c[i].fd = -1;
		G.c[i].agreement = i / 2 + 1;
		G.c[i].flood = i < G.o.flood;
		G.c[i].stalled = G.o.stall == 1 && i % 2;
	}
	if (G.o.tokens && lg_load_tokens(G.o.tokens))
		return 1;
	lg_proc_sample(G.o.server_pid, &G.cpu0, &rss0);
	connect_s = lg_connect_all();
	fprintf(stderr, "loadgen: %d/%d connections ready in %.2f s (%d failed)\n", G.ready, G.o.conns, connect_s,
		G.dead);
	if (G.o.idle) {
		lg_run_idle(connect_s, rss0);
		return G.ready == G.o.conns ? 0 : 1;
	}
	if (G.ready)
		lg_run_traffic();
	lg_report_traffic(connect_s);
	return G.ready ? 0 : 1;
}
