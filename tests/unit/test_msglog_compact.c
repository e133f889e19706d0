/* test_msglog_compact.c: removing messages from the message log — a floor hides them (reads, idempotency keys) and
 * keeps the conversation's last seq; compaction takes their bytes out of the file, and the log reopens from it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/store/msglog.h"
#include "tests/unit/check.h"

static int add(struct msglog *l, int64_t agreement, int64_t seq)
{
	char key[32], text[64];
	snprintf(key, sizeof(key), "k%lld", (long long)seq);
	snprintf(text, sizeof(text), "secret-%lld-%lld", (long long)agreement, (long long)seq);
	struct msglog_record r = {agreement, seq, 7, 1000 * seq, key, strlen(key), text, strlen(text)};
	return msglog_append(l, &r);
}

/* 1 if the file holds `needle` anywhere. */
static int file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

int main(void)
{
	char dir[] = "/tmp/samvaer-compact-XXXXXX", path[128], err[256];
	struct msglog_record r;
	struct msglog_compaction st;
	uint64_t removed = 0;
	mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/messages.log", dir);
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	int ok = l != NULL;
	for (int i = 1; ok && i <= 5; i++)
		ok = add(l, 1, i) == MSGLOG_OK && (i > 3 || add(l, 2, i) == MSGLOG_OK);
	CHECK(ok && msglog_write(l) == 0, "two conversations written");
	CHECK(file_has(path, "secret-1-2"), "the file holds message 2");

	CHECK(msglog_floor(l, 1, 4, &removed) == 0 && removed == 3, "floor at 4 removes 1-3");
	CHECK(msglog_read(l, 1, 2, &r) == -1 && errno == ENOENT, "message 2 is no longer readable");
	CHECK(msglog_find_key(l, 1, 7, "k2", 2) == 0, "its idempotency key is forgotten");
	CHECK(msglog_read(l, 1, 4, &r) == 0 && r.text_len == 10 && !memcmp(r.text, "secret-1-4", 10), "4 is kept");
	CHECK(msglog_last_seq(l, 1) == 5 && msglog_count(l) == 5, "last seq stays 5; 5 messages indexed");
	CHECK(msglog_floor(l, 1, 2, NULL) == 0 && msglog_read(l, 1, 3, &r) == -1, "a lower floor brings nothing back");

	CHECK(msglog_compact(l, path, &st, err, sizeof(err)) == 0, "compact");
	CHECK(st.removed_records == 3 && st.bytes_after < st.bytes_before && st.bytes_after == msglog_size(l),
	      "3 records left out, the file shrank");
	CHECK(!file_has(path, "secret-1-1") && !file_has(path, "secret-1-3") && file_has(path, "secret-1-5") &&
		  file_has(path, "secret-2-3"),
	      "removed texts are gone from the file's bytes, kept ones are there");
	CHECK(msglog_read(l, 1, 5, &r) == 0 && msglog_read(l, 2, 1, &r) == 0 && msglog_find_key(l, 1, 7, "k5", 2) == 5,
	      "kept messages read at their new offsets");
	CHECK(add(l, 1, 4) == MSGLOG_DUPLICATE && add(l, 1, 6) == MSGLOG_OK && msglog_write(l) == 0,
	      "the conversation continues at 6");
	msglog_close(l);

	l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 1) == 6 && msglog_read(l, 1, 4, &r) == 0 && msglog_read(l, 1, 3, &r) == -1,
	      "reopened: the conversation starts at 4 and ends at 6");
	CHECK(l && msglog_floor(l, 2, 4, NULL) == 0 && msglog_compact(l, path, &st, err, sizeof(err)) == 0 &&
		  st.removed_records == 3 && !file_has(path, "secret-2-"),
	      "a whole conversation removed");
	msglog_close(l);
	l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 2) == 0 && msglog_floor(l, 2, 4, NULL) == 0 && msglog_last_seq(l, 2) == 3,
	      "an emptied conversation keeps its last seq through the floor the store applies");
	msglog_close(l);

	/* in the background: appends go on while the thread copies; the index follows the new file */
	l = msglog_open(path, 1, err, sizeof(err));
	for (int i = 1; l && i <= 200; i++)
		ok = add(l, 5, i) == MSGLOG_OK;
	CHECK(l && ok && msglog_write(l) == 0 && msglog_floor(l, 5, 151, NULL) == 0, "conversation 5: 200, floor 151");
	struct msglog_compactor *k = l ? msglog_compact_start(l, path, err, sizeof(err)) : NULL;
	CHECK(k != NULL, "background compaction started");
	for (int i = 201; i <= 210; i++)
		ok = ok && add(l, 5, i) == MSGLOG_OK && msglog_write(l) == 0;
	CHECK(ok, "ten appends while it runs");
	while (k && !msglog_compact_done(k))
		usleep(1000);
	CHECK(k && msglog_compact_finish(l, k, &st, err, sizeof(err)) == 0, "finish");
	CHECK(st.removed_records == 150 && !file_has(path, "secret-5-150") && file_has(path, "secret-5-151") &&
		  file_has(path, "secret-5-210"),
	      "150 removed from the file; the kept and the appended are there");
	CHECK(msglog_read(l, 5, 151, &r) == 0 && r.text_len == 12 && !memcmp(r.text, "secret-5-151", 12) &&
		  msglog_read(l, 5, 210, &r) == 0 && !memcmp(r.text, "secret-5-210", 12) &&
		  msglog_find_key(l, 5, 7, "k205", 4) == 205,
	      "kept and appended messages read at their new offsets");
	CHECK(add(l, 5, 211) == MSGLOG_OK && msglog_write(l) == 0, "appends go on in the new file");
	/* more removed while it runs: finish refuses and keeps the old file */
	k = msglog_compact_start(l, path, err, sizeof(err));
	CHECK(k && msglog_floor(l, 5, 200, NULL) == 0, "a floor while a compaction runs");
	while (k && !msglog_compact_done(k))
		usleep(1000);
	errno = 0;
	CHECK(k && msglog_compact_finish(l, k, &st, err, sizeof(err)) == -1 && errno == EAGAIN &&
		  file_has(path, "secret-5-199") && msglog_read(l, 5, 211, &r) == 0,
	      "finish refuses (EAGAIN); the old file stays in use");
	msglog_close(l);
	l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l && msglog_last_seq(l, 5) == 211 && msglog_read(l, 5, 151, &r) == 0, "reopened after both");
	msglog_close(l);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "clean up");
	return check_done("msglog_compact");
}
