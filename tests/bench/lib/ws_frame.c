/* ws_frame.c: client frames written and server frames read (RFC 6455 section 5.2). */
#include "ws_frame.h"

#include <string.h>

size_t ws_frame_size(size_t len)
{
	return (len < 126 ? 6 : len < 65536 ? 8 : 14) + len;
}

size_t ws_frame_write(unsigned char *out, int opcode, const void *payload, size_t len, uint32_t mask)
{
	size_t hl = ws_frame_size(len) - len;
	unsigned char m[4];
	out[0] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		out[1] = (unsigned char)(0x80 | len);
	} else if (len < 65536) {
		out[1] = 0x80 | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
	} else {
		out[1] = 0x80 | 127;
		for (int k = 0; k < 8; k++)
			out[2 + k] = (unsigned char)((uint64_t)len >> (56 - 8 * k));
	}
	memcpy(m, &mask, 4);
	memcpy(out + hl - 4, m, 4);
	for (size_t k = 0; k < len; k++)
		out[hl + k] = ((const unsigned char *)payload)[k] ^ m[k & 3];
	return hl + len;
}

long ws_frame_read(const unsigned char *buf, size_t len, size_t max, struct ws_frame *f)
{
	if (len < 2)
		return 0;
	uint64_t plen = buf[1] & 0x7f;
	size_t hl = plen == 126 ? 4 : plen == 127 ? 10 : 2;
	if (buf[1] & 0x80)
		return -1;
	if (len < hl)
		return 0;
	if (plen == 126)
		plen = (uint64_t)buf[2] << 8 | buf[3];
	else if (plen == 127)
		for (int k = (int)(plen = 0); k < 8; k++)
			plen = plen << 8 | buf[2 + k];
	if (plen > max)
		return -1;
	if (len - hl < plen)
		return 0;
	f->fin = buf[0] >> 7;
	f->opcode = buf[0] & 0x0f;
	f->payload = buf + hl;
	f->len = (size_t)plen;
	return (long)(hl + plen);
}
