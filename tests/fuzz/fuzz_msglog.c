/* fuzz_msglog.c: libFuzzer target for the message log's record decoder and its recovery on open.
 * Rules: never crash; the decoder never reads past its input; opening the bytes as a log (as the writer) keeps
 * exactly the leading run of valid records, or refuses a valid record out of sequence; what it keeps reopens the
 * same, and a record appended after it is found again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/store/msglog.h"

static char path[64];

static void write_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size))
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof(path), "%s/fuzz-msglog-%d.log",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
			 (int)getpid()); /* tmpfs: no disk writes per run */
	/* The decoder alone, on a private copy so reads past the end are caught. */
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	size_t off = 0, n, records = 0;
	struct msglog_record r;
	while (off < size && (n = msglog_decode(copy + off, size - off, &r)) > 0) {
		if (n > size - off || r.key + r.key_len > (const char *)copy + off + n ||
		    r.text + r.text_len != (const char *)copy + off + n)
			abort();
		off += n;
		records++;
	}
	free(copy);

	write_file(data, size);
	char err[256];
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	if (l) {
		uint64_t kept = msglog_size(l), count = msglog_count(l);
		if (kept > off || count > records)
			abort(); /* more than the leading valid run */
		struct msglog_record add = {1, msglog_last_seq(l, 1) + 1, 1, 5, "fuzz-key-unique", 15, "hi", 2};
		int rc = msglog_append(l, &add);
		if (rc == MSGLOG_OK && msglog_write(l) != 0)
			abort();
		msglog_close(l);
		l = msglog_open(path, 0, err, sizeof(err));
		if (!l || msglog_count(l) != count + (rc == MSGLOG_OK))
			abort();
		if (rc == MSGLOG_OK && msglog_find_key(l, 1, 1, "fuzz-key-unique", 15) != add.seq)
			abort();
		msglog_close(l);
	}
	unlink(path);
	return 0;
}
