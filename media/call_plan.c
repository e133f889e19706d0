/* call_plan.c: the control thread's picture of a call's streams: which source each m-section of each receiver carries. */
#include "media/call_plan.h"

#include <string.h>

#include "media/random.h"

int call_plan_kind(enum sdp_kind k)
{
	return k == SDP_KIND_AUDIO ? ROUTER_AUDIO : k == SDP_KIND_VIDEO ? ROUTER_VIDEO : -1;
}

static bool receives(enum sdp_dir d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY || d == SDP_DIR_NONE;
}

struct plan_member *call_plan_member(struct call_plan *cp, uint64_t pid)
{
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (cp->m[i].used && cp->m[i].pid == pid)
			return &cp->m[i];
	return NULL;
}

struct plan_member *call_plan_add(struct call_plan *cp, uint64_t pid, bool can_send, bool can_recv)
{
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++) {
		struct plan_member *m = &cp->m[i];
		if (m->used)
			continue;
		memset(m, 0, sizeof *m);
		m->used = true, m->pid = pid, m->can_send = can_send, m->can_recv = can_recv;
		return m;
	}
	return NULL;
}

void call_plan_remove(struct call_plan *cp, struct plan_member *m)
{
	memset(m, 0, sizeof *m);
	call_plan_changed(cp, NULL);
}

/* Does pid send kind k now? */
static bool source_live(const struct call_plan *cp, uint64_t pid, int k)
{
	if (pid == CALL_PLAN_MIX)
		return k == ROUTER_AUDIO;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (cp->m[i].used && cp->m[i].pid == pid)
			return cp->m[i].can_send && cp->m[i].sends[k];
	return false;
}

bool call_plan_mixed(const struct call_plan *cp, const struct plan_member *m)
{
	unsigned senders = 0;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		senders += cp->m[i].used && cp->m[i].can_send && cp->m[i].sends[ROUTER_AUDIO];
	return m->can_recv && (m->mix_wanted || senders > CALL_PLAN_MIX_ABOVE);
}

bool call_plan_carries_mix(const struct plan_member *m)
{
	for (unsigned i = 0; i < m->n_sec; i++)
		if (m->sec[i].src == CALL_PLAN_MIX)
			return true;
	return false;
}

/* Should a section of m carry source src's kind k (src live; audio of a mixed member only from the mix)? */
static bool wanted(const struct call_plan *cp, const struct plan_member *m, uint64_t src, int k)
{
	if (k == ROUTER_AUDIO && call_plan_mixed(cp, m))
		return src == CALL_PLAN_MIX;
	return src != CALL_PLAN_MIX && source_live(cp, src, k);
}

static bool carried(const struct plan_member *m, unsigned upto, uint64_t src, int k)
{
	for (unsigned i = 0; i < upto; i++)
		if (m->sec[i].src == src && m->sec[i].kind == k)
			return true;
	return false;
}

static const struct plan_section *previous(const struct plan_section *old, unsigned n, const char *mid, int k)
{
	for (unsigned i = 0; mid[0] && i < n; i++)
		if (old[i].kind == k && strcmp(old[i].mid, mid) == 0)
			return &old[i];
	return NULL;
}

/* Sticky pass: each receiving section keeps the live source it carried before. */
static void keep_previous(const struct call_plan *cp, struct plan_member *m, const struct sdp_session *o,
			  const struct plan_section *old, unsigned n_old)
{
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *om = &o->media[i];
		struct plan_section *s = &m->sec[i];
		s->kind = call_plan_kind(om->kind);
		if (strlen(om->mid) < CALL_PLAN_MID_MAX)
			strcpy(s->mid, om->mid);
		if (s->kind < 0 || !s->mid[0] || !receives(om->dir))
			continue;
		const struct plan_section *p = previous(old, n_old, s->mid, s->kind);
		if (p && p->src && wanted(cp, m, p->src, s->kind) && !carried(m, i, p->src, s->kind))
			s->src = p->src, s->ssrc = p->ssrc, s->rtx_ssrc = p->rtx_ssrc;
	}
}

/* Free sections take the live sources nobody carries yet, in slot order. */
static void fill_free(const struct call_plan *cp, struct plan_member *m, const struct sdp_session *o)
{
	for (unsigned i = 0; i < o->n_media; i++) {
		struct plan_section *s = &m->sec[i];
		if (s->src || s->kind < 0 || !s->mid[0] || !receives(o->media[i].dir))
			continue;
		if (s->kind == ROUTER_AUDIO && call_plan_mixed(cp, m)) {
			if (!carried(m, o->n_media, CALL_PLAN_MIX, ROUTER_AUDIO))
				s->src = CALL_PLAN_MIX, s->ssrc = media_random_u32_nonzero();
			continue;
		}
		for (int j = 0; j < ROUTER_MAX_PARTICIPANTS; j++) {
			const struct plan_member *src = &cp->m[j];
			if (src == m || !src->used || !source_live(cp, src->pid, s->kind) ||
			    carried(m, o->n_media, src->pid, s->kind))
				continue;
			s->src = src->pid;
			s->ssrc = media_random_u32_nonzero();
			s->rtx_ssrc = s->kind == ROUTER_VIDEO ? media_random_u32_nonzero() : 0;
			break;
		}
	}
}

void call_plan_assign(struct call_plan *cp, struct plan_member *m, const struct sdp_session *o)
{
	static struct plan_section old[SDP_MAX_MEDIA]; /* control thread only */
	unsigned n_old = m->n_sec;
	memcpy(old, m->sec, sizeof old);
	memset(m->sec, 0, sizeof m->sec);
	m->n_sec = o->n_media;
	if (m->can_recv) {
		keep_previous(cp, m, o, old, n_old);
		fill_free(cp, m, o);
	} else {
		for (unsigned i = 0; i < o->n_media; i++)
			m->sec[i].kind = call_plan_kind(o->media[i].kind);
	}
}

void call_plan_settle(struct plan_member *m, const struct sdp_session *a)
{
	for (unsigned i = 0; i < m->n_sec && i < a->n_media; i++) {
		const struct sdp_media *am = &a->media[i];
		bool sends = am->port && (am->dir == SDP_DIR_SENDRECV || am->dir == SDP_DIR_SENDONLY) && am->n_ssrcs;
		if (!sends)
			m->sec[i].src = 0, m->sec[i].ssrc = m->sec[i].rtx_ssrc = 0;
	}
}

/* Is m's last answer missing a live stream, or carrying one that ended? */
static bool stale(const struct call_plan *cp, const struct plan_member *m)
{
	if (!m->used || !m->can_recv || !m->version)
		return false;
	for (unsigned i = 0; i < m->n_sec; i++)
		if (m->sec[i].src && !wanted(cp, m, m->sec[i].src, m->sec[i].kind))
			return true;
	if (call_plan_mixed(cp, m) && !carried(m, m->n_sec, CALL_PLAN_MIX, ROUTER_AUDIO))
		return true;
	for (int j = 0; j < ROUTER_MAX_PARTICIPANTS; j++) {
		const struct plan_member *src = &cp->m[j];
		for (int k = 0; src != m && src->used && k < ROUTER_KINDS; k++)
			if (wanted(cp, m, src->pid, k) && !carried(m, m->n_sec, src->pid, k))
				return true;
	}
	return false;
}

void call_plan_changed(struct call_plan *cp, const struct plan_member *except)
{
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (&cp->m[i] != except && stale(cp, &cp->m[i]))
			cp->m[i].renegotiate = true;
}

size_t call_plan_take_renegotiate(struct call_plan *cp, uint64_t *out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (cp->m[i].used && cp->m[i].renegotiate && n < max) {
			out[n++] = cp->m[i].pid;
			cp->m[i].renegotiate = false;
		}
	return n;
}
