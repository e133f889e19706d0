/* router.c: two maps — by connection id for replies after a commit, by account for fan-out. */
#include "server/session/router.h"

void router_init(struct router *r)
{
	intmap_init(&r->by_conn);
	intmap_init(&r->by_account);
	r->accounts_online = 0;
}

void router_free(struct router *r)
{
	intmap_free(&r->by_conn);
	intmap_free(&r->by_account);
}

void router_add(struct router *r, struct route *rt)
{
	rt->account = 0;
	rt->next = NULL;
	intmap_put(&r->by_conn, rt->conn->id, rt);
}

void router_bind(struct router *r, struct route *rt, int64_t account)
{
	rt->account = account;
	rt->next = intmap_get(&r->by_account, (uint64_t)account);
	if (!rt->next)
		r->accounts_online++;
	intmap_put(&r->by_account, (uint64_t)account, rt);
}

static void unbind(struct router *r, struct route *rt)
{
	struct route *head = intmap_get(&r->by_account, (uint64_t)rt->account);
	if (head == rt) {
		if (rt->next)
			intmap_put(&r->by_account, (uint64_t)rt->account, rt->next);
		else {
			intmap_del(&r->by_account, (uint64_t)rt->account);
			r->accounts_online--;
		}
		return;
	}
	for (struct route *p = head; p; p = p->next)
		if (p->next == rt) {
			p->next = rt->next;
			return;
		}
}

void router_remove(struct router *r, struct route *rt)
{
	if (rt->account)
		unbind(r, rt);
	intmap_del(&r->by_conn, rt->conn->id);
	rt->account = 0;
	rt->next = NULL;
}

struct route *router_by_conn(const struct router *r, uint64_t conn_id)
{
	return intmap_get(&r->by_conn, conn_id);
}

struct route *router_first(const struct router *r, int64_t account)
{
	return account > 0 ? intmap_get(&r->by_account, (uint64_t)account) : NULL;
}

int router_deliver(struct router *r, int64_t account, struct frame *f, const struct route *skip)
{
	int n = 0;
	for (struct route *rt = router_first(r, account); rt; rt = rt->next) {
		if (rt == skip)
			continue;
		conn_send(rt->conn, f);
		n++;
	}
	return n;
}
