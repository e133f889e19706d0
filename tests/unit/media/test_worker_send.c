/* test_worker_send.c: the worker's batch send (media/worker.c, included for its statics) — runs of datagrams to one
 * receiver leave as one segmented send (UDP_SEGMENT) under the kernel's rules, and every receiver gets exactly the
 * datagrams queued for it, in order, as separate datagrams (a receiver without UDP_GRO sees no difference). */
#include "media/worker.c"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "tests/unit/media/check_media.h"

static int udp_bound(struct ice_addr *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	memset(a, 0, sizeof *a);
	a->u.v4 = sin;
	a->len = sizeof sin;
	return fd;
}

static void queue(struct router_txq *q, const struct ice_addr *to, size_t len, uint8_t tag)
{
	uint8_t buf[ROUTER_PKT_MAX];
	memset(buf, tag, len);
	router_txq_push(q, buf, len, to);
}

/* Receive what is queued on fd: sizes and first bytes, in order. */
static int drain(int fd, size_t *sizes, uint8_t *tags, int max)
{
	uint8_t buf[2048];
	int n = 0;
	for (ssize_t r; n < max && (r = recv(fd, buf, sizeof buf, 0)) >= 0; n++)
		sizes[n] = (size_t)r, tags[n] = buf[0];
	return n;
}

static const struct {
	const char *name;
	size_t len[8];
	int to[8]; /* receiver index */
	int n;
	unsigned messages; /* sends after grouping */
} cases[] = {
    {"a frame, then audio, to one receiver", {1216, 1216, 124}, {0, 0, 0}, 3, 1},
    {"a shorter one ends the run", {1216, 124, 1216}, {0, 0, 0}, 3, 2},
    {"a larger one starts a new run", {500, 1216}, {0, 0}, 2, 2},
    {"another receiver in between", {1216, 1216, 1216, 1216}, {0, 1, 0, 0}, 4, 3},
    {"equal sizes to two receivers", {300, 300, 300, 300}, {0, 0, 1, 1}, 4, 2},
    {"one datagram", {77}, {1}, 1, 1},
    {"datagrams above MEDIA_GSO_SEG_MAX go alone", {1450, 1450, 1450}, {0, 0, 0}, 3, 3},
};

static void test_runs(void)
{
	struct media_worker w;
	memset(&w, 0, sizeof w);
	struct ice_addr self, to[2];
	w.fd = udp_bound(&self);
	int rx[2] = {udp_bound(&to[0]), udp_bound(&to[1])};
	struct router_txslot *slots = calloc(MEDIA_BATCH, sizeof *slots);
	w.q = (struct router_txq){.slots = slots, .cap = MEDIA_BATCH, .owner = &w, .flush = txq_flush};
	CHECK(w.fd >= 0 && rx[0] >= 0 && rx[1] >= 0, "sockets");
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		for (int i = 0; i < cases[c].n; i++)
			queue(&w.q, &to[cases[c].to[i]], cases[c].len[i], (uint8_t)(c * 16 + i));
		CHECK(build_messages(&w, &w.q, 0) == cases[c].messages, "%s: %u messages", cases[c].name,
		      build_messages(&w, &w.q, 0));
		uint64_t before = w.tx_dgrams;
		txq_flush(&w.q);
		CHECK(w.tx_dgrams - before == (uint64_t)cases[c].n && w.tx_errors == 0, "%s: all sent", cases[c].name);
		for (int r = 0; r < 2; r++) {
			size_t sizes[16];
			uint8_t tags[16];
			int got = drain(rx[r], sizes, tags, 16), want = 0;
			for (int i = 0; i < cases[c].n; i++) {
				if (cases[c].to[i] != r)
					continue;
				CHECK(want < got && sizes[want] == cases[c].len[i] &&
					  tags[want] == (uint8_t)(c * 16 + i),
				      "%s: receiver %d datagram %d", cases[c].name, r, want);
				want++;
			}
			CHECK(got == want, "%s: receiver %d got %d of %d", cases[c].name, r, got, want);
		}
	}
	/* 60 video packets to one receiver: 65,000 bytes per segmented send at most (53 + 7). */
	for (int i = 0; i < 60; i++)
		queue(&w.q, &to[0], 1216, (uint8_t)i);
	CHECK(build_messages(&w, &w.q, 0) == 2, "a long run splits at MEDIA_GSO_BYTES");
	txq_flush(&w.q);
	size_t sizes[64];
	uint8_t tags[64];
	int got = drain(rx[0], sizes, tags, 64), in_order = got == 60;
	for (int i = 0; in_order && i < 60; i++)
		in_order = sizes[i] == 1216 && tags[i] == (uint8_t)i;
	CHECK(in_order, "60 datagrams arrive, in order (%d)", got);
	w.gso_off = true; /* the kernel refused UDP_SEGMENT once: one message per datagram */
	queue(&w.q, &to[0], 1216, 1), queue(&w.q, &to[0], 1216, 2);
	CHECK(build_messages(&w, &w.q, 0) == 2, "no runs once segmented sends are off");
	txq_flush(&w.q);
	CHECK(drain(rx[0], sizes, tags, 64) == 2, "still delivered");
	close(w.fd), close(rx[0]), close(rx[1]);
	free(slots);
}

int main(void)
{
	test_runs();
	printf("test_worker_send: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
