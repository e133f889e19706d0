/* worker_api.c: the control thread's side of the media workers: start/stop, call map, SDP offer/answer, queues. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "media/call_plan.h"
#include "media/random.h"
#include "media/sdp.h"
#include "media/srtp.h"
#include "media/worker_internal.h"

struct media_global media__g;

struct media_ev_node {
	struct media_ev_node *next;
	struct media_event ev;
};

/* Control-thread map: call id -> its plan (worker, streams). */
static struct call_plan **pins;
static size_t n_pins, cap_pins;

static const char *const err_msgs[] = {
#define MEDIA_X_MSG(name, val, msg) msg,
    MEDIA_ERRORS(MEDIA_X_MSG)
#undef MEDIA_X_MSG
};

const char *media_strerror(int code)
{
	return code <= 0 && -code < (int)(sizeof err_msgs / sizeof err_msgs[0]) ? err_msgs[-code]
										: "media: unknown error";
}

const char *media_event_name(enum media_event_type t)
{
	static const char *const names[] = {"?",      "connected", "first-media", "disconnected",
					    "failed", "stats",     "levels"};
	return (unsigned)t < 7 ? names[t] : "?";
}

/* ---- events (worker -> control) ---- */

void media__event_push(const struct media_event *ev)
{
	struct media_ev_node *n = malloc(sizeof *n);
	if (!n)
		return;
	n->ev = *ev, n->next = NULL;
	pthread_mutex_lock(&media__g.ev_mu);
	if (media__g.ev_tail)
		media__g.ev_tail->next = n;
	else
		media__g.ev_head = n;
	media__g.ev_tail = n;
	pthread_mutex_unlock(&media__g.ev_mu);
	uint64_t one = 1;
	if (write(media__g.ev_efd, &one, sizeof one) < 0) { /* counter saturated: the reader is awake anyway */
	}
}

int media_events_fd(void)
{
	return media__g.running ? media__g.ev_efd : -1;
}

size_t media_events_poll(struct media_event *out, size_t max)
{
	uint64_t v;
	size_t n = 0;
	if (!media__g.running)
		return 0;
	if (read(media__g.ev_efd, &v, sizeof v) < 0 && errno != EAGAIN) {
	}
	pthread_mutex_lock(&media__g.ev_mu);
	while (n < max && media__g.ev_head) {
		struct media_ev_node *e = media__g.ev_head;
		media__g.ev_head = e->next;
		out[n++] = e->ev;
		free(e);
	}
	if (!media__g.ev_head)
		media__g.ev_tail = NULL;
	bool more = media__g.ev_head != NULL;
	pthread_mutex_unlock(&media__g.ev_mu);
	if (more) { /* keep the fd readable for the rest */
		uint64_t one = 1;
		if (write(media__g.ev_efd, &one, sizeof one) < 0) {
		}
	}
	return n;
}

/* ---- sockets and threads ---- */

int media__worker_open(struct media_worker *w, const char *bind_ip, uint16_t port)
{
	struct ice_addr a;
	if (ice_addr_from_string(&a, bind_ip, port))
		return MEDIA_ERR_ARG;
	w->fd = socket(a.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sz = 4 << 20;
	if (w->fd < 0 || bind(w->fd, &a.u.sa, a.len) < 0)
		return MEDIA_ERR_SYS;
	setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	socklen_t l = sizeof a.u;
	if (getsockname(w->fd, &a.u.sa, &l) < 0)
		return MEDIA_ERR_SYS;
	w->port = ntohs(a.u.sa.sa_family == AF_INET ? a.u.v4.sin_port : a.u.v6.sin6_port);
	w->cmd_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->cmd_efd < 0 || w->ep < 0)
		return MEDIA_ERR_SYS;
	struct epoll_event e1 = {.events = EPOLLIN, .data.fd = w->fd}, e2 = {.events = EPOLLIN, .data.fd = w->cmd_efd};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->fd, &e1) < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->cmd_efd, &e2) < 0)
		return MEDIA_ERR_SYS;
	w->tab = calloc(MEDIA_ADDR_TABLE, sizeof *w->tab);
	w->rbuf = malloc(MEDIA_BATCH * sizeof *w->rbuf);
	w->slots = malloc(MEDIA_BATCH * sizeof *w->slots);
	if (!w->tab || !w->rbuf || !w->slots)
		return MEDIA_ERR_NOMEM;
	for (unsigned i = 0; i < MEDIA_BATCH; i++) {
		w->riov[i].iov_base = w->rbuf[i], w->riov[i].iov_len = ROUTER_PKT_MAX;
		w->rmsg[i].msg_hdr =
		    (struct msghdr){.msg_name = &w->raddr[i].u, .msg_iov = &w->riov[i], .msg_iovlen = 1};
	}
	w->q = (struct router_txq){.slots = w->slots, .cap = MEDIA_BATCH, .owner = w};
	return pthread_mutex_init(&w->mu, NULL) ? MEDIA_ERR_SYS : MEDIA_OK;
}

void media__worker_close(struct media_worker *w)
{
	if (w->fd > 0)
		close(w->fd);
	if (w->cmd_efd > 0)
		close(w->cmd_efd);
	if (w->ep > 0)
		close(w->ep);
	for (struct media_cmd *c = w->cmd_head, *n; c; c = n)
		n = c->next, free(c);
	free(w->tab), free(w->rbuf), free(w->slots), free(w->calls), free(w->settled);
	pthread_mutex_destroy(&w->mu);
}

static int setup_dtls(char *err, size_t errlen)
{
	struct dtls_fingerprint fp;
	if (srtp_session_lib_init() || dtls_cert_generate(&media__g.cert, err, errlen))
		return MEDIA_ERR_SYS;
	if (dtls_fingerprint_parse(&fp, dtls_cert_fingerprint(media__g.cert)) || fp.len != 32)
		return MEDIA_ERR_SYS;
	memcpy(media__g.fp_sha256, fp.digest, 32);
	media__g.dtls = dtls_ctx_new(media__g.cert, DTLS_ROLE_SERVER, NULL, err, errlen);
	return media__g.dtls ? MEDIA_OK : MEDIA_ERR_SYS;
}

static int start_workers(const struct media_config *cfg)
{
	for (unsigned i = 0; i < media__g.n; i++) {
		struct media_worker *w = &media__g.w[i];
		w->idx = i, w->fd = w->cmd_efd = w->ep = -1;
		int rc = media__worker_open(w, media__g.bind_ip, cfg->port_base ? (uint16_t)(cfg->port_base + i) : 0);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < media__g.n; i++) {
		if (pthread_create(&media__g.w[i].th, NULL, media__worker_main, &media__g.w[i]))
			return MEDIA_ERR_SYS;
		media__g.w[i].started = true;
	}
	return MEDIA_OK;
}

int media_workers_start(const struct media_config *cfg, char *err, size_t errlen)
{
	if (media__g.running)
		return MEDIA_ERR_STATE;
	if (!cfg || !cfg->bind_ip || strlen(cfg->bind_ip) >= 64 || (cfg->announce_ip && strlen(cfg->announce_ip) >= 64))
		return MEDIA_ERR_ARG;
	memset(&media__g, 0, sizeof media__g);
	media__g.cfg = *cfg;
	if (!media__g.cfg.consent_timeout_ms)
		media__g.cfg.consent_timeout_ms = ICE_CONSENT_TIMEOUT_MS;
	if (!media__g.cfg.stats_interval_ms)
		media__g.cfg.stats_interval_ms = 5000;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	media__g.n = cfg->n_workers ? cfg->n_workers : (unsigned)(cpus > 0 ? cpus : 1);
	strcpy(media__g.bind_ip, cfg->bind_ip);
	strcpy(media__g.announce_ip, cfg->announce_ip ? cfg->announce_ip : cfg->bind_ip);
	media__g.w = calloc(media__g.n, sizeof *media__g.w);
	media__g.ev_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int rc = media__g.w && media__g.ev_efd >= 0 ? setup_dtls(err, errlen) : MEDIA_ERR_SYS;
	pthread_mutex_init(&media__g.ev_mu, NULL);
	media__g.running = true;
	if (rc == MEDIA_OK)
		rc = start_workers(cfg);
	if (rc != MEDIA_OK) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "%s: %s", media_strerror(rc), strerror(errno));
		media_workers_stop();
	}
	return rc;
}

void media_workers_stop(void)
{
	if (!media__g.running)
		return;
	for (unsigned i = 0; media__g.w && i < media__g.n; i++) {
		struct media_worker *w = &media__g.w[i];
		atomic_store_explicit(&w->stop, true, memory_order_release);
		uint64_t one = 1;
		if (w->started && write(w->cmd_efd, &one, sizeof one) >= 0)
			pthread_join(w->th, NULL);
		media__worker_close(w);
	}
	free(media__g.w);
	for (struct media_ev_node *e = media__g.ev_head, *n; e; e = n)
		n = e->next, free(e);
	if (media__g.ev_efd >= 0)
		close(media__g.ev_efd);
	dtls_ctx_free(media__g.dtls);
	dtls_cert_free(media__g.cert);
	pthread_mutex_destroy(&media__g.ev_mu);
	for (size_t i = 0; i < n_pins; i++)
		free(pins[i]);
	free(pins);
	pins = NULL, n_pins = cap_pins = 0;
	memset(&media__g, 0, sizeof media__g);
}

unsigned media_workers_count(void)
{
	return media__g.running ? media__g.n : 0;
}

void media_worker_mix_stats(unsigned worker, struct mixer_stats *out)
{
	memset(out, 0, sizeof *out);
	if (media__g.running && worker < media__g.n)
		*out = media__g.w[worker].mix;
}

uint16_t media_worker_port(unsigned worker)
{
	return media__g.running && worker < media__g.n ? media__g.w[worker].port : 0;
}

/* ---- commands (control -> worker) ---- */

static struct call_plan *pin_find(uint64_t call_id, size_t *idx)
{
	for (size_t i = 0; i < n_pins; i++)
		if (pins[i]->call_id == call_id) {
			if (idx)
				*idx = i;
			return pins[i];
		}
	return NULL;
}

static void cmd_push(unsigned worker, struct media_cmd *cmd)
{
	struct media_worker *w = &media__g.w[worker];
	cmd->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->cmd_tail)
		w->cmd_tail->next = cmd;
	else
		w->cmd_head = cmd;
	w->cmd_tail = cmd;
	pthread_mutex_unlock(&w->mu);
	uint64_t one = 1;
	if (write(w->cmd_efd, &one, sizeof one) < 0) { /* saturated counter: the worker is awake anyway */
	}
}

/* Queue a command for an existing call: *cmd (type and call set) is the caller's to fill before cmd_push. */
static int call_cmd(enum media_cmd_type type, uint64_t call_id, struct media_cmd **cmd, struct call_plan **pin)
{
	if (!media__g.running)
		return MEDIA_ERR_STATE;
	if (!(*pin = pin_find(call_id, NULL)))
		return MEDIA_ERR_NO_CALL;
	if (!(*cmd = calloc(1, sizeof **cmd)))
		return MEDIA_ERR_NOMEM;
	(*cmd)->type = type, (*cmd)->call_id = call_id;
	return MEDIA_OK;
}

static int simple_cmd(enum media_cmd_type type, uint64_t call_id, uint64_t pid, bool a, bool b)
{
	struct media_cmd *cmd;
	struct call_plan *pin;
	int rc = call_cmd(type, call_id, &cmd, &pin);
	if (rc != MEDIA_OK)
		return rc;
	cmd->pid = pid, cmd->a = a, cmd->b = b;
	cmd_push(pin->worker, cmd);
	return MEDIA_OK;
}

int media_call_create(uint64_t call_id)
{
	if (!media__g.running)
		return MEDIA_ERR_STATE;
	if (pin_find(call_id, NULL))
		return MEDIA_ERR_EXISTS;
	if (n_pins == cap_pins) {
		struct call_plan **np = realloc(pins, (cap_pins * 2 + 64) * sizeof *pins);
		if (!np)
			return MEDIA_ERR_NOMEM;
		pins = np, cap_pins = cap_pins * 2 + 64;
	}
	unsigned best = 0;
	for (unsigned i = 1; i < media__g.n; i++)
		if (media__g.w[i].load < media__g.w[best].load)
			best = i;
	struct call_plan *cp = calloc(1, sizeof *cp);
	if (!cp)
		return MEDIA_ERR_NOMEM;
	cp->call_id = call_id, cp->worker = best;
	snprintf(cp->session_id, sizeof cp->session_id, "%u", media_random_u32_nonzero() & 0x7fffffffu);
	pins[n_pins++] = cp;
	media__g.w[best].load++;
	int rc = simple_cmd(CMD_CALL_CREATE, call_id, 0, false, false);
	return rc == MEDIA_OK ? (int)best : rc;
}

int media_call_end(uint64_t call_id)
{
	size_t idx;
	int rc = simple_cmd(CMD_CALL_END, call_id, 0, false, false);
	if (rc == MEDIA_OK && pin_find(call_id, &idx)) {
		media__g.w[pins[idx]->worker].load--;
		free(pins[idx]);
		pins[idx] = pins[--n_pins];
	}
	return rc;
}

int media_participant_remove(uint64_t call_id, uint64_t pid)
{
	int rc = simple_cmd(CMD_PART_REMOVE, call_id, pid, 0, 0);
	struct call_plan *cp = rc == MEDIA_OK ? pin_find(call_id, NULL) : NULL;
	struct plan_member *m = cp ? call_plan_member(cp, pid) : NULL;
	if (m)
		call_plan_remove(cp, m);
	return rc;
}

size_t media_call_take_renegotiate(uint64_t call_id, uint64_t *pids, size_t max)
{
	struct call_plan *cp = media__g.running ? pin_find(call_id, NULL) : NULL;
	return cp ? call_plan_take_renegotiate(cp, pids, max) : 0;
}
int media_call_set_gate(uint64_t call_id, uint64_t pid, bool audio_on, bool video_on)
{
	return simple_cmd(CMD_GATE, call_id, pid, audio_on, video_on);
}
int media_call_set_recv_gate(uint64_t call_id, uint64_t pid, bool audio_on, bool video_on)
{
	return simple_cmd(CMD_RECV_GATE, call_id, pid, audio_on, video_on);
}
int media_call_set_mix(uint64_t call_id, uint64_t pid, bool on)
{
	struct call_plan *cp = media__g.running ? pin_find(call_id, NULL) : NULL;
	struct plan_member *m = cp ? call_plan_member(cp, pid) : NULL;
	if (!cp)
		return media__g.running ? MEDIA_ERR_NO_CALL : MEDIA_ERR_STATE;
	if (!m)
		return MEDIA_ERR_ARG;
	m->mix_wanted = on;
	call_plan_changed(cp, NULL); /* it (and only it) is stale now if its answer disagrees */
	return MEDIA_OK;
}

bool media_call_is_mixed(uint64_t call_id, uint64_t pid)
{
	struct call_plan *cp = media__g.running ? pin_find(call_id, NULL) : NULL;
	struct plan_member *m = cp ? call_plan_member(cp, pid) : NULL;
	return m && call_plan_carries_mix(m);
}

int media_call_pause(uint64_t call_id, bool on)
{
	return simple_cmd(CMD_PAUSE, call_id, 0, on, false);
}

int media_call_record(uint64_t call_id, struct recording *rec,
		      void (*done)(void *arg, const struct recording_result *res), void *arg)
{
	struct media_cmd *cmd;
	struct call_plan *pin;
	int rc = call_cmd(CMD_RECORD, call_id, &cmd, &pin);
	if (rc != MEDIA_OK)
		return rc;
	cmd->rec = rec, cmd->rec_done = done, cmd->rec_arg = arg;
	cmd_push(pin->worker, cmd);
	return MEDIA_OK;
}

/* ---- offer -> answer ---- */

static void fingerprint_string(const struct sdp_fingerprint *f, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s ", f->alg);
	for (unsigned i = 0; i < f->len && n + 4 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, i ? ":%02X" : "%02X", f->hash[i]);
}

/* The offerer's primary SSRC in m (first of an FID group, else the first a=ssrc), 0 if none. */
static uint32_t offer_ssrc(const struct sdp_media *m)
{
	for (unsigned g = 0; g < m->n_ssrc_groups; g++)
		if (m->ssrc_groups[g].count && strcmp(m->ssrc_groups[g].semantics, "FID") == 0)
			return m->ssrc_groups[g].ssrcs[0];
	for (unsigned g = 0; g < m->n_ssrc_groups; g++)
		if (m->ssrc_groups[g].count && strcmp(m->ssrc_groups[g].semantics, "SIM") == 0)
			return m->ssrc_groups[g].ssrcs[0];
	return m->n_ssrcs ? m->ssrcs[0].ssrc : 0;
}

/* The negotiated extension ids (the answer keeps the offer's; BUNDLE makes them one map). */
static void extmap_from(struct rtp_extmap *x, const struct sdp_media *am)
{
	static const char *const uri[RTP_EXT_TYPES] = {SDP_EXT_MID, SDP_EXT_ABS_SEND_TIME, SDP_EXT_AUDIO_LEVEL};
	for (int t = 0; t < RTP_EXT_TYPES; t++) {
		int id = sdp_media_extmap_id(am, uri[t]);
		if (id > 0 && !x->id[t])
			x->id[t] = (uint8_t)id;
	}
}

/* What the participant sends, per kind: the first accepted section it sends on. */
static void fill_producers(struct media_cmd *cmd, const struct sdp_session *o, const struct sdp_session *a,
			   bool sends[ROUTER_KINDS])
{
	for (unsigned i = 0; i < a->n_media; i++) {
		const struct sdp_media *am = &a->media[i], *om = &o->media[i];
		int k = call_plan_kind(am->kind);
		if (k < 0 || !am->port || !am->n_codecs)
			continue;
		extmap_from(&cmd->pp.ext, am);
		bool sending = om->dir == SDP_DIR_SENDRECV || om->dir == SDP_DIR_SENDONLY || om->dir == SDP_DIR_NONE;
		if (cmd->pp.pt[k] || !sending)
			continue;
		cmd->pp.pt[k] = am->codecs[0].pt;
		cmd->pp.ssrc_in[k] = offer_ssrc(om);
		sends[k] = om->n_ssrcs > 0 || om->msid_track[0] != '\0';
	}
}

/* What it receives: per source slot and kind, the section the answer announced it on. */
static void fill_consumers(struct media_cmd *cmd, const struct call_plan *cp, const struct plan_member *m,
			   const struct sdp_session *a)
{
	for (unsigned i = 0; i < m->n_sec && i < a->n_media; i++) {
		const struct plan_section *ps = &m->sec[i];
		const struct sdp_media *am = &a->media[i];
		bool mix = ps->src == CALL_PLAN_MIX && ps->kind == ROUTER_AUDIO;
		const struct plan_member *src =
		    ps->src && !mix ? call_plan_member((struct call_plan *)cp, ps->src) : NULL;
		if ((!src && !mix) || ps->kind < 0 || !am->n_codecs)
			continue;
		cmd->pp.mixed = cmd->pp.mixed || mix;
		struct consumer_params *sp = mix ? &cmd->pp.mix : &cmd->pp.out[call_plan_slot(cp, src)][ps->kind];
		bool rtx = ps->rtx_ssrc && am->n_codecs > 1;
		*sp = (struct consumer_params){.on = true,
					       .ssrc = ps->ssrc,
					       .rtx_ssrc = rtx ? ps->rtx_ssrc : 0,
					       .pt = am->codecs[0].pt,
					       .rtx_pt = rtx ? am->codecs[1].pt : 0,
					       .mid_len = (uint8_t)strlen(ps->mid)};
		memcpy(sp->mid, ps->mid, sp->mid_len);
	}
}

/* The send track of each assigned section: SSRCs and an msid naming the source participant. */
static void send_tracks(const struct plan_member *m, struct sdp_send_track *send, char (*names)[3][32])
{
	for (unsigned i = 0; i < m->n_sec; i++) {
		const struct plan_section *ps = &m->sec[i];
		if (!ps->src)
			continue;
		if (ps->src == CALL_PLAN_MIX) {
			snprintf(names[i][0], sizeof names[i][0], "samvaer-mix");
			snprintf(names[i][1], sizeof names[i][1], "audio-mix");
		} else {
			snprintf(names[i][0], sizeof names[i][0], "samvaer-%llu", (unsigned long long)ps->src);
			snprintf(names[i][1], sizeof names[i][1], "%s-%llu",
				 ps->kind == ROUTER_AUDIO ? "audio" : "video", (unsigned long long)ps->src);
		}
		send[i] = (struct sdp_send_track){.ssrc = ps->ssrc,
						  .rtx_ssrc = ps->rtx_ssrc,
						  .cname = names[i][0],
						  .stream_id = names[i][0],
						  .track_id = names[i][1]};
	}
}

static int build_answer(struct media_cmd *cmd, struct call_plan *cp, struct plan_member *m,
			const struct sdp_session *offer, struct sdp_session *ans, const char **sdp_err)
{
	static struct sdp_send_track send[SDP_MAX_MEDIA]; /* control thread only */
	static char names[SDP_MAX_MEDIA][3][32];
	memset(send, 0, sizeof send);
	call_plan_assign(cp, m, offer);
	send_tracks(m, send, names);
	char version[16];
	snprintf(version, sizeof version, "%u", m->version + 1);
	struct sdp_answer_params p = {.ice_ufrag = m->ufrag,
				      .ice_pwd = m->pwd,
				      .dtls_sha256 = media__g.fp_sha256,
				      .cand_ip = media__g.announce_ip,
				      .cand_port = media__g.w[cp->worker].port,
				      .session_id = cp->session_id,
				      .video_pref = SDP_PREFER_VP8,
				      .send = send,
				      .n_send = offer->n_media,
				      .quiet_unsent = true};
	int rc = sdp_answer_build(ans, offer, &p, sdp_err);
	if (rc != SDP_OK)
		return MEDIA_ERR_SDP;
	snprintf(ans->origin_sess_version, sizeof ans->origin_sess_version, "%s", version);
	call_plan_settle(m, ans);
	bool sends[ROUTER_KINDS] = {false, false};
	fill_producers(cmd, offer, ans, sends);
	fill_consumers(cmd, cp, m, ans);
	bool changed = !m->version || sends[ROUTER_AUDIO] != m->sends[ROUTER_AUDIO] ||
	    sends[ROUTER_VIDEO] != m->sends[ROUTER_VIDEO];
	m->sends[ROUTER_AUDIO] = sends[ROUTER_AUDIO], m->sends[ROUTER_VIDEO] = sends[ROUTER_VIDEO];
	m->version++;
	if (changed)
		call_plan_changed(cp, m);
	if (call_plan_mixed(cp, m) != call_plan_carries_mix(m)) /* its own arrival made the call mixed */
		m->renegotiate = true;
	return MEDIA_OK;
}

/* The transport this offer is for: the member's current one (same ICE credentials and fingerprint: a
 * renegotiation, RFC 8829 §5.2.1), or a new one with fresh credentials of ours. */
static int pick_transport(struct media_cmd *cmd, struct plan_member *m, const struct sdp_session *o)
{
	const struct sdp_media *first = NULL;
	for (unsigned i = 0; i < o->n_media && !first; i++)
		if (call_plan_kind(o->media[i].kind) >= 0 && (o->media[i].port || o->media[i].bundle_only))
			first = &o->media[i];
	if (!first)
		return MEDIA_ERR_SDP;
	char fp[DTLS_FINGERPRINT_MAX];
	fingerprint_string(sdp_media_fingerprint(o, first), fp, sizeof fp);
	const char *ufrag = sdp_media_ice_ufrag(o, first);
	bool same = m->version && strcmp(m->rufrag, ufrag) == 0 && strcmp(m->fingerprint, fp) == 0;
	cmd->type = same ? CMD_PART_UPDATE : CMD_PART_ADD;
	if (!same) {
		if (ice_credentials_generate(m->ufrag, m->pwd))
			return MEDIA_ERR_SYS;
		snprintf(m->rufrag, sizeof m->rufrag, "%s", ufrag);
		snprintf(m->fingerprint, sizeof m->fingerprint, "%s", fp);
		m->version = 0;
	}
	snprintf(cmd->ufrag, sizeof cmd->ufrag, "%s", m->ufrag);
	snprintf(cmd->pwd, sizeof cmd->pwd, "%s", m->pwd);
	snprintf(cmd->rufrag, sizeof cmd->rufrag, "%s", ufrag);
	snprintf(cmd->rpwd, sizeof cmd->rpwd, "%s", sdp_media_ice_pwd(o, first));
	snprintf(cmd->fingerprint, sizeof cmd->fingerprint, "%s", fp);
	return MEDIA_OK;
}

/* Plan, answer and command for one offer; on failure a member added for it is taken out again. */
static int offer_to_cmd(struct call_plan *cp, struct media_cmd *cmd, uint64_t pid, unsigned role,
			const struct sdp_session *offer, struct sdp_session *ans, const char **sdp_err)
{
	struct plan_member *m = call_plan_member(cp, pid);
	bool added = !m;
	if (added && !(m = call_plan_add(cp, pid, (role & MEDIA_ROLE_SEND) != 0, (role & MEDIA_ROLE_RECV) != 0)))
		return MEDIA_ERR_FULL;
	if (role & MEDIA_ROLE_MIX)
		m->mix_wanted = true;
	struct plan_member saved = *m;
	int rc = pick_transport(cmd, m, offer);
	cmd->call_id = cp->call_id, cmd->pid = pid;
	cmd->pp = (struct router_participant_params){
	    .id = pid, .slot = call_plan_slot(cp, m), .can_send = m->can_send, .can_recv = m->can_recv};
	if (rc == MEDIA_OK)
		rc = build_answer(cmd, cp, m, offer, ans, sdp_err);
	if (rc != MEDIA_OK) {
		if (added)
			memset(m, 0, sizeof *m);
		else
			*m = saved;
	}
	return rc;
}

int media_participant_add(uint64_t call_id, uint64_t participant_id, const char *offer_sdp, size_t offer_len,
			  unsigned role, char *answer, size_t answer_cap, const char **sdp_err)
{
	if (!media__g.running)
		return MEDIA_ERR_STATE;
	if (!offer_sdp || !answer || !answer_cap)
		return MEDIA_ERR_ARG;
	struct call_plan *cp = pin_find(call_id, NULL);
	if (!cp)
		return MEDIA_ERR_NO_CALL;
	struct sdp_session *s = malloc(2 * sizeof *s);
	struct media_cmd *cmd = calloc(1, sizeof *cmd);
	int rc = s && cmd ? MEDIA_OK : MEDIA_ERR_NOMEM;
	if (rc == MEDIA_OK && sdp_session_parse(&s[0], offer_sdp, offer_len, sdp_err) != SDP_OK)
		rc = MEDIA_ERR_SDP;
	if (rc == MEDIA_OK)
		rc = offer_to_cmd(cp, cmd, participant_id, role, &s[0], &s[1], sdp_err);
	if (rc == MEDIA_OK && sdp_session_serialize(&s[1], answer, answer_cap) < 0)
		rc = MEDIA_ERR_NOSPACE;
	free(s);
	if (rc != MEDIA_OK) {
		free(cmd);
		return rc;
	}
	cmd_push(cp->worker, cmd);
	return MEDIA_OK;
}
