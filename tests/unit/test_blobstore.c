/* test_blobstore.c: content-addressed blobs — the SHA-256 name (FIPS 180-2 "abc" vector), dedup, streaming puts,
 * puts from four threads at once, pins keeping a fresh blob from the sweep, release and sweep deleting what no
 * attachment refers to, and temp files left by a crash cleared at open. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/blobs/attachments.h"
#include "server/blobs/blobstore.h"
#include "tests/unit/check.h"

static const char ABC[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static int exists(struct blobstore *b, const char *hash)
{
	char path[1024];
	struct stat st;
	return blobstore_path(b, hash, path, sizeof(path)) == 0 && stat(path, &st) == 0;
}

static void test_put(struct blobstore *b)
{
	char h1[BLOB_HASH_HEX + 1], h2[BLOB_HASH_HEX + 1];
	CHECK(blobstore_put(b, "abc", 3, h1) == 0 && strcmp(h1, ABC) == 0, "named by SHA-256");
	CHECK(exists(b, ABC), "file in place");
	CHECK(blobstore_put(b, "abc", 3, h2) == 0 && strcmp(h2, ABC) == 0, "same bytes, same name");
	struct blob_writer *w = blobstore_writer_open(b);
	int64_t n = 0;
	CHECK(w && blobstore_writer_write(w, "a", 1) == 0 && blobstore_writer_write(w, "bc", 2) == 0, "stream");
	CHECK(blobstore_writer_finish(w, h2, &n) == 0 && strcmp(h2, ABC) == 0 && n == 3, "streamed = whole");
	int fd = blobstore_open_read(b, ABC);
	char buf[8] = {0};
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0, "read back");
	if (fd >= 0)
		close(fd);
	CHECK(blobstore_open_read(b, "../../etc/passwd") < 0, "no path outside the store");
	CHECK(!blob_hash_valid("ABC") && !blob_hash_valid(NULL) && blob_hash_valid(ABC), "hash syntax");
	w = blobstore_writer_open(b);
	blobstore_writer_write(w, "gone", 4);
	blobstore_writer_abort(w);
}

struct job {
	struct blobstore *b;
	int seed;
	int ok;
	char hash[BLOB_HASH_HEX + 1];
};

static void *put_many(void *arg)
{
	struct job *j = arg;
	char data[4096];
	j->ok = 1;
	for (int i = 0; i < 50; i++) {
		memset(data, 'a' + (i % 5), sizeof(data)); /* five distinct blobs, written by every thread */
		if (blobstore_put(j->b, data, sizeof(data), j->hash) != 0)
			j->ok = 0;
	}
	return NULL;
}

static void test_threads(struct blobstore *b, struct store *s)
{
	pthread_t t[4];
	struct job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){.b = b, .seed = i};
		pthread_create(&t[i], NULL, put_many, &jobs[i]);
	}
	int ok = 1;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok &= jobs[i].ok && strcmp(jobs[i].hash, jobs[0].hash) == 0;
	}
	CHECK(ok, "four threads put the same blobs");
	CHECK(exists(b, jobs[0].hash), "last one in place");
	for (int i = 0; i < 200; i++)
		blobstore_release(b, NULL, jobs[0].hash);
	blobstore_release(b, s, jobs[0].hash);
	CHECK(!exists(b, jobs[0].hash), "released with no reference: deleted");
}

static void test_sweep(struct blobstore *b, struct store *s)
{
	char h[BLOB_HASH_HEX + 1];
	blobstore_put(b, "photo bytes", 11, h);
	struct attachment a = {.kind = ATT_PHOTO, .uploader_id = 1, .bytes = 11, .created_at = 1};
	snprintf(a.id, sizeof(a.id), "AAAAAAAAAAAAAAAAAAAAAA");
	snprintf(a.mime, sizeof(a.mime), "image/jpeg");
	snprintf(a.blob, sizeof(a.blob), "%s", h);
	store_begin(s);
	CHECK(attachment_add(s, &a) == STORE_OK, "recorded");
	store_commit(s);
	blobstore_release(b, s, h);
	CHECK(exists(b, h), "referenced: kept on release");
	store_begin(s);
	attachment_delete(s, a.id);
	store_commit(s);
	blobstore_put(b, "photo bytes", 11, h); /* a new upload of the same bytes, not yet recorded */
	CHECK(blobstore_sweep(b, s, 100) == 0 && exists(b, h), "pinned: the sweep leaves it");
	blobstore_release(b, NULL, h);
	CHECK(blobstore_sweep(b, s, 100) == 1 && !exists(b, h), "unreferenced and unpinned: swept");
	CHECK(blobstore_sweep(b, s, 100) == 0, "nothing left to sweep");
}

int main(void)
{
	char dir[] = "/tmp/samvaer-blobs-XXXXXX", err[256], cmd[128], path[256];
	if (!mkdtemp(dir))
		return 1;
	struct store *s = store_open(dir, STORE_SYNC_NORMAL, err, sizeof(err));
	store_exec(s,
		   "INSERT INTO accounts(id,username,display_name,role,password_hash,created_at)"
		   " VALUES (1,'mum','Mum','contact','h',1)");
	struct blobstore *b = blobstore_open(dir, err, sizeof(err));
	if (!s || !b) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	test_put(b);
	test_threads(b, s);
	test_sweep(b, s);
	blobstore_close(b);
	snprintf(path, sizeof(path), "%s/blobs/tmp/left-by-a-crash", dir);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	b = blobstore_open(dir, err, sizeof(err));
	CHECK(b && access(path, F_OK) != 0, "temp files cleared at open");
	blobstore_close(b);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done("blobstore");
}
