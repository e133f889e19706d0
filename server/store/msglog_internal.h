/* msglog_internal.h: the message log's handle and index, shared by msglog.c (appends, reads) and msglog_compact.c
 * (removing messages below a floor, rewriting the file without them). */
#ifndef SAMVAER_MSGLOG_INTERNAL_H
#define SAMVAER_MSGLOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/base/intmap.h"
#include "server/store/msglog.h"

#define KEY_EMPTY 0
#define KEY_GONE 1 /* tombstone: a discarded pending append */

struct entry {
	uint64_t off;    /* where the record starts; at or past l->end: in the pending buffer */
	int64_t sent_at; /* ms */
	int64_t sender;
};

struct conv {
	struct entry *e; /* e[seq - base] */
	size_t n, cap;
	int64_t base; /* seq of e[0]: 1, or past the messages removed by retention or erasure (msglog_floor) */
};

struct keyslot {
	uint64_t h; /* KEY_EMPTY, KEY_GONE, or the key's hash (never 0 or 1) */
	struct conv *c;
	int64_t seq;
};

/* Open addressing with linear probing; cap a power of two, at most half its slots used (tombstones count). */
struct keytab {
	struct keyslot *s;
	size_t cap, used;
};

struct pend {
	struct conv *c;
	uint64_t h;
};

struct msglog {
	int fd;
	int writable;
	uint64_t end;        /* bytes of complete records in the file */
	uint64_t count;      /* messages indexed, pending included */
	struct intmap convs; /* agreement id → struct conv* */
	struct keytab keys;  /* idempotency keys */
	struct keytab old;   /* while the table grows: the previous one, moved into keys a step per insert */
	size_t old_pos;      /* old's slots before this have been moved */
	uint8_t *buf;        /* pending appends, the file's bytes from `end` on */
	size_t buf_len, buf_cap;
	struct pend *pend; /* pending appends in order, to undo them */
	size_t npend, pend_cap;
	uint64_t floors_gen; /* changes whenever msglog_floor hides messages (a background compaction then restarts) */
	uint8_t *rbuf;       /* msglog_read's record */
	size_t rbuf_cap;
};

/* The conversation's index, created empty (base 1) if new; NULL when out of memory. */
struct conv *msglog__conv_get(struct msglog *l, int64_t agreement);
/* Forget the idempotency key of (c, seq) with hash h. */
void msglog__keys_drop(struct msglog *l, uint64_t h, const struct conv *c, int64_t seq);
/* Read and decode the record at off (file or pending buffer): 0, or -1 with errno. */
int msglog__read_at(struct msglog *l, uint64_t off, struct msglog_record *r);

#endif
