/* sender.h: the push sender thread — encrypts, signs and POSTs pushes with libcurl off the event loop; the loop
 * only enqueues, and hears each outcome back on its own thread. */
#ifndef SAMVAER_PUSH_SENDER_H
#define SAMVAER_PUSH_SENDER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "server/push/ece.h"
#include "server/store/store_push.h"

#define PUSH_QUEUE_MAX 256    /* jobs waiting; more are dropped (counted) */
#define PUSH_PAYLOAD_MAX 1024 /* our JSON payloads are far smaller than a record */
#define PUSH_TIMEOUT_MS 5000  /* a whole request */
#define PUSH_CONNECT_MS 3000  /* connecting */

struct vapid;

struct push_job {
	int64_t sub_id;                             /* the subscription row */
	int64_t account;                            /* whose it is */
	char endpoint[STORE_PUSH_ENDPOINT_MAX + 1]; /* where to POST */
	uint8_t p256dh[ECE_POINT_LEN];              /* the browser's key */
	uint8_t auth[ECE_AUTH_LEN];                 /* and auth secret */
	int ttl_s;                                  /* TTL header: how long the push service may keep it */
	int urgent;                                 /* Urgency: high (calls) or normal */
	char topic[33];                 /* Topic header (replaces an undelivered push of the same topic), "" = none */
	size_t len;                     /* payload bytes */
	char payload[PUSH_PAYLOAD_MAX]; /* JSON, encrypted by the thread */
};

struct push_result {
	int64_t sub_id, account;
	char endpoint[STORE_PUSH_ENDPOINT_MAX + 1];
	long status; /* HTTP status; 0 = no answer (timeout, refused, TLS) or not sent (encryption failed) */
};

typedef void (*push_result_fn)(const struct push_result *r, void *ctx);

struct push_sender;

/* Start the thread; results are handed to fn on loop's thread. NULL on failure. vapid must outlive it. Pushes go
 * only to public addresses (never this machine or its private network), and to loopback when allow_loopback. */
struct push_sender *push_sender_start(struct ev_loop *loop, const struct vapid *v, const char *subject,
				      int allow_loopback, push_result_fn fn, void *ctx);
/* Copy the job into the queue. 0, or -1 when the queue is full (the push is dropped). */
int push_sender_enqueue(struct push_sender *s, const struct push_job *job);
/* Abort what is in flight, drop what waits, join the thread (well under a second). */
void push_sender_stop(struct push_sender *s);

#endif
