/* push_internal.h: the push feature's state, shared by push.c (methods, outcomes) and notify.c (decisions). */
#ifndef SAMVAER_PUSH_INTERNAL_H
#define SAMVAER_PUSH_INTERNAL_H

#include <stdint.h>

#include "server/push/push.h"
#include "server/push/sender.h"
#include "server/push/vapid.h"
#include "server/session/session_internal.h"

struct push {
	struct vapid *vapid;        /* the server's key (owned) */
	struct push_sender *sender; /* the sender thread (owned) */
};

#endif
