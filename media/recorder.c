/* recorder.c: the recorder thread. Each recording has a single-producer ring the call's worker fills; the thread
 * drains every ring about every 20 ms into the writers (rec_ogg, rec_vp8 + rec_webm) and finishes closed recordings. */
#include "media/recorder.h"

#include "media/rec_ogg.h"
#include "media/rec_vp8.h"
#include "media/rec_webm.h"
#include "media/rtp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RING_BYTES (4u << 20) /* about 16 s of 2 Mbit/s video: the thread is never that far behind */
#define REC_HDR 16            /* type, slot, length (2), time (4), participant id (8) */
#define PRE_SKIP 312          /* libopus's encoder lookahead at 48 kHz (OPUS_GET_LOOKAHEAD) */
#define FLUSH_MS 1000
#define MAX_RECORDINGS 256

enum rec_type { REC_PAD = 0, REC_AUDIO = 1, REC_VIDEO = 2 };

struct slot_state {
	uint64_t pid;
	struct rec_vp8 vp8;
	struct rec_webm *webm;
	bool started;
	uint32_t first_ts, last_ts;
	uint64_t ts_high; /* unwrapped 90 kHz clock: wraps of the 32-bit timestamp */
	int64_t first_ms, last_pts;
	uint64_t frames;
};

struct recording {
	/* producer (worker) side */
	_Atomic uint32_t head; /* written by the producer */
	_Atomic uint32_t tail; /* written by the thread */
	bool have_start;
	int64_t start_ms;
	uint64_t slot_pid[RECORDING_SLOTS]; /* which participant each slot records (0: free) */
	_Atomic uint64_t dropped;
	_Atomic uint32_t want_key; /* bit per slot */
	/* owner side */
	_Atomic int closing;
	void (*done)(void *, const struct recording_result *);
	void *done_arg;
	/* thread side */
	int audio_fd;
	struct rec_ogg *ogg;
	int64_t last_flush_ms, audio_ms;
	struct slot_state slot[RECORDING_SLOTS];
	int err;
	char dir[256];
	uint8_t ring[RING_BYTES];
};

struct recorder {
	pthread_t thread;
	pthread_mutex_t lock;
	struct recording *list[MAX_RECORDINGS];
	int n;
	bool stop;
};

/* ---- producer ---- */

static void ring_put(struct recording *rec, uint8_t type, uint8_t slot, uint64_t pid, const uint8_t *data, size_t len,
		     int64_t now)
{
	uint32_t head = atomic_load_explicit(&rec->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&rec->tail, memory_order_acquire);
	size_t need = REC_HDR + ((len + 7) & ~(size_t)7);
	uint32_t at = head % RING_BYTES, room_to_end = RING_BYTES - at;
	size_t total = need + (room_to_end < need ? room_to_end : 0);
	if (len > 65535 || total > RING_BYTES - (head - tail)) {
		atomic_fetch_add_explicit(&rec->dropped, 1, memory_order_relaxed);
		if (type == REC_VIDEO)
			atomic_fetch_or_explicit(&rec->want_key, 1u << slot, memory_order_relaxed);
		return;
	}
	if (room_to_end < need) { /* a pad record sends the reader to the start */
		rec->ring[at] = REC_PAD;
		head += room_to_end;
		at = 0;
	}
	if (!rec->have_start) {
		rec->have_start = true;
		rec->start_ms = now;
	}
	uint32_t rel = (uint32_t)(now - rec->start_ms);
	uint8_t *p = rec->ring + at;
	p[0] = type;
	p[1] = slot;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, &rel, 4);
	memcpy(p + 8, &pid, 8);
	memcpy(p + REC_HDR, data, len);
	atomic_store_explicit(&rec->head, head + (uint32_t)need, memory_order_release);
}

void recording_audio(struct recording *rec, const uint8_t *opus, size_t len, int64_t now_ms)
{
	ring_put(rec, REC_AUDIO, 0, 0, opus, len, now_ms);
}

/* The slot recording participant pid, taken on first sight; -1 when all are taken. */
static int slot_of(struct recording *rec, uint64_t pid, bool take)
{
	for (int i = 0; i < RECORDING_SLOTS; i++)
		if (rec->slot_pid[i] == pid)
			return i;
	for (int i = 0; take && i < RECORDING_SLOTS; i++)
		if (!rec->slot_pid[i]) {
			rec->slot_pid[i] = pid;
			return i;
		}
	return -1;
}

void recording_video(struct recording *rec, uint64_t pid, const uint8_t *rtp, size_t len, int64_t now_ms)
{
	int slot = pid ? slot_of(rec, pid, true) : -1;
	if (slot >= 0)
		ring_put(rec, REC_VIDEO, (uint8_t)slot, pid, rtp, len, now_ms);
}

bool recording_keyframe_wanted(struct recording *rec, uint64_t pid)
{
	int slot = slot_of(rec, pid, false);
	uint32_t bit = slot >= 0 ? 1u << slot : 0;
	return bit && (atomic_fetch_and_explicit(&rec->want_key, ~bit, memory_order_relaxed) & bit);
}

/* ---- the thread: writing ---- */

static void on_audio(struct recording *rec, const uint8_t *pkt, size_t len, int64_t t)
{
	if (!rec->ogg) {
		char path[300];
		snprintf(path, sizeof(path), "%s/audio.opus", rec->dir);
		rec->audio_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		rec->ogg = rec->audio_fd >= 0 ? rec_ogg_open(rec->audio_fd, 0x53414d56u, 1, PRE_SKIP) : NULL;
		if (!rec->ogg) {
			rec->err = -1;
			return;
		}
		rec->last_flush_ms = t;
	}
	if (rec_ogg_write(rec->ogg, pkt, len) == 0)
		rec->audio_ms = (int64_t)((rec_ogg_granule(rec->ogg) - PRE_SKIP) / 48);
	else
		atomic_fetch_add_explicit(&rec->dropped, 1, memory_order_relaxed);
	if (t - rec->last_flush_ms >= FLUSH_MS) {
		if (rec_ogg_flush(rec->ogg))
			rec->err = -1;
		rec->last_flush_ms = t;
	}
}

/* Milliseconds from the recording's start for a frame at RTP time ts of a stream first seen at first_ms. */
static int64_t video_pts(struct slot_state *s, uint32_t ts, int64_t arrival)
{
	if (!s->started) {
		s->started = true;
		s->first_ts = s->last_ts = ts;
		s->first_ms = arrival;
		s->last_pts = -1;
	}
	if ((int32_t)(ts - s->last_ts) > 0 && ts < s->last_ts)
		s->ts_high += 1ull << 32;
	if ((int32_t)(ts - s->last_ts) > 0)
		s->last_ts = ts;
	uint64_t unwrapped = s->ts_high + ts - s->first_ts;
	int64_t pts = s->first_ms + (int64_t)(unwrapped / 90);
	if (pts <= s->last_pts)
		pts = s->last_pts + 1;
	s->last_pts = pts;
	return pts;
}

static void on_video(struct recording *rec, unsigned slot, const uint8_t *pkt, size_t len, int64_t t)
{
	struct rtp_header h;
	struct rec_vp8_frame f;
	struct slot_state *s = &rec->slot[slot];
	if (rtp_header_parse(&h, pkt, len) != RTP_OK)
		return;
	int rc = rec_vp8_push(&s->vp8, h.seq, h.ts, h.marker, h.payload, h.payload_len, &f);
	if (rc == REC_VP8_ERR_DROPPED || rc == REC_VP8_ERR_NEED_KEY)
		atomic_fetch_or_explicit(&rec->want_key, 1u << slot, memory_order_relaxed);
	if (rc != REC_VP8_OK)
		return;
	if (!s->webm) {
		char path[300], err[160];
		if (!f.keyframe)
			return;
		snprintf(path, sizeof(path), "%s/video-%llu.webm", rec->dir, (unsigned long long)s->pid);
		s->webm = rec_webm_open(path, f.width, f.height, err, sizeof(err));
		if (!s->webm) {
			rec->err = -1;
			return;
		}
	}
	if (rec_webm_write(s->webm, f.data, f.len, video_pts(s, f.rtp_ts, t), f.keyframe) == 0)
		s->frames++;
}

/* Take every complete record out of the ring. */
static void drain(struct recording *rec)
{
	uint32_t tail = atomic_load_explicit(&rec->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&rec->head, memory_order_acquire);
	while (tail != head) {
		uint32_t at = tail % RING_BYTES;
		const uint8_t *p = rec->ring + at;
		if (p[0] == REC_PAD) {
			tail += RING_BYTES - at;
			continue;
		}
		size_t len = (size_t)p[2] << 8 | p[3];
		uint32_t rel;
		uint64_t pid;
		memcpy(&rel, p + 4, 4);
		memcpy(&pid, p + 8, 8);
		if (p[0] == REC_AUDIO) {
			on_audio(rec, p + REC_HDR, len, rel);
		} else if (p[1] < RECORDING_SLOTS) {
			rec->slot[p[1]].pid = pid;
			on_video(rec, p[1], p + REC_HDR, len, rel);
		}
		tail += REC_HDR + (uint32_t)((len + 7) & ~(size_t)7);
	}
	atomic_store_explicit(&rec->tail, tail, memory_order_release);
}

static void finish(struct recording *rec)
{
	struct recording_result res = {0};
	drain(rec);
	if (rec->ogg && rec_ogg_close(rec->ogg))
		rec->err = -1;
	if (rec->audio_fd >= 0) { /* closed even when the sync fails */
		int bad = fsync(rec->audio_fd) != 0;
		if (close(rec->audio_fd) != 0 || bad)
			rec->err = -1;
	}
	for (unsigned i = 0; i < RECORDING_SLOTS; i++) {
		struct slot_state *s = &rec->slot[i];
		if (s->webm && rec_webm_close(s->webm))
			rec->err = -1;
		if (s->webm) {
			char path[300];
			snprintf(path, sizeof(path), "%s/video-%llu.webm", rec->dir, (unsigned long long)s->pid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || fsync(fd))
				rec->err = -1;
			if (fd >= 0)
				close(fd);
		}
		res.video[i].participant_id = s->webm || s->frames ? s->pid : 0;
		res.video[i].frames = s->frames;
		res.dropped += s->vp8.dropped;
		rec_vp8_free(&s->vp8);
	}
	int dfd = open(rec->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	res.err = rec->err;
	res.audio_ms = (uint64_t)rec->audio_ms;
	res.dropped += atomic_load(&rec->dropped);
	snprintf(res.dir, sizeof(res.dir), "%s", rec->dir);
	if (rec->done)
		rec->done(rec->done_arg, &res);
	free(rec);
}

static void *recorder_main(void *arg)
{
	struct recorder *r = arg;
	struct recording *batch[MAX_RECORDINGS];
	for (;;) {
		pthread_mutex_lock(&r->lock);
		bool stop = r->stop;
		int n = 0;
		for (int i = 0; i < r->n;) { /* closed recordings leave the list here, and finish below */
			struct recording *rec = r->list[i];
			if (atomic_load(&rec->closing)) {
				r->list[i] = r->list[--r->n];
				batch[MAX_RECORDINGS - 1 - n++] = rec;
			} else {
				i++;
			}
		}
		int open_n = r->n;
		memcpy(batch, r->list, sizeof(batch[0]) * (size_t)open_n);
		pthread_mutex_unlock(&r->lock);
		for (int i = 0; i < open_n; i++)
			drain(batch[i]);
		for (int i = 0; i < n; i++)
			finish(batch[MAX_RECORDINGS - 1 - i]);
		if (stop && !open_n && !n)
			return NULL;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* ---- owner ---- */

struct recorder *recorder_start(char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "recorder: no memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	if (pthread_create(&r->thread, NULL, recorder_main, r)) {
		snprintf(err, errlen, "recorder: cannot start its thread");
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return r;
}

void recorder_stop(struct recorder *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	for (int i = 0; i < r->n; i++)
		atomic_store(&r->list[i]->closing, 1);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

struct recording *recording_open(struct recorder *r, const char *dir)
{
	if (strlen(dir) >= sizeof(((struct recording *)0)->dir) || (mkdir(dir, 0700) && errno != EEXIST))
		return NULL;
	struct recording *rec = calloc(1, sizeof(*rec));
	if (!rec)
		return NULL;
	snprintf(rec->dir, sizeof(rec->dir), "%s", dir);
	rec->audio_fd = -1;
	for (unsigned i = 0; i < RECORDING_SLOTS; i++)
		rec_vp8_init(&rec->slot[i].vp8);
	pthread_mutex_lock(&r->lock);
	if (r->n == MAX_RECORDINGS || r->stop) {
		pthread_mutex_unlock(&r->lock);
		free(rec);
		return NULL;
	}
	r->list[r->n++] = rec;
	pthread_mutex_unlock(&r->lock);
	return rec;
}

void recording_close(struct recording *rec, void (*done)(void *arg, const struct recording_result *res), void *arg)
{
	rec->done = done;
	rec->done_arg = arg;
	atomic_store(&rec->closing, 1);
}
