/* peer_video.h: real VP8 video for media/peer — a moving picture encoded by libvpx (through libavcodec). */
#ifndef SAMVAER_TESTS_PEER_VIDEO_H
#define SAMVAER_TESTS_PEER_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   An encoder makes one VP8 frame per call: a bright square sliding over a gradient, so every frame differs
 *   from the last, at PEER_VIDEO_W x PEER_VIDEO_H with a keyframe every PEER_VIDEO_GOP frames (or when asked).
 * Thread rules: an encoder belongs to its peer's thread.
 */

#define PEER_VIDEO_W 320
#define PEER_VIDEO_H 240
#define PEER_VIDEO_FPS 15
#define PEER_VIDEO_GOP 30

struct peer_video_enc;

struct peer_video_enc *peer_video_enc_new(void);
void peer_video_enc_free(struct peer_video_enc *e);
/* Ask for a keyframe next (a PLI arrived). */
void peer_video_enc_key(struct peer_video_enc *e);
/* The next frame: *data valid until the next call. Returns its length, or -1. */
int peer_video_enc_frame(struct peer_video_enc *e, const uint8_t **data, bool *key);

#endif
