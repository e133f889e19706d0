/* rec_webm.h: one participant's VP8 video remuxed into a WebM file (libavformat), without transcoding. Clusters reach
 * the file as they close (at most a second apart), so a file cut short by a crash plays up to its last cluster. */
#ifndef SAMVAER_MEDIA_REC_WEBM_H
#define SAMVAER_MEDIA_REC_WEBM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread rules: one writer per file, used by one thread. */

struct rec_webm;

/* Create path and write the WebM header for a VP8 track of width x height (from the first keyframe). No title, no
 * dates, no encoder version: nothing in the file beyond the pictures. NULL on failure, with err filled. */
struct rec_webm *rec_webm_open(const char *path, uint16_t width, uint16_t height, char *err, size_t errlen);

/* Add one complete VP8 frame at pts_ms (milliseconds from the start, increasing). Returns 0 or -1. */
int rec_webm_write(struct rec_webm *w, const uint8_t *frame, size_t len, int64_t pts_ms, bool keyframe);

/* Frames written so far. */
uint64_t rec_webm_frames(const struct rec_webm *w);

/* Write the trailer (cues, duration), close the file and free the writer. 0 or -1. */
int rec_webm_close(struct rec_webm *w);

#endif
