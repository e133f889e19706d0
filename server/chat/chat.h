/* chat.h: messages and contacts — the request types and listeners chat adds to the session (app.c wires them). */
#ifndef SAMVAER_CHAT_H
#define SAMVAER_CHAT_H

#include <stddef.h>

#include <jansson.h>
#include <stdint.h>

#include "server/session/session.h"

/* msg.send, msg.history, msg.receipt (messaging.c) */
extern const struct session_method messaging_methods[];
extern const size_t messaging_method_count;
/* On login: push the messages the account has not acknowledged yet. */
extern const struct session_listener messaging_listener;

/* contacts.list, contact.pause, contact.resume (contacts.c) */
extern const struct session_method contacts_methods[];
extern const size_t contacts_method_count;
/* When an agreement changes: push its fresh `contact` entry to its connected parties. */
extern const struct session_listener contacts_listener;

/* Someone's picture changed: the other party of each of their agreements, where connected, gets its fresh `contact`
 * entry (with the new peer.photo). */
void contacts_tell_peers(struct app *app, int64_t account);

/* profile.set_photo (profile.c): a processed profile_photo upload becomes a person's picture. */
extern const struct session_method profile_methods[];
extern const size_t profile_method_count;

/* Records the server writes into a conversation (a missed call, ...) carry this sender. Clients see them as a
 * `message` with "from": 0 and a "kind" (PROTOCOL.md, "Records in a conversation"). */
#define CHAT_SERVER_SENDER 0
/* Write {"kind": kind, kind: data} into the conversation as the next message, with idempotency key `key` (one
 * record per event: a repeat is ignored). Durable with this turn's commit, then delivered to both parties; older
 * clients get it as undelivered on login, as any message. Takes data. 0, or -1. */
int chat_record(struct app *app, int64_t agreement_id, int64_t at, const char *key, const char *kind, json_t *data);

#endif
