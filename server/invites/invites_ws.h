/* invites_ws.h: invite.open and invite.accept, the WebSocket methods of a person holding an invitation code (before
 * login, or logged in as a family member) — proto/PROTOCOL.md "Invitations"; app.c registers them. */
#ifndef SAMVAER_INVITES_WS_H
#define SAMVAER_INVITES_WS_H

#include <stddef.h>

#include "server/session/session.h"

#define INVITES_TRIES_PER_ADDR 10                /* codes tried per client address ... */
#define INVITES_TRIES_WINDOW_MS (10 * 60 * 1000) /* ... per ten minutes (a success is not counted) */

extern const struct session_method invites_methods[];
extern const size_t invites_method_count;

#endif
