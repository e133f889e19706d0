/* ws_frame.h: the WebSocket framing (RFC 6455 section 5.2) the bench's clients share: masked frames written, the
 * server's frames read, with no sockets involved. */
#ifndef SAMVAER_BENCH_WS_FRAME_H
#define SAMVAER_BENCH_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes. */
enum { WS_OP_CONT = 0, WS_OP_TEXT = 1, WS_OP_CLOSE = 8, WS_OP_PING = 9, WS_OP_PONG = 10 };

/* Bytes a client frame with LEN bytes of payload takes. */
size_t ws_frame_size(size_t len);

/* Writes one client frame with FIN set and the payload masked with MASK into OUT, which has ws_frame_size(LEN)
 * bytes; returns that size. */
size_t ws_frame_write(unsigned char *out, int opcode, const void *payload, size_t len, uint32_t mask);

/* A server frame read in place: the payload points into the buffer given to ws_frame_read. */
struct ws_frame {
	int fin;                      /* the last frame of its message */
	int opcode;                   /* WS_OP_* */
	const unsigned char *payload; /* unmasked, as servers send */
	size_t len;                   /* payload bytes */
};

/* Reads the frame at the start of BUF (LEN bytes): returns the bytes it takes, with F filled; 0 when BUF holds only
 * part of it; -1 when it is masked or its payload is over MAX bytes (no server sends those). */
long ws_frame_read(const unsigned char *buf, size_t len, size_t max, struct ws_frame *f);

#endif
