/* test_spool.c: the encrypted upload spool — bytes appended in odd-sized pieces read back exactly at every offset
 * (CTR counters across 16-byte blocks and the 256 KB buffer), the file on disk shares no run of the plain bytes,
 * two spools of the same bytes differ on disk (own keys), and reset/destroy leave nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/uploads/spool.h"
#include "tests/unit/check.h"

#define N (3000 * 1000)

static unsigned char plain[N], back[N];

static int read_file(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int n = (int)fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void flushed(void *arg, int ok)
{
	*(int *)arg = ok;
}

static void resumed(void *arg)
{
	(*(int *)arg)++;
}

/* With the writer thread: the loop only copies; past SPOOL_INFLIGHT buffers it is told to pause, then to resume. */
static void test_writer(const char *dir)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct spool_writer *w = spool_writer_start(loop);
	struct spool *sp = spool_create(dir, "WWWWWWWWWWWWWWWWWWWWWW", w);
	int resumes = 0, full = 0, ok = -1;
	spool_on_resume(sp, resumed, &resumes);
	for (size_t off = 0; off < N; off += 100000) {
		int rc = spool_append(sp, plain + off, off + 100000 <= N ? 100000 : N - off);
		full += rc == SPOOL_FULL;
		while (rc == SPOOL_FULL && resumes < full)
			ev_run(loop, EVRUN_ONCE); /* what the transport does: wait for resume before reading more */
	}
	CHECK(full > 0 && resumes == full, "paused and resumed");
	spool_flush(sp, flushed, &ok);
	while (ok < 0)
		ev_run(loop, EVRUN_ONCE);
	CHECK(ok == 1 && spool_pread(sp, back, N, 0) == N && memcmp(back, plain, N) == 0, "written by the thread");
	spool_append(sp, plain, SPOOL_BUF * 2); /* jobs in flight at destroy: freed when they come back */
	spool_destroy(sp);
	spool_writer_stop(w);
	ev_loop_destroy(loop);
}

int main(void)
{
	char dir[] = "/tmp/samvaer-spool-XXXXXX", path[256], cmd[300];
	if (!mkdtemp(dir))
		return 1;
	CHECK(spool_dir_reset(dir) == 0, "spool folder made");
	for (size_t i = 0; i < N; i++)
		plain[i] = (unsigned char)("exif GPS 59.91N "[i % 16] ^ (i / 16 % 7));
	struct spool *a = spool_create(dir, "AAAAAAAAAAAAAAAAAAAAAA", NULL),
		     *b = spool_create(dir, "BBBBBBBBBBBBBBBBBBBBBB", NULL);
	CHECK(a && b, "created");
	CHECK(spool_create(dir, "AAAAAAAAAAAAAAAAAAAAAA", NULL) == NULL, "an id twice");
	size_t sizes[] = {1, 15, 16, 17, 4095, 65536, 262143, 3};
	size_t off = 0;
	for (int k = 0; off < N; k++) {
		size_t n = sizes[k % 8] < N - off ? sizes[k % 8] : N - off;
		if (spool_append(a, plain + off, n) != 0)
			break;
		off += n;
	}
	CHECK(off == N && spool_size(a) == N, "appended in odd pieces");
	int ok_a = -1, ok_b = -1;
	spool_flush(a, flushed, &ok_a);
	CHECK(spool_append(b, plain, N) == 0, "appended whole");
	spool_flush(b, flushed, &ok_b);
	CHECK(ok_a == 1 && ok_b == 1, "flushed at once without a writer");
	CHECK(spool_pread(a, back, N, 0) == N && memcmp(back, plain, N) == 0, "read back whole");
	int all = 1;
	uint64_t offs[] = {0, 1, 15, 16, 17, 31, 262143, 262144, 262145, N - 1};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t len = offs[i] + 1000 <= N ? 1000 : N - offs[i];
		all &= spool_pread(a, back, 1000, offs[i]) == (ssize_t)len && !memcmp(back, plain + offs[i], len);
	}
	CHECK(all, "read back at block and buffer edges");
	CHECK(spool_pread(a, back, 10, N) == 0, "nothing past the end");
	snprintf(path, sizeof(path), "%s/spool/AAAAAAAAAAAAAAAAAAAAAA", dir);
	static unsigned char disk[N + 1], disk_b[N + 1];
	CHECK(read_file(path, disk, sizeof(disk)) == N, "the file holds every byte");
	CHECK(memmem(disk, N, "exif GPS", 8) == NULL && memmem(disk, N, plain, 32) == NULL, "no plain text on disk");
	snprintf(path, sizeof(path), "%s/spool/BBBBBBBBBBBBBBBBBBBBBB", dir);
	CHECK(read_file(path, disk_b, sizeof(disk_b)) == N && memcmp(disk, disk_b, 64) != 0, "a key per upload");
	spool_destroy(a);
	CHECK(access(path, F_OK) == 0, "the other spool stays");
	test_writer(dir);
	spool_destroy(b);
	CHECK(access(path, F_OK) != 0, "destroy deletes the file");
	FILE *f = fopen(path, "w"); /* left by an earlier process */
	if (f)
		fclose(f);
	CHECK(spool_dir_reset(dir) == 0 && access(path, F_OK) != 0, "reset empties the folder");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done("spool");
}
