/* conn.h: the small connection interface sessions see, so nothing but ws_server.c needs libwebsockets. */
#ifndef SAMVAER_CONN_H
#define SAMVAER_CONN_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADROOM 16 /* bytes kept free before the payload for the WebSocket header (LWS_PRE) */

/* An outbound text message, shared by reference between the connections it is queued on. Server frames are
 * never masked, so the WebSocket header is the same for every recipient: it is written once, right before the
 * payload, and a transport can send header + payload as they are (frame_wire). */
struct frame {
	uint32_t refs;       /* owners: creator + every connection queue holding it */
	uint32_t len;        /* payload bytes */
	uint8_t hdr;         /* WebSocket header bytes, ending where the payload starts */
	uint8_t pooled;      /* small frame: goes back to frame.c's free list, not to free() */
	struct frame *next;  /* free list link */
	unsigned char buf[]; /* FRAME_HEADROOM bytes (the header at their end), then the payload */
};

/* Copy data into a new frame with one reference; NULL when out of memory. */
struct frame *frame_new(const char *data, size_t len);
/* Frames whose payload fits this many bytes come from a free list (acks and message events: no malloc). */
#define FRAME_SMALL 512
/* A frame with room for `len` payload bytes, to be filled in place, then sealed with frame_seal(f, used). */
struct frame *frame_alloc(size_t len);
/* Set the payload length (<= the allocated room) and write the WebSocket header for it. */
void frame_seal(struct frame *f, size_t len);
/* Take ownership of a malloc'd string (freed here) and return it as a frame; NULL on NULL input. */
struct frame *frame_from_string(char *s, size_t len);
void frame_ref(struct frame *f);
/* Release the free list of small frames (at exit). */
void frame_pool_free(void);
void frame_unref(struct frame *f);
static inline unsigned char *frame_payload(struct frame *f)
{
	return f->buf + FRAME_HEADROOM;
}
/* The whole WebSocket text frame (FIN, opcode 1, unmasked): header then payload, frame_wire_len bytes. */
static inline const unsigned char *frame_wire(const struct frame *f)
{
	return f->buf + FRAME_HEADROOM - f->hdr;
}
static inline size_t frame_wire_len(const struct frame *f)
{
	return (size_t)f->hdr + f->len;
}

struct conn;
struct conn_ops {
	void (*send)(struct conn *c, struct frame *f);               /* queue a frame (takes a reference) */
	void (*close)(struct conn *c, int code, const char *reason); /* WebSocket close with code */
	void (*pause)(struct conn *c, int64_t ms); /* read nothing more from it for ms (may be NULL) */
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
/* Stop reading from the client for ms (its requests wait in the kernel, and its sends block): a flood costs
 * the server nothing while it is refused. */
static inline void conn_pause(struct conn *c, int64_t ms)
{
	if (c->ops->pause)
		c->ops->pause(c, ms);
}

#endif
