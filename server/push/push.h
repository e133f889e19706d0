/* push.h: Web Push from the server — push.key / push.subscribe / push.unsubscribe, and the decision to push a
 * ringing call or a new message to an account that has no live connection. */
#ifndef SAMVAER_PUSH_H
#define SAMVAER_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement.h"
#include "server/session/session.h"

/*
 * Model
 *   Each browser that allows notifications subscribes (push.subscribe) with its push service's endpoint and keys;
 *   rows live in push_subscriptions (at most PUSH_SUBS_MAX per account). When chat delivers a message, or calls
 *   rings a party, and that account has no authenticated connection, push_message / push_call decide whether the
 *   agreement allows this contact now and, if so, queue one encrypted push per subscription for the sender thread
 *   (sender.c). Payloads carry the relationship label, never a message's text. The service's answers come back on
 *   the control thread: 2xx marks the subscription fine, 404/410 deletes it, anything else counts a failure
 *   (PUSH_FAILURES_MAX in a row delete it too).
 * Data flow: chat and calls call down into push; push reads session (router, policy) and store. Nothing calls up.
 * Thread rules: control thread only (the sender thread owns its own copies of each job).
 */

#define PUSH_SUBS_MAX 10     /* subscriptions per account */
#define PUSH_CALL_TTL_S 30   /* a ring is worth nothing after the ring timeout */
#define PUSH_MSG_TTL_S 86400 /* a message notice may wait a day for the device */
#define PUSH_FAILURES_MAX 20 /* failed pushes in a row (not 404/410) after which a subscription is deleted */

struct app;
struct push;

/* push.key, push.subscribe, push.unsubscribe (all authenticated). */
extern const struct session_method push_methods[];
extern const size_t push_method_count;

/* Load or create the VAPID key in the data directory and start the sender thread. 0, or -1 with err. */
int push_init(struct app *app, char *err, size_t errlen);
void push_free(struct app *app);

/* A message from `sender` under agreement a was stored and delivered: push it to the other party if it is
 * offline and the agreement allows text from the sender now. Returns the pushes queued. */
int push_message(struct app *app, const struct agreement *a, int64_t sender);
/* Call call_id from `caller` rings account `to` under agreement a (the called contact's, or for the child the
 * caller's). supervisor_ready: a supervised call has a supervisor available (calls decides). Pushes only to an
 * offline account whose agreement allows the call now. Returns the pushes queued. */
int push_call(struct app *app, const struct agreement *a, int64_t to, int64_t caller, uint64_t call_id, int video,
	      int supervisor_ready);

#endif
