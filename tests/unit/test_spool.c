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

#define N (700 * 1000)

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

int main(void)
{
	char dir[] = "/tmp/samvaer-spool-XXXXXX", path[256], cmd[300];
	if (!mkdtemp(dir))
		return 1;
	CHECK(spool_dir_reset(dir) == 0, "spool folder made");
	for (size_t i = 0; i < N; i++)
		plain[i] = (unsigned char)("exif GPS 59.91N "[i % 16] ^ (i / 16 % 7));
	struct spool *a = spool_create(dir, "AAAAAAAAAAAAAAAAAAAAAA"), *b = spool_create(dir, "BBBBBBBBBBBBBBBBBBBBBB");
	CHECK(a && b, "created");
	CHECK(spool_create(dir, "AAAAAAAAAAAAAAAAAAAAAA") == NULL, "an id twice");
	size_t sizes[] = {1, 15, 16, 17, 4095, 65536, 262143, 3};
	size_t off = 0;
	for (int k = 0; off < N; k++) {
		size_t n = sizes[k % 8] < N - off ? sizes[k % 8] : N - off;
		if (spool_append(a, plain + off, n) != 0)
			break;
		off += n;
	}
	CHECK(off == N && spool_size(a) == N, "appended in odd pieces");
	CHECK(spool_append(b, plain, N) == 0 && spool_flush(a) == 0 && spool_flush(b) == 0, "flushed");
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
