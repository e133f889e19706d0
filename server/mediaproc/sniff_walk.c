/* sniff_walk.c: structure walks of the image containers — JPEG markers (ITU T.81 B.1), PNG chunks, WebP's RIFF
 * chunks, ISO-BMFF boxes (ISO/IEC 14496-12 4.2) with the ftyp brands that tell HEIC, MP4 and QuickTime apart. */
#include "server/mediaproc/sniff_internal.h"

#include <string.h>

#define JPEG_EOI 0xD9
#define JPEG_SOS 0xDA

/* From off (inside entropy-coded data) to the next marker that is not a stuffed 0xFF00 or a restart (RSTn). */
static int jpeg_scan_entropy(struct sniff_rd *r, uint64_t *off, struct sniff_result *out)
{
	uint64_t o = *off;
	while (o + 1 < r->size) {
		size_t n = r->size - o < SNIFF_BUF ? (size_t)(r->size - o) : SNIFF_BUF;
		const uint8_t *p = sniff__at(r, o, n);
		if (!p)
			return sniff__fail(out, MEDIAPROC_ERR_SOURCE, "read failed");
		size_t i = 0;
		while (i + 1 < n) {
			const uint8_t *ff = memchr(p + i, 0xFF, n - 1 - i);
			if (!ff) {
				i = n - 1; /* the last byte is looked at again with the next one */
				break;
			}
			i = (size_t)(ff - p);
			uint8_t m = p[i + 1];
			if (m != 0x00 && m != 0xFF && !(m >= 0xD0 && m <= 0xD7)) {
				*off = o + i;
				return MEDIAPROC_OK;
			}
			i++;
		}
		o += i;
	}
	return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "JPEG image data ends without an end marker");
}

int sniff__jpeg(struct sniff_rd *r, uint64_t *end, struct sniff_result *out)
{
	uint64_t off = 2;
	int frames = 0;
	for (;;) {
		const uint8_t *p = sniff__at(r, off, 2);
		if (!p)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "JPEG ends at %llu inside its markers",
					   (unsigned long long)off);
		if (p[0] != 0xFF)
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "JPEG: no marker at %llu",
					   (unsigned long long)off);
		uint8_t m = p[1];
		if (m == 0xFF) { /* fill byte */
			off++;
			continue;
		}
		if (m == JPEG_EOI)
			break;
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {
			off += 2;
			continue;
		}
		if (!(p = sniff__at(r, off + 2, 2)))
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "JPEG ends in a segment header");
		uint32_t len = (uint32_t)p[0] << 8 | p[1];
		if (len < 2)
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "JPEG: segment length %u", len);
		if (off + 2 + len > r->size)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "JPEG segment 0x%02X runs past the end", m);
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
			frames++;
		off += 2 + len;
		if (m == JPEG_SOS) {
			if (!frames)
				return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "JPEG: scan before any frame header");
			int rc = jpeg_scan_entropy(r, &off, out);
			if (rc != MEDIAPROC_OK)
				return rc;
		}
	}
	if (!frames)
		return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "JPEG without a frame");
	*end = off + 2;
	/* A Motion Photo (Android) appends its video as an MP4 after the picture: walked too, then dropped. */
	if (*end < r->size) {
		const uint8_t *p = sniff__at(r, *end, 8);
		if (p && !memcmp(p + 4, "ftyp", 4)) {
			struct sniff_result tail = {0};
			int rc = sniff__isobmff(r, *end, &tail);
			if (rc != MEDIAPROC_OK)
				return sniff__fail(out, rc, "JPEG's appended video: %s", tail.detail);
			if (tail.type != SNIFF_MP4 && tail.type != SNIFF_MOV)
				return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "JPEG followed by a %s",
						   sniff_type_mime(tail.type));
			*end = r->size;
		}
	}
	return MEDIAPROC_OK;
}

int sniff__png(struct sniff_rd *r, uint64_t *end, struct sniff_result *out)
{
	uint64_t off = 8;
	int first = 1;
	for (;;) {
		const uint8_t *p = sniff__at(r, off, 8);
		if (!p)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "PNG ends at %llu, before IEND",
					   (unsigned long long)off);
		uint32_t len = sniff__be32(p);
		char type[5];
		memcpy(type, p + 4, 4);
		type[4] = 0;
		for (int i = 0; i < 4; i++)
			if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
				return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "PNG: bad chunk type at %llu",
						   (unsigned long long)off);
		if (len > 0x7FFFFFFFu)
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "PNG: chunk length %u", len);
		if (first && strcmp(type, "IHDR") != 0)
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "PNG does not start with IHDR");
		first = 0;
		uint64_t next = off + 12 + len;
		if (next > r->size)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "PNG chunk %s runs past the end", type);
		off = next;
		if (!strcmp(type, "IEND"))
			break;
	}
	*end = off;
	return MEDIAPROC_OK;
}

int sniff__webp(struct sniff_rd *r, uint64_t *end, struct sniff_result *out)
{
	const uint8_t *p = sniff__at(r, 0, 12);
	if (!p)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebP header cut short");
	uint64_t riff_end = 8 + (uint64_t)sniff__le32(p + 4);
	if (riff_end > r->size)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebP is %llu bytes short",
				   (unsigned long long)(riff_end - r->size));
	uint64_t off = 12;
	int chunks = 0;
	while (off < riff_end) {
		if (!(p = sniff__at(r, off, 8)) || off + 8 > riff_end)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebP chunk header cut short");
		uint64_t len = sniff__le32(p + 4);
		if (!chunks && memcmp(p, "VP8 ", 4) && memcmp(p, "VP8L", 4) && memcmp(p, "VP8X", 4))
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "WebP: first chunk is not VP8/VP8L/VP8X");
		off += 8 + len + (len & 1);
		if (off > riff_end + (len & 1))
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebP chunk runs past the end");
		chunks++;
	}
	if (!chunks)
		return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "WebP without chunks");
	*end = riff_end;
	return MEDIAPROC_OK;
}

static int brand_in(const uint8_t *b, const char *const *list)
{
	for (; *list; list++)
		if (!memcmp(b, *list, 4))
			return 1;
	return 0;
}

static const char *const heic_brands[] = {"heic", "heix", "heim", "heis", "mif1", "msf1", NULL};
static const char *const mp4_brands[] = {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41",
					 "mp42", "avc1", "dash", "M4V ", "mmp4", "MSNV", NULL};

/* The type from ftyp: the major brand, then the compatible ones (heic before mif1, which AVIF shares). */
static enum sniff_type ftyp_type(const uint8_t *body, uint64_t len)
{
	if (len < 8)
		return SNIFF_UNKNOWN;
	static const char *const heic_only[] = {"heic", "heix", "heim", "heis", NULL};
	for (uint64_t i = 0; i + 4 <= len; i += (i == 0 ? 8 : 4))
		if (brand_in(body + i, heic_only))
			return SNIFF_HEIC;
	if (!memcmp(body, "qt  ", 4))
		return SNIFF_MOV;
	if (brand_in(body, mp4_brands))
		return SNIFF_MP4;
	if (brand_in(body, heic_brands))
		return SNIFF_UNKNOWN; /* mif1 without a HEVC brand: AVIF or another HEIF family member */
	for (uint64_t i = 8; i + 4 <= len; i += 4)
		if (brand_in(body + i, mp4_brands))
			return SNIFF_MP4;
	return SNIFF_UNKNOWN;
}

int sniff__isobmff(struct sniff_rd *r, uint64_t start, struct sniff_result *out)
{
	uint64_t off = start;
	int moov = 0, meta = 0, mdat = 0;
	out->type = SNIFF_UNKNOWN;
	while (off < r->size) {
		const uint8_t *p = sniff__at(r, off, r->size - off >= 16 ? 16 : 8);
		if (!p)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "box header cut short at %llu",
					   (unsigned long long)off);
		uint64_t size = sniff__be32(p), hdr = 8;
		char type[5];
		memcpy(type, p + 4, 4);
		type[4] = 0;
		if (size == 1) {
			if (r->size - off < 16)
				return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "large box header cut short");
			size = (uint64_t)sniff__be32(p + 8) << 32 | sniff__be32(p + 12);
			hdr = 16;
		} else if (size == 0) {
			size = r->size - off; /* the last box runs to the end */
		}
		if (size < hdr)
			return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "box %.4s of size %llu", type,
					   (unsigned long long)size);
		if (size > r->size - off)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "box %.4s runs %llu bytes past the end", type,
					   (unsigned long long)(size - (r->size - off)));
		if (off == start) {
			if (strcmp(type, "ftyp") != 0 || size > 4096)
				return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "ISO-BMFF without ftyp first");
			const uint8_t *body = sniff__at(r, off + hdr, (size_t)(size - hdr));
			if (!body)
				return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "ftyp cut short");
			out->type = ftyp_type(body, size - hdr);
			if (out->type == SNIFF_UNKNOWN)
				return sniff__fail(out, MEDIAPROC_ERR_UNSUPPORTED, "ISO-BMFF brand %.4s", body);
		}
		moov |= !strcmp(type, "moov");
		meta |= !strcmp(type, "meta");
		mdat |= !strcmp(type, "mdat") || !strcmp(type, "moof");
		off += size;
	}
	if (out->type == SNIFF_HEIC && !meta)
		return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "HEIC without a meta box");
	if (out->type != SNIFF_HEIC && (!moov || !mdat))
		return sniff__fail(out, moov ? MEDIAPROC_ERR_TRUNCATED : MEDIAPROC_ERR_CORRUPT, "MP4 without %s",
				   moov ? "media data" : "a movie header");
	return MEDIAPROC_OK;
}
