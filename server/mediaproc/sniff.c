/* sniff.c: type from content — the magic at offset 0 picks a container walk (sniff_walk.c, sniff_av.c), then the
 * whole file is searched for another format's signature (polyglots). */
#include "server/mediaproc/sniff_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_SCAN 1024 /* PDF readers and browsers' sniffers look at the first KiB */
#define TAIL_ZIP (65535 + 22)

const uint8_t *sniff__at(struct sniff_rd *r, uint64_t off, size_t n)
{
	if (n > SNIFF_BUF || off > r->size || n > r->size - off || r->read_failed)
		return NULL;
	if (off >= r->base && off + n <= r->base + r->len)
		return r->buf + (off - r->base);
	size_t want = r->size - off < SNIFF_BUF ? (size_t)(r->size - off) : SNIFF_BUF;
	size_t got = 0;
	while (got < want) {
		ssize_t k = r->src->pread(r->src->ctx, r->buf + got, want - got, off + got);
		if (k <= 0) {
			r->read_failed = 1;
			r->len = 0;
			return NULL;
		}
		got += (size_t)k;
	}
	r->base = off;
	r->len = got;
	return r->buf;
}

int sniff__fail(struct sniff_result *out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
	return code;
}

const char *sniff_type_mime(enum sniff_type t)
{
	switch (t) {
	case SNIFF_JPEG: return "image/jpeg";
	case SNIFF_PNG: return "image/png";
	case SNIFF_WEBP: return "image/webp";
	case SNIFF_HEIC: return "image/heic";
	case SNIFF_MP4: return "video/mp4";
	case SNIFF_MOV: return "video/quicktime";
	case SNIFF_WEBM: return "video/webm";
	case SNIFF_OGG_OPUS: return "audio/ogg";
	case SNIFF_UNKNOWN: break;
	}
	return "";
}

int sniff_type_is_image(enum sniff_type t)
{
	return t == SNIFF_JPEG || t == SNIFF_PNG || t == SNIFF_WEBP || t == SNIFF_HEIC;
}

/* Case-insensitive search for needle (lower-case) in [p, p + n). */
static int has_ci(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++) {
		const uint8_t *q = memchr(p + i, needle[0], n - i - k + 1);
		if (!q)
			return 0;
		i = (size_t)(q - p);
		size_t j = 1;
		while (j < k &&
		       (p[i + j] | (uint8_t)(needle[j] >= 'a' && needle[j] <= 'z' ? 0x20 : 0)) == (uint8_t)needle[j])
			j++;
		if (j == k)
			return 1;
	}
	return 0;
}

static const char *const head_marks[] = {"<html",     "<script", "<svg",  "<body", "<iframe",
					 "<!doctype", "<?xml",   "<?php", "%pdf-"};

/* Markup in the first KiB, "<script" or "<?php " anywhere (chunks overlap so a mark across a boundary is seen). */
static int scan_marks(struct sniff_rd *r, struct sniff_result *out)
{
	size_t head = r->size < HEAD_SCAN ? (size_t)r->size : HEAD_SCAN;
	const uint8_t *p = sniff__at(r, 0, head);
	if (!p)
		return sniff__fail(out, MEDIAPROC_ERR_SOURCE, "read failed");
	for (size_t i = 0; i < sizeof head_marks / sizeof head_marks[0]; i++)
		if (has_ci(p, head, head_marks[i]))
			return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "%s in the first KiB", head_marks[i]);
	const size_t overlap = 16;
	for (uint64_t off = 0; off < r->size; off += SNIFF_BUF - overlap) {
		size_t n = r->size - off < SNIFF_BUF ? (size_t)(r->size - off) : SNIFF_BUF;
		if (!(p = sniff__at(r, off, n)))
			return sniff__fail(out, MEDIAPROC_ERR_SOURCE, "read failed");
		if (has_ci(p, n, "<script") || has_ci(p, n, "<?php ") || has_ci(p, n, "<?php\n"))
			return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "script in the file near %llu",
					   (unsigned long long)off);
		if (n < SNIFF_BUF)
			break;
	}
	return MEDIAPROC_OK;
}

/* A ZIP end-of-central-directory record whose comment ends the file, or a PDF %%EOF in the last KiB. */
static int scan_tail(struct sniff_rd *r, struct sniff_result *out)
{
	size_t n = r->size < TAIL_ZIP ? (size_t)r->size : TAIL_ZIP;
	uint64_t base = r->size - n;
	const uint8_t *p = sniff__at(r, base, n);
	if (!p)
		return sniff__fail(out, MEDIAPROC_ERR_SOURCE, "read failed");
	for (size_t i = 0; i + 22 <= n; i++) {
		if (p[i] != 'P' || memcmp(p + i, "PK\x05\x06", 4) != 0)
			continue;
		size_t comment = (size_t)p[i + 20] | (size_t)p[i + 21] << 8;
		if (i + 22 + comment == n)
			return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "a ZIP archive ends the file");
	}
	size_t t = n < HEAD_SCAN ? n : HEAD_SCAN;
	if (has_ci(p + n - t, t, "%%eof"))
		return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "a PDF end mark in the last KiB");
	return MEDIAPROC_OK;
}

static int walk(struct sniff_rd *r, struct sniff_result *out)
{
	const uint8_t *p = sniff__at(r, 0, r->size < 16 ? (size_t)r->size : 16);
	if (!p)
		return sniff__fail(out, MEDIAPROC_ERR_SOURCE, "read failed");
	size_t n = r->size < 16 ? (size_t)r->size : 16;
	uint64_t end = r->size;
	int rc;
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
		out->type = SNIFF_JPEG;
		rc = sniff__jpeg(r, &end, out);
	} else if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) {
		out->type = SNIFF_PNG;
		rc = sniff__png(r, &end, out);
	} else if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4)) {
		out->type = SNIFF_WEBP;
		rc = sniff__webp(r, &end, out);
	} else if (n >= 8 && !memcmp(p + 4, "ftyp", 4)) {
		rc = sniff__isobmff(r, 0, out); /* sets the type from the brands */
	} else if (n >= 4 && !memcmp(p, "\x1a\x45\xdf\xa3", 4)) {
		out->type = SNIFF_WEBM;
		rc = sniff__ebml(r, &end, out);
	} else if (n >= 4 && !memcmp(p, "OggS", 4)) {
		out->type = SNIFF_OGG_OPUS;
		rc = sniff__ogg(r, &end, out);
	} else {
		return sniff__fail(out, MEDIAPROC_ERR_UNSUPPORTED, "no known signature at the start");
	}
	if (rc != MEDIAPROC_OK)
		return rc;
	if (end < r->size)
		return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "%llu bytes after the end of the %s",
				   (unsigned long long)(r->size - end), sniff_type_mime(out->type));
	return MEDIAPROC_OK;
}

int sniff_source(const struct mediaproc_source *src, struct sniff_result *out)
{
	memset(out, 0, sizeof *out);
	out->mime = "";
	if (src->size == 0)
		return sniff__fail(out, MEDIAPROC_ERR_EMPTY, "no bytes");
	struct sniff_rd *r = malloc(sizeof *r);
	if (!r)
		return sniff__fail(out, MEDIAPROC_ERR_INTERNAL, "out of memory");
	r->src = src;
	r->size = src->size;
	r->base = 0;
	r->len = 0;
	r->read_failed = 0;
	int rc = walk(r, out);
	if (rc == MEDIAPROC_OK)
		rc = scan_marks(r, out);
	if (rc == MEDIAPROC_OK)
		rc = scan_tail(r, out);
	if (r->read_failed)
		rc = sniff__fail(out, MEDIAPROC_ERR_SOURCE, "the upload could not be read");
	free(r);
	if (rc != MEDIAPROC_OK)
		out->type = SNIFF_UNKNOWN;
	out->mime = sniff_type_mime(out->type);
	return rc;
}

struct mem_src {
	const uint8_t *data;
	size_t len;
};

static ssize_t mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct mem_src *m = ctx;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->data + off, n);
	return (ssize_t)n;
}

int sniff_buffer(const uint8_t *data, size_t len, struct sniff_result *out)
{
	struct mem_src m = {data, len};
	struct mediaproc_source src = {mem_pread, &m, len};
	return sniff_source(&src, out);
}
