/* srtp.c (bench-srtp): SRTP protect/unprotect packets per CPU-second (GCM and AES-CM, 1,200 and 100 bytes) and RTP parse+rewrite ns/packet; SAMVAER_SRTP_GCM=libsrtp2 measures libsrtp2's own (NSS) GCM instead of media/srtp_aead. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime when built outside CMake */
#endif
#include "media/rtp.h"
#include "media/srtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1024

static double seconds = 0.5; /* per case; argv[1] overrides */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: robust on a shared machine */
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t make_packet(uint8_t *b, uint16_t seq, size_t total)
{
	static const uint8_t hdr[12] = {0x80, 0x6f, 0, 0, 0, 0, 0x03, 0xc0, 0x6b, 0x8b, 0x45, 0x67};
	memcpy(b, hdr, 12);
	rtp_set_seq(b, seq);
	for (size_t i = 12; i < total; i++)
		b[i] = (uint8_t)(i * 31);
	return total;
}

static void pair(enum srtp_session_profile prof, struct srtp_session *out, struct srtp_session *in)
{
	uint8_t km[64];
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 13 + 1);
	size_t kl = srtp_session_km_len(prof);
	if (srtp_session_create(out, prof, km, kl, SRTP_SESSION_DTLS_SERVER, SRTP_SESSION_OUTBOUND) ||
	    srtp_session_create(in, prof, km, kl, SRTP_SESSION_DTLS_CLIENT, SRTP_SESSION_INBOUND)) {
		fprintf(stderr, "bench-srtp: session create failed\n");
		exit(1);
	}
}

/* Protect in place, one packet buffer, fresh sequence number each time. */
static double bench_protect(enum srtp_session_profile prof, size_t size)
{
	struct srtp_session out, in;
	pair(prof, &out, &in);
	uint8_t b[1500];
	memset(b, 0x5a, sizeof(b));
	uint16_t seq = 0;
	long n = 0;
	double t0 = now(), t1;
	do {
		for (int i = 0; i < BATCH; i++) {
			size_t len = make_packet(b, seq++, 12) + size - 12;
			if (srtp_session_protect_rtp(&out, b, &len, sizeof(b)) != SRTP_SESSION_OK)
				exit(1);
		}
		n += BATCH;
	} while ((t1 = now()) - t0 < seconds);
	srtp_session_destroy(&out);
	srtp_session_destroy(&in);
	return (double)n / (t1 - t0);
}

/* Unprotect: protect a batch (untimed), then time unprotecting it. */
static double bench_unprotect(enum srtp_session_profile prof, size_t size)
{
	struct srtp_session out, in;
	pair(prof, &out, &in);
	static uint8_t b[BATCH][1500];
	static size_t lens[BATCH];
	uint16_t seq = 0;
	long n = 0;
	double spent = 0;
	while (spent < seconds) {
		for (int i = 0; i < BATCH; i++) {
			lens[i] = make_packet(b[i], seq++, size);
			if (srtp_session_protect_rtp(&out, b[i], &lens[i], sizeof(b[i])) != SRTP_SESSION_OK)
				exit(1);
		}
		double t0 = now();
		for (int i = 0; i < BATCH; i++)
			if (srtp_session_unprotect_rtp(&in, b[i], &lens[i]) != SRTP_SESSION_OK)
				exit(1);
		spent += now() - t0;
		n += BATCH;
	}
	srtp_session_destroy(&out);
	srtp_session_destroy(&in);
	return (double)n / spent;
}

/* Parse a Chrome-like video packet (3 one-byte extensions), rewrite SSRC, seq, ts and abs-send-time. */
static double bench_rtp_rewrite(void)
{
	static const uint8_t pkt0[] = {
	    0x90, 0xe0, 0x1a, 0x2b, 0x5e, 0x3c, 0x7d, 0x00, 0x6b, 0x8b, 0x45, 0x67, /* V=2 X M PT96 seq ts ssrc */
	    0xbe, 0xde, 0x00, 0x03,                                                 /* one-byte ext, 3 words */
	    0x22, 0xa1, 0xb2, 0xc3,                                                 /* id 2 abs-send-time */
	    0x41, 0x30, 0x31,                                                       /* id 4 mid "01" */
	    0x51, 0x01, 0x02, 0x00, 0x00,                                           /* id 5 twcc, padding */
	};
	uint8_t b[1200];
	memset(b, 0xab, sizeof(b));
	memcpy(b, pkt0, sizeof(pkt0));
	struct rtp_header h;
	uint8_t ast[3] = {1, 2, 3};
	long n = 0;
	unsigned sink = 0;
	double t0 = now(), t1;
	do {
		for (int i = 0; i < BATCH; i++) {
			if (rtp_header_parse(&h, b, sizeof(b)) != RTP_OK)
				exit(1);
			rtp_set_ssrc(b, h.ssrc + 1);
			rtp_set_seq(b, (uint16_t)(h.seq + 1));
			rtp_set_ts(b, h.ts + 3000);
			ast[2] = (uint8_t)i;
			sink += (unsigned)rtp_header_ext_rewrite(&h, b, 2, ast, 3);
		}
		n += BATCH;
	} while ((t1 = now()) - t0 < seconds);
	if (sink)
		exit(1);
	return (t1 - t0) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		seconds = atof(argv[1]);
	if (srtp_session_lib_init() != SRTP_SESSION_OK)
		return 1;
	static const struct {
		enum srtp_session_profile p;
		const char *name;
	} prof[] = {
	    {SRTP_SESSION_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"},
	    {SRTP_SESSION_AES128_CM_SHA1_80, "AES128_CM_HMAC_SHA1_80"},
	};
	static const size_t sizes[] = {1200, 100};
	printf("%-24s %6s %14s %10s %14s %10s\n", "profile", "bytes", "protect pkt/s", "us/pkt", "unprotect pkt/s",
	       "us/pkt");
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < 2; j++) {
			double p = bench_protect(prof[i].p, sizes[j]);
			double u = bench_unprotect(prof[i].p, sizes[j]);
			printf("%-24s %6zu %14.0f %10.2f %14.0f %10.2f\n", prof[i].name, sizes[j], p, 1e6 / p, u,
			       1e6 / u);
		}
	}
	printf("RTP parse + rewrite (ssrc, seq, ts, abs-send-time) on 1200 B: %.1f ns/packet\n", bench_rtp_rewrite());
	return 0;
}
