/* router.h: who is connected — deliver(account, frame) to every live session of an account. */
#ifndef SAMVAER_ROUTER_H
#define SAMVAER_ROUTER_H

#include <stdint.h>

#include "server/base/conn.h"
#include "server/base/intmap.h"

/* Embedded in each session: its place in the router. */
struct route {
	struct conn *conn;  /* where frames go */
	int64_t account;    /* 0 until bound */
	struct route *next; /* next route of the same account */
	void *owner;        /* the session */
};

struct router {
	struct intmap by_conn;    /* conn id → struct route* (all connections) */
	struct intmap by_account; /* account id → first struct route* (authenticated only) */
	uint64_t accounts_online; /* distinct accounts bound */
};

void router_init(struct router *r);
void router_free(struct router *r);
void router_add(struct router *r, struct route *rt);                   /* a new connection */
void router_bind(struct router *r, struct route *rt, int64_t account); /* after authentication */
void router_remove(struct router *r, struct route *rt);                /* connection closed */
struct route *router_by_conn(const struct router *r, uint64_t conn_id);
struct route *router_first(const struct router *r, int64_t account);
/* Queue f on every session of account except `skip` (may be NULL). Returns how many got it. */
int router_deliver(struct router *r, int64_t account, struct frame *f, const struct route *skip);

#endif
