/* test_msglog.c: the message log — appends, reopening, idempotency keys, torn and corrupt tails, the one-writer
 * lock, discarding a failed turn, the key table's growth in steps, and moving an older version's SQLite messages
 * into the log. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/store/msglog.h"
#include "server/store/store.h"
#include "tests/unit/check.h"

static char dir[64], path[128];

static void fresh(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	snprintf(dir, sizeof(dir), "/tmp/samvaer-msglog-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/messages.log", dir);
}

static struct msglog_record rec(int64_t ag, int64_t seq, int64_t sender, const char *key, const char *text)
{
	return (struct msglog_record){ag, seq, sender, 1000 + seq, key, strlen(key), text, strlen(text)};
}

static off_t file_size(void)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void append_bytes(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void test_append_and_reopen(void)
{
	char err[256];
	fresh();
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l != NULL, "open a new log");
	struct msglog_record a1 = rec(7, 1, 1, "k1", "hello"), a2 = rec(7, 2, 2, "k1", "hi back"),
			     b1 = rec(9, 1, 1, "k1", "other conversation");
	CHECK(msglog_append(l, &a1) == MSGLOG_OK && msglog_append(l, &a2) == MSGLOG_OK &&
		  msglog_append(l, &b1) == MSGLOG_OK,
	      "append to two conversations");
	CHECK(msglog_pending(l) && file_size() == 0, "pending until written");
	struct msglog_record r;
	CHECK(msglog_read(l, 7, 2, &r) == 0 && r.text_len == 7 && !memcmp(r.text, "hi back", 7), "read a pending one");
	CHECK(msglog_find_key(l, 7, 2, "k1", 2) == 2 && msglog_find_key(l, 7, 1, "k1", 2) == 1, "keys are per sender");
	struct msglog_record dup = rec(7, 3, 1, "k1", "again"), clash = rec(7, 2, 1, "k9", "x"),
			     gap = rec(7, 5, 1, "k5", "x");
	CHECK(msglog_append(l, &dup) == MSGLOG_DUPLICATE, "same sender and key");
	CHECK(msglog_append(l, &clash) == MSGLOG_DUPLICATE, "seq taken");
	CHECK(msglog_append(l, &gap) == MSGLOG_ERR, "a gap is refused");
	CHECK(msglog_write(l) == 0 && msglog_sync(l) == 0 && !msglog_pending(l), "write and sync");
	CHECK(file_size() == (off_t)msglog_size(l) && msglog_count(l) == 3, "size and count");
	char err2[256];
	CHECK(msglog_open(path, 1, err2, sizeof(err2)) == NULL && strstr(err2, "another process"),
	      "one writer at a time");
	msglog_close(l);

	l = msglog_open(path, 0, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 7) == 2 && msglog_last_seq(l, 9) == 1 && msglog_last_seq(l, 8) == 0,
	      "reopened read-only: last seqs");
	int64_t sender = 0, at = 0;
	CHECK(l && msglog_meta(l, 7, 2, &sender, &at) == 0 && sender == 2 && at == 1002, "meta from memory");
	CHECK(l && msglog_read(l, 9, 1, &r) == 0 && r.text_len == 18 && !memcmp(r.key, "k1", 2), "read from the file");
	CHECK(l && msglog_read(l, 9, 2, &r) != 0, "no such message");
	CHECK(l && msglog_append(l, &dup) == MSGLOG_ERR, "a reader cannot append");
	msglog_close(l);
}

static void test_torn_and_corrupt_tails(void)
{
	char err[256];
	fresh();
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	for (int i = 1; i <= 3; i++) {
		char key[8];
		snprintf(key, sizeof(key), "k%d", i);
		struct msglog_record r = rec(1, i, 1, key, "text");
		msglog_append(l, &r);
	}
	msglog_write(l);
	uint64_t good = msglog_size(l);
	msglog_close(l);

	append_bytes("SVM1\x40\0\0\0", 8); /* a torn header */
	l = msglog_open(path, 0, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 1) == 3 && file_size() > (off_t)good, "a reader ignores a torn tail, keeps it");
	msglog_close(l);
	l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 1) == 3 && file_size() == (off_t)good, "the writer cuts it off");
	msglog_close(l);

	/* A whole record with one flipped byte: its checksum fails, it and all after it go. */
	l = msglog_open(path, 1, err, sizeof(err));
	struct msglog_record r4 = rec(1, 4, 1, "k4", "fourth"), r5 = rec(1, 5, 1, "k5", "fifth");
	msglog_append(l, &r4);
	msglog_write(l);
	uint64_t with4 = msglog_size(l);
	msglog_append(l, &r5);
	msglog_write(l);
	msglog_close(l);
	int fd = open(path, O_RDWR);
	char c;
	CHECK(pread(fd, &c, 1, (off_t)with4 + MSGLOG_HEADER + 40) == 1, "read a byte of record 5");
	c ^= 0x20;
	CHECK(pwrite(fd, &c, 1, (off_t)with4 + MSGLOG_HEADER + 40) == 1, "flip it");
	close(fd);
	l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 1) == 4 && file_size() == (off_t)with4, "a bad checksum ends the log");
	msglog_close(l);

	/* A valid record out of sequence is not a torn write: refuse to open rather than cut. */
	l = msglog_open(path, 1, err, sizeof(err));
	struct msglog_record other = rec(2, 1, 1, "k", "x");
	msglog_append(l, &other);
	msglog_write(l);
	msglog_close(l);
	uint8_t copy[256];
	fd = open(path, O_RDONLY);
	ssize_t n = pread(fd, copy, sizeof(copy), (off_t)with4); /* the conversation-2 record */
	close(fd);
	CHECK(n > 0, "copy the last record");
	append_bytes(copy, (size_t)n); /* conversation 2, seq 1 again */
	CHECK(msglog_open(path, 1, err, sizeof(err)) == NULL && strstr(err, "seq 1"), "out of sequence refused");
}

static void test_discard(void)
{
	char err[256];
	fresh();
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	struct msglog_record a = rec(3, 1, 1, "a", "kept"), b = rec(3, 2, 1, "b", "dropped");
	msglog_append(l, &a);
	msglog_write(l);
	msglog_append(l, &b);
	msglog_discard(l);
	CHECK(msglog_last_seq(l, 3) == 1 && msglog_find_key(l, 3, 1, "b", 1) == 0 && msglog_count(l) == 1,
	      "discard undoes the pending appends");
	struct msglog_record b2 = rec(3, 2, 1, "b", "again");
	CHECK(msglog_append(l, &b2) == MSGLOG_OK && msglog_write(l) == 0, "the seq and key are free again");
	/* many keys: the table grows and every key is still found */
	for (int i = 3; i <= 5000; i++) {
		char key[16];
		snprintf(key, sizeof(key), "key-%d", i);
		struct msglog_record r = rec(3, i, 1 + i % 2, key, "x");
		if (msglog_append(l, &r) != MSGLOG_OK)
			break;
	}
	CHECK(msglog_write(l) == 0 && msglog_last_seq(l, 3) == 5000, "5,000 messages");
	CHECK(msglog_find_key(l, 3, 2, "key-4321", 8) == 4321 && msglog_find_key(l, 3, 1, "key-4321", 8) == 0,
	      "found after growth");
	msglog_close(l);
}

static void key_of(char *key, size_t n, int i)
{
	snprintf(key, n, "g-%d", i);
}

/* The key table grows a step per insert: while the old table is being emptied into the new one, every key in
 * either is found, a repeated key is refused, and a discarded turn takes out only its own keys. */
static void test_growth_in_steps(void)
{
	char err[256], key[16];
	fresh();
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	const int n = 20000; /* past five doublings of the table (1,024 slots first) */
	int lost = 0, dup_taken = 0, discard_wrong = 0;
	int64_t seq = 0;
	for (int i = 1; i <= n; i++) {
		key_of(key, sizeof(key), i);
		struct msglog_record r = rec(4, ++seq, 1, key, "x");
		if (msglog_append(l, &r) != MSGLOG_OK)
			lost++;
		/* a key from well before the last doubling, one from just before, and the first */
		int probe[3] = {i / 3 + 1, i > 1 ? i - 1 : 1, 1};
		for (int k = 0; k < 3; k++) {
			key_of(key, sizeof(key), probe[k]);
			if (msglog_find_key(l, 4, 1, key, strlen(key)) != probe[k])
				lost++;
		}
		if (i % 97 == 0) {
			key_of(key, sizeof(key), i / 2 + 1);
			struct msglog_record again = rec(4, seq + 1, 1, key, "again");
			if (msglog_append(l, &again) != MSGLOG_DUPLICATE)
				dup_taken++;
		}
		if (msglog_write(l) != 0)
			lost++;
		/* A turn that fails: its appends go, wherever they are in the move, and the rest stay. The extra
		 * inserts also start most of the doublings, so some of these keys are still in the old table. */
		for (int k = 1; k <= 3; k++) {
			snprintf(key, sizeof(key), "d-%d-%d", i, k);
			struct msglog_record d = rec(4, seq + k, 1, key, "dropped");
			if (msglog_append(l, &d) != MSGLOG_OK)
				discard_wrong++;
		}
		msglog_discard(l);
		for (int k = 1; k <= 3; k++) {
			snprintf(key, sizeof(key), "d-%d-%d", i, k);
			if (msglog_find_key(l, 4, 1, key, strlen(key)) != 0)
				discard_wrong++;
		}
		if (msglog_last_seq(l, 4) != seq)
			discard_wrong++;
	}
	CHECK(lost == 0, "every key found at every step of every growth");
	CHECK(dup_taken == 0, "a repeated key is refused while the table moves");
	CHECK(discard_wrong == 0, "a discarded turn takes out its own keys only");
	CHECK(msglog_write(l) == 0, "written");
	int missing = 0;
	for (int i = 1; i <= n; i++) {
		key_of(key, sizeof(key), i);
		missing += msglog_find_key(l, 4, 1, key, strlen(key)) != i;
	}
	CHECK(missing == 0, "all 20,000 keys found at the end");
	msglog_close(l);
	l = msglog_open(path, 0, err, sizeof(err));
	missing = 0;
	for (int i = 1; l && i <= n; i++) {
		key_of(key, sizeof(key), i);
		missing += msglog_find_key(l, 4, 1, key, strlen(key)) != i;
	}
	CHECK(l && missing == 0 && msglog_count(l) == (uint64_t)n, "and after reopening");
	msglog_close(l);
}

static void on_msg(const struct message *m, void *arg)
{
	snprintf(arg, 32, "%lld:%.*s", (long long)m->seq, (int)m->text_len, m->text);
}

/* An older version kept messages in SQLite: opening moves them into the log, once, and empties the table. */
static void test_legacy_import(void)
{
	char err[256];
	fresh();
	struct store *s = store_open(dir, STORE_SYNC_FULL, err, sizeof(err));
	CHECK(
	    s &&
		store_exec(s,
			   "PRAGMA foreign_keys=OFF;"
			   "INSERT INTO messages(agreement_id,seq,sender_id,client_key,body,sent_at) VALUES"
			   " (1,1,1,'a','one',5),(1,2,2,'b','two',6),(1,4,1,'c','after a gap',7),(2,1,1,'a','x',8)") ==
		    STORE_OK,
	    "legacy rows");
	store_close(s);
	s = store_open(dir, STORE_SYNC_FULL, err, sizeof(err));
	char got[32] = "";
	CHECK(s && store_message_last_seq(s, 1) == 3 && store_message_last_seq(s, 2) == 1, "imported, gap closed");
	CHECK(s && store_message_by_key(s, 1, 1, "c", on_msg, got) == STORE_OK && !strcmp(got, "3:after a gap"),
	      "renumbered message keeps its key");
	CHECK(s &&
		  store_exec(s,
			     "PRAGMA foreign_keys=OFF; INSERT INTO "
			     "messages(agreement_id,seq,sender_id,client_key,body,sent_at) SELECT 9,1,1,'z',"
			     "'probe',1 WHERE (SELECT COUNT(*) FROM messages) = 0") == STORE_OK,
	      "table emptied");
	store_close(s);
	/* the probe row is legacy too: the next open moves it; the four imported ones stay single */
	s = store_open(dir, STORE_SYNC_FULL, err, sizeof(err));
	CHECK(s && store_message_last_seq(s, 9) == 1 && store_message_last_seq(s, 1) == 3, "later rows, nothing twice");
	struct store *other = s ? store_open(dir, STORE_SYNC_FULL, err, sizeof(err)) : NULL;
	CHECK(s && store_claim_messages(s) == STORE_OK, "claim");
	CHECK(other && store_claim_messages(other) == STORE_ERR && strstr(store_errmsg(other), "another process"),
	      "a second server on the same data dir is refused");
	store_close(other);
	store_close(s);
}

int main(void)
{
	test_append_and_reopen();
	test_torn_and_corrupt_tails();
	test_discard();
	test_growth_in_steps();
	test_legacy_import();
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done("msglog");
}
