/* recordings_files.c: a recording's folder DIR/recordings/<id>/ — meta.json at the start, the files the recorder
 * writes, and their move into the blob store when the recording ends (or, after a crash, at the next start). */
#include "server/recordings/recordings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <openssl/rand.h>

#include "server/base/log.h"
#include "server/blobs/blobstore.h"
#include "server/store/fsdir.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int recording_new_id(char out[RECORDING_ID_LEN + 1])
{
	uint8_t r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	/* 128 bits as 22 symbols of 6 bits (the last symbol carries 2). */
	for (int i = 0; i < RECORDING_ID_LEN; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)r[byte] << 8 | (byte + 1 < 16 ? r[byte + 1] : 0);
		out[i] = B64URL[(v >> (10 - shift)) & 63];
	}
	out[RECORDING_ID_LEN] = '\0';
	return 0;
}

static int id_ok(const char *id)
{
	if (strlen(id) != RECORDING_ID_LEN)
		return 0;
	for (const char *p = id; *p; p++)
		if (!strchr(B64URL, *p))
			return 0;
	return 1;
}

int recording_dir_create(const char *data_dir, const struct recording_meta *m, char *dir, size_t cap, char *err,
			 size_t errlen)
{
	char root[PATH_MAX], path[PATH_MAX];
	snprintf(root, sizeof(root), "%s/recordings", data_dir);
	if ((mkdir(root, 0700) && errno != EEXIST) || snprintf(dir, cap, "%s/%s", root, m->id) >= (int)cap ||
	    mkdir(dir, 0700)) {
		snprintf(err, errlen, "recordings: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I}", "id", m->id, "case_id", (json_int_t)m->case_id, "call_id",
			      (json_int_t)m->call_id, "started_by", (json_int_t)m->started_by, "started_at",
			      (json_int_t)m->started_at);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = fd >= 0 && text && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(o);
	if (rc || fsdir_sync(root) || fsdir_sync(dir)) {
		snprintf(err, errlen, "recordings: cannot write %s", path);
		return -1;
	}
	return 0;
}

/* Duration in ms of a file libavformat can read (Ogg, WebM): the last packet's end, read to the end, so a file cut
 * by a crash (no duration in its header) is measured too. */
static int64_t probe_duration_ms(const char *path)
{
	AVFormatContext *ic = NULL;
	if (avformat_open_input(&ic, path, NULL, NULL) < 0)
		return -1;
	int64_t end = -1;
	AVPacket *p = av_packet_alloc();
	if (p && avformat_find_stream_info(ic, NULL) >= 0 && ic->nb_streams == 1) {
		AVRational tb = ic->streams[0]->time_base;
		while (av_read_frame(ic, p) >= 0) {
			int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
			if (t != AV_NOPTS_VALUE) {
				int64_t e =
				    av_rescale_q(t + (p->duration > 0 ? p->duration : 0), tb, (AVRational){1, 1000});
				if (e > end)
					end = e;
			}
			av_packet_unref(p);
		}
	}
	av_packet_free(&p);
	avformat_close_input(&ic);
	return end;
}

/* Stream one file into the blob store. */
static int put_file(struct blobstore *b, const char *path, char hash[BLOB_HASH_HEX + 1], int64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct blob_writer *w = fd >= 0 ? blobstore_writer_open(b) : NULL;
	static _Thread_local uint8_t buf[1 << 16];
	ssize_t n = 0;
	while (w && (n = read(fd, buf, sizeof(buf))) > 0)
		if (blobstore_writer_write(w, buf, (size_t)n)) {
			n = -1;
			break;
		}
	if (fd >= 0)
		close(fd);
	if (!w)
		return -1;
	if (n < 0) {
		blobstore_writer_abort(w);
		return -1;
	}
	return blobstore_writer_finish(w, hash, bytes);
}

static int read_meta(const char *dir, struct recording_meta *m)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	json_t *o = json_load_file(path, 0, NULL);
	const char *id = json_string_value(json_object_get(o, "id"));
	memset(m, 0, sizeof(*m));
	if (!id || !id_ok(id)) {
		json_decref(o);
		return -1;
	}
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->case_id = json_integer_value(json_object_get(o, "case_id"));
	m->call_id = json_integer_value(json_object_get(o, "call_id"));
	m->started_by = json_integer_value(json_object_get(o, "started_by"));
	m->started_at = json_integer_value(json_object_get(o, "started_at"));
	json_decref(o);
	return m->case_id > 0 ? 0 : -1;
}

int recording_import_files(struct blobstore *b, const char *dir, int interrupted, int64_t ended_at,
			   struct recording_row rows[RECORDING_FILES_MAX], char *err, size_t errlen)
{
	struct recording_meta m;
	if (read_meta(dir, &m)) {
		snprintf(err, errlen, "recordings: %s has no readable meta.json", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) && n < RECORDING_FILES_MAX) {
		unsigned long long pid = 0;
		int audio = strcmp(e->d_name, "audio.opus") == 0;
		int video = !audio && sscanf(e->d_name, "video-%llu.webm", &pid) == 1 && pid;
		if (!audio && !video)
			continue;
		char path[PATH_MAX];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int64_t dur = probe_duration_ms(path);
		if (dur <= 0 || stat(path, &sb)) {
			log_info("recordings: %s holds no playable media; left out", path);
			continue;
		}
		struct recording_row *r = &rows[n];
		memset(r, 0, sizeof(*r));
		if (recording_new_id(r->id) || put_file(b, path, r->blob, &r->bytes)) {
			snprintf(err, errlen, "recordings: cannot store %s", path);
			closedir(d);
			return -1;
		}
		snprintf(r->recording, sizeof(r->recording), "%s", m.id);
		r->case_id = m.case_id, r->call_id = m.call_id, r->started_by = m.started_by;
		r->started_at = m.started_at;
		r->ended_at = ended_at ? ended_at : (int64_t)sb.st_mtime * 1000;
		snprintf(r->kind, sizeof(r->kind), "%s", audio ? "audio" : "video");
		snprintf(r->mime, sizeof(r->mime), "%s", audio ? "audio/ogg" : "video/webm");
		r->account_id = (int64_t)pid;
		r->duration_ms = dur;
		r->interrupted = interrupted;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

void recording_dir_remove(const char *dir)
{
	fsdir_empty(dir);
	rmdir(dir);
}
