/* hasher.h: runs slow password verification (and hashing of new passwords) on a worker thread so logins and new
 * accounts never stall the event loop. */
#ifndef SAMVAER_HASHER_H
#define SAMVAER_HASHER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "server/session/auth.h"

struct hasher_job;
typedef void (*hasher_done_cb)(struct hasher_job *job, void *ctx);

enum hasher_op {
	HASHER_VERIFY, /* check password against hash (result 1 match, 0 mismatch, -1 bad hash) */
	HASHER_HASH,   /* hash password into hash (result 1 done, -1 failed) */
};

struct hasher_job {
	/* set by the control thread */
	enum hasher_op op;   /* zero: verify */
	hasher_done_cb done; /* NULL: the hasher's own callback; else this one, with done_ctx */
	void *done_ctx;
	uint64_t conn_id;                     /* connection that asked */
	void *request_id;                     /* json_t* id, owned by the control thread */
	int64_t account_id;                   /* 0 = unknown username (verify the dummy hash) */
	char hash[AUTH_HASH_MAX];             /* encoded Argon2id hash to check against (HASHER_HASH: the result) */
	char password[AUTH_PASSWORD_MAX + 1]; /* wiped by the worker after use */
	size_t password_len;
	uint64_t user_key, pair_key; /* the login limits' keys this attempt was counted under */
	/* set by the worker */
	int result;              /* 1 match, 0 mismatch, -1 bad hash */
	struct hasher_job *next; /* queue link */
};

struct hasher;

/* Start `threads` workers; `done` runs on the loop's thread for each finished job (it owns the job). */
struct hasher *hasher_start(struct ev_loop *loop, int threads, hasher_done_cb done, void *ctx);
/* Queue a job (ownership passes to the hasher until `done`). */
void hasher_submit(struct hasher *h, struct hasher_job *job);
/* Finish queued jobs, stop the workers and free. */
void hasher_stop(struct hasher *h);

#endif
