/* ogg_walk.h: what the media tests that read back an Ogg file share — the file's pages and the first stream's
 * packets handed to callbacks in order, through libogg. Header-only: each test binary includes it once. */
#ifndef SAMVAER_TEST_OGG_WALK_H
#define SAMVAER_TEST_OGG_WALK_H

#include <ogg/ogg.h>
#include <stdio.h>

struct ogg_walk_cb {
	void (*page)(void *ctx, ogg_page *pg);                /* every page of the first stream, or NULL */
	void (*packet)(void *ctx, ogg_packet *op, int index); /* every packet, index counting from 0 */
};

/* Reads PATH to its end; returns the number of packets, or -1 when the file cannot be opened. */
static inline int ogg_walk(const char *path, const struct ogg_walk_cb *cb, void *ctx)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_page pg;
	ogg_packet op;
	int stream = 0, packets = 0;
	ogg_sync_init(&oy);
	for (;;) {
		char *buf = ogg_sync_buffer(&oy, 4096);
		size_t got = fread(buf, 1, 4096, f);
		ogg_sync_wrote(&oy, (long)got);
		while (ogg_sync_pageout(&oy, &pg) == 1) {
			if (!stream++)
				ogg_stream_init(&os, ogg_page_serialno(&pg));
			if (ogg_stream_pagein(&os, &pg) != 0)
				continue; /* another stream's page */
			if (cb->page)
				cb->page(ctx, &pg);
			while (ogg_stream_packetout(&os, &op) == 1) {
				if (cb->packet)
					cb->packet(ctx, &op, packets);
				packets++;
			}
		}
		if (!got)
			break;
	}
	fclose(f);
	if (stream)
		ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
	return packets;
}

#endif
