/* frame.c: reference-counted outbound messages, pre-framed for WebSocket (single-threaded: control thread only). */
#include "server/base/conn.h"

#include <stdlib.h>
#include <string.h>

/* RFC 6455 section 5.2: FIN + opcode, then a 7-bit length, or 126 + 16-bit, or 127 + 64-bit (network order). */
static uint8_t header_write(unsigned char *end, size_t len)
{
	unsigned char h[10];
	uint8_t n;
	h[0] = 0x81; /* FIN, text */
	if (len < 126) {
		h[1] = (unsigned char)len;
		n = 2;
	} else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		n = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		n = 10;
	}
	memcpy(end - n, h, n);
	return n;
}

#define POOL_MAX 8192 /* small frames kept for reuse (about 4.5 MB at most) */

static struct frame *pool; /* free small frames */
static unsigned pool_count;

struct frame *frame_alloc(size_t len)
{
	if (len > UINT32_MAX - 1)
		return NULL;
	struct frame *f;
	int small = len <= FRAME_SMALL;
	if (small && pool) {
		f = pool;
		pool = f->next;
		pool_count--;
	} else {
		f = malloc(sizeof(*f) + FRAME_HEADROOM + (small ? FRAME_SMALL : len) + 1);
		if (!f)
			return NULL;
	}
	f->refs = 1;
	f->len = 0;
	f->hdr = 0;
	f->pooled = (uint8_t)small;
	f->next = NULL;
	return f;
}

void frame_seal(struct frame *f, size_t len)
{
	f->len = (uint32_t)len;
	f->buf[FRAME_HEADROOM + len] = 0;
	f->hdr = header_write(f->buf + FRAME_HEADROOM, len);
}

struct frame *frame_new(const char *data, size_t len)
{
	struct frame *f = frame_alloc(len);
	if (!f)
		return NULL;
	memcpy(f->buf + FRAME_HEADROOM, data, len);
	frame_seal(f, len);
	return f;
}

struct frame *frame_from_string(char *s, size_t len)
{
	if (!s)
		return NULL;
	struct frame *f = frame_new(s, len);
	free(s);
	return f;
}

void frame_ref(struct frame *f)
{
	f->refs++;
}

void frame_unref(struct frame *f)
{
	if (!f || --f->refs != 0)
		return;
	if (f->pooled && pool_count < POOL_MAX) {
		f->next = pool;
		pool = f;
		pool_count++;
		return;
	}
	free(f);
}

void frame_pool_free(void)
{
	while (pool) {
		struct frame *f = pool;
		pool = f->next;
		free(f);
	}
	pool_count = 0;
}
