/* agreements.h: the in-memory agreement cache the policy engine reads; reloaded when the database changes. */
#ifndef SAMVAER_AGREEMENTS_H
#define SAMVAER_AGREEMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement.h"
#include "server/base/intmap.h"
#include "server/store/store.h"

struct agreement_list {
	size_t n, cap;
	struct agreement **items; /* borrowed from the cache */
};

struct agreements {
	struct intmap by_id;      /* agreement id → struct agreement* (owned) */
	struct intmap by_account; /* account id → struct agreement_list* (owned) */
};

/* Called for each agreement that is new or whose terms changed in a reload (old is NULL when new). */
typedef void (*agreements_changed_cb)(const struct agreement *old, const struct agreement *now, void *ctx);

void agreements_init(struct agreements *c);
void agreements_free(struct agreements *c);
/* Load every agreement from the store, replacing the cache; last_seq never moves backwards.
 * `changed` may be NULL. Returns STORE_OK or STORE_ERR (the old cache is kept on error). */
int agreements_reload(struct agreements *c, struct store *s, agreements_changed_cb changed, void *ctx);
struct agreement *agreements_get(const struct agreements *c, int64_t id);
/* Agreements in which account is the child or the contact (never NULL). */
const struct agreement_list *agreements_of(const struct agreements *c, int64_t account);

#endif
