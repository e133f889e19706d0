/* store_push.h: Web Push subscriptions (table push_subscriptions, schema 4): the endpoint and the browser's keys. */
#ifndef SAMVAER_STORE_PUSH_H
#define SAMVAER_STORE_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

#define STORE_PUSH_ENDPOINT_MAX 1024 /* bytes of an endpoint URL we keep */

struct push_sub {
	int64_t id;                                 /* push_subscriptions.id */
	int64_t account;                            /* who subscribed */
	char endpoint[STORE_PUSH_ENDPOINT_MAX + 1]; /* the push service's URL for this browser */
	uint8_t p256dh[65];                         /* the browser's P-256 public key (uncompressed point) */
	uint8_t auth[16];                           /* the browser's auth secret */
	int64_t last_ok_at;                         /* ms of the last accepted push, 0 = none */
	int failures;                               /* failed pushes since the last accepted one */
};

typedef void (*store_push_cb)(const struct push_sub *sub, void *ctx);

/* Add (or take over: the same browser, another login) the subscription for endpoint, made on paired device
 * `device` (0: a password login), so revoking the device deletes it. Inside the caller's transaction
 * (store_begin). STORE_OK or STORE_ERR. */
int store_push_put(struct store *s, int64_t account, int64_t device, const char *endpoint, const uint8_t p256dh[65],
		   const uint8_t auth[16], int64_t now_ms);
/* Remove account's subscription for endpoint: STORE_OK, STORE_NOT_FOUND, STORE_ERR. */
int store_push_remove(struct store *s, int64_t account, const char *endpoint);
/* Does account already own endpoint (1/0), and how many subscriptions does it have. STORE_OK or STORE_ERR. */
int store_push_count(struct store *s, int64_t account, const char *endpoint, int *owned, int *n);
/* Every subscription of account, oldest first. STORE_OK or STORE_ERR. */
int store_push_list(struct store *s, int64_t account, store_push_cb cb, void *ctx);
/* A push was accepted (last_ok_at = now, failures = 0) or failed (failures + 1), or the service said the
 * subscription is gone (deleted). Only the row with this id AND endpoint (it may have been replaced since). */
int store_push_ok(struct store *s, int64_t id, const char *endpoint, int64_t now_ms);
int store_push_failed(struct store *s, int64_t id, const char *endpoint);
/* Delete the subscription if it has failed at least max times in a row: STORE_OK (deleted), STORE_NOT_FOUND. */
int store_push_prune(struct store *s, int64_t id, const char *endpoint, int max);
int store_push_delete(struct store *s, int64_t id, const char *endpoint);

#endif
