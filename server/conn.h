/* conn.h: the small connection interface sessions see, so nothing but ws_server.c needs libwebsockets. */
#ifndef SAMVAER_CONN_H
#define SAMVAER_CONN_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADROOM 16 /* bytes kept free before the payload for the WebSocket header (LWS_PRE) */

/* An outbound text message, shared by reference between the connections it is queued on. */
struct frame {
	uint32_t refs; /* owners: creator + every connection queue holding it */
	uint32_t len;  /* payload bytes */
	unsigned char buf[]; /* FRAME_HEADROOM bytes, then the payload */
};

/* Copy data into a new frame with one reference; NULL when out of memory. */
struct frame *frame_new(const char *data, size_t len);
/* Take ownership of a malloc'd string (freed here) and return it as a frame; NULL on NULL input. */
struct frame *frame_from_string(char *s, size_t len);
void frame_ref(struct frame *f);
void frame_unref(struct frame *f);
static inline unsigned char *frame_payload(struct frame *f)
{
	return f->buf + FRAME_HEADROOM;
}

struct conn;
struct conn_ops {
	void (*send)(struct conn *c, struct frame *f);               /* queue a frame (takes a reference) */
	void (*close)(struct conn *c, int code, const char *reason); /* WebSocket close with code */
};

/* Embedded at the start of every transport's connection. */
struct conn {
	const struct conn_ops *ops; /* transport functions */
	uint64_t id;                /* unique per process, never reused */
	char peer[48];              /* client address, for rate limits and logs */
};

static inline void conn_send(struct conn *c, struct frame *f)
{
	c->ops->send(c, f);
}
static inline void conn_close(struct conn *c, int code, const char *reason)
{
	c->ops->close(c, code, reason);
}

#endif
