/* frame.c: reference-counted outbound messages (single-threaded: control thread only). */
#include "server/conn.h"

#include <stdlib.h>
#include <string.h>

struct frame *frame_new(const char *data, size_t len)
{
	struct frame *f = malloc(sizeof(*f) + FRAME_HEADROOM + len + 1);
	if (!f)
		return NULL;
	f->refs = 1;
	f->len = (uint32_t)len;
	memcpy(f->buf + FRAME_HEADROOM, data, len);
	f->buf[FRAME_HEADROOM + len] = 0;
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
	if (f && --f->refs == 0)
		free(f);
}
