/* udp_floor.c (bench-udp-floor): the kernel's floor cost of relaying UDP on 127.0.0.1 with the media bench's traffic shape (a bare recvmmsg/memcpy/sendmmsg relay); relay CPU per packet. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Model (the shape of tests/bench/calls.c without ICE, DTLS, SRTP or RTP):
 *   Generator (parent, CPU 1): 2 legs per call, one unconnected UDP socket each. Legs are spread over SLOTS
 *   1-ms slots; at its visit a leg drains its socket (recvmmsg) and sends what is due in one sendmmsg: audio
 *   50 pps, video 100 pps, so ~3 datagrams per visit. Every datagram starts with its leg's 32-bit sequence.
 *   Relay (child, CPU 0): one UDP socket; epoll_wait (10 ms), then up to 16 rounds of recvmmsg(64); the source
 *   address finds the other leg of the call in an open-addressing table, the datagram is memcpy'd into a send
 *   slot, and the batch goes out in one sendmmsg. --connected: one socket connected to each leg, one sendmmsg
 *   per run of datagrams going to the same leg.
 *   Window (after the warm-up): datagrams received by the legs, loss from sequence numbers, relay CPU from
 *   /proc/PID/schedstat (time on CPU, user + system; softirq work done in its context is included), drops of
 *   the relay's and the legs' sockets (/proc/net/udp) and the hypervisor's steal on the relay's CPU (/proc/stat).
 *   On loopback a sender's softirq also delivers into the receiving socket: the relay pays the legs' receive path.
 * Output: human lines on stderr, one "RESULT k=v ..." line on stdout.
 */

#define SLOTS 20        /* ms between two visits of one leg */
#define RELAY_BATCH 64  /* datagrams per relay recvmmsg / sendmmsg */
#define RELAY_ROUNDS 16 /* recvmmsg rounds per epoll wake-up */
#define LEG_RXB 32      /* datagrams per leg recvmmsg */
#define LEG_TXB 8       /* most datagrams one leg sends per visit */
#define BUF_SZ 2048
#define RELAY_CPU 0
#define GEN_CPU 1

struct opts {
	int calls, video_size, audio_size;
	double duration, warmup;
	bool connected;
};

struct leg {
	int fd;
	struct sockaddr_in addr;
	uint32_t tx_seq;
	uint64_t rx, rx_hi; /* datagrams received; highest sequence received + 1 */
	int64_t next_audio_ms, next_video_ms;
};

struct route {
	uint64_t key; /* 0: empty */
	int dest;     /* leg index */
};

struct relay {
	int fd, ep;
	const struct leg *legs;
	int *leg_fd; /* --connected: one socket per destination leg, else NULL */
	struct route *tab;
	unsigned mask;
	struct mmsghdr rm[RELAY_BATCH], sm[RELAY_BATCH];
	struct iovec riov[RELAY_BATCH], siov[RELAY_BATCH];
	struct sockaddr_in from[RELAY_BATCH];
	int dest[RELAY_BATCH];
	uint8_t rbuf[RELAY_BATCH][BUF_SZ], sbuf[RELAY_BATCH][BUF_SZ];
};

struct sample { /* counters at one end of the window */
	int64_t t_ns, relay_ns;
	double gen_cpu_s;
	uint64_t rx, rx_hi, relay_drops, leg_drops;
	unsigned long long cpu_ticks, steal_ticks; /* the relay's CPU, from /proc/stat */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		perror("udp_floor: sched_setaffinity");
}

static int udp_socket(struct sockaddr_in *addr, int buf_bytes)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	*addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof *addr;
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, len) || getsockname(fd, (struct sockaddr *)addr, &len)) {
		perror("udp_floor: socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf_bytes, sizeof buf_bytes);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf_bytes, sizeof buf_bytes);
	return fd;
}

/* ---- relay (child process) ---- */

static uint64_t addr_key(const struct sockaddr_in *a)
{
	return 1ull << 48 | (uint64_t)a->sin_addr.s_addr << 16 | a->sin_port;
}

static unsigned route_slot(const struct relay *r, uint64_t key)
{
	return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 40) & r->mask;
}

static void route_add(struct relay *r, const struct sockaddr_in *a, int dest)
{
	unsigned i = route_slot(r, addr_key(a));
	while (r->tab[i].key)
		i = (i + 1) & r->mask;
	r->tab[i] = (struct route){addr_key(a), dest};
}

static int route_find(const struct relay *r, const struct sockaddr_in *a)
{
	uint64_t key = addr_key(a);
	for (unsigned i = route_slot(r, key); r->tab[i].key; i = (i + 1) & r->mask)
		if (r->tab[i].key == key)
			return r->tab[i].dest;
	return -1;
}

static void relay_send(int fd, struct mmsghdr *m, unsigned n)
{
	for (unsigned off = 0; off < n;) {
		int s = sendmmsg(fd, m + off, n - off, MSG_DONTWAIT);
		if (s <= 0)
			return; /* full: the rest is lost, as in the SFU */
		off += (unsigned)s;
	}
}

static void relay_flush(struct relay *r, unsigned n)
{
	if (!r->leg_fd) {
		relay_send(r->fd, r->sm, n);
		return;
	}
	for (unsigned i = 0, j; i < n; i = j) { /* one sendmmsg per run to the same leg */
		for (j = i + 1; j < n && r->dest[j] == r->dest[i]; j++)
			;
		relay_send(r->leg_fd[r->dest[i]], r->sm + i, j - i);
	}
}

static void relay_forward(struct relay *r, int n)
{
	unsigned out = 0;
	for (int i = 0; i < n; i++) {
		int d = route_find(r, &r->from[i]);
		if (d < 0)
			continue;
		memcpy(r->sbuf[out], r->rbuf[i], r->rm[i].msg_len);
		r->siov[out].iov_len = r->rm[i].msg_len;
		r->sm[out].msg_hdr.msg_name = r->leg_fd ? NULL : (void *)&r->legs[d].addr;
		r->sm[out].msg_hdr.msg_namelen = r->leg_fd ? 0 : sizeof r->legs[d].addr;
		r->dest[out++] = d;
	}
	relay_flush(r, out);
}

static void relay_setup(struct relay *r, const struct opts *o, const struct leg *legs, int n_legs)
{
	unsigned size = 1;
	while (size < 4u * (unsigned)n_legs)
		size <<= 1;
	r->tab = calloc(size, sizeof *r->tab), r->mask = size - 1, r->legs = legs;
	for (int i = 0; i < n_legs; i++)
		route_add(r, &legs[i].addr, i ^ 1); /* legs 2k and 2k+1 are one call */
	if (o->connected) {
		r->leg_fd = calloc((size_t)n_legs, sizeof *r->leg_fd);
		for (int i = 0; i < n_legs; i++) {
			struct sockaddr_in any;
			r->leg_fd[i] = udp_socket(&any, 1 << 20);
			connect(r->leg_fd[i], (const struct sockaddr *)&legs[i].addr, sizeof legs[i].addr);
		}
	}
	for (int i = 0; i < RELAY_BATCH; i++) {
		r->riov[i] = (struct iovec){r->rbuf[i], BUF_SZ};
		r->rm[i].msg_hdr = (struct msghdr){.msg_name = &r->from[i], .msg_iov = &r->riov[i], .msg_iovlen = 1};
		r->siov[i].iov_base = r->sbuf[i];
		r->sm[i].msg_hdr = (struct msghdr){.msg_iov = &r->siov[i], .msg_iovlen = 1};
	}
	r->ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fd, &ev);
}

static void relay_main(const struct opts *o, const struct leg *legs, int n_legs, int fd)
{
	pin_to(RELAY_CPU);
	for (int i = 0; i < n_legs; i++)
		close(legs[i].fd);
	struct relay *r = calloc(1, sizeof *r);
	r->fd = fd;
	relay_setup(r, o, legs, n_legs);
	int64_t end =
	    now_ns() + (int64_t)((o->warmup + o->duration + 5) * 1e9); /* the parent normally kills it first */
	while (now_ns() < end) {
		struct epoll_event ev;
		epoll_wait(r->ep, &ev, 1, 10);
		for (int round = 0; round < RELAY_ROUNDS; round++) {
			for (int i = 0; i < RELAY_BATCH; i++)
				r->rm[i].msg_hdr.msg_namelen = sizeof r->from[i];
			int n = recvmmsg(r->fd, r->rm, RELAY_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			relay_forward(r, n);
			if (n < RELAY_BATCH)
				break;
		}
	}
	_exit(0);
}

/* ---- generator (parent process) ---- */

struct gen {
	const struct opts *o;
	struct leg *legs;
	int n_legs, relay_port;
	pid_t relay_pid;
	struct sockaddr_in relay;
	uint8_t is_leg_port[65536];
};

static void leg_drain(struct leg *l)
{
	static struct mmsghdr m[LEG_RXB];
	static struct iovec iov[LEG_RXB];
	static uint8_t buf[LEG_RXB][BUF_SZ];
	int n;
	do {
		for (int i = 0; i < LEG_RXB; i++) {
			iov[i] = (struct iovec){buf[i], BUF_SZ};
			m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
		}
		n = recvmmsg(l->fd, m, LEG_RXB, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			uint32_t seq;
			memcpy(&seq, buf[i], sizeof seq);
			l->rx++;
			if (seq + 1ull > l->rx_hi)
				l->rx_hi = seq + 1ull;
		}
	} while (n == LEG_RXB);
}

static void leg_send_due(struct gen *g, struct leg *l, int64_t now_ms)
{
	static struct mmsghdr m[LEG_TXB];
	static struct iovec iov[LEG_TXB];
	static uint8_t buf[LEG_TXB][BUF_SZ];
	unsigned n = 0;
	for (int video = 0; video < 2; video++) {
		int64_t *next = video ? &l->next_video_ms : &l->next_audio_ms;
		for (; *next <= now_ms; *next += video ? 10 : 20) {
			if (n == LEG_TXB)
				continue; /* far behind (stalled generator): skip, the sequence is not used */
			unsigned k = n++;
			memcpy(buf[k], &l->tx_seq, sizeof l->tx_seq);
			l->tx_seq++;
			iov[k] = (struct iovec){buf[k], (size_t)(video ? g->o->video_size : g->o->audio_size)};
			m[k].msg_hdr = (struct msghdr){
			    .msg_name = &g->relay, .msg_namelen = sizeof g->relay, .msg_iov = &iov[k], .msg_iovlen = 1};
		}
	}
	if (n && sendmmsg(l->fd, m, n, MSG_DONTWAIT) < 0)
		perror("udp_floor: leg sendmmsg");
}

/* Visit every slot that came due, then sleep to the next millisecond, until until_ns. */
static void run_until(struct gen *g, int64_t until_ns)
{
	static int64_t last_ms = -1;
	for (int64_t now = now_ns(); now < until_ns; now = now_ns()) {
		int64_t ms = now / 1000000;
		for (int64_t t = last_ms < 0 ? ms : last_ms + 1; t <= ms; t++)
			for (int i = (int)(t % SLOTS); i < g->n_legs; i += SLOTS) {
				leg_drain(&g->legs[i]);
				leg_send_due(g, &g->legs[i], ms);
			}
		last_ms = ms;
		struct timespec next = {.tv_sec = (ms + 1) / 1000, .tv_nsec = (ms + 1) % 1000 * 1000000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

/* Datagrams dropped (last column of /proc/net/udp) by the relay's socket and by the legs' sockets. */
static void udp_drops(const struct gen *g, struct sample *s)
{
	char line[512];
	unsigned port;
	unsigned long long drops;
	FILE *f = fopen("/proc/net/udp", "r");
	while (f && fgets(line, sizeof line, f)) {
		for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '\n');) /* lines are padded */
			line[--n] = 0;
		char *last = strrchr(line, ' ');
		if (sscanf(line, " %*d: %*x:%x", &port) != 1 || port > 65535 || !last ||
		    sscanf(last, "%llu", &drops) != 1)
			continue;
		if ((int)port == g->relay_port)
			s->relay_drops += drops;
		else if (g->is_leg_port[port])
			s->leg_drops += drops;
	}
	if (f)
		fclose(f);
}

/* Ticks of RELAY_CPU: all of them, and those stolen by the hypervisor. */
static void cpu_steal(struct sample *s)
{
	char line[512], name[16];
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	snprintf(name, sizeof name, "cpu%d ", RELAY_CPU);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, strlen(name)) &&
		    sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7]) == 8)
			break;
	if (f)
		fclose(f);
	for (int i = 0; i < 8; i++)
		s->cpu_ticks += v[i];
	s->steal_ticks = v[7];
}

static void sample_take(const struct gen *g, struct sample *s)
{
	char path[64];
	struct rusage ru;
	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)g->relay_pid); /* first field: ns on CPU */
	FILE *f = fopen(path, "r");
	if (f && fscanf(f, "%lld", (long long *)&s->relay_ns) != 1)
		s->relay_ns = 0;
	if (f)
		fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	s->gen_cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    ru.ru_stime.tv_usec / 1e6;
	for (int i = 0; i < g->n_legs; i++)
		s->rx += g->legs[i].rx, s->rx_hi += g->legs[i].rx_hi;
	udp_drops(g, s);
	cpu_steal(s);
	s->t_ns = now_ns();
}

static void report(const struct opts *o, const struct sample *a, const struct sample *b)
{
	double secs = (double)(b->t_ns - a->t_ns) / 1e9, cpu = (double)(b->relay_ns - a->relay_ns) / 1e9;
	double rx = (double)(b->rx - a->rx), expected = (double)(b->rx_hi - a->rx_hi);
	double loss = expected > 0 ? 100.0 * (expected - rx) / expected : 0, gen = b->gen_cpu_s - a->gen_cpu_s;
	double us = rx > 0 ? cpu * 1e6 / rx : 0, ticks = (double)(b->cpu_ticks - a->cpu_ticks);
	double steal = ticks > 0 ? 100.0 * (double)(b->steal_ticks - a->steal_ticks) / ticks : 0;
	fprintf(stderr, "udp_floor: %d calls%s, %.2f s window: %.0f datagrams relayed (%.0f/s), loss %.3f%%\n",
		o->calls, o->connected ? " (connected)" : "", secs, rx, rx / secs, loss);
	fprintf(stderr,
		"udp_floor: relay %.3f s CPU (%.1f%% of a core): %.2f us/datagram; generator %.1f%% of a core\n", cpu,
		100 * cpu / secs, us, 100 * gen / secs);
	fprintf(stderr, "udp_floor: drops in window: relay socket %llu, leg sockets %llu; CPU %d steal %.1f%%\n",
		(unsigned long long)(b->relay_drops - a->relay_drops),
		(unsigned long long)(b->leg_drops - a->leg_drops), RELAY_CPU, steal);
	printf("RESULT calls=%d connected=%d relayed_pps=%.0f relay_cpu_s=%.3f us_per_pkt=%.3f loss_pct=%.3f "
	       "gen_cpu_pct=%.1f "
	       "relay_cpu_steal_pct=%.1f\n",
	       o->calls, o->connected, rx / secs, cpu, us, loss, 100 * gen / secs, steal);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.calls = 500, .video_size = 1200, .audio_size = 108, .duration = 10, .warmup = 3};
	struct {
		const char *name;
		int *i;
		double *d;
	} known[] = {
	    {"--calls", &o->calls, NULL},           {"--video-size", &o->video_size, NULL},
	    {"--audio-size", &o->audio_size, NULL}, {"--duration", NULL, &o->duration},
	    {"--warmup", NULL, &o->warmup},
	};
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < sizeof known / sizeof known[0] && strcmp(argv[i], known[k].name))
			k++;
		if (!strcmp(argv[i], "--connected"))
			o->connected = true;
		else if (k == sizeof known / sizeof known[0] || i + 1 == argc)
			return -1;
		else if (known[k].i)
			*known[k].i = atoi(argv[++i]);
		else
			*known[k].d = atof(argv[++i]);
	}
	bool sizes_ok = o->video_size >= 4 && o->video_size <= BUF_SZ && o->audio_size >= 4 && o->audio_size <= BUF_SZ;
	return o->calls > 0 && o->calls <= 20000 && o->duration > 0 && o->warmup >= 0 && sizes_ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr,
			"usage: bench-udp-floor [--calls N] [--duration S] [--warmup S] [--video-size B] [--audio-size "
			"B] [--connected]\n");
		return 2;
	}
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && (rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl)))
		perror("udp_floor: setrlimit");
	struct gen *g = calloc(1, sizeof *g);
	g->o = &o, g->n_legs = 2 * o.calls;
	g->legs = calloc((size_t)g->n_legs, sizeof *g->legs);
	int relay_fd = udp_socket(&g->relay, 4 << 20); /* buffers as media/worker_api.c and media/peer.c */
	g->relay_port = ntohs(g->relay.sin_port);
	for (int i = 0; i < g->n_legs; i++) {
		g->legs[i].fd = udp_socket(&g->legs[i].addr, 1 << 20);
		g->is_leg_port[ntohs(g->legs[i].addr.sin_port)] = 1;
	}
	if ((g->relay_pid = fork()) == 0)
		relay_main(&o, g->legs, g->n_legs, relay_fd);
	close(relay_fd);
	pin_to(GEN_CPU);
	fprintf(stderr, "udp_floor: relay pid %d on CPU %d, port %d; generator pid %d on CPU %d, %d legs\n",
		(int)g->relay_pid, RELAY_CPU, g->relay_port, (int)getpid(), GEN_CPU, g->n_legs);
	int64_t t0 = now_ns();
	for (int i = 0; i < g->n_legs; i++)
		g->legs[i].next_audio_ms = g->legs[i].next_video_ms = t0 / 1000000;
	struct sample a, b;
	run_until(g, t0 + (int64_t)(o.warmup * 1e9));
	sample_take(g, &a);
	run_until(g, a.t_ns + (int64_t)(o.duration * 1e9));
	sample_take(g, &b);
	kill(g->relay_pid, SIGKILL);
	waitpid(g->relay_pid, NULL, 0);
	report(&o, &a, &b);
	return 0;
}
