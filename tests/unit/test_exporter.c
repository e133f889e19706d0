/* test_exporter.c: server/retention/exporter — a real zip made on the export thread comes back on the loop as an open,
 * unlinked file holding the media's bytes; a stale file of an earlier process is removed at start; a fifth export
 * waiting is refused (busy); a cancelled export never calls back; stopping with exports queued frees them. */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "server/retention/exporter.h"
#include "tests/unit/check.h"

#define SHA "aa00000000000000000000000000000000000000000000000000000000000001"

struct got {
	int calls, fd, nlink;
	uint64_t len;
	char err[256];
};

static void on_done(void *ctx, int fd, uint64_t len, const char *err)
{
	struct got *g = ctx;
	struct stat sb;
	g->calls++;
	g->fd = fd;
	g->len = len;
	g->nlink = fd >= 0 && fstat(fd, &sb) == 0 ? (int)sb.st_nlink : -1;
	snprintf(g->err, sizeof(g->err), "%s", err ? err : "");
}

static json_t *doc_with_media(void)
{
	return json_pack("{s:s,s:[{s:s,s:s}]}", "format", "test", "media", "file", "media/clip.mp4", "sha256", SHA);
}

/* Run the loop until every one of n results has come (or 10 s). */
static void wait_for(struct ev_loop *loop, struct got *g, int n)
{
	for (int i = 0; i < 10000; i++) {
		int have = 0;
		for (int k = 0; k < n; k++)
			have += g[k].calls;
		if (have >= n)
			return;
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
}

/* The bytes of name in the zip open at fd, or NULL. */
static char *zip_entry(int fd, const char *name, zip_uint64_t *len)
{
	int err = 0;
	zip_t *z = zip_fdopen(dup(fd), ZIP_RDONLY, &err);
	zip_stat_t st;
	char *buf = NULL;
	if (z && zip_stat(z, name, 0, &st) == 0 && (buf = malloc(st.size + 1))) {
		zip_file_t *f = zip_fopen(z, name, 0);
		if (!f || zip_fread(f, buf, st.size) != (zip_int64_t)st.size) {
			free(buf);
			buf = NULL;
		}
		if (f)
			zip_fclose(f);
		*len = st.size;
	}
	if (z)
		zip_close(z);
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/samvaer-exporter-XXXXXX", path[512], err[256];
	if (!mkdtemp(dir))
		return 2;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static char clip[300000];
	for (size_t i = 0; i < sizeof(clip); i++)
		clip[i] = (char)(i * 7 + i / 251);
	snprintf(path, sizeof(path), "%s/blobs", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/blobs/aa", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/blobs/aa/%s", dir, SHA);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(clip, 1, sizeof(clip), f) == sizeof(clip) && fclose(f) == 0, "the blob written");
	snprintf(path, sizeof(path), "%s/exports", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/exports/export-0.zip", dir);
	f = fopen(path, "w");
	CHECK(f && fclose(f) == 0, "a file an earlier process left");

	struct exporter *x = exporter_start(loop, dir, err, sizeof(err));
	CHECK(x != NULL, "the exporter starts");
	CHECK(access(path, F_OK) != 0, "what an earlier process left is removed");

	struct got one = {0};
	CHECK(exporter_submit(x, doc_with_media(), on_done, &one) != NULL, "an export is queued");
	wait_for(loop, &one, 1);
	CHECK(one.calls == 1 && one.fd >= 0 && one.len > sizeof(clip), "the zip comes back on the loop");
	CHECK(one.nlink == 0, "its file is unlinked: the descriptor alone holds it");
	zip_uint64_t len = 0;
	char *bytes = one.fd >= 0 ? zip_entry(one.fd, "media/clip.mp4", &len) : NULL;
	CHECK(bytes && len == sizeof(clip) && memcmp(bytes, clip, sizeof(clip)) == 0, "the media's bytes are in it");
	free(bytes);
	char *json = one.fd >= 0 ? zip_entry(one.fd, "export.json", &len) : NULL;
	CHECK(json && strstr(json, "\"format\": \"test\""), "the document is in it");
	free(json);
	if (one.fd >= 0)
		close(one.fd);

	struct got many[EXPORTER_QUEUE] = {{0}};
	struct export_job *jobs[EXPORTER_QUEUE];
	for (int i = 0; i < EXPORTER_QUEUE; i++)
		jobs[i] = exporter_submit(x, doc_with_media(), on_done, &many[i]);
	struct got extra = {0};
	CHECK(exporter_submit(x, doc_with_media(), on_done, &extra) == NULL, "one more than the queue holds: busy");
	exporter_cancel(x, jobs[1]);
	struct got *rest[] = {&many[0], &many[2], &many[3]};
	for (int i = 0; i < 3; i++)
		wait_for(loop, rest[i], 1);
	for (int i = 0; i < 200; i++) /* a little longer: the cancelled one must not call back */
		ev_run(loop, EVRUN_NOWAIT), usleep(1000);
	CHECK(many[0].calls == 1 && many[2].calls == 1 && many[3].calls == 1, "the others are made");
	CHECK(many[1].calls == 0 && extra.calls == 0, "the cancelled and the refused never call back");
	for (int i = 0; i < EXPORTER_QUEUE; i++)
		if (many[i].calls && many[i].fd >= 0)
			close(many[i].fd);
	struct got after = {0};
	CHECK(exporter_submit(x, doc_with_media(), on_done, &after) != NULL, "room again once they are handed back");
	wait_for(loop, &after, 1);
	if (after.fd >= 0)
		close(after.fd);

	struct got left[2] = {{0}};
	exporter_submit(x, doc_with_media(), on_done, &left[0]);
	exporter_submit(x, doc_with_media(), on_done, &left[1]);
	exporter_stop(x); /* with both still queued or under way: freed, no callback */
	CHECK(left[0].calls == 0 && left[1].calls == 0, "stopping calls no one back");
	snprintf(path, sizeof(path), "%s/exports", dir);
	int files = 0;
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", path);
	FILE *p = popen(cmd, "r");
	CHECK(p && fscanf(p, "%d", &files) == 1 && pclose(p) == 0 && files == 0, "no export file is left on disk");
	ev_loop_destroy(loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	return check_done("exporter");
}
