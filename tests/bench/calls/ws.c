/* ws.c: the media bench's minimal WebSocket client (RFC 6455): blocking connect and upgrade, masked text frames out, frames parsed in. */
/* Included by tests/bench/calls.c and mix.c; the framing itself is tests/bench/lib/ws_frame.c. */
#include "tests/bench/lib/ws_frame.h"

#define WS_MAX_FRAME (1 << 20)

struct ws {
	int fd;
	unsigned char *in; /* unparsed bytes */
	size_t in_len, in_cap;
	void (*on_text)(struct ws *w, const char *text, size_t len); /* one text frame (not NUL-terminated) */
	void *user;
	bool dead;
};

static int ws_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			poll(&pf, 1, 1000);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/* TCP connect to 127.0.0.1-style host:port and upgrade on path with subprotocol proto. 0 or -1 (msg on stderr). */
static int ws_connect(struct ws *w, const char *host, int port, const char *path, const char *proto)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	memset(w, 0, sizeof *w);
	w->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (w->fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(w->fd, (struct sockaddr *)&sa, sizeof sa)) {
		fprintf(stderr, "calls: connect %s:%d: %s\n", host, port, strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char req[512], resp[4096];
	int n = snprintf(req, sizeof req,
			 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: c2FtdmFlci1tZWRpYS1iZW5jaA==\r\nSec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Protocol: %s\r\n\r\n",
			 path, host, port, proto);
	if (ws_write_all(w->fd, req, (size_t)n))
		return -1;
	size_t got = 0;
	char *end = NULL;
	while (!end && got < sizeof resp - 1) { /* read exactly the response head, byte-wise (once per connection) */
		ssize_t r = read(w->fd, resp + got, 1);
		if (r <= 0)
			break;
		got += (size_t)r;
		resp[got] = 0;
		end = strstr(resp, "\r\n\r\n");
	}
	if (!end || strncmp(resp, "HTTP/1.1 101", 12)) {
		fprintf(stderr, "calls: upgrade refused by %s:%d: %.80s\n", host, port, resp);
		return -1;
	}
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static int ws_send_text(struct ws *w, const char *s, size_t len)
{
	static unsigned char *buf;
	static size_t cap;
	if (ws_frame_size(len) > cap && !(buf = realloc(buf, cap = ws_frame_size(len) + 4096)))
		return -1;
	return ws_write_all(w->fd, buf, ws_frame_write(buf, WS_OP_TEXT, s, len, 0xc33ca55a));
}

/* Parse complete frames at the start of w->in; returns bytes consumed or -1. */
static long ws_parse(struct ws *w)
{
	size_t off = 0;
	struct ws_frame f;
	long n;
	while ((n = ws_frame_read(w->in + off, w->in_len - off, WS_MAX_FRAME, &f)) > 0) {
		if (!f.fin || f.opcode == WS_OP_CLOSE) /* no fragments from servers here */
			return -1;
		if (f.opcode == WS_OP_TEXT && w->on_text)
			w->on_text(w, (const char *)f.payload, f.len);
		off += (size_t)n;
	}
	return n < 0 ? -1 : (long)off;
}

/* Read what is pending and dispatch whole frames. -1 when the connection is gone. */
static int ws_read(struct ws *w)
{
	for (;;) {
		if (w->in_cap - w->in_len < 65536) {
			w->in_cap = w->in_cap * 2 + 131072;
			if (!(w->in = realloc(w->in, w->in_cap)))
				return -1;
		}
		ssize_t n = read(w->fd, w->in + w->in_len, w->in_cap - w->in_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			w->dead = true;
			return -1;
		}
		w->in_len += (size_t)n;
		long used = ws_parse(w);
		if (used < 0) {
			w->dead = true;
			return -1;
		}
		memmove(w->in, w->in + used, w->in_len - (size_t)used);
		w->in_len -= (size_t)used;
	}
}

static void ws_close(struct ws *w)
{
	if (w->fd > 0)
		close(w->fd);
	free(w->in);
	w->fd = -1, w->in = NULL;
}
