/* agreements.c: builds a fresh cache from the store, diffs it against the old one, and swaps. */
#include "server/agreements/agreements.h"

#include <stdlib.h>
#include <string.h>

#include "server/base/log.h"

static const struct agreement_list empty_list;

void agreements_init(struct agreements *c)
{
	intmap_init(&c->by_id);
	intmap_init(&c->by_account);
}

void agreements_free(struct agreements *c)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&c->by_id, &pos, NULL, &v)) {
		schedule_free(((struct agreement *)v)->sched);
		free(v);
	}
	pos = 0;
	while (intmap_next(&c->by_account, &pos, NULL, &v)) {
		struct agreement_list *l = v;
		free(l->items);
		free(l);
	}
	intmap_free(&c->by_id);
	intmap_free(&c->by_account);
}

static int list_add(struct intmap *by_account, int64_t account, struct agreement *a)
{
	struct agreement_list *l = intmap_get(by_account, (uint64_t)account);
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || intmap_put(by_account, (uint64_t)account, l) < 0) {
			free(l);
			return -1;
		}
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		struct agreement **ni = realloc(l->items, ncap * sizeof(*ni));
		if (!ni)
			return -1;
		l->items = ni;
		l->cap = ncap;
	}
	l->items[l->n++] = a;
	return 0;
}

struct load_ctx {
	struct agreements fresh;
	int failed;
};

static void on_row(const struct agreement *row, void *arg)
{
	struct load_ctx *lc = arg;
	struct agreement *a = malloc(sizeof(*a));
	if (!a || intmap_put(&lc->fresh.by_id, (uint64_t)row->id, a) < 0) {
		free(a);
		lc->failed = 1;
		return;
	}
	memcpy(a, row, sizeof(*a)); /* with its zeroed padding, so reloads can be compared byte by byte */
	a->sched = NULL;
	if (terms_has_windows(&a->terms)) {
		char err[160];
		a->sched = terms_schedule(&a->terms, a->zone, err, sizeof(err));
		if (!a->sched) { /* windows we cannot evaluate: fail closed */
			log_error("agreement %lld: %s; treating it as suspended", (long long)a->id, err);
			a->status = AG_SUSPENDED;
		}
	}
	if (list_add(&lc->fresh.by_account, a->child_id, a) || list_add(&lc->fresh.by_account, a->contact_id, a))
		lc->failed = 1;
}

/* Whether the terms a client sees differ (last_seq is runtime state, not terms). */
static int terms_differ(const struct agreement *a, const struct agreement *b)
{
	struct agreement x, y;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.last_seq = y.last_seq = 0;
	x.sched = y.sched = NULL;
	x.next_boundary = y.next_boundary = 0;
	return memcmp(&x, &y, sizeof(x)) != 0;
}

int agreements_reload(struct agreements *c, struct store *s, agreements_changed_cb changed, void *ctx)
{
	struct load_ctx lc = {.failed = 0};
	agreements_init(&lc.fresh);
	if (store_agreements_load(s, on_row, &lc) != STORE_OK || lc.failed) {
		agreements_free(&lc.fresh);
		return STORE_ERR;
	}
	size_t pos = 0;
	void *v;
	while (intmap_next(&lc.fresh.by_id, &pos, NULL, &v)) {
		struct agreement *now = v, *old = intmap_get(&c->by_id, (uint64_t)now->id);
		if (old && old->last_seq > now->last_seq)
			now->last_seq = old->last_seq;
		int differs = !old || terms_differ(old, now);
		if (!differs)
			now->next_boundary = old->next_boundary; /* else 0: recomputed by the next sweep */
		if (changed && differs)
			changed(old, now, ctx);
	}
	agreements_free(c);
	*c = lc.fresh;
	return STORE_OK;
}

struct agreement *agreements_get(const struct agreements *c, int64_t id)
{
	return id > 0 ? intmap_get(&c->by_id, (uint64_t)id) : NULL;
}

const struct agreement_list *agreements_of(const struct agreements *c, int64_t account)
{
	const struct agreement_list *l = account > 0 ? intmap_get(&c->by_account, (uint64_t)account) : NULL;
	return l ? l : &empty_list;
}
