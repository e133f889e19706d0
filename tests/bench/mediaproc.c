/* mediaproc.c (bench-mediaproc): run server/mediaproc on files — one job with its result printed (tools, tests), or
 * the photo benchmark (CPU ms per photo for display size + thumbnail). The load beside the messaging benchmark goes
 * through a running server instead (tests/bench/photo_load.py).
 * Outputs go to the blob store of DATA_DIR (DATA_DIR/blobs, server/blobs), as in the server.
 *   bench-mediaproc process KIND FILE DATA_DIR
 *   bench-mediaproc photo FILE DATA_DIR ROUNDS        prints "cpu_ms_per_photo X" */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/blobs/blobstore.h"
#include "server/mediaproc/mediaproc.h"

static char blob_root[600];

static ssize_t fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	return pread(*(int *)ctx, buf, len, (off_t)off);
}

static int open_job(const char *kind, const char *file, const char *data_dir, int *fd, struct mediaproc_job *job)
{
	struct stat st;
	char err[256];
	mkdir(data_dir, 0750); /* blobstore_open makes data_dir/blobs, not data_dir */
	struct blobstore *blobs = blobstore_open(data_dir, err, sizeof err);
	if (!blobs) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(blob_root, sizeof blob_root, "%s/blobs", data_dir);
	*fd = open(file, O_RDONLY);
	if (*fd < 0 || fstat(*fd, &st) != 0) {
		perror(file);
		return -1;
	}
	memset(job, 0, sizeof *job);
	job->kind = mediaproc_kind_parse(kind);
	if (!job->kind) {
		fprintf(stderr, "unknown kind %s\n", kind);
		return -1;
	}
	job->source.pread = fd_pread;
	job->source.ctx = fd;
	job->source.size = (uint64_t)st.st_size;
	job->blob_root = blob_root;
	job->blobs = blobs; /* pinned puts, never released: the process is short */
	return 0;
}

static void print_blob(const char *name, const struct mediaproc_blob *b)
{
	if (b->hash[0])
		printf("%s %s %s %llu\n", name, b->hash, b->mime, (unsigned long long)b->bytes);
}

static int cmd_process(int argc, char **argv)
{
	int fd;
	struct mediaproc_job job;
	struct mediaproc_result r;
	if (argc < 5 || open_job(argv[2], argv[3], argv[4], &fd, &job) != 0)
		return 2;
	mediaproc_process(&job, NULL, &r);
	printf("err %s\nstatus %d\nsource_mime %s\nwidth %u\nheight %u\nduration_ms %u\ncpu_ms %u\ndetail %s\n",
	       mediaproc_err_code(r.err), mediaproc_err_status(r.err), r.source_mime, r.width, r.height, r.duration_ms,
	       r.cpu_ms, r.detail);
	print_blob("media", &r.media);
	print_blob("thumb", &r.thumb);
	print_blob("poster", &r.poster);
	if (r.has_waveform) {
		printf("waveform");
		for (int i = 0; i < MEDIAPROC_WAVEFORM_POINTS; i++)
			printf(" %u", r.waveform[i]);
		printf("\n");
	}
	close(fd);
	return r.err == MEDIAPROC_OK ? 0 : 1;
}

static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_photo(int argc, char **argv)
{
	int fd;
	struct mediaproc_job job;
	struct mediaproc_result r;
	if (argc < 5 || open_job("photo", argv[2], argv[3], &fd, &job) != 0)
		return 2;
	int rounds = atoi(argv[4]);
	mediaproc_process(&job, NULL, &r); /* warm-up: libvips started, file in the page cache */
	if (r.err != MEDIAPROC_OK) {
		fprintf(stderr, "photo refused: %s (%s)\n", mediaproc_err_code(r.err), r.detail);
		return 1;
	}
	double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < rounds; i++)
		mediaproc_process(&job, NULL, &r);
	double cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1000 / rounds;
	double wall = (now_s(CLOCK_MONOTONIC) - w0) * 1000 / rounds;
	printf("display %ux%u media_bytes %llu thumb_bytes %llu\ncpu_ms_per_photo %.1f\nwall_ms_per_photo %.1f\n",
	       r.width, r.height, (unsigned long long)r.media.bytes, (unsigned long long)r.thumb.bytes, cpu, wall);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "process"))
		return cmd_process(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "photo"))
		return cmd_photo(argc, argv);
	fprintf(stderr, "usage: %s process KIND FILE BLOB_ROOT | photo FILE BLOB_ROOT ROUNDS\n", argv[0]);
	return 2;
}
