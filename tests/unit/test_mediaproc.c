/* test_mediaproc.c: server/mediaproc end to end on real files made here with ffmpeg, exiftool and libvips — photos,
 * clips and voice notes carrying GPS, location atoms, names and dates come out with no metadata at all (checked with
 * exiftool and by searching the bytes), photos come out upright under each of the eight orientation tags, and
 * truncated, bomb, polyglot, oversized, wrong and unsupported files are refused with their documented codes. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include "check.h"
#include "server/blobs/blobstore.h"
#include "server/mediaproc/blobsink.h"
#include "server/mediaproc/mediaproc.h"

#define MARK "SamvaerSecret" /* written into every metadata field of the fixtures; must never come out */

static char dir[128], root[160];
static struct blobstore *blobs; /* set: outputs go through server/blobs */

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static ssize_t fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	return pread(*(int *)ctx, buf, len, (off_t)off);
}

static int run(const char *kind, const char *name, const struct mediaproc_limits *lim, struct mediaproc_result *r)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "fixture %s missing\n", name);
		memset(r, 0, sizeof *r);
		r->err = 99;
		return 99;
	}
	struct mediaproc_job job = {mediaproc_kind_parse(kind), {fd_pread, &fd, (uint64_t)st.st_size}, root, 0, blobs};
	mediaproc_process(&job, lim, r);
	if (r->err != MEDIAPROC_OK && getenv("TEST_VERBOSE"))
		fprintf(stderr, "%s as %s: %s (%s)\n", name, kind, mediaproc_err_code(r->err), r->detail);
	close(fd);
	return r->err;
}

/* Tag names that would tell who, where or when (exiftool -s names). */
static const char *const telling[] = {"GPS",      "Location",    "Make",    "Model",   "Software",    "Encoder",
				      "Title",    "Artist",      "Author",  "Comment", "Description", "Copyright",
				      "Original", "Keyword",     "Serial",  "Owner",   "Caption",     "Creator",
				      "Lens",     "Orientation", "Profile", "XMP",     "IPTC",        "Rating"};

/* Every group exiftool reports must be structural, and no tag may tell anything about the person or the place. */
static int clean(const struct mediaproc_blob *b, const char *what)
{
	char path[512], cmd[700], line[512];
	if (!b->hash[0])
		return 1; /* no such output */
	blobsink_path(root, b->hash, path, sizeof path);
	snprintf(cmd, sizeof cmd, "exiftool -a -u -G1 -s '%s' 2>&1", path);
	FILE *f = popen(cmd, "r");
	int ok = f != NULL, lines = 0;
	while (f && fgets(line, sizeof line, f)) {
		lines++;
		char group[64] = "", tag[128] = "";
		if (sscanf(line, "[%63[^]]] %127s", group, tag) != 2 || !strcmp(group, "System") ||
		    !strcmp(group, "ExifTool") || (!strcmp(group, "File") && strcmp(tag, "Comment") != 0))
			continue; /* the file's own size and dates on this disk, the tool's version */
		if (strstr(line, MARK) || !strncmp(group, "XMP", 3) || !strcmp(group, "IFD0") ||
		    !strcmp(group, "ExifIFD") || !strcmp(group, "GPS") || !strcmp(group, "IPTC") ||
		    !strncmp(group, "ICC", 3) || !strcmp(group, "UserData") || !strcmp(group, "Keys") ||
		    !strcmp(group, "ItemList") || !strcmp(group, "MakerNotes") || !strcmp(group, "Photoshop")) {
			fprintf(stderr, "%s: metadata left: %s", what, line);
			ok = 0;
			continue;
		}
		for (size_t i = 0; i < sizeof telling / sizeof telling[0]; i++)
			if (strstr(tag, telling[i]) && strcmp(tag, "HandlerDescription") != 0 &&
			    strcmp(tag, "SampleGroupDescription") != 0) {
				fprintf(stderr, "%s: telling tag left: %s", what, line);
				ok = 0;
			}
		if ((strstr(tag, "CreateDate") || strstr(tag, "ModifyDate")) && !strstr(line, "0000:00:00 00:00:00")) {
			fprintf(stderr, "%s: a date left: %s", what, line);
			ok = 0;
		}
	}
	if (f)
		pclose(f);
	/* and the bytes themselves: no field of the original anywhere */
	snprintf(cmd, sizeof cmd, "grep -c -a '%s' '%s' >/dev/null", MARK, path);
	if (system(cmd) == 0) {
		fprintf(stderr, "%s: the original's text is in the output\n", what);
		ok = 0;
	}
	if (lines <= 3)
		fprintf(stderr, "%s: exiftool said too little (%d lines)\n", what, lines);
	return ok && lines > 3;
}

static int all_clean(const struct mediaproc_result *r, const char *what)
{
	return clean(&r->media, what) && clean(&r->thumb, what) && clean(&r->poster, what);
}

#define TAGS_JPEG                                                                                                    \
	"-GPSLatitude=55.6761 -GPSLatitudeRef=N -GPSLongitude=12.5683 -GPSLongitudeRef=E -Make=" MARK                \
	"Make -Model=" MARK "Model -Artist=" MARK "Artist -XMP:Description=" MARK "XMP -IPTC:Caption-Abstract=" MARK \
	"IPTC "                                                                                                      \
	"-Comment=" MARK "Comment -DateTimeOriginal='2024:05:01 10:00:00' -Software=" MARK "Soft"

static int make_heic_here(const char *path)
{
	VipsImage *im = NULL, *o = NULL;
	int rc = vips_black(&im, 96, 64, "bands", 3, NULL) || vips_linear1(im, &o, 1.0, 120.0, NULL) ||
	    vips_heifsave(o, path, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL);
	if (o)
		g_object_unref(o);
	if (im)
		g_object_unref(im);
	return rc;
}

/* In a child process: libx265 (under libheif's encoder) keeps allocations to the end, which LeakSanitizer would
 * blame on this test. The child starts libvips itself and leaves with _exit. */
static int make_heic(const char *path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(VIPS_INIT("make_heic") != 0 || make_heic_here(path) != 0);
	int status = 0;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A PNG whose header claims w x h with a few bytes of image data (the crc is computed: readers check it). */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

static void put_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
	uint8_t buf[64];
	uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
	fwrite(be, 1, 4, f);
	memcpy(buf, type, 4);
	memcpy(buf + 4, data, len);
	fwrite(buf, 1, 4 + len, f);
	uint32_t c = crc32_png(buf, 4 + len);
	uint8_t cb[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
	fwrite(cb, 1, 4, f);
}

static int make_png_claiming(const char *path, uint32_t w, uint32_t h)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
	uint8_t ihdr[13] = {(uint8_t)(w >> 24),
			    (uint8_t)(w >> 16),
			    (uint8_t)(w >> 8),
			    (uint8_t)w,
			    (uint8_t)(h >> 24),
			    (uint8_t)(h >> 16),
			    (uint8_t)(h >> 8),
			    (uint8_t)h,
			    8,
			    0,
			    0,
			    0,
			    0}; /* 8-bit greyscale */
	put_chunk(f, "IHDR", ihdr, 13);
	static const uint8_t idat[] = {0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00, 0x00, 0xc2, 0xa0};
	put_chunk(f, "IDAT", idat, sizeof idat);
	put_chunk(f, "IEND", (const uint8_t *)"", 0);
	return fclose(f);
}

static int make_fixtures(void)
{
	const char *ff = "ffmpeg -v error -y";
	int rc = 0;
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=1600x1200 -frames:v 1 gps.jpg && exiftool -q "
		 "-overwrite_original " TAGS_JPEG " -Orientation#=6 gps.jpg",
		 dir, ff);
	rc |=
	    sh("cd %s && %s -f lavfi -i testsrc2=size=4096x2304 -frames:v 1 -q:v 4 big.jpg && cp big.jpg bigrot.jpg && "
	       "exiftool -q -overwrite_original " TAGS_JPEG " -Orientation#=6 bigrot.jpg",
	       dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=3000x2000 -frames:v 1 -q:v 4 mid.jpg", dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i 'color=red@0.5:size=64x48,format=rgba' -frames:v 1 alpha.png", dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=200x150 -frames:v 1 photo.webp", dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=100x80 -frames:v 1 photo.gif", dir, ff);
	char heic[256];
	snprintf(heic, sizeof heic, "%s/photo.heic", dir);
	rc |= make_heic(heic); /* forked before this process starts libvips (main) */
	rc |= sh("cd %s && exiftool -q -overwrite_original " TAGS_JPEG " photo.heic", dir);
	rc |=
	    sh("cd %s && %s -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=f=440 -t 2 -c:v libx264 "
	       "-pix_fmt yuv420p -c:a aac -metadata location=+55.6761+012.5683/ -metadata title=" MARK "Title "
	       "-metadata creation_time=2024-05-01T10:00:00Z -metadata:s:v:0 handler_name=" MARK "Handler clip.mp4 && "
	       "exiftool -q -overwrite_original -UserData:GPSCoordinates='55.6761, 12.5683' -Keys:GPSCoordinates="
	       "'55.6761, 12.5683' -Keys:Make=" MARK "Make clip.mp4",
	       dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=320x240:rate=25 -t 1 -c:v libx264 -pix_fmt yuv420p "
		 "rotated.mp4 && exiftool -q -overwrite_original -Rotation=90 rotated.mp4",
		 dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=320x240:rate=25 -t 1 -c:v mpeg4 mpeg4.mp4", dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine=f=440 -t 2 -c:v libvpx "
		 "-c:a libopus -metadata title=" MARK "Title clip.webm",
		 dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i testsrc2=size=320x240:rate=25 -t 1 -c:v libvpx-vp9 -deadline realtime "
		 "vp9.webm",
		 dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i \"sine=f=300:d=3,volume=enable='lt(t,1.5)':volume=0\" -c:a libopus "
		 "-metadata artist=" MARK "Artist voice.ogg",
		 dir, ff);
	rc |=
	    sh("cd %s && %s -f lavfi -i sine=f=300:d=2 -c:a libopus -metadata title=" MARK "Title voice.webm", dir, ff);
	rc |= sh("cd %s && %s -f lavfi -i sine=f=300:d=2 -c:a libvorbis vorbis.ogg 2>/dev/null || cp voice.ogg "
		 "vorbis.ogg",
		 dir, ff);
	/* broken on purpose */
	rc |= sh("cd %s && head -c $(( $(stat -c %%s gps.jpg) * 6 / 10 )) gps.jpg > cut.jpg && "
		 "head -c $(( $(stat -c %%s clip.mp4) * 6 / 10 )) clip.mp4 > cut.mp4 && "
		 "head -c $(( $(stat -c %%s clip.webm) * 6 / 10 )) clip.webm > cut.webm && "
		 "head -c $(( $(stat -c %%s voice.ogg) * 6 / 10 )) voice.ogg > cut.ogg",
		 dir);
	rc |= sh("cd %s && echo hello > hello.txt && zip -q -j a.zip hello.txt 2>/dev/null || "
		 "python3 -c \"import zipfile; zipfile.ZipFile('a.zip','w').writestr('hello.txt','hello')\"; "
		 "cat gps.jpg a.zip > zip.jpg",
		 dir);
	rc |= sh("cd %s && cp gps.jpg script.jpg && exiftool -q -overwrite_original "
		 "'-Comment=<script>alert(1)</script>' script.jpg",
		 dir);
	/* a PDF header in a comment right after the JPEG's start: PDF readers look for it in the first KiB */
	rc |= sh("cd %s && python3 -c \"d=open('gps.jpg','rb').read(); c=b'%%PDF-1.7 1 0 obj'; "
		 "open('pdf.jpg','wb').write(d[:2]+b'\\xff\\xfe'+(len(c)+2).to_bytes(2,'big')+c+d[2:])\"",
		 dir);
	rc |= sh("cd %s && cat alpha.png > html.png && printf '<html><body>hi</body></html>' >> html.png", dir);
	rc |= sh("cd %s && cat gps.jpg clip.mp4 > motion.jpg", dir);
	rc |= sh("cd %s && : > empty.jpg && printf 'just some words\\n' > words.txt", dir);
	/* a PNG whose image data is not zlib: the decoder refuses it */
	rc |= sh("cd %s && python3 -c \"import sys; d=bytearray(open('alpha.png','rb').read()); i=d.find(b'IDAT'); "
		 "d[i+4:i+8]=b'\\x00\\x00\\x00\\x00'; open('corrupt.png','wb').write(d)\"",
		 dir);
	char bomb[256];
	snprintf(bomb, sizeof bomb, "%s/bomb.png", dir);
	rc |= make_png_claiming(bomb, 30000, 30000);
	return rc;
}

static void test_photos(void)
{
	struct mediaproc_result r;
	CHECK(run("photo", "gps.jpg", NULL, &r) == MEDIAPROC_OK, "a JPEG with GPS is accepted");
	CHECK(r.width == 1200 && r.height == 1600, "turned upright by its orientation tag (1600x1200, rotate 90)");
	CHECK(!strcmp(r.source_mime, "image/jpeg") && !strcmp(r.media.mime, "image/jpeg"), "JPEG in, JPEG out");
	CHECK(r.thumb.hash[0] && r.media.bytes > r.thumb.bytes, "a thumbnail smaller than the display size");
	CHECK(all_clean(&r, "gps.jpg"), "no metadata at all in the display size and thumbnail (exiftool)");

	CHECK(run("photo", "big.jpg", NULL, &r) == MEDIAPROC_OK && r.width == 2048 && r.height == 1152,
	      "a 4096x2304 JPEG is shown at 2048x1152 (decoded at half size)");
	CHECK(run("photo", "bigrot.jpg", NULL, &r) == MEDIAPROC_OK && r.width == 1152 && r.height == 2048 &&
		  all_clean(&r, "bigrot.jpg"),
	      "decoded at half size and turned upright, with no metadata left");
	CHECK(run("photo", "mid.jpg", NULL, &r) == MEDIAPROC_OK && r.width == 2048 && r.height == 1365,
	      "a 3000x2000 JPEG is shown at 2048x1365");
	CHECK(run("profile_photo", "mid.jpg", NULL, &r) == MEDIAPROC_OK && r.width == 512 && r.height == 512,
	      "a profile photo is a 512 px square");
	CHECK(run("photo", "alpha.png", NULL, &r) == MEDIAPROC_OK && !strcmp(r.source_mime, "image/png") &&
		  !strcmp(r.media.mime, "image/jpeg") && r.width == 64 && r.height == 48,
	      "a transparent PNG becomes a JPEG of the same size");
	CHECK(run("photo", "photo.webp", NULL, &r) == MEDIAPROC_OK && !strcmp(r.source_mime, "image/webp"),
	      "WebP is accepted");
	CHECK(run("photo", "photo.heic", NULL, &r) == MEDIAPROC_OK && !strcmp(r.source_mime, "image/heic") &&
		  r.width == 96 && r.height == 64,
	      "HEIC is accepted (Debian's libvips reads it with libheif)");
	CHECK(all_clean(&r, "photo.heic"), "no metadata at all from a HEIC with GPS");
	CHECK(run("photo", "motion.jpg", NULL, &r) == MEDIAPROC_OK && all_clean(&r, "motion.jpg"),
	      "a Motion Photo (JPEG + MP4) is accepted; the video is dropped");

	char err[200], path[600];
	blobs = blobstore_open(dir, err, sizeof err); /* dir/blobs: the same layout as root */
	CHECK(blobs != NULL, "server/blobs opens on the test's directory");
	CHECK(blobs && run("photo", "gps.jpg", NULL, &r) == MEDIAPROC_OK &&
		  blobstore_path(blobs, r.media.hash, path, sizeof path) == 0 && access(path, R_OK) == 0 &&
		  all_clean(&r, "gps.jpg via blobstore"),
	      "through the blob store: stored where GET /media reads it, still clean");
	CHECK(blobs && run("video_clip", "clip.mp4", NULL, &r) == MEDIAPROC_OK &&
		  blobstore_path(blobs, r.media.hash, path, sizeof path) == 0 && access(path, R_OK) == 0 &&
		  all_clean(&r, "clip.mp4 via blobstore"),
	      "a remuxed clip streamed into the blob store");
	if (blobs) {
		const struct mediaproc_blob *b[] = {&r.media, &r.thumb, &r.poster};
		for (int i = 0; i < 3; i++)
			if (b[i]->hash[0])
				blobstore_release(blobs, NULL, b[i]->hash);
		blobstore_close(blobs);
	}
	blobs = NULL;
}

/* The EXIF orientations (1-8) and the ffmpeg filter that stores an upright picture so that a viewer applying the
 * tag shows it upright again: the inverse of each tag's transform. */
static const char *const stored_as[9] = {NULL,
					 "null",
					 "hflip",
					 "hflip,vflip",
					 "vflip",
					 "transpose=cclock_flip",
					 "transpose=cclock",
					 "transpose=clock_flip",
					 "transpose=clock"};

/* The colour at (fx, fy) of the image (fractions of its size) is near r, g, b. */
static int colour_at(VipsImage *im, double fx, double fy, int r, int g, int b)
{
	double *px = NULL;
	int n = 0;
	int x = (int)(fx * vips_image_get_width(im)), y = (int)(fy * vips_image_get_height(im));
	if (vips_getpoint(im, &px, &n, x, y, NULL) || n < 3)
		return 0;
	int ok = abs((int)px[0] - r) < 48 && abs((int)px[1] - g) < 48 && abs((int)px[2] - b) < 48;
	g_free(px);
	return ok;
}

/* An output whose quadrants are red, green / blue, white (top left, top right / bottom left, bottom right). */
static int upright(const struct mediaproc_blob *b)
{
	char path[512];
	blobsink_path(root, b->hash, path, sizeof path);
	VipsImage *im = vips_image_new_from_file(path, NULL);
	if (!im)
		return 0;
	int ok = colour_at(im, 0.25, 0.25, 255, 0, 0) && colour_at(im, 0.75, 0.25, 0, 255, 0) &&
	    colour_at(im, 0.25, 0.75, 0, 0, 255) && colour_at(im, 0.75, 0.75, 255, 255, 255);
	g_object_unref(im);
	return ok;
}

/* Every orientation tag, on a small photo (libvips's own thumbnail path) and on one decoded at half size and turned
 * in memory: the display size and the thumbnail come out upright, the way a phone showed the photo. */
static void test_orientations(void)
{
	static const char *const sizes[] = {"320x240", "3200x2400"}; /* the second decoded at half size */
	for (size_t s = 0; s < 2; s++) {
		const char *sz = sizes[s];
		int qw = atoi(sz) / 2, qh = atoi(strchr(sz, 'x') + 1) / 2;
		for (int o = 1; o <= 8; o++) {
			struct mediaproc_result r;
			char name[64];
			snprintf(name, sizeof name, "orient-%s-%d.jpg", sz, o);
			int made = sh(
			    "cd %s && ffmpeg -v error -y -f lavfi -i color=red:s=%dx%d -f lavfi -i color=lime:s=%dx%d "
			    "-f lavfi -i color=blue:s=%dx%d -f lavfi -i color=white:s=%dx%d -filter_complex "
			    "'xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,%s' -frames:v 1 -q:v 2 %s && exiftool -q "
			    "-overwrite_original '-Orientation#=%d' %s",
			    dir, qw, qh, qw, qh, qw, qh, qw, qh, stored_as[o], name, o, name);
			char what[128];
			snprintf(what, sizeof what, "a %s photo stored with orientation %d is shown upright", sz, o);
			CHECK(made == 0 && run("photo", name, NULL, &r) == MEDIAPROC_OK && upright(&r.media) &&
				  upright(&r.thumb) && r.width == (s ? 1600u : 320u) && r.height == (s ? 1200u : 240u),
			      what);
		}
	}
}

static void test_clips(void)
{
	struct mediaproc_result r;
	CHECK(run("video_clip", "clip.mp4", NULL, &r) == MEDIAPROC_OK, "an MP4 with location atoms is accepted");
	CHECK(r.width == 320 && r.height == 240 && r.duration_ms >= 1900 && r.duration_ms <= 2200,
	      "size and duration of the clip");
	CHECK(!strcmp(r.media.mime, "video/mp4") && r.poster.hash[0] && r.thumb.hash[0], "MP4 with poster and thumb");
	CHECK(all_clean(&r, "clip.mp4"), "no location, names or dates in the remuxed MP4 or its poster (exiftool)");
	CHECK(run("video_clip", "rotated.mp4", NULL, &r) == MEDIAPROC_OK && r.width == 240 && r.height == 320,
	      "a clip filmed upright reports its upright size");
	CHECK(run("video_clip", "clip.webm", NULL, &r) == MEDIAPROC_OK && !strcmp(r.media.mime, "video/webm") &&
		  r.poster.hash[0] && all_clean(&r, "clip.webm"),
	      "WebM VP8 + Opus remuxed with no tags");
	CHECK(run("video_clip", "vp9.webm", NULL, &r) == MEDIAPROC_OK, "WebM VP9 is accepted");
	CHECK(run("video_clip", "mpeg4.mp4", NULL, &r) == MEDIAPROC_ERR_CODEC, "MPEG-4 part 2 video is refused");
	struct mediaproc_limits lim = {0};
	lim.max_duration_ms[MEDIAPROC_VIDEO_CLIP] = 1000;
	CHECK(run("video_clip", "clip.mp4", &lim, &r) == MEDIAPROC_ERR_TOO_LONG, "a clip over the time limit");
}

static void test_voice(void)
{
	struct mediaproc_result r;
	CHECK(run("voice_note", "voice.ogg", NULL, &r) == MEDIAPROC_OK && r.duration_ms >= 2950 &&
		  r.duration_ms <= 3050,
	      "an Ogg Opus voice note and its duration");
	CHECK(r.has_waveform && r.waveform[5] < 10 && r.waveform[58] > 60,
	      "the waveform: silence first, then the tone");
	CHECK(!strcmp(r.media.mime, "audio/ogg") && all_clean(&r, "voice.ogg"), "remuxed with no tags");
	CHECK(run("voice_note", "voice.webm", NULL, &r) == MEDIAPROC_OK && !strcmp(r.media.mime, "audio/webm") &&
		  !strcmp(r.source_mime, "audio/webm") && all_clean(&r, "voice.webm"),
	      "a WebM Opus voice note");
	CHECK(run("video_clip", "voice.webm", NULL, &r) == MEDIAPROC_ERR_WRONG_KIND, "sound only is not a clip");
	CHECK(run("voice_note", "clip.webm", NULL, &r) == MEDIAPROC_ERR_WRONG_KIND, "a clip is not a voice note");
	CHECK(run("voice_note", "vorbis.ogg", NULL, &r) == MEDIAPROC_ERR_UNSUPPORTED || r.err == MEDIAPROC_OK,
	      "Ogg Vorbis is not Opus");
	struct mediaproc_limits lim = {0};
	lim.max_duration_ms[MEDIAPROC_VOICE_NOTE] = 1000;
	CHECK(run("voice_note", "voice.ogg", &lim, &r) == MEDIAPROC_ERR_TOO_LONG, "a voice note over the time limit");
}

static void test_refusals(void)
{
	struct mediaproc_result r;
	static const struct {
		const char *kind, *file;
		int err;
	} cases[] = {
	    {"photo", "cut.jpg", MEDIAPROC_ERR_TRUNCATED},       {"video_clip", "cut.mp4", MEDIAPROC_ERR_TRUNCATED},
	    {"video_clip", "cut.webm", MEDIAPROC_ERR_TRUNCATED}, {"voice_note", "cut.ogg", MEDIAPROC_ERR_TRUNCATED},
	    {"photo", "bomb.png", MEDIAPROC_ERR_BOMB},           {"photo", "zip.jpg", MEDIAPROC_ERR_POLYGLOT},
	    {"photo", "script.jpg", MEDIAPROC_ERR_POLYGLOT},     {"photo", "pdf.jpg", MEDIAPROC_ERR_POLYGLOT},
	    {"photo", "html.png", MEDIAPROC_ERR_POLYGLOT},       {"photo", "photo.gif", MEDIAPROC_ERR_UNSUPPORTED},
	    {"photo", "words.txt", MEDIAPROC_ERR_UNSUPPORTED},   {"photo", "empty.jpg", MEDIAPROC_ERR_EMPTY},
	    {"photo", "corrupt.png", MEDIAPROC_ERR_CORRUPT},     {"photo", "clip.mp4", MEDIAPROC_ERR_WRONG_KIND},
	    {"voice_note", "gps.jpg", MEDIAPROC_ERR_WRONG_KIND}, {"video_clip", "voice.ogg", MEDIAPROC_ERR_WRONG_KIND},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[128];
		snprintf(name, sizeof name, "%s as %s: %s", cases[i].file, cases[i].kind,
			 mediaproc_err_code(cases[i].err));
		CHECK(run(cases[i].kind, cases[i].file, NULL, &r) == cases[i].err, name);
	}
	struct mediaproc_limits lim = {0};
	lim.max_pixels = 1000000;
	CHECK(run("photo", "gps.jpg", &lim, &r) == MEDIAPROC_ERR_TOO_MANY_PIXELS, "over the pixel limit, not a bomb");
	memset(&lim, 0, sizeof lim);
	lim.max_bytes[MEDIAPROC_PHOTO] = 1000;
	CHECK(run("photo", "gps.jpg", &lim, &r) == MEDIAPROC_ERR_TOO_LARGE, "over the byte limit");
	CHECK(mediaproc_err_status(MEDIAPROC_ERR_TOO_LARGE) == 413 && mediaproc_err_status(MEDIAPROC_ERR_BUSY) == 503 &&
		  mediaproc_err_status(MEDIAPROC_ERR_UNSUPPORTED) == 415 &&
		  mediaproc_err_status(MEDIAPROC_ERR_POLYGLOT) == 422 &&
		  !strcmp(mediaproc_err_code(MEDIAPROC_ERR_BUSY), "upload_busy"),
	      "HTTP statuses and wire codes of the contract");
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/samvaer-mediaproc-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(root, sizeof root, "%s/blobs", dir);
	CHECK(make_fixtures() == 0, "fixtures made with ffmpeg, exiftool and libvips");
	if (VIPS_INIT("test_mediaproc") != 0) /* after the fork in make_heic */
		return 1;
	test_photos();
	test_orientations();
	test_clips();
	test_voice();
	test_refusals();
	if (!check_failed)
		sh("rm -rf %s", dir);
	else
		fprintf(stderr, "fixtures kept in %s\n", dir);
	return check_done("mediaproc");
}
