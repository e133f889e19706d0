/* test_rec.c: the recording writers — VP8 frames from RTP payloads (descriptor forms, loss, keyframe wait), VP8 into
 * WebM read back and decoded by libavformat/libavcodec, Ogg Opus read back with libogg and decoded with libopus (the
 * tone is the one written), and files cut short by SIGKILL that still play up to their last flush. */
#include "check_media.h"
#include "ogg_walk.h"
#include "media/rec_ogg.h"
#include "media/rec_vp8.h"
#include "media/rec_webm.h"
#include "media/recorder.h"
#include "media/rtp.h"

#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <opus/opus.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define W 160
#define H 120
#define NFRAMES 40 /* 4 s at 10 fps */
#define MTU_PAYLOAD 300

struct frame {
	uint8_t *data;
	int len;
	int key;
};
static struct frame frames[NFRAMES];

/* Real VP8 frames from libvpx through libavcodec: a square moving over a gradient, a keyframe every 10 frames. */
static int encode_vp8(void)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libvpx");
	if (!codec)
		return -1;
	AVCodecContext *c = avcodec_alloc_context3(codec);
	c->width = W;
	c->height = H;
	c->pix_fmt = AV_PIX_FMT_YUV420P;
	c->time_base = (AVRational){1, 10};
	c->gop_size = 10;
	c->bit_rate = 200000;
	av_opt_set(c->priv_data, "deadline", "realtime", 0);
	av_opt_set(c->priv_data, "lag-in-frames", "0", 0);
	if (avcodec_open2(c, codec, NULL) < 0)
		return -1;
	AVFrame *f = av_frame_alloc();
	AVPacket *p = av_packet_alloc();
	f->format = c->pix_fmt;
	f->width = W;
	f->height = H;
	av_frame_get_buffer(f, 0);
	int n = 0;
	for (int i = 0; i <= NFRAMES && n < NFRAMES; i++) {
		AVFrame *in = NULL;
		if (i < NFRAMES) {
			av_frame_make_writable(f);
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					int in_sq = x >= i * 3 && x < i * 3 + 30 && y >= 40 && y < 70;
					f->data[0][y * f->linesize[0] + x] = (uint8_t)(in_sq ? 235 : 16 + x / 2);
				}
			memset(f->data[1], 128, (size_t)f->linesize[1] * H / 2);
			memset(f->data[2], 128, (size_t)f->linesize[2] * H / 2);
			f->pts = i;
			f->pict_type = i % 10 == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
			in = f;
		}
		avcodec_send_frame(c, in);
		while (avcodec_receive_packet(c, p) == 0 && n < NFRAMES) {
			frames[n].data = malloc((size_t)p->size);
			memcpy(frames[n].data, p->data, (size_t)p->size);
			frames[n].len = p->size;
			frames[n].key = !(p->data[0] & 1);
			n++;
			av_packet_unref(p);
		}
	}
	av_packet_free(&p);
	av_frame_free(&f);
	avcodec_free_context(&c);
	return n == NFRAMES ? 0 : -1;
}

/* RTP payloads for one frame: a descriptor (alternating forms, to cover them) and up to MTU_PAYLOAD VP8 bytes. */
static int packetize(const struct frame *fr, int picture_id, uint8_t out[][MTU_PAYLOAD + 8], size_t *lens)
{
	int n = 0;
	for (int off = 0; off < fr->len; off += MTU_PAYLOAD, n++) {
		int chunk = fr->len - off < MTU_PAYLOAD ? fr->len - off : MTU_PAYLOAD;
		size_t h = 0;
		uint8_t start = off == 0 ? 0x10 : 0x00;
		if (picture_id % 2) { /* X, I with a 15-bit picture id, T */
			out[n][h++] = 0x80 | start;
			out[n][h++] = 0x80 | 0x20;
			out[n][h++] = (uint8_t)(0x80 | (picture_id >> 8));
			out[n][h++] = (uint8_t)picture_id;
			out[n][h++] = 0x00;
		} else {
			out[n][h++] = start;
		}
		memcpy(out[n] + h, fr->data + off, (size_t)chunk);
		lens[n] = h + (size_t)chunk;
	}
	return n;
}

static void test_descriptor(void)
{
	struct rec_vp8_desc d;
	const uint8_t plain[] = {0x10, 0xaa};
	const uint8_t pid7[] = {0x90, 0x80, 0x05, 0xbb};
	const uint8_t pid15[] = {0x90, 0xc0 | 0x10, 0x81, 0x23, 0x07, 0x01, 0xcc};
	CHECK(rec_vp8_parse(&d, plain, sizeof(plain)) == REC_VP8_OK && d.start && d.len == 1 && d.data[0] == 0xaa,
	      "plain descriptor");
	CHECK(rec_vp8_parse(&d, pid7, sizeof(pid7)) == REC_VP8_OK && d.picture_id == 5 && d.data[0] == 0xbb,
	      "7-bit picture id");
	CHECK(rec_vp8_parse(&d, pid15, sizeof(pid15)) == REC_VP8_OK && d.picture_id == 0x123 && d.data[0] == 0xcc,
	      "15-bit picture id, TL0PICIDX, KEYIDX: got %u", d.picture_id);
	for (size_t n = 0; n < sizeof(pid15); n++)
		CHECK(rec_vp8_parse(&d, pid15, n) == REC_VP8_ERR_TRUNCATED, "cut at %zu is truncated", n);
	CHECK(rec_vp8_parse(&d, pid7, 3) == REC_VP8_ERR_TRUNCATED, "no VP8 byte after the descriptor");
}

/* Push every frame through the assembler, skipping the packet index `lose` (-1: none); write complete frames to
 * path when given. Returns the number of frames that came out. */
static int assemble(int lose_frame, const char *path, struct rec_vp8 *a)
{
	static uint8_t pk[64][MTU_PAYLOAD + 8];
	size_t lens[64];
	struct rec_webm *wm = NULL;
	uint16_t seq = 65500; /* wraps during the stream */
	int out = 0;
	rec_vp8_init(a);
	for (int i = 0; i < NFRAMES; i++) {
		int n = packetize(&frames[i], i + 300, pk, lens);
		uint32_t ts = 4294900000u + (uint32_t)i * 9000u; /* wraps too */
		for (int k = 0; k < n; k++, seq++) {
			if (i == lose_frame && k == 0)
				continue;
			struct rec_vp8_frame f;
			int rc = rec_vp8_push(a, seq, ts, k == n - 1, pk[k], lens[k], &f);
			if (rc != REC_VP8_OK)
				continue;
			CHECK(f.len == (size_t)frames[i].len && !memcmp(f.data, frames[i].data, f.len),
			      "frame %d comes out whole", i);
			CHECK(f.keyframe == (frames[i].key != 0), "frame %d keyframe flag", i);
			if (f.keyframe)
				CHECK(f.width == W && f.height == H, "keyframe size %ux%u", f.width, f.height);
			if (path && !wm) {
				char err[160];
				wm = rec_webm_open(path, f.width, f.height, err, sizeof(err));
				CHECK(wm != NULL, "webm open: %s", err);
			}
			if (wm)
				CHECK(rec_webm_write(wm, f.data, f.len, (int64_t)i * 100, f.keyframe) == 0, "write %d",
				      i);
			out++;
		}
	}
	if (wm)
		CHECK(rec_webm_close(wm) == 0, "webm close");
	return out;
}

/* Open a WebM file, decode every VP8 frame; returns the count and whether the picture changed between frames. */
static int read_webm(const char *path, int *changed)
{
	AVFormatContext *ic = NULL;
	*changed = 0;
	if (avformat_open_input(&ic, path, NULL, NULL) < 0)
		return -1;
	avformat_find_stream_info(ic, NULL);
	const AVCodec *dec = avcodec_find_decoder(AV_CODEC_ID_VP8);
	AVCodecContext *c = avcodec_alloc_context3(dec);
	avcodec_parameters_to_context(c, ic->streams[0]->codecpar);
	avcodec_open2(c, dec, NULL);
	AVPacket *p = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	int n = 0, first_x = -1, last_x = -1;
	while (av_read_frame(ic, p) >= 0) {
		if (avcodec_send_packet(c, p) == 0)
			while (avcodec_receive_frame(c, f) == 0) {
				int x = 0; /* where the bright square starts on row 55 */
				while (x < f->width && f->data[0][55 * f->linesize[0] + x] < 200)
					x++;
				if (first_x < 0)
					first_x = x;
				last_x = x;
				n++;
			}
		av_packet_unref(p);
	}
	*changed = first_x >= 0 && last_x > first_x + 20;
	av_frame_free(&f);
	av_packet_free(&p);
	avcodec_free_context(&c);
	avformat_close_input(&ic);
	return n;
}

static void test_vp8_webm(void)
{
	char path[] = "/tmp/samvaer-rec-XXXXXX.webm";
	int fd = mkstemps(path, 5), changed;
	close(fd);
	struct rec_vp8 a;
	CHECK(assemble(-1, path, &a) == NFRAMES, "every frame assembled");
	rec_vp8_free(&a);
	int n = read_webm(path, &changed);
	CHECK(n == NFRAMES, "the WebM file decodes to %d frames, expected %d", n, NFRAMES);
	CHECK(changed, "the picture moves across the recording");
	/* A lost packet in frame 12 (an inter frame): 12..19 cannot be decoded and are dropped; 20 is a keyframe. */
	CHECK(assemble(12, NULL, &a) == NFRAMES - 8, "a loss drops frames up to the next keyframe (%llu dropped)",
	      (unsigned long long)a.dropped);
	rec_vp8_free(&a);
	CHECK(assemble(0, NULL, &a) == NFRAMES - 10, "no frame before the first keyframe");
	rec_vp8_free(&a);
	unlink(path);
}

/* A WebM writer killed mid-recording: frames up to the last cluster still decode. */
static void test_webm_killed(void)
{
	char path[] = "/tmp/samvaer-rec-XXXXXX.webm";
	int fd = mkstemps(path, 5), changed;
	close(fd);
	pid_t pid = fork();
	if (pid == 0) {
		char err[160];
		struct rec_webm *w = rec_webm_open(path, W, H, err, sizeof(err));
		for (int i = 0; w && i < NFRAMES; i++)
			rec_webm_write(w, frames[i].data, (size_t)frames[i].len, (int64_t)i * 100, frames[i].key);
		raise(SIGKILL); /* no trailer */
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st), "the writer was killed");
	int n = read_webm(path, &changed);
	CHECK(n >= NFRAMES - 10, "a killed recording still decodes %d of %d frames", n, NFRAMES);
	unlink(path);
}

static double goertzel(const float *x, int n, double freq)
{
	double k = 2 * cos(2 * M_PI * freq / 48000), s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s = x[i] + k * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/* Write `seconds` of a tone as Ogg Opus to fd; kill_after >= 0: flush, write that many more packets, SIGKILL. */
static void write_tone(int fd, double freq, int packets, int kill_after)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	opus_int32 lookahead = 0;
	opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(&lookahead));
	struct rec_ogg *w = rec_ogg_open(fd, 0x5a4d, 1, (uint16_t)lookahead);
	CHECK(w != NULL, "ogg open");
	float pcm[960];
	uint8_t pkt[1500];
	for (int i = 0; w && i < packets; i++) {
		for (int k = 0; k < 960; k++)
			pcm[k] = 0.3f * (float)sin(2 * M_PI * freq * (i * 960 + k) / 48000);
		int len = opus_encode_float(enc, pcm, 960, pkt, sizeof(pkt));
		CHECK(rec_ogg_write(w, pkt, (size_t)len) == 0, "packet %d", i);
		if (i % 50 == 49)
			rec_ogg_flush(w);
		if (kill_after >= 0 && i == packets - 1 - kill_after)
			rec_ogg_flush(w);
	}
	if (kill_after >= 0)
		raise(SIGKILL);
	CHECK(w && rec_ogg_granule(w) == (uint64_t)lookahead + (uint64_t)packets * 960, "granule counts samples");
	CHECK(rec_ogg_close(w) == 0, "ogg close");
	opus_encoder_destroy(enc);
}

struct ogg_read {
	int pages, eos, headers_ok, samples;
	int64_t last_granule;
	double at_tone, at_other;
	OpusDecoder *dec;
	float *pcm;
	int cap;
};

static void ogg_read_page(void *ctx, ogg_page *pg)
{
	struct ogg_read *r = ctx;
	r->pages++;
	r->eos |= ogg_page_eos(pg);
	r->last_granule = ogg_page_granulepos(pg);
}

static void ogg_read_packet(void *ctx, ogg_packet *op, int index)
{
	struct ogg_read *r = ctx;
	if (index == 0)
		r->headers_ok = op->bytes == 19 && !memcmp(op->packet, "OpusHead", 8) && op->b_o_s;
	else if (index == 1)
		r->headers_ok &= op->bytes == 8 + 4 + 7 + 4 && !memcmp(op->packet, "OpusTags", 8) &&
		    !memcmp(op->packet + 12, "samvaer", 7) && op->packet[19] == 0;
	else if (r->samples + 960 <= r->cap)
		r->samples += opus_decode_float(r->dec, op->packet, (opus_int32)op->bytes, r->pcm + r->samples, 960, 0);
}

static void read_ogg(const char *path, double tone, struct ogg_read *r)
{
	static float pcm[48000 * 10];
	static const struct ogg_walk_cb cb = {ogg_read_page, ogg_read_packet};
	int err;
	memset(r, 0, sizeof(*r));
	r->dec = opus_decoder_create(48000, 1, &err);
	r->pcm = pcm;
	r->cap = 48000 * 10;
	ogg_walk(path, &cb, r);
	if (r->samples > 9600) { /* skip the encoder's first 200 ms */
		r->at_tone = goertzel(pcm + 9600, r->samples - 9600, tone);
		r->at_other = goertzel(pcm + 9600, r->samples - 9600, tone * 1.5);
	}
	opus_decoder_destroy(r->dec);
	r->dec = NULL;
}

static void test_ogg(void)
{
	char path[] = "/tmp/samvaer-rec-XXXXXX.opus";
	int fd = mkstemps(path, 5);
	struct ogg_read r;
	write_tone(fd, 440, 150, -1); /* 3 s */
	close(fd);
	read_ogg(path, 440, &r);
	CHECK(r.headers_ok, "OpusHead then OpusTags with the vendor only and no comments");
	CHECK(r.eos, "the last page ends the stream");
	CHECK(r.samples == 150 * 960, "all 3 s decode (%d samples)", r.samples);
	CHECK(r.at_tone > 100 * r.at_other, "the tone is 440 Hz (%.3g at 440, %.3g at 660)", r.at_tone, r.at_other);

	/* Killed 30 packets (600 ms) after a flush: the file plays up to the flush, no end-of-stream page. */
	fd = open(path, O_WRONLY | O_TRUNC);
	pid_t pid = fork();
	if (pid == 0)
		write_tone(fd, 660, 130, 30);
	int st;
	waitpid(pid, &st, 0);
	close(fd);
	CHECK(WIFSIGNALED(st), "the writer was killed");
	read_ogg(path, 660, &r);
	CHECK(r.headers_ok && !r.eos, "headers, and no end-of-stream page");
	CHECK(r.samples >= 99 * 960, "a killed recording still plays %d ms", r.samples / 48);
	CHECK(r.at_tone > 100 * r.at_other, "and it is the 660 Hz tone");
	unlink(path);
}

/* The recorder thread end to end: a producer thread feeds 4 s of RTP VP8 (slot 3) and a 440 Hz mix as a worker
 * would, paced at real time divided by 4; the files that come out decode to the same pictures and tone. */
static _Atomic int rec_done;
static struct recording_result rec_res;

static void on_done(void *arg, const struct recording_result *res)
{
	(void)arg;
	rec_res = *res;
	atomic_store(&rec_done, 1);
}

static void test_recorder(void)
{
	char dir[] = "/tmp/samvaer-recdir-XXXXXX", path[300];
	char err[160];
	CHECK(mkdtemp(dir) != NULL, "temp dir");
	struct recorder *r = recorder_start(err, sizeof(err));
	CHECK(r != NULL, "recorder starts: %s", err);
	snprintf(path, sizeof(path), "%s/call", dir);
	struct recording *rec = recording_open(r, path);
	CHECK(rec != NULL, "recording opens");
	int e;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &e);
	static uint8_t pk[64][MTU_PAYLOAD + 8];
	size_t lens[64];
	uint16_t seq = 100;
	float pcm[960];
	uint8_t opus[1500], rtp[1600];
	int64_t now = 5000;
	for (int i = 0; i < NFRAMES * 5; i++, now += 20) { /* 200 audio frames of 20 ms, a video frame every 5th */
		for (int k = 0; k < 960; k++)
			pcm[k] = 0.3f * (float)sin(2 * M_PI * 440 * (i * 960 + k) / 48000);
		int len = opus_encode_float(enc, pcm, 960, opus, sizeof(opus));
		recording_audio(rec, opus, (size_t)len, now);
		if (i % 5)
			continue;
		int f = i / 5, n = packetize(&frames[f], f, pk, lens);
		for (int k = 0; k < n; k++) {
			struct rtp_header h = {.version = 2,
					       .pt = 96,
					       .seq = seq++,
					       .ts = 1000u + (uint32_t)f * 9000u,
					       .ssrc = 0x1234,
					       .marker = k == n - 1,
					       .payload = pk[k],
					       .payload_len = lens[k]};
			int w = rtp_header_serialize(&h, rtp, sizeof(rtp));
			recording_video(rec, 42, rtp, (size_t)w, now);
		}
		if (i % 20 == 0)
			usleep(5000);
	}
	recording_close(rec, on_done, NULL);
	for (int i = 0; i < 500 && !atomic_load(&rec_done); i++)
		usleep(10000);
	CHECK(atomic_load(&rec_done), "the recording finished");
	CHECK(rec_res.err == 0 && rec_res.dropped == 0, "no error, nothing dropped (%llu)",
	      (unsigned long long)rec_res.dropped);
	CHECK(rec_res.audio_ms == NFRAMES * 5 * 20, "audio is %llu ms", (unsigned long long)rec_res.audio_ms);
	CHECK(rec_res.video[0].participant_id == 42 && rec_res.video[0].frames == NFRAMES &&
		  rec_res.video[1].participant_id == 0,
	      "participant 42 has every frame (%llu)", (unsigned long long)rec_res.video[0].frames);
	struct ogg_read o;
	int changed;
	snprintf(path, sizeof(path), "%s/call/audio.opus", dir);
	read_ogg(path, 440, &o);
	CHECK(o.headers_ok && o.eos && o.at_tone > 100 * o.at_other, "audio.opus plays the 440 Hz mix");
	unlink(path);
	snprintf(path, sizeof(path), "%s/call/video-42.webm", dir);
	CHECK(read_webm(path, &changed) == NFRAMES && changed, "video-42.webm decodes, and the picture moves");
	unlink(path);
	snprintf(path, sizeof(path), "%s/call", dir);
	rmdir(path);
	rmdir(dir);
	opus_encoder_destroy(enc);
	recorder_stop(r);
}

int main(void)
{
	test_descriptor();
	CHECK(encode_vp8() == 0, "libvpx encodes the test frames");
	test_vp8_webm();
	test_webm_killed();
	test_ogg();
	test_recorder();
	printf("rec: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
