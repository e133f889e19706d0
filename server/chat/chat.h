/* chat.h: messages and contacts — the request types and listeners chat adds to the session (app.c wires them). */
#ifndef SAMVAER_CHAT_H
#define SAMVAER_CHAT_H

#include <stddef.h>

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

#endif
