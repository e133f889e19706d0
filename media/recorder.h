/* recorder.h: call recordings written off the media path — the call's worker hands packets to a lock-free ring, one
 * recorder thread turns them into files: the audio mix as Ogg Opus, each participant's VP8 video as WebM. */
#ifndef SAMVAER_MEDIA_RECORDER_H
#define SAMVAER_MEDIA_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   One recorder thread serves every recording. A recording is a folder the owner names; in it the thread writes
 *   audio.opus (the call's mix, 20 ms Opus packets) and video-<participant id>.webm (one per participant who
 *   sends VP8, up to RECORDING_SLOTS). Pages and clusters reach the files at least every second, so a crash leaves files that play up to their
 *   last second. Nothing about the call goes into the files (no names, no dates).
 * Thread rules
 *   recorder_* and recording_open/close: the owner's thread (the control thread).
 *   recording_audio/recording_video/recording_keyframe_wanted: the one worker thread the call is pinned to (a
 *   single producer; no locks, no allocation, no system calls). A full ring drops the packet and counts it.
 *   The done callback runs on the recorder thread: post its result to your own loop.
 */

#define RECORDING_SLOTS 8

struct recorder;
struct recording;

struct recording_result {
	int err;           /* 0, or -1 when a file could not be written */
	uint64_t audio_ms; /* length of audio.opus */
	struct {
		uint64_t participant_id; /* 0: slot unused */
		uint64_t frames;         /* frames in video-<participant_id>.webm */
	} video[RECORDING_SLOTS];
	uint64_t dropped; /* packets the ring or the assembler dropped */
	char dir[256];
};

struct recorder *recorder_start(char *err, size_t errlen);
void recorder_stop(struct recorder *r); /* closes any recording still open, waiting for its files */

/* Begin a recording into dir (created, mode 0700). NULL on failure. */
struct recording *recording_open(struct recorder *r, const char *dir);
/* Stop taking packets; the thread finishes the files (trailer, end of stream, fsync) and calls done once, then frees
 * the recording. */
void recording_close(struct recording *rec, void (*done)(void *arg, const struct recording_result *res), void *arg);

/* Producer side (the call's worker thread). now_ms: the worker's monotonic clock. */
void recording_audio(struct recording *rec, const uint8_t *opus, size_t len, int64_t now_ms);
void recording_video(struct recording *rec, uint64_t participant_id, const uint8_t *rtp, size_t len, int64_t now_ms);
/* True once after the recorder lost video of that participant: ask the sender for a keyframe (PLI). */
bool recording_keyframe_wanted(struct recording *rec, uint64_t participant_id);

#endif
