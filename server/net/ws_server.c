/* ws_server.c: libwebsockets on libev — static files, /healthz, /metrics, and the samvaer.v1 WebSocket. */
#include "server/net/ws_server.h"
#include "server/net/http_api.h"
#include "server/net/http_files.h"
#include "server/net/tls.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>

#include "proto/envelope.h"
#include "server/api/api.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/policy/policy.h"
#include "server/session/session.h"
#include "server/session/state.h"

#define RX_CHUNK 4096              /* lws receive buffer per connection */
#define QUEUE_MAX_FRAMES 4096      /* outbound frames before a client counts as too slow */
#define QUEUE_MAX_BYTES (8u << 20) /* outbound bytes before a client counts as too slow */
#define WRITE_MAX 65536            /* bytes of queued frames coalesced into one write */
#define SOCKET_SNDBUF (64 * 1024)  /* kernel send buffer per WebSocket (Linux doubles it): no autotuning to 4 MB */
#define OVER_BUDGET_IDLE_MS 2000   /* over the output budget, a queue that has not moved for this long is cut off */

_Static_assert(FRAME_HEADROOM >= LWS_PRE, "frame headroom must cover LWS_PRE");

#define SUBPROTOCOL "samvaer.v1" /* the only WebSocket subprotocol (PROTOCOL.md section 1) */

struct ws_conn;

struct ws_server {
	struct app *app;
	struct lws_context *ctx;
	unsigned open;         /* WebSocket connections */
	struct ws_conn *dirty; /* connections with frames queued this turn, written before the loop blocks */
	ev_prepare flush;      /* writes them (after the turn's commit: lowest priority) */
	unsigned char *wbuf;   /* coalescing buffer for one connection's frames */
	size_t wcap;
};

/* Per WebSocket connection (lws allocates it zeroed as per-session data). */
struct ws_conn {
	struct conn base;         /* what sessions see; first member */
	struct lws *wsi;          /* the lws connection */
	struct ws_server *server; /* back pointer */
	struct session *session;  /* protocol state */
	struct frame **queue;     /* ring of outbound frames */
	uint32_t qhead, qcount, qcap;
	size_t qbytes;         /* payload bytes queued */
	int64_t last_progress; /* mono ms when the queue was last empty or last handed bytes to the socket */
	int paused;            /* not reading: pause_timer is running */
	ev_timer pause_timer;  /* conn_pause: when to read again (an ev timer: lws 4.1 fires its own late) */
	char *rx;              /* reassembly of a fragmented message */
	size_t rxlen;
	struct ws_conn *dirty_prev, *dirty_next; /* on server->dirty */
	int is_dirty;                            /* on server->dirty */
	int peer_closed;   /* the client sent a close frame: lws answers it, we write nothing more */
	int close_code;    /* != 0: close after the queue drains */
	int discarding;    /* swallowing the rest of a refused message before closing */
	int close_started; /* the close frame is lws's now: later writable callbacks must not close again */
	size_t discarded;  /* bytes swallowed so far */
	char close_reason[64];
};

static int64_t mono_ms(void)
{
	return (int64_t)(clock_mono_ns() / 1000000);
}

/* Every queued byte is counted once per connection in the output gauge, whose total the budget bounds. */
static void queued_add(struct ws_conn *c, size_t n)
{
	c->qbytes += n;
	c->server->app->metrics.output_queued_bytes += n;
}

static void queued_sub(struct ws_conn *c, size_t n)
{
	c->qbytes -= n;
	c->server->app->metrics.output_queued_bytes -= n;
}

static void queue_clear(struct ws_conn *c)
{
	while (c->qcount) {
		frame_unref(c->queue[c->qhead]);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qcount--;
	}
	queued_sub(c, c->qbytes);
}

static void dirty_add(struct ws_conn *c)
{
	struct ws_server *w = c->server;
	if (c->is_dirty)
		return;
	c->is_dirty = 1;
	c->dirty_prev = NULL;
	c->dirty_next = w->dirty;
	if (w->dirty)
		w->dirty->dirty_prev = c;
	w->dirty = c;
}

static void dirty_remove(struct ws_conn *c)
{
	if (!c->is_dirty)
		return;
	if (c->dirty_prev)
		c->dirty_prev->dirty_next = c->dirty_next;
	else
		c->server->dirty = c->dirty_next;
	if (c->dirty_next)
		c->dirty_next->dirty_prev = c->dirty_prev;
	c->dirty_prev = c->dirty_next = NULL;
	c->is_dirty = 0;
}

static void conn_do_close(struct conn *base, int code, const char *reason)
{
	struct ws_conn *c = (struct ws_conn *)base;
	if (c->close_code)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
	if (code == 1008 && reason && !strcmp(reason, "slow_consumer")) {
		/* It does not read: drop its backlog now; if it has not taken the close frame after out_stall_s
		 * more, hang up (what lws still holds of a half-written frame goes with it). */
		queue_clear(c);
		c->server->app->metrics.slow_consumer_closes++;
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, c->server->app->cfg.out_stall_s);
	}
	lws_callback_on_writable(c->wsi);
}

/* Too slow to keep: its queue is at the per-connection cap; or its output has not moved for out_stall_s; or
 * everyone's queued output is over the budget and its queue is larger than an even share of it. */
static const char *too_slow(struct ws_conn *c, size_t adding)
{
	struct app *app = c->server->app;
	if (c->qcount >= QUEUE_MAX_FRAMES || c->qbytes + adding > QUEUE_MAX_BYTES)
		return "outbound queue full";
	if (!c->qcount)
		return NULL;
	int64_t idle = mono_ms() - c->last_progress;
	if (idle >= (int64_t)app->cfg.out_stall_s * 1000)
		return "output stalled";
	/* Over the budget, a queue that has not moved lately; at twice the budget (everyone was just sent a lot at
	 * once, e.g. the backlogs pushed at login), any queue above an even share. */
	uint64_t budget = (uint64_t)app->cfg.out_budget_mb << 20, total = app->metrics.output_queued_bytes + adding;
	if (total > budget && (idle >= OVER_BUDGET_IDLE_MS || total > 2 * budget) &&
	    c->qbytes > budget / (c->server->open ? c->server->open : 1))
		return "output budget exceeded";
	return NULL;
}

static int queue_grow(struct ws_conn *c)
{
	uint32_t ncap = c->qcap ? c->qcap * 2 : 8;
	struct frame **nq = malloc(ncap * sizeof(*nq));
	if (!nq)
		return -1;
	for (uint32_t i = 0; i < c->qcount; i++)
		nq[i] = c->queue[(c->qhead + i) % c->qcap];
	free(c->queue);
	c->queue = nq;
	c->qhead = 0;
	c->qcap = ncap;
	return 0;
}

static void conn_do_send(struct conn *base, struct frame *f)
{
	struct ws_conn *c = (struct ws_conn *)base;
	if (c->close_code)
		return;
	const char *why = too_slow(c, f->len);
	if (why) {
		log_ratelimited("closing %s: slow consumer (%s)", c->base.peer, why);
		conn_do_close(base, 1008, "slow_consumer");
		return;
	}
	if (!c->qcount)
		c->last_progress = mono_ms(); /* an empty queue is not behind: its clock starts with this frame */
	if (c->qcount == c->qcap && queue_grow(c) < 0) {
		conn_do_close(base, 1011, "out of memory");
		return;
	}
	frame_ref(f);
	c->queue[(c->qhead + c->qcount) % c->qcap] = f;
	c->qcount++;
	queued_add(c, f->len);
	dirty_add(c); /* written once, with everything else queued this turn, before the loop blocks */
}

/* Copy as many queued frames (whole, pre-framed) as fit in WRITE_MAX (at least one) into the server's buffer. */
static size_t gather(struct ws_conn *c)
{
	struct ws_server *w = c->server;
	size_t total = 0;
	while (c->qcount) {
		struct frame *f = c->queue[c->qhead];
		size_t n = frame_wire_len(f);
		if (total && total + n > WRITE_MAX)
			break;
		if (total + n > w->wcap) {
			size_t ncap = total + n > WRITE_MAX ? total + n : WRITE_MAX;
			unsigned char *nb = realloc(w->wbuf, ncap);
			if (!nb)
				break;
			w->wbuf = nb;
			w->wcap = ncap;
		}
		memcpy(w->wbuf + total, frame_wire(f), n);
		total += n;
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qcount--;
		queued_sub(c, f->len);
		frame_unref(f);
	}
	if (total)
		c->last_progress = mono_ms();
	return total;
}

/* Write the queued frames with one send. lws takes the bytes as raw (they are complete WebSocket frames) and
 * keeps whatever the socket does not accept, sending it before anything else when the socket is writable;
 * while it holds such a remainder we add nothing and wait for the writable callback. -1: the socket failed. */
static int flush_queue(struct ws_conn *c)
{
	if (!c->qcount || c->peer_closed)
		return 0;
	if (lws_partial_buffered(c->wsi)) {
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	size_t len = gather(c);
	if (!len) {
		lws_callback_on_writable(c->wsi); /* out of memory for the buffer: try again later */
		return 0;
	}
	struct ws_server *w = c->server;
	int n = lws_write(c->wsi, w->wbuf, len, LWS_WRITE_HTTP);
	if (w->wcap > 4 * WRITE_MAX) { /* grown for one large frame (a history page): do not keep it */
		free(w->wbuf);
		w->wbuf = NULL;
		w->wcap = 0;
	}
	if (n < 0)
		return -1;
	if (c->qcount)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* Before the loop blocks: one write per connection that got frames during this turn. */
static void on_flush(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct ws_server *w = p->data;
	while (w->dirty) {
		struct ws_conn *c = w->dirty;
		dirty_remove(c);
		if (flush_queue(c) < 0) { /* outside a callback: let lws close it on its next pass */
			log_ratelimited("closing %s: write failed", c->base.peer);
			queue_clear(c);
			c->peer_closed = 1;
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		}
	}
}

static void pause_stop(struct ws_conn *c)
{
	if (!c->paused)
		return;
	c->paused = 0;
	ev_timer_stop(c->server->app->loop, &c->pause_timer);
}

static void on_pause_end(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ws_conn *c = t->data;
	pause_stop(c);
	lws_rx_flow_control(c->wsi, 1);
}

/* Read nothing from the client for ms: lws stops polling its socket for input until the timer fires. */
static void conn_do_pause(struct conn *base, int64_t ms)
{
	struct ws_conn *c = (struct ws_conn *)base;
	if (c->close_code)
		return;
	pause_stop(c);
	c->paused = 1;
	lws_rx_flow_control(c->wsi, 0);
	ev_timer_init(&c->pause_timer, on_pause_end, (double)ms / 1000.0, 0);
	c->pause_timer.data = c;
	ev_timer_start(c->server->app->loop, &c->pause_timer);
}

static const struct conn_ops ws_conn_ops = {conn_do_send, conn_do_close, conn_do_pause};

static void on_established(struct ws_server *w, struct lws *wsi, struct ws_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->base.ops = &ws_conn_ops;
	c->base.id = w->app->next_conn_id++;
	lws_get_peer_simple(wsi, c->base.peer, sizeof(c->base.peer));
	/* What a client does not read waits in our queue, where the stall and budget rules see it, not in a kernel
	 * buffer that would grow to megabytes per connection unseen. */
	int sndbuf = SOCKET_SNDBUF;
	setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c->wsi = wsi;
	c->server = w;
	c->session = session_open(w->app, &c->base);
	w->open++;
	if (!c->session)
		conn_do_close(&c->base, 1011, "out of memory");
}

#define DISCARD_MAX (1u << 20) /* past this, a refused message is cut off without a clean close */

/* Refuse the current message: read (and drop) the rest of it, then close with `code`. Closing while the client
 * is still sending would make the kernel reset the connection, and the client would never see the code. */
static int violation(struct ws_conn *c, int code, const char *why)
{
	struct app *app = c->server->app;
	app->metrics.protocol_violations++;
	log_ratelimited("closing %s: %s", c->base.peer, why);
	free(c->rx);
	c->rx = NULL;
	c->rxlen = 0;
	c->discarding = 1;
	conn_do_close(&c->base, code, why);
	return 0;
}

static int discard(struct ws_conn *c, size_t len)
{
	c->discarded += len;
	if (c->discarded > DISCARD_MAX)
		return -1;
	if (lws_is_final_fragment(c->wsi) && lws_remaining_packet_payload(c->wsi) == 0) {
		c->discarding = 0;
		lws_callback_on_writable(c->wsi);
	}
	return 0;
}

static int on_receive(struct ws_conn *c, const char *in, size_t len)
{
	if (c->discarding)
		return discard(c, len);
	if (c->close_code || !c->session)
		return 0;
	if (lws_frame_is_binary(c->wsi)) {
		violation(c, 1003, "binary frames are not accepted");
		return discard(c, len);
	}
	size_t remaining = lws_remaining_packet_payload(c->wsi);
	int final = lws_is_final_fragment(c->wsi) && remaining == 0;
	if (c->rxlen + len + remaining > PROTO_MAX_FRAME) {
		violation(c, 1009, "message too big");
		return discard(c, len);
	}
	if (final && !c->rx) { /* common case: the whole message in one piece */
		session_receive(c->session, in, len);
		return 0;
	}
	char *nrx = realloc(c->rx, c->rxlen + len + 1);
	if (!nrx) {
		violation(c, 1011, "out of memory");
		return discard(c, len);
	}
	c->rx = nrx;
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (final) {
		session_receive(c->session, c->rx, c->rxlen);
		free(c->rx);
		c->rx = NULL;
		c->rxlen = 0;
	}
	return 0;
}

static int on_writeable(struct ws_conn *c)
{
	/* After the -1 below lws sends the close frame and waits for the client's reply, reading (and dropping)
	 * what the client still sends; it may call this again meanwhile. A second -1 would make it drop the
	 * connection at once, with the client's data unread: the kernel then resets it and the client never sees
	 * the close code (1006 instead of 1001 at shutdown under load). */
	if (c->close_started)
		return 0;
	if (c->qcount && !c->peer_closed) {
		dirty_remove(c);
		if (flush_queue(c) < 0)
			return -1;
		if (c->close_code)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_code && !c->discarding) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
				 strlen(c->close_reason));
		c->close_started = 1;
		return -1;
	}
	return 0;
}

static void on_closed(struct ws_server *w, struct ws_conn *c)
{
	if (!c->wsi)
		return;
	session_close(c->session);
	c->session = NULL;
	pause_stop(c);
	dirty_remove(c);
	queue_clear(c);
	free(c->queue);
	free(c->rx);
	c->wsi = NULL;
	w->open--;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_server *w = lws_context_user(lws_get_context(wsi));
	struct ws_conn *c = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return w->app->shutting_down ? -1 : 0;
	case LWS_CALLBACK_ESTABLISHED: on_established(w, wsi, c); return 0;
	case LWS_CALLBACK_RECEIVE: return on_receive(c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE: return on_writeable(c);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		c->peer_closed = 1; /* lws sends the closing handshake; frames after it would break the protocol */
		dirty_remove(c);
		queue_clear(c);
		return 0;
	case LWS_CALLBACK_CLOSED: on_closed(w, c); return 0;
	default: return 0;
	}
}

static const char *reason_label(int r)
{
	return policy_reason_name((enum policy_reason)r);
}

static int on_http(struct ws_server *w, struct lws *wsi, struct http_req *req, const char *path)
{
	char uri[64] = "";
	static const enum lws_token_indexes methods[] = {WSI_TOKEN_GET_URI,    WSI_TOKEN_POST_URI,
							 WSI_TOKEN_PATCH_URI,  WSI_TOKEN_HEAD_URI,
							 WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]) && !uri[0]; i++)
		if (lws_hdr_copy(wsi, uri, sizeof(uri), methods[i]) < 0)
			uri[0] = 0;
	if (!strncmp(uri, "/api/", 5))
		return http_api_begin(w->app, wsi, req);
	if (http_files_path(uri) && w->app->uploads)
		return http_files_begin(w->app->uploads, wsi, &req->files, lws_is_ssl(wsi));
	if (!strcmp(uri, "/metrics")) {
		size_t len = 0;
		char *text = metrics_render(&w->app->metrics, reason_label, POLICY_REASON__COUNT, &len);
		return text ? http_reply(wsi, req, 200, "text/plain; version=0.0.4", text, len) : -1;
	}
	if (!strcmp(uri, "/healthz")) {
		int ok = store_data_version(w->app->store) >= 0 && !w->app->shutting_down;
		return http_reply(wsi, req, ok ? 200 : 503, "text/plain", strdup(ok ? "ok\n" : "unavailable\n"),
				  ok ? 3 : 12);
	}
	lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
	return -1;
}

/* 1 if the upgrade request's Sec-WebSocket-Protocol list names samvaer.v1. */
static int offers_subprotocol(struct lws *wsi)
{
	char list[256];
	if (lws_hdr_copy(wsi, list, sizeof(list), WSI_TOKEN_PROTOCOL) <= 0)
		return 0;
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " \t");
		if (strcspn(tok, " \t") == strlen(SUBPROTOCOL) && !strncmp(tok, SUBPROTOCOL, strlen(SUBPROTOCOL)))
			return 1;
	}
	return 0;
}

/* A WebSocket upgrade without samvaer.v1 is answered, not dropped: HTTP 400 with the error subprotocol_required
 * (PROTOCOL.md section 1), so a client author sees why. Returns what LWS_CALLBACK_HTTP_CONFIRM_UPGRADE returns:
 * 0 to go on with the upgrade, 1 when the answer has been sent, -1 to hang up. */
static int confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	if (strcasecmp(upgrade, "websocket") || offers_subprotocol(wsi))
		return 0;
	static const char body[] = "{\"error\":{\"code\":\"subprotocol_required\",\"message\":\"A WebSocket must ask"
				   " for the samvaer.v1 subprotocol (Sec-WebSocket-Protocol: samvaer.v1).\"}}";
	/* Written by hand: at this point lws would label its status line HTTP/1.0, which WebSocket clients refuse. */
	unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE;
	int n = snprintf((char *)start, sizeof(buf) - LWS_PRE,
			 "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n"
			 "cache-control: no-store\r\nconnection: close\r\n\r\n%s",
			 sizeof(body) - 1, body);
	if (n <= 0 || (size_t)n >= sizeof(buf) - LWS_PRE)
		return -1;
	return lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP) == n ? 1 : -1;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_server *w = lws_context_user(lws_get_context(wsi));
	struct http_req *req = user;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		http_req_release(req); /* the previous request on this connection */
		memset(req, 0, sizeof(*req));
		return on_http(w, wsi, req, in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (req && req->files)
			return http_files_writeable(req->files);
		return req ? http_req_writeable(req) : -1;
	case LWS_CALLBACK_HTTP_BODY:
		if (req && req->files)
			return http_files_body(req->files, in, len);
		return req && req->is_post ? http_api_body(wsi, req, in, len) : 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (req && req->files)
			return http_files_body_end(req->files);
		return req && req->is_post ? http_api_body_end(w->app, wsi, req) : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (req)
			http_req_release(req);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return confirm_upgrade(wsi, in);
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: tls_context_created(user); return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1; /* a WebSocket must ask for samvaer.v1 (confirm_upgrade has answered those that do not) */
	default: return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
    {"http", http_callback, sizeof(struct http_req), 0, 0, NULL, 0},
    {SUBPROTOCOL, ws_callback, sizeof(struct ws_conn), RX_CHUNK, 0, NULL, WRITE_MAX},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static struct lws_http_mount mounts[7];

static void setup_mounts(const char *web_dir, const char *console_dir)
{
	memset(mounts, 0, sizeof(mounts));
	mounts[3].mountpoint = "/api";
	mounts[3].mountpoint_len = 4;
	mounts[3].origin = "http";
	mounts[3].origin_protocol = LWSMPRO_CALLBACK;
	mounts[3].mount_next = &mounts[5];
	mounts[5].mountpoint = "/files"; /* tus uploads and media downloads: http_files.c */
	mounts[5].mountpoint_len = 6;
	mounts[5].origin = "http";
	mounts[5].origin_protocol = LWSMPRO_CALLBACK;
	mounts[5].mount_next = &mounts[6];
	mounts[6].mountpoint = "/media";
	mounts[6].mountpoint_len = 6;
	mounts[6].origin = "http";
	mounts[6].origin_protocol = LWSMPRO_CALLBACK;
	mounts[6].mount_next = &mounts[4];
	mounts[4].mountpoint = "/admin";
	mounts[4].mountpoint_len = 6;
	mounts[4].origin = console_dir;
	mounts[4].def = "index.html";
	mounts[4].origin_protocol = LWSMPRO_FILE;
	mounts[4].mount_next = &mounts[0];
	mounts[0].mountpoint = "/metrics";
	mounts[0].mountpoint_len = 8;
	mounts[0].origin = "http";
	mounts[0].origin_protocol = LWSMPRO_CALLBACK;
	mounts[0].mount_next = &mounts[1];
	mounts[1].mountpoint = "/healthz";
	mounts[1].mountpoint_len = 8;
	mounts[1].origin = "http";
	mounts[1].origin_protocol = LWSMPRO_CALLBACK;
	mounts[1].mount_next = &mounts[2];
	mounts[2].mountpoint = "/";
	mounts[2].mountpoint_len = 1;
	mounts[2].origin = web_dir;
	mounts[2].def = "index.html";
	mounts[2].origin_protocol = LWSMPRO_FILE;
}

static void lws_logger(int level, const char *line)
{
	log_ratelimited("lws: %.*s", (int)strcspn(line, "\n"), line);
}

struct ws_server *ws_server_start(struct app *app)
{
	static void *foreign_loops[1];
	struct ws_server *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->app = app;
	setup_mounts(app->cfg.web_dir, app->cfg.console_dir);
	lws_set_log_level(LLL_ERR | (app->cfg.log_level == LOG_DEBUG ? LLL_WARN | LLL_NOTICE : 0), lws_logger);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = app->cfg.port;
	info.iface = app->cfg.listen;
	info.protocols = protocols;
	info.mounts = &mounts[3];
	info.user = w;
	/* a port it cannot bind (taken, or below 1024 without CAP_NET_BIND_SERVICE) is a failed start, not a retry loop */
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	foreign_loops[0] = app->loop;
	info.foreign_loops = foreign_loops;
	info.pt_serv_buf_size = 16384;
	tls_configure(&info, &app->cfg);
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		log_error("cannot listen on %s:%d", app->cfg.listen, app->cfg.port);
		free(w);
		return NULL;
	}
	ev_prepare_init(&w->flush, on_flush);
	w->flush.data = w;
	ev_set_priority(&w->flush,
			EV_MINPRI); /* after the group commit's watcher (store/commit.c), which may queue replies */
	ev_prepare_start(app->loop, &w->flush);
	ev_unref(app->loop);
	return w;
}

void ws_server_drain(struct ws_server *w)
{
	w->app->shutting_down = 1;
	session_close_all(w->app, 1001, "server shutting down");
}

unsigned ws_server_connections(struct ws_server *w)
{
	return w->open;
}

void ws_server_destroy(struct ws_server *w)
{
	if (!w)
		return;
	ev_ref(w->app->loop);
	ev_prepare_stop(w->app->loop, &w->flush);
	lws_context_destroy(w->ctx);
	frame_pool_free();
	free(w->wbuf);
	free(w);
}
