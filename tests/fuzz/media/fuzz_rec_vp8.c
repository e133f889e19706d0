/* fuzz_rec_vp8.c: the recorder's VP8 payload descriptor parser and frame assembler on arbitrary packet sequences.
 * Input: records of [2-byte seq][1-byte flags (bit 0 marker, bit 1 new timestamp)][1-byte length][payload]. */
#include "media/rec_vp8.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_vp8 a;
	struct rec_vp8_desc d;
	uint32_t ts = 1000;
	rec_vp8_init(&a);
	rec_vp8_parse(&d, data, size);
	while (size >= 4) {
		uint16_t seq = (uint16_t)(data[0] << 8 | data[1]);
		uint8_t flags = data[2];
		size_t len = data[3];
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		if (flags & 2)
			ts += 3000;
		struct rec_vp8_frame f;
		if (rec_vp8_push(&a, seq, ts, flags & 1, data, len, &f) == REC_VP8_OK) {
			volatile uint8_t sink = 0;
			for (size_t i = 0; i < f.len; i++)
				sink ^= f.data[i];
			(void)sink;
			if (f.keyframe && (!f.width || !f.height))
				__builtin_trap();
		}
		data += len;
		size -= len;
	}
	rec_vp8_free(&a);
	return 0;
}
