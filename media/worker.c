/* worker.c: one media worker thread: UDP batch I/O, transport lookup by address, commands, timers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "media/stun.h"
#include "media/recorder.h"
#include "media/worker_internal.h"

int64_t media__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- address table: open addressing, linear probing, backward-shift deletion ---- */

static struct router_participant *addr_find(struct media_worker *w, const struct ice_addr *a)
{
	for (uint32_t i = ice_addr_hash(a) & (MEDIA_ADDR_TABLE - 1);; i = (i + 1) & (MEDIA_ADDR_TABLE - 1)) {
		struct media_addr_entry *e = &w->tab[i];
		if (!e->p || ice_addr_equal(&e->key, a))
			return e->p;
	}
}

static void addr_del(struct media_worker *w, const struct ice_addr *a)
{
	w->tab_gen++;
	uint32_t mask = MEDIA_ADDR_TABLE - 1, i = ice_addr_hash(a) & mask;
	while (w->tab[i].p && !ice_addr_equal(&w->tab[i].key, a))
		i = (i + 1) & mask;
	if (!w->tab[i].p)
		return;
	w->tab[i].p = NULL;
	for (uint32_t j = (i + 1) & mask; w->tab[j].p; j = (j + 1) & mask) { /* shift back what probed past i */
		uint32_t home = ice_addr_hash(&w->tab[j].key) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			w->tab[i] = w->tab[j];
			w->tab[j].p = NULL;
			i = j;
		}
	}
}

static void addr_put(struct media_worker *w, const struct ice_addr *a, struct router_participant *p)
{
	w->tab_gen++;
	uint32_t mask = MEDIA_ADDR_TABLE - 1, i = ice_addr_hash(a) & mask, n = 0;
	while (w->tab[i].p && !ice_addr_equal(&w->tab[i].key, a) && ++n < MEDIA_ADDR_TABLE / 2)
		i = (i + 1) & mask;
	if (n >= MEDIA_ADDR_TABLE / 2)
		return; /* table too full: the participant stays reachable through its ufrag */
	w->tab[i].key = *a, w->tab[i].p = p;
}

/* Keep the table in step with the transport's selected address. */
static void addr_sync(struct media_worker *w, struct router_participant *p)
{
	uint32_t gen;
	const struct ice_addr *r = transport_remote(p->tr, &gen);
	if (!r || gen == p->hashed_gen)
		return;
	if (p->hashed_gen && addr_find(w, &p->hashed) == p)
		addr_del(w, &p->hashed);
	addr_put(w, r, p);
	p->hashed = *r, p->hashed_gen = gen;
}

static void addr_forget(struct media_worker *w, struct router_participant *p)
{
	if (p->hashed_gen && addr_find(w, &p->hashed) == p)
		addr_del(w, &p->hashed);
	p->hashed_gen = 0;
}

/* ---- events ---- */

static void emit(struct router_participant *p, enum media_event_type type)
{
	struct media_worker *w = p->owner;
	struct media_event ev = {.type = type, .call_id = p->call->id, .participant_id = p->id, .worker = w->idx};
	if (type == MEDIA_EV_STATS) {
		ev.stats = (struct media_stats){p->st.rx_rtp, p->st.rx_rtcp,  p->st.relayed, p->st.dropped,
						p->st.tx_rtp, p->st.nack_rtx, p->st.pli_fwd};
	}
	media__event_push(&ev);
}

static void on_transport_state(void *user, enum transport_state st)
{
	struct router_participant *p = user;
	if (st == TRANSPORT_CONNECTED)
		emit(p, MEDIA_EV_CONNECTED);
	else if (st == TRANSPORT_DISCONNECTED)
		emit(p, MEDIA_EV_DISCONNECTED);
	else if (st == TRANSPORT_FAILED)
		emit(p, MEDIA_EV_FAILED);
}

static void on_transport_send(void *user, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	struct router_participant *p = user;
	struct media_worker *w = p->owner;
	router_txq_push(&w->q, buf, len, to);
}

/* ---- batch send ---- */

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h: the datagram size of a segmented send (UDP GSO, Linux 4.18) */
#endif

/* How many slots from i on can leave as one segmented send: the same destination, all but the last of one size,
 * the last no larger (the kernel's rule for UDP_SEGMENT). A video frame's packets to one receiver qualify. */
static unsigned gso_run(const struct media_worker *w, const struct router_txq *q, unsigned i)
{
	const struct router_txslot *first = &q->slots[i];
	if (w->gso_off || first->len > MEDIA_GSO_SEG_MAX)
		return 1;
	unsigned k = 1;
	size_t total = first->len;
	while (i + k < q->n && k < MEDIA_GSO_SEGS && q->slots[i + k - 1].len == first->len) {
		const struct router_txslot *s = &q->slots[i + k];
		if (s->len > first->len || total + s->len > MEDIA_GSO_BYTES || !ice_addr_equal(&s->to, &first->to))
			break;
		total += s->len;
		k++;
	}
	return k;
}

/* One message per run of slots (gso_run), for the slots from `first` on; returns the number of messages. */
static unsigned build_messages(struct media_worker *w, const struct router_txq *q, unsigned first)
{
	unsigned m = 0;
	for (unsigned i = first; i < q->n; m++) {
		unsigned k = gso_run(w, q, i);
		for (unsigned j = i; j < i + k; j++)
			w->siov[j].iov_base = q->slots[j].buf, w->siov[j].iov_len = q->slots[j].len;
		struct msghdr *h = &w->smsg[m].msg_hdr;
		memset(h, 0, sizeof *h);
		h->msg_name = (void *)&q->slots[i].to.u, h->msg_namelen = q->slots[i].to.len;
		h->msg_iov = &w->siov[i], h->msg_iovlen = k;
		if (k > 1) {
			h->msg_control = w->gso_cm[m].buf, h->msg_controllen = sizeof w->gso_cm[m].buf;
			struct cmsghdr *c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP, c->cmsg_type = UDP_SEGMENT, c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			uint16_t seg = q->slots[i].len;
			memcpy(CMSG_DATA(c), &seg, sizeof seg);
		}
		i += k;
	}
	return m;
}

static void txq_flush(struct router_txq *q)
{
	struct media_worker *w = q->owner;
	unsigned n = build_messages(w, q, 0), off = 0;
	while (off < n) {
		int r = sendmmsg(w->fd, w->smsg + off, n - off, MSG_DONTWAIT);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && (errno == EIO || errno == EINVAL) && w->smsg[off].msg_hdr.msg_iovlen > 1) {
				w->gso_off =
				    true; /* the kernel or the route refuses UDP_SEGMENT: one datagram per message */
				n = build_messages(w, q, (unsigned)(w->smsg[off].msg_hdr.msg_iov - w->siov)), off = 0;
				continue;
			}
			for (; off < n; off++)
				w->tx_errors +=
				    w->smsg[off]
					.msg_hdr.msg_iovlen; /* full buffer or unreachable: drop, as UDP would */
			break;
		}
		for (unsigned j = off; j < off + (unsigned)r; j++)
			w->tx_dgrams += w->smsg[j].msg_hdr.msg_iovlen;
		off += (unsigned)r;
		w->tx_calls++;
	}
	q->n = 0;
}

/* ---- calls ---- */

static struct router_call *call_find(struct media_worker *w, uint64_t id, unsigned *idx)
{
	for (unsigned i = 0; i < w->n_calls; i++)
		if (w->calls[i]->id == id) {
			if (idx)
				*idx = i;
			return w->calls[i];
		}
	return NULL;
}

/* Unknown source address: a STUN check names the transport by our ufrag (RFC 8445 §7.3). */
static struct router_participant *find_by_ufrag(struct media_worker *w, const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	if (stun_msg_parse(&m, buf, len, NULL) != STUN_OK || m.type != STUN_BINDING_REQUEST || !m.username)
		return NULL;
	for (unsigned i = 0; i < w->n_calls; i++)
		for (int j = 0; j < ROUTER_MAX_PARTICIPANTS; j++) {
			struct router_participant *p = &w->calls[i]->p[j];
			if (p->used && p->tr && stun_msg_username_is_for(&m, transport_local_ufrag(p->tr)))
				return p;
		}
	return NULL;
}

static void participant_drop(struct media_worker *w, struct router_participant *p)
{
	addr_forget(w, p);
	if (p->tr) {
		transport_close(p->tr); /* close_notify goes out with the next flush */
		transport_free(p->tr);
	}
	router_participant_remove(p);
}

static void call_drop(struct media_worker *w, unsigned idx)
{
	struct router_call *c = w->calls[idx];
	for (int j = 0; j < ROUTER_MAX_PARTICIPANTS; j++)
		if (c->p[j].used)
			participant_drop(w, &c->p[j]);
	router_call_free(c);
	free(c);
	w->n_calls--;
	w->calls[idx] = w->calls[w->n_calls], w->settled[idx] = w->settled[w->n_calls];
}

static bool grow_calls(struct media_worker *w)
{
	unsigned cap = w->cap_calls * 2 + 16;
	struct router_call **calls = realloc(w->calls, cap * sizeof *calls);
	if (calls)
		w->calls = calls;
	bool *settled = calls ? realloc(w->settled, cap * sizeof *settled) : NULL;
	if (settled)
		w->settled = settled;
	if (!calls || !settled)
		return false;
	w->cap_calls = cap;
	return true;
}

/* Add a participant, or replace its earlier media when it sent a new offer (old != NULL). */
static void cmd_part_add(struct media_worker *w, struct router_call *c, struct router_participant *old,
			 struct media_cmd *cmd)
{
	if (old && old->tr) {
		addr_forget(w, old);
		transport_close(old->tr);
		transport_free(old->tr);
		old->tr = NULL;
	}
	struct router_participant *p =
	    old ? router_participant_replace(old, &cmd->pp) : router_participant_add(c, &cmd->pp);
	if (!p)
		return;
	p->owner = w;
	struct transport_params tp = {.dtls = media__g.dtls,
				      .ice_role = ICE_ROLE_LITE,
				      .local_ufrag = cmd->ufrag,
				      .local_pwd = cmd->pwd,
				      .remote_ufrag = cmd->rufrag,
				      .remote_pwd = cmd->rpwd,
				      .remote_fingerprint = cmd->fingerprint,
				      .consent_timeout_ms = media__g.cfg.consent_timeout_ms,
				      .send = on_transport_send,
				      .on_state = on_transport_state,
				      .user = p};
	p->tr = transport_new(&tp);
	if (!p->tr) {
		emit(p, MEDIA_EV_FAILED);
		router_participant_remove(p);
	}
}

static void cmd_apply(struct media_worker *w, struct media_cmd *cmd)
{
	unsigned idx = 0;
	struct router_call *c = call_find(w, cmd->call_id, &idx);
	struct router_participant *p = c ? router_participant_find(c, cmd->pid) : NULL;
	switch (cmd->type) {
	case CMD_CALL_CREATE:
		if (c || (w->n_calls == w->cap_calls && !grow_calls(w)))
			break;
		if ((c = malloc(sizeof *c))) {
			router_call_init(c, cmd->call_id);
			idx = w->n_calls++;
			w->calls[idx] = c;
		}
		break;
	case CMD_CALL_END:
		if (c)
			call_drop(w, idx);
		break;
	case CMD_PART_ADD:
		if (c)
			cmd_part_add(w, c, p, cmd);
		break; /* p: a new offer replaces its media */
	case CMD_PART_UPDATE:
		if (p)
			router_participant_update(p, &cmd->pp);
		break; /* renegotiation, same transport */
	case CMD_PART_REMOVE:
		if (p)
			participant_drop(w, p);
		break;
	case CMD_GATE:
		if (p)
			router_participant_set_gate(p, cmd->a, cmd->b);
		break;
	case CMD_RECV_GATE:
		if (p)
			router_participant_set_recv_gate(p, cmd->a, cmd->b);
		break;
	case CMD_PAUSE:
		if (c)
			router_call_pause(c, cmd->a);
		break;
	case CMD_RECORD:
		if (c)
			router_call_record(c, cmd->rec, cmd->rec_done, cmd->rec_arg);
		else if (cmd->rec) /* the call ended first: finish the empty recording all the same */
			recording_close(cmd->rec, cmd->rec_done, cmd->rec_arg);
		break;
	}
	if (c && cmd->type != CMD_CALL_END)
		w->settled[idx] = false; /* a new participant or offer needs the fine timers until it has media */
}

static void drain_commands(struct media_worker *w)
{
	uint64_t v;
	if (read(w->cmd_efd, &v, sizeof v) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->mu);
	struct media_cmd *cmd = w->cmd_head;
	w->cmd_head = w->cmd_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (cmd) {
		struct media_cmd *next = cmd->next;
		cmd_apply(w, cmd);
		free(cmd);
		cmd = next;
	}
	txq_flush(&w->q);
}

/* ---- packet path ---- */

/* known: the address table's answer for from, looked up by prefetch_batch while the table was unchanged. */
static void on_datagram(struct media_worker *w, uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now,
			struct router_participant *known, uint32_t known_gen)
{
	struct router_participant *p = known_gen == w->tab_gen ? known : addr_find(w, from);
	bool stun = len && buf[0] <= 3;
	if (!p && stun)
		p = find_by_ufrag(w, buf, len);
	if (!p) {
		w->rx_unknown++;
		return;
	}
	int rc = transport_recv(p->tr, buf, &len, from, now);
	if (rc == TRANSPORT_RX_RTP)
		router_on_rtp(p, buf, len, now, &w->q);
	else if (rc == TRANSPORT_RX_RTCP)
		router_on_rtcp(p, buf, len, now, &w->q);
	else if (stun) {
		if (rc == TRANSPORT_ERR_STUN) { /* a known address, but the check names another transport */
			struct router_participant *q = find_by_ufrag(w, buf, len);
			if (q && q != p && transport_recv(q->tr, buf, &len, from, now) >= 0)
				p = q;
		}
		addr_sync(w, p);
	}
}

/* Before a batch is processed, fetch each datagram's per-leg state (participant, transports, SRTP sessions, GCM
 * contexts) one level at a time across the whole batch: with 1,000 legs that state is not in cache, and loads of
 * different legs overlap, where processing one datagram after another would wait for each miss in turn. */
static void prefetch_batch(struct media_worker *w, int n, struct router_participant **ps)
{
	for (int i = 0; i < n; i++) {
		w->raddr[i].len = w->rmsg[i].msg_hdr.msg_namelen;
		ps[i] = addr_find(w, &w->raddr[i]);
		if (ps[i])
			__builtin_prefetch(ps[i]);
	}
	for (int depth = 0; depth < 4; depth++)
		for (int i = 0; i < n; i++)
			if (ps[i])
				router_prefetch(ps[i], depth);
}

static void receive_batches(struct media_worker *w)
{
	for (int round = 0; round < 16; round++) { /* bounded: timers and commands get their turn */
		for (unsigned i = 0; i < MEDIA_BATCH; i++)
			w->rmsg[i].msg_hdr.msg_namelen = sizeof w->raddr[i].u;
		int n = recvmmsg(w->fd, w->rmsg, MEDIA_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		int64_t now = media__now_ms();
		struct router_participant *ps[MEDIA_BATCH];
		uint32_t gen = w->tab_gen;
		prefetch_batch(w, n, ps);
		for (int i = 0; i < n; i++)
			on_datagram(w, w->rbuf[i], w->rmsg[i].msg_len, &w->raddr[i], now, ps[i], gen);
		w->rx_dgrams += (unsigned)n;
		w->rx_calls++;
		txq_flush(&w->q);
		if (n < MEDIA_BATCH)
			break;
	}
}

/* ---- timers ---- */

/* Timers of one call; returns whether it is settled (every transport connected, first media reported). */
static bool tick_call(struct router_call *c, int64_t now, bool stats, struct router_txq *q)
{
	bool settled = true;
	for (int j = 0; j < ROUTER_MAX_PARTICIPANTS; j++) {
		struct router_participant *p = &c->p[j];
		if (!p->used || !p->tr)
			continue;
		transport_tick(p->tr, now);
		if (p->first_media && !p->first_media_reported) {
			p->first_media_reported = true;
			emit(p, MEDIA_EV_FIRST_MEDIA);
		}
		if (stats)
			emit(p, MEDIA_EV_STATS);
		settled = settled && p->first_media_reported && transport_state(p->tr) == TRANSPORT_CONNECTED;
	}
	router_call_tick(c, now, q);
	return settled;
}

static void add_mix_stats(struct mixer_stats *sum, const struct mixer *m)
{
	struct mixer_stats st;
	mixer_stats_get(m, &st);
	sum->frames += st.frames, sum->decodes += st.decodes, sum->fec += st.fec, sum->plc += st.plc;
	sum->encodes += st.encodes, sum->skipped_decodes += st.skipped_decodes, sum->late += st.late;
	sum->latency_n += st.latency_n, sum->latency_sum_us += st.latency_sum_us;
	if (st.latency_max_us > sum->latency_max_us)
		sum->latency_max_us = st.latency_max_us;
}

/* Talking indicators: the call's levels when someone talks, and once more when the last one stops. */
static void emit_levels(struct media_worker *w, unsigned idx, int64_t now)
{
	struct router_call *c = w->calls[idx];
	struct router_level lv[ROUTER_MAX_PARTICIPANTS];
	size_t n = router_call_levels(c, now, lv);
	bool talk = false;
	for (size_t i = 0; i < n; i++)
		talk = talk || lv[i].talking;
	if (!talk && !c->talked)
		return;
	c->talked = talk;
	struct media_event ev = {.type = MEDIA_EV_LEVELS, .call_id = c->id, .worker = w->idx};
	for (size_t i = 0; i < n; i++)
		ev.levels[i] =
		    (struct media_level){.participant_id = lv[i].id, .level = lv[i].level, .talking = lv[i].talking};
	ev.n_levels = (unsigned)n;
	media__event_push(&ev);
}

/* Calls being set up get every tick (DTLS retransmits, first media); settled ones every MEDIA_SETTLED_TICKS-th,
 * which is enough for consent expiry and the 1 s RTCP reports, and spares touching every transport 100 times a
 * second. */
static void tick(struct media_worker *w, int64_t now)
{
	bool stats = now >= w->next_stats_ms, all = stats || ++w->ticks % MEDIA_SETTLED_TICKS == 0;
	if (stats)
		w->next_stats_ms = now + media__g.cfg.stats_interval_ms;
	bool levels = now >= w->next_levels_ms;
	if (levels)
		w->next_levels_ms = now + MEDIA_LEVELS_MS;
	struct mixer_stats mix = {0};
	for (unsigned i = 0; i < w->n_calls; i++) {
		if (levels && w->calls[i]->mix)
			add_mix_stats(&mix, w->calls[i]->mix);
		if (all || !w->settled[i])
			w->settled[i] = tick_call(w->calls[i], now, stats, &w->q);
		router_call_mix(w->calls[i], now, &w->q); /* nothing without a mixer */
		if (levels)
			emit_levels(w, i, now);
	}
	if (levels)
		w->mix = mix;
	txq_flush(&w->q);
}

void *media__worker_main(void *arg)
{
	struct media_worker *w = arg;
	struct epoll_event evs[4];
	w->q.flush = txq_flush;
	char name[16];
	snprintf(name, sizeof name, "media-w%u", w->idx);
	pthread_setname_np(pthread_self(), name); /* visible in top -H and perf */
	w->next_stats_ms = media__now_ms() + media__g.cfg.stats_interval_ms;
	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		int64_t now = media__now_ms();
		int timeout = w->next_tick_ms > now ? (int)(w->next_tick_ms - now) : 0;
		int n = epoll_wait(w->ep, evs, 4, timeout);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == w->fd)
				receive_batches(w);
			else if (evs[i].data.fd == w->cmd_efd)
				drain_commands(w);
		}
		now = media__now_ms();
		if (now >= w->next_tick_ms) {
			w->next_tick_ms = now + MEDIA_TICK_MS;
			tick(w, now);
		}
	}
	while (w->n_calls)
		call_drop(w, w->n_calls - 1);
	txq_flush(&w->q);
	return NULL;
}
