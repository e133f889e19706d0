/* rtp_ext.h: per-receiver translation of RFC 8285 header extensions (ids remapped, MID replaced, others removed). */
#ifndef SAMVAER_MEDIA_RTP_EXT_H
#define SAMVAER_MEDIA_RTP_EXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   Every endpoint negotiates its own extension ids (a=extmap), and in a BUNDLE group the MID extension names
 *   the m-section a packet belongs to (RFC 8843 §9.2). A forwarded packet therefore cannot keep the sender's
 *   extension block: rtp_ext_translate copies a packet and writes a new block in the receiver's ids, with the
 *   receiver's MID, keeping only the extensions the receiver negotiated (abs-send-time, audio level), the
 *   first element of each, and dropping every other element. The output always uses the one-byte form (RFC 8285 §4.2): receiver ids are
 *   1..14 (the answer never negotiates others). The input may use the one- or two-byte form; an opaque profile
 *   is dropped whole.
 * Thread rules: pure function over caller memory, no allocation (the media worker's per-packet path).
 */

enum rtp_ext_type { RTP_EXT_MID = 0, RTP_EXT_ABS_SEND_TIME, RTP_EXT_AUDIO_LEVEL, RTP_EXT_TYPES };

#define RTP_EXT_MID_MAX 16 /* MID value bytes (one-byte form holds at most 16) */

struct rtp_extmap {
	uint8_t id[RTP_EXT_TYPES]; /* negotiated id per extension, 0: not negotiated */
};

/* Copy the RTP packet in (len bytes) to out (cap bytes), replacing its header extension as above; the MID
 * element (mid, mid_len bytes, 1..16) is written into every packet when to->id[RTP_EXT_MID] is set.
 * Returns the new length and sets *payload_off (where the payload starts in out), or a negative RTP_ERR_*
 * (media/rtp.h) for a malformed packet or too small a buffer. */
int rtp_ext_translate(uint8_t *out, size_t cap, const uint8_t *in, size_t len, const struct rtp_extmap *from,
		      const struct rtp_extmap *to, const uint8_t *mid, size_t mid_len, size_t *payload_off);

#endif
