/* tus_headers.h: the request headers of tus 1.0 (https://tus.io/protocols/resumable-upload) and the HTTP Range header
 * of /media, parsed strictly: what does not match the grammar is refused, never guessed at. */
#ifndef SAMVAER_TUS_HEADERS_H
#define SAMVAER_TUS_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination,expiration"
#define TUS_ID_LEN 22            /* base64url of 128 bits, no padding */
#define TUS_FILENAME_MAX 255     /* bytes of the informational filename kept */
#define TUS_METADATA_MAX 4096    /* bytes of an Upload-Metadata header accepted */
#define TUS_OFFSET_MAX INT64_MAX /* Upload-Length and Upload-Offset fit an int64 */

enum tus_header_err {
	TUS_HDR_OK = 0,
	TUS_HDR_MISSING = -1, /* the header is absent or empty */
	TUS_HDR_INVALID = -2, /* not as the grammar says */
	TUS_HDR_UNKNOWN = -3, /* a metadata key this server does not know (ignored by the parser, reported) */
};

/* Upload-Length / Upload-Offset / Content-Length: 1*DIGIT, no sign, no spaces, at most TUS_OFFSET_MAX. */
int tus_parse_u64(const char *s, uint64_t *out);

/* Tus-Resumable: exactly "1.0.0". */
int tus_version_ok(const char *s);

/* The Upload-Metadata members this server reads (section "Upload-Metadata": comma-separated "key base64value" pairs,
 * keys unique, value optional). Unknown keys are skipped; a key twice, a key with a space or comma, a value that is
 * not base64, or a number that is not one is TUS_HDR_INVALID. */
struct tus_metadata {
	char kind[24];                       /* "photo", "video_clip", "voice_note", "profile_photo"; "" = absent */
	int64_t agreement_id;                /* 0 = absent */
	int64_t account_id;                  /* 0 = absent */
	char filename[TUS_FILENAME_MAX + 1]; /* informational; bytes outside printable ASCII replaced by '_' */
};
int tus_parse_metadata(const char *s, size_t len, struct tus_metadata *out);

/* Standard base64 (RFC 4648 section 4, '=' padding required when the length is not a multiple of 4) into out
 * (cap bytes): the decoded length, or -1. */
int tus_base64_decode(const char *s, size_t len, unsigned char *out, size_t cap);

/* An upload id in a URL: exactly TUS_ID_LEN characters of [A-Za-z0-9_-]. */
int tus_id_valid(const char *s, size_t len);

/* Range (RFC 9110 section 14.1.2) against a representation of `size` bytes, one range only:
 * "bytes=a-b", "bytes=a-", "bytes=-n". 1 with [*first, *last] inclusive, 0 when the header asks for something this
 * server answers with the whole body (absent, several ranges, another unit), -1 when unsatisfiable (416). */
int http_range_parse(const char *s, uint64_t size, uint64_t *first, uint64_t *last);

#endif
