/* echo.c: bare libwebsockets-on-libev echo server (subprotocol samvaer.v1), the WebSocket ceiling the messaging bench compares samvaer with. */
#include <libwebsockets.h>
#include <ev.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define ECHO_MAX_MSG 65536 /* same per-message limit as the samvaer protocol */

/* One queued outgoing message; buf holds LWS_PRE bytes of headroom, then the payload. */
struct echo_msg {
	struct echo_msg *next; /* next message in the connection's queue */
	size_t len;            /* payload length */
	int binary;            /* 1 = binary frame, 0 = text */
	unsigned char buf[];   /* LWS_PRE + len bytes */
};

/* Per-connection state, allocated and zeroed by lws. */
struct echo_pss {
	struct echo_msg *head; /* oldest queued message (sent first) */
	struct echo_msg *tail; /* newest queued message */
	unsigned char *frag;   /* reassembly buffer for a fragmented message */
	size_t frag_len;       /* bytes in frag */
	size_t frag_cap;       /* capacity of frag */
};

static void echo_queue_push(struct echo_pss *pss, const void *data, size_t len, int binary)
{
	struct echo_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

	if (!m)
		return; /* out of memory: drop this echo, keep the connection */
	m->next = NULL;
	m->len = len;
	m->binary = binary;
	memcpy(m->buf + LWS_PRE, data, len);
	if (pss->tail)
		pss->tail->next = m;
	else
		pss->head = m;
	pss->tail = m;
}

static void echo_pss_free(struct echo_pss *pss)
{
	while (pss->head) {
		struct echo_msg *m = pss->head;

		pss->head = m->next;
		free(m);
	}
	pss->tail = NULL;
	free(pss->frag);
	pss->frag = NULL;
	pss->frag_len = pss->frag_cap = 0;
}

/* Appends a received chunk to the reassembly buffer; returns -1 when the message is too large. */
static int echo_frag_append(struct echo_pss *pss, const void *in, size_t len)
{
	if (pss->frag_len + len > ECHO_MAX_MSG)
		return -1;
	if (pss->frag_len + len > pss->frag_cap) {
		size_t cap = pss->frag_cap ? pss->frag_cap * 2 : 4096;
		unsigned char *p;

		while (cap < pss->frag_len + len)
			cap *= 2;
		p = realloc(pss->frag, cap);
		if (!p)
			return -1;
		pss->frag = p;
		pss->frag_cap = cap;
	}
	memcpy(pss->frag + pss->frag_len, in, len);
	pss->frag_len += len;
	return 0;
}

static int echo_on_receive(struct lws *wsi, struct echo_pss *pss, void *in, size_t len)
{
	int complete = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
	int binary = lws_frame_is_binary(wsi);

	if (complete && !pss->frag_len) { /* common case: whole message in one piece */
		echo_queue_push(pss, in, len, binary);
	} else {
		if (echo_frag_append(pss, in, len))
			return -1; /* too large: close */
		if (!complete)
			return 0;
		echo_queue_push(pss, pss->frag, pss->frag_len, binary);
		pss->frag_len = 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

/* Sends one queued message per writable callback (the lws rule), and asks for more if any remain. */
static int echo_on_writable(struct lws *wsi, struct echo_pss *pss)
{
	struct echo_msg *m = pss->head;
	int n;

	if (!m)
		return 0;
	n = lws_write(wsi, m->buf + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if (n < (int)m->len)
		return -1;
	pss->head = m->next;
	if (!pss->head)
		pss->tail = NULL;
	free(m);
	if (pss->head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int echo_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct echo_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED: memset(pss, 0, sizeof(*pss)); return 0;
	case LWS_CALLBACK_RECEIVE: return echo_on_receive(wsi, pss, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE: return echo_on_writable(wsi, pss);
	case LWS_CALLBACK_CLOSED: echo_pss_free(pss); return 0;
	default: return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols echo_protocols[] = {
    {"samvaer.v1", echo_callback, sizeof(struct echo_pss), 4096, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

static void echo_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void echo_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	void *foreign_loops[1] = {loop};
	ev_signal sig_int, sig_term;
	int port = argc > 1 ? atoi(argv[1]) : 0;

	if (argc != 2 || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	echo_raise_fd_limit();
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = echo_protocols;
	info.options = LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = foreign_loops;
	info.gid = -1;
	info.uid = -1;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "bench-echo: lws_create_context failed (is libwebsockets-evlib-ev installed?)\n");
		return 1;
	}
	ev_signal_init(&sig_int, echo_on_signal, SIGINT);
	ev_signal_init(&sig_term, echo_on_signal, SIGTERM);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_term);
	fprintf(stderr, "bench-echo: listening on ws://127.0.0.1:%d\n", port);
	ev_run(loop, 0);
	ev_signal_stop(loop, &sig_int);
	ev_signal_stop(loop, &sig_term);
	lws_context_destroy(ctx);
	return 0;
}
