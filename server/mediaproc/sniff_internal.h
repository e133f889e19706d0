/* sniff_internal.h: what sniff.c and the container walks (sniff_walk.c, sniff_av.c) share: a buffered reader over
 * the source and the walk functions. */
#ifndef SAMVAER_MEDIAPROC_SNIFF_INTERNAL_H
#define SAMVAER_MEDIAPROC_SNIFF_INTERNAL_H

#include <stdint.h>

#include "server/mediaproc/sniff.h"

#define SNIFF_BUF (128 * 1024) /* at least a ZIP end record with its longest comment (65557) */

struct sniff_rd {
	const struct mediaproc_source *src;
	uint64_t size; /* of the file */
	uint64_t base; /* buf holds bytes [base, base + len) */
	size_t len;
	int read_failed; /* the source returned an error */
	uint8_t buf[SNIFF_BUF];
};

/* Bytes [off, off + n) (n <= SNIFF_BUF), or NULL past the end of the file or on a read error. */
const uint8_t *sniff__at(struct sniff_rd *r, uint64_t off, size_t n);

static inline uint32_t sniff__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t sniff__le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Each walk starts at offset 0 (its magic already matched), sets *end to where the container ends, and returns
 * MEDIAPROC_OK or a MEDIAPROC_ERR_* with out->detail filled. */
int sniff__jpeg(struct sniff_rd *r, uint64_t *end, struct sniff_result *out);
int sniff__png(struct sniff_rd *r, uint64_t *end, struct sniff_result *out);
int sniff__webp(struct sniff_rd *r, uint64_t *end, struct sniff_result *out);
/* ISO-BMFF from off: the boxes must cover [off, size) exactly; sets out->type from the ftyp brands. */
int sniff__isobmff(struct sniff_rd *r, uint64_t off, struct sniff_result *out);
int sniff__ebml(struct sniff_rd *r, uint64_t *end, struct sniff_result *out);
int sniff__ogg(struct sniff_rd *r, uint64_t *end, struct sniff_result *out);

/* Refusal with a detail line: returns code. */
int sniff__fail(struct sniff_result *out, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
