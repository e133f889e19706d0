/* msglog.c: the append-only message log and its in-memory index (see msglog.h). */
#include "server/store/msglog.h"
#include "server/store/msglog_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "server/base/intmap.h"
#include "server/base/log.h"
#include "server/store/fsdir.h"
#include "base/siphash.h"

#define MAGIC 0x314d5653u /* "SVM1" little-endian */
/* ---- CRC-32C (Castagnoli): the SSE4.2 instruction where the CPU has it, else a table ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_soft(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(const uint8_t *p, size_t n)
{
	uint64_t c = 0xffffffffu;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return ~c32;
}
#endif

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	static int mode; /* 0 unknown, 1 table, 2 instruction */
	if (!mode) {
		crc_init();
		mode = 1;
#if defined(__x86_64__)
		if (__builtin_cpu_supports("sse4.2"))
			mode = 2;
#endif
	}
#if defined(__x86_64__)
	if (mode == 2)
		return crc_hw(p, n);
#endif
	return crc_soft(p, n);
}

/* ---- records ---- */

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void wr(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

size_t msglog_decode(const uint8_t *p, size_t n, struct msglog_record *r)
{
	if (n < MSGLOG_HEADER + MSGLOG_FIXED || rd(p, 4) != MAGIC)
		return 0;
	uint64_t len = rd(p + 4, 4);
	if (len < MSGLOG_FIXED || len > MSGLOG_MAX_PAYLOAD || len > n - MSGLOG_HEADER)
		return 0;
	const uint8_t *q = p + MSGLOG_HEADER;
	if (crc32c(q, len) != (uint32_t)rd(p + 8, 4))
		return 0;
	r->agreement = (int64_t)rd(q, 8);
	r->seq = (int64_t)rd(q + 8, 8);
	r->sender = (int64_t)rd(q + 16, 8);
	r->sent_at = (int64_t)rd(q + 24, 8);
	r->key_len = rd(q + 32, 2);
	r->text_len = rd(q + 34, 4);
	if (r->agreement <= 0 || r->seq <= 0 || MSGLOG_FIXED + r->key_len + r->text_len != len)
		return 0;
	r->key = (const char *)q + MSGLOG_FIXED;
	r->text = r->key + r->key_len;
	return MSGLOG_HEADER + len;
}

static size_t encoded_len(const struct msglog_record *r)
{
	return MSGLOG_HEADER + MSGLOG_FIXED + r->key_len + r->text_len;
}

static void encode(uint8_t *p, const struct msglog_record *r)
{
	uint8_t *q = p + MSGLOG_HEADER;
	size_t len = MSGLOG_FIXED + r->key_len + r->text_len;
	wr(q, (uint64_t)r->agreement, 8);
	wr(q + 8, (uint64_t)r->seq, 8);
	wr(q + 16, (uint64_t)r->sender, 8);
	wr(q + 24, (uint64_t)r->sent_at, 8);
	wr(q + 32, r->key_len, 2);
	wr(q + 34, r->text_len, 4);
	memcpy(q + MSGLOG_FIXED, r->key, r->key_len);
	memcpy(q + MSGLOG_FIXED + r->key_len, r->text, r->text_len);
	wr(p, MAGIC, 4);
	wr(p + 4, len, 4);
	wr(p + 8, crc32c(q, len), 4);
}

/* ---- the index ---- */

/* Idempotency keys are chosen by clients: a keyed hash (SipHash-2-4 under the process key) so that nobody can
 * compute keys that share a slot and make every send walk one long probe chain. The hashes live only in memory. */
uint64_t msglog__key_hash(int64_t agreement, int64_t sender, const char *key, size_t len)
{
	struct siphash st;
	siphash_init(&st, siphash_process_key());
	siphash_update_u64(&st, (uint64_t)agreement);
	siphash_update_u64(&st, (uint64_t)sender);
	siphash_update(&st, key, len);
	uint64_t h = siphash_final(&st);
	return h < 2 ? h + 2 : h;
}

static struct conv *conv_of(const struct msglog *l, int64_t agreement)
{
	return agreement > 0 ? intmap_get(&l->convs, (uint64_t)agreement) : NULL;
}

struct conv *msglog__conv_get(struct msglog *l, int64_t agreement)
{
	struct conv *c = conv_of(l, agreement);
	if (!c && (c = calloc(1, sizeof(*c))) && intmap_put(&l->convs, (uint64_t)agreement, c) != 0) {
		free(c);
		c = NULL;
	}
	if (c && !c->base)
		c->base = 1;
	return c;
}

/* Growing moves the old table's entries a few slots per insert, so no single send pays for rehashing millions of
 * keys (136 ms at 2 million, bench-msglog). Moved slots become tombstones, which keeps old's probe chains whole, and
 * a lookup searches both tables until old is empty. MOVE_STEP slots per insert finish the move after cap/MOVE_STEP
 * inserts; by then the new table (twice old's size) holds at most cap/2 + cap/MOVE_STEP entries, under its half. */
#define MOVE_STEP 64
#define KEYS_FIRST_CAP 1024

static void tab_insert(struct keytab *t, const struct keyslot *k)
{
	size_t j = k->h & (t->cap - 1);
	while (t->s[j].h >= 2)
		j = (j + 1) & (t->cap - 1);
	if (t->s[j].h == KEY_EMPTY)
		t->used++;
	t->s[j] = *k;
}

static void keys_move(struct msglog *l, size_t slots)
{
	size_t end = l->old_pos + slots < l->old.cap ? l->old_pos + slots : l->old.cap;
	for (; l->old_pos < end; l->old_pos++) {
		struct keyslot *o = &l->old.s[l->old_pos];
		if (o->h >= 2) {
			tab_insert(&l->keys, o);
			o->h = KEY_GONE;
		}
	}
	if (l->old_pos == l->old.cap) {
		free(l->old.s);
		l->old = (struct keytab){0};
		l->old_pos = 0;
	}
}

static int keys_put(struct msglog *l, uint64_t h, struct conv *c, int64_t seq)
{
	if (l->old.s)
		keys_move(l, MOVE_STEP);
	if ((l->keys.used + 1) * 2 > l->keys.cap) {
		if (l->old.s) /* not reached (see above); finish the move rather than lose old's entries */
			keys_move(l, l->old.cap);
		size_t cap = l->keys.cap ? l->keys.cap * 2 : KEYS_FIRST_CAP;
		struct keyslot *k =
		    calloc(cap, sizeof(*k)); /* fresh pages from the kernel: zeroed as they are touched */
		if (!k)
			return -1;
		l->old = l->keys;
		l->old_pos = 0;
		l->keys = (struct keytab){k, cap, 0};
		if (l->old.s)
			keys_move(l, MOVE_STEP);
	}
	tab_insert(&l->keys, &(struct keyslot){h, c, seq});
	return 0;
}

static struct keyslot *tab_find(const struct keytab *t, uint64_t h, const struct conv *c, int64_t seq)
{
	for (size_t j = h & (t->cap - 1); t->cap && t->s[j].h != KEY_EMPTY; j = (j + 1) & (t->cap - 1))
		if (t->s[j].h == h && t->s[j].c == c && t->s[j].seq == seq)
			return &t->s[j];
	return NULL;
}

void msglog__keys_drop(struct msglog *l, uint64_t h, const struct conv *c, int64_t seq)
{
	struct keyslot *k = tab_find(&l->keys, h, c, seq);
	if (!k)
		k = tab_find(&l->old, h, c, seq);
	if (k)
		k->h = KEY_GONE;
}

/* Index one record at off, its key hash h; the caller has checked its seq follows the conversation's last. */
static int index_add(struct msglog *l, struct conv *c, const struct msglog_record *r, uint64_t off, uint64_t h)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct entry *e = realloc(c->e, cap * sizeof(*e));
		if (!e)
			return -1;
		c->e = e;
		c->cap = cap;
	}
	if (keys_put(l, h, c, r->seq) != 0)
		return -1;
	c->e[c->n++] = (struct entry){off, r->sent_at, r->sender};
	l->count++;
	return 0;
}

/* ---- opening ---- */

static int scan(struct msglog *l, const char *path, uint64_t size, char *err, size_t errlen)
{
	if (size == 0)
		return 0;
	uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, l->fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "message log: cannot map %s: %s", path, strerror(errno));
		return -1;
	}
	uint64_t off = 0;
	int rc = 0;
	struct msglog_record r;
	size_t n;
	while (off < size && (n = msglog_decode(map + off, size - off, &r)) > 0) {
		struct conv *c = msglog__conv_get(l, r.agreement);
		if (!c) {
			snprintf(err, errlen, "message log: out of memory");
			rc = -1;
			break;
		}
		if (c->n == 0)
			c->base = r.seq; /* a compacted log starts a conversation past its removed messages */
		/* A checksummed record out of sequence is not a torn write: refuse rather than cut off what follows. */
		if (r.seq != c->base + (int64_t)c->n) {
			snprintf(
			    err, errlen,
			    "message log: %s: the record at byte %llu has seq %lld in conversation %lld after %lld",
			    path, (unsigned long long)off, (long long)r.seq, (long long)r.agreement,
			    (long long)(c->base + (int64_t)c->n - 1));
			rc = -1;
			break;
		}
		if (index_add(l, c, &r, off, msglog__key_hash(r.agreement, r.sender, r.key, r.key_len)) != 0) {
			snprintf(err, errlen, "message log: out of memory");
			rc = -1;
			break;
		}
		off += n;
	}
	munmap(map, size);
	l->end = off;
	return rc;
}

struct msglog *msglog_open(const char *path, int writable, char *err, size_t errlen)
{
	struct msglog *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "message log: out of memory");
		return NULL;
	}
	intmap_init(&l->convs);
	l->writable = writable;
	l->fd = open(path, writable ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0600);
	if (l->fd < 0) {
		snprintf(err, errlen, "message log: cannot open %s: %s", path, strerror(errno));
		goto err;
	}
	if (writable && flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "message log: %s is being written by another process (a running server?)", path);
		goto err;
	}
	/* The file may be new: its name must survive a power cut as surely as the records fdatasync makes durable. */
	if (writable && fsdir_sync_parent(path) != 0) {
		snprintf(err, errlen, "message log: cannot sync the folder of %s: %s", path, strerror(errno));
		goto err;
	}
	struct stat st;
	if (fstat(l->fd, &st) != 0) {
		snprintf(err, errlen, "message log: %s: %s", path, strerror(errno));
		goto err;
	}
	if (scan(l, path, (uint64_t)st.st_size, err, errlen) != 0)
		goto err;
	if (writable && l->end < (uint64_t)st.st_size) {
		log_warn("message log: %s: cutting off %llu bytes after the last complete record (byte %llu)", path,
			 (unsigned long long)((uint64_t)st.st_size - l->end), (unsigned long long)l->end);
		if (ftruncate(l->fd, (off_t)l->end) != 0 || fdatasync(l->fd) != 0) {
			snprintf(err, errlen, "message log: cannot truncate %s: %s", path, strerror(errno));
			goto err;
		}
	}
	return l;
err:
	msglog_close(l);
	return NULL;
}

void msglog_close(struct msglog *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd); /* releases the lock */
	size_t pos = 0;
	void *v;
	while (intmap_next(&l->convs, &pos, NULL, &v)) {
		free(((struct conv *)v)->e);
		free(v);
	}
	intmap_free(&l->convs);
	free(l->keys.s);
	free(l->old.s);
	free(l->buf);
	free(l->pend);
	free(l->rbuf);
	free(l);
}

int msglog_writable(const struct msglog *l)
{
	return l->writable;
}

int msglog_fd(const struct msglog *l)
{
	return l->fd;
}

/* ---- writing ---- */

static int64_t find_key(struct msglog *l, uint64_t h, int64_t agreement, int64_t sender, const char *key,
			size_t key_len);

int msglog_append(struct msglog *l, const struct msglog_record *r)
{
	if (!l->writable || r->key_len > 0xffff || r->text_len > MSGLOG_MAX_PAYLOAD - MSGLOG_FIXED - r->key_len) {
		errno = l->writable ? EMSGSIZE : EBADF;
		return MSGLOG_ERR;
	}
	struct conv *c = msglog__conv_get(l, r->agreement);
	if (!c)
		return MSGLOG_ERR;
	uint64_t h = msglog__key_hash(r->agreement, r->sender, r->key, r->key_len); /* once: the lookup and the index */
	int64_t found = find_key(l, h, r->agreement, r->sender, r->key, r->key_len);
	if (found < 0)
		return MSGLOG_ERR;
	if (found > 0 || r->seq < c->base + (int64_t)c->n)
		return MSGLOG_DUPLICATE;
	if (r->seq != c->base + (int64_t)c->n) {
		errno = EINVAL; /* a gap in the conversation */
		return MSGLOG_ERR;
	}
	size_t need = encoded_len(r);
	if (l->buf_len + need > l->buf_cap) {
		size_t cap = l->buf_cap ? l->buf_cap : 64 << 10;
		while (cap < l->buf_len + need)
			cap *= 2;
		uint8_t *b = realloc(l->buf, cap);
		if (!b)
			return MSGLOG_ERR;
		l->buf = b;
		l->buf_cap = cap;
	}
	if (l->npend == l->pend_cap) {
		size_t cap = l->pend_cap ? l->pend_cap * 2 : 256;
		struct pend *p = realloc(l->pend, cap * sizeof(*p));
		if (!p)
			return MSGLOG_ERR;
		l->pend = p;
		l->pend_cap = cap;
	}
	if (index_add(l, c, r, l->end + l->buf_len, h) != 0)
		return MSGLOG_ERR;
	encode(l->buf + l->buf_len, r);
	l->buf_len += need;
	l->pend[l->npend++] = (struct pend){c, h};
	return MSGLOG_OK;
}

int msglog_pending(const struct msglog *l)
{
	return l->npend > 0;
}

void msglog_discard(struct msglog *l)
{
	while (l->npend > 0) {
		struct pend *p = &l->pend[--l->npend];
		msglog__keys_drop(l, p->h, p->c, p->c->base + (int64_t)p->c->n - 1);
		p->c->n--;
		l->count--;
	}
	l->buf_len = 0;
}

int msglog_write(struct msglog *l)
{
	size_t done = 0;
	while (done < l->buf_len) {
		ssize_t n = pwrite(l->fd, l->buf + done, l->buf_len - done, (off_t)(l->end + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			if (ftruncate(l->fd, (off_t)l->end) != 0)
				log_error("message log: cannot cut off a failed write: %s", strerror(errno));
			msglog_discard(l);
			errno = e;
			return -1;
		}
		done += (size_t)n;
	}
	l->end += l->buf_len;
	l->buf_len = 0;
	l->npend = 0;
	return 0;
}

int msglog_sync(struct msglog *l)
{
	return fdatasync(l->fd);
}

/* ---- reading ---- */

int64_t msglog_last_seq(const struct msglog *l, int64_t agreement)
{
	const struct conv *c = conv_of(l, agreement);
	return c ? c->base + (int64_t)c->n - 1 : 0;
}

int64_t msglog_first_seq(const struct msglog *l, int64_t agreement)
{
	const struct conv *c = conv_of(l, agreement);
	return c ? c->base : 1;
}

static const struct entry *entry_of(const struct msglog *l, int64_t agreement, int64_t seq)
{
	const struct conv *c = conv_of(l, agreement);
	return c && seq >= c->base && seq < c->base + (int64_t)c->n ? &c->e[seq - c->base] : NULL;
}

int msglog_meta(const struct msglog *l, int64_t agreement, int64_t seq, int64_t *sender, int64_t *sent_at)
{
	const struct entry *e = entry_of(l, agreement, seq);
	if (!e)
		return -1;
	*sender = e->sender;
	*sent_at = e->sent_at;
	return 0;
}

/* Read the record at off (file or pending buffer) into the read buffer and decode it. */
int msglog__read_at(struct msglog *l, uint64_t off, struct msglog_record *r)
{
	if (off >= l->end) {
		size_t at = (size_t)(off - l->end);
		return msglog_decode(l->buf + at, l->buf_len - at, r) ? 0 : (errno = EIO, -1);
	}
	uint8_t head[MSGLOG_HEADER];
	if (pread(l->fd, head, sizeof(head), (off_t)off) != (ssize_t)sizeof(head))
		return errno = EIO, -1;
	size_t total = MSGLOG_HEADER + (size_t)rd(head + 4, 4);
	if (total > MSGLOG_HEADER + MSGLOG_MAX_PAYLOAD)
		return errno = EIO, -1;
	if (total > l->rbuf_cap) {
		uint8_t *b = realloc(l->rbuf, total);
		if (!b)
			return -1;
		l->rbuf = b;
		l->rbuf_cap = total;
	}
	if (pread(l->fd, l->rbuf, total, (off_t)off) != (ssize_t)total || msglog_decode(l->rbuf, total, r) != total)
		return errno = EIO, -1;
	return 0;
}

int msglog_read(struct msglog *l, int64_t agreement, int64_t seq, struct msglog_record *r)
{
	const struct entry *e = entry_of(l, agreement, seq);
	if (!e)
		return errno = ENOENT, -1;
	return msglog__read_at(l, e->off, r);
}

/* 1: the slot names the message with this key; 0: a different one with the same hash; -1: a read error. */
static int slot_matches(struct msglog *l, const struct keyslot *k, int64_t agreement, int64_t sender, const char *key,
			size_t key_len)
{
	if (k->seq < k->c->base) /* removed (msglog_floor drops their keys; this is a guard) */
		return 0;
	const struct entry *e = &k->c->e[k->seq - k->c->base];
	struct msglog_record r;
	if (msglog__read_at(l, e->off, &r) != 0)
		return -1;
	return r.agreement == agreement && r.sender == sender && r.key_len == key_len && !memcmp(r.key, key, key_len);
}

static int64_t tab_find_key(struct msglog *l, const struct keytab *t, uint64_t h, int64_t agreement, int64_t sender,
			    const char *key, size_t key_len)
{
	for (size_t j = h & (t->cap - 1); t->cap && t->s[j].h != KEY_EMPTY; j = (j + 1) & (t->cap - 1)) {
		if (t->s[j].h != h)
			continue;
		int m = slot_matches(l, &t->s[j], agreement, sender, key, key_len);
		if (m != 0)
			return m < 0 ? -1 : t->s[j].seq;
	}
	return 0;
}

static int64_t find_key(struct msglog *l, uint64_t h, int64_t agreement, int64_t sender, const char *key,
			size_t key_len)
{
	int64_t seq = tab_find_key(l, &l->keys, h, agreement, sender, key, key_len);
	return seq == 0 ? tab_find_key(l, &l->old, h, agreement, sender, key, key_len) : seq;
}

int64_t msglog_find_key(struct msglog *l, int64_t agreement, int64_t sender, const char *key, size_t key_len)
{
	return find_key(l, msglog__key_hash(agreement, sender, key, key_len), agreement, sender, key, key_len);
}

uint64_t msglog_size(const struct msglog *l)
{
	return l->end;
}

uint64_t msglog_count(const struct msglog *l)
{
	return l->count;
}
