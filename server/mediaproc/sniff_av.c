/* sniff_av.c: structure walks of the audio/video containers — WebM's EBML elements (RFC 8794, RFC 9559; the
 * unknown-size Segment and Clusters MediaRecorder writes included) and Ogg pages (RFC 3533 section 6). */
#include "server/mediaproc/sniff_internal.h"

#include <string.h>

#define EBML_HEADER 0x1A45DFA3u
#define EBML_DOCTYPE 0x4282u
#define MKV_SEGMENT 0x18538067u
#define MKV_CLUSTER 0x1F43B675u
#define MKV_ATTACHMENTS 0x1941A469u
#define UNKNOWN_SIZE UINT64_MAX

struct el {
	uint32_t id;
	uint64_t size; /* UNKNOWN_SIZE: runs until an element that cannot be its child */
	uint64_t data; /* offset of the payload */
};

/* One element header at off (RFC 8794 section 4: variable-size integers). 0, or -1 if cut short or invalid. */
static int el_read(struct sniff_rd *r, uint64_t off, struct el *e)
{
	size_t avail = r->size - off < 12 ? (size_t)(r->size - off) : 12;
	const uint8_t *p = sniff__at(r, off, avail);
	if (!p || avail == 0 || p[0] == 0 || p[0] < 0x10)
		return -1; /* IDs are 1-4 bytes */
	size_t idlen = p[0] >= 0x80 ? 1 : p[0] >= 0x40 ? 2 : p[0] >= 0x20 ? 3 : 4;
	if (avail < idlen + 1)
		return -1;
	e->id = 0;
	for (size_t i = 0; i < idlen; i++)
		e->id = e->id << 8 | p[i];
	uint8_t b = p[idlen];
	if (b == 0)
		return -1;
	size_t slen = 1;
	while (!(b & (0x80 >> (slen - 1))))
		slen++;
	if (avail < idlen + slen)
		return -1;
	uint64_t v = b & (0xFF >> slen), all = 0xFF >> slen;
	for (size_t i = 1; i < slen; i++) {
		v = v << 8 | p[idlen + i];
		all = all << 8 | 0xFF;
	}
	e->size = v == all ? UNKNOWN_SIZE : v;
	e->data = off + idlen + slen;
	return 0;
}

static int is_cluster_child(uint32_t id)
{
	switch (id) {
	case 0xE7:   /* Timestamp */
	case 0xA7:   /* Position */
	case 0xAB:   /* PrevSize */
	case 0xA3:   /* SimpleBlock */
	case 0xA0:   /* BlockGroup */
	case 0xAF:   /* EncryptedBlock */
	case 0x5854: /* SilentTracks */
	case 0xEC:   /* Void */
	case 0xBF: /* CRC-32 */ return 1;
	}
	return 0;
}

/* The children of an unknown-size Cluster at off; *next = the first byte that is not one of them. */
static int cluster_walk(struct sniff_rd *r, uint64_t off, uint64_t limit, uint64_t *next, struct sniff_result *out)
{
	struct el e;
	while (off < limit) {
		if (el_read(r, off, &e) != 0)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM block header cut short at %llu",
					   (unsigned long long)off);
		if (!is_cluster_child(e.id))
			break;
		if (e.size == UNKNOWN_SIZE || e.size > limit - e.data)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM block runs past the end");
		off = e.data + e.size;
	}
	*next = off;
	return MEDIAPROC_OK;
}

static int ebml_doctype_webm(struct sniff_rd *r, const struct el *h)
{
	uint64_t off = h->data, end = h->data + h->size;
	struct el e;
	while (off < end) {
		if (el_read(r, off, &e) != 0 || e.size == UNKNOWN_SIZE || e.size > end - e.data)
			return -1;
		if (e.id == EBML_DOCTYPE) {
			const uint8_t *p = e.size == 4 ? sniff__at(r, e.data, 4) : NULL;
			return p && !memcmp(p, "webm", 4) ? 1 : 0;
		}
		off = e.data + e.size;
	}
	return 0;
}

int sniff__ebml(struct sniff_rd *r, uint64_t *end, struct sniff_result *out)
{
	struct el h, seg, e;
	if (el_read(r, 0, &h) != 0 || h.id != EBML_HEADER || h.size == UNKNOWN_SIZE || h.size > 256 ||
	    h.size > r->size - h.data)
		return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "EBML header unreadable");
	int webm = ebml_doctype_webm(r, &h);
	if (webm < 0)
		return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "EBML header fields unreadable");
	if (!webm)
		return sniff__fail(out, MEDIAPROC_ERR_UNSUPPORTED, "Matroska that is not WebM");
	uint64_t off = h.data + h.size;
	if (el_read(r, off, &seg) != 0 || seg.id != MKV_SEGMENT)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM without a segment");
	uint64_t seg_end = seg.size == UNKNOWN_SIZE ? r->size : seg.data + seg.size;
	if (seg_end > r->size)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM segment is %llu bytes short",
				   (unsigned long long)(seg_end - r->size));
	int clusters = 0;
	for (off = seg.data; off < seg_end;) {
		if (el_read(r, off, &e) != 0)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM element header cut short at %llu",
					   (unsigned long long)off);
		if (e.id == MKV_ATTACHMENTS)
			return sniff__fail(out, MEDIAPROC_ERR_POLYGLOT, "WebM carries attached files");
		clusters += e.id == MKV_CLUSTER;
		if (e.size == UNKNOWN_SIZE) {
			if (e.id != MKV_CLUSTER)
				return sniff__fail(out, MEDIAPROC_ERR_CORRUPT, "WebM element 0x%X of unknown size",
						   e.id);
			int rc = cluster_walk(r, e.data, seg_end, &off, out);
			if (rc != MEDIAPROC_OK)
				return rc;
			continue;
		}
		if (e.size > seg_end - e.data)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM element 0x%X runs past the end", e.id);
		off = e.data + e.size;
	}
	if (!clusters)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "WebM without any media");
	*end = seg_end;
	return MEDIAPROC_OK;
}

/* Ogg: pages back to back from 0 to the end; the first page's packet says the codec. */
int sniff__ogg(struct sniff_rd *r, uint64_t *end, struct sniff_result *out)
{
	uint64_t off = 0;
	unsigned pages = 0;
	while (off < r->size) {
		const uint8_t *p = sniff__at(r, off, 27);
		if (!p)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "Ogg page header cut short at %llu",
					   (unsigned long long)off);
		if (memcmp(p, "OggS", 4) != 0 || p[4] != 0)
			return sniff__fail(out, pages ? MEDIAPROC_ERR_POLYGLOT : MEDIAPROC_ERR_CORRUPT,
					   "not an Ogg page at %llu", (unsigned long long)off);
		unsigned nseg = p[26];
		const uint8_t *lace = sniff__at(r, off + 27, nseg);
		if (!lace)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "Ogg segment table cut short");
		uint64_t body = 0;
		for (unsigned i = 0; i < nseg; i++)
			body += lace[i];
		uint64_t start = off + 27 + nseg;
		if (body > r->size - start)
			return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "Ogg page runs %llu bytes past the end",
					   (unsigned long long)(body - (r->size - start)));
		if (pages == 0) {
			const uint8_t *b = body >= 8 ? sniff__at(r, start, 8) : NULL;
			if (!b || memcmp(b, "OpusHead", 8) != 0)
				return sniff__fail(out, MEDIAPROC_ERR_UNSUPPORTED, "Ogg that is not Opus");
		}
		off = start + body;
		pages++;
	}
	if (pages < 3)
		return sniff__fail(out, MEDIAPROC_ERR_TRUNCATED, "Ogg Opus without audio pages");
	*end = off;
	return MEDIAPROC_OK;
}
