/* qr_svg.c: QR codes drawn as one SVG path, a run of dark modules per horizontal segment. */
#include "server/base/qr_svg.h"

#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4 /* modules of white around the code (ISO/IEC 18004 asks for 4) */

struct buf {
	char *p;
	size_t len, cap;
};

/* Append printf-style; -1 when memory ran out. */
__attribute__((format(printf, 2, 3))) static int put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (b->cap - b->len <= (size_t)n) {
		size_t cap = (b->cap + (size_t)n) * 2 + 256;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int qr_svg(const char *text, char **out, size_t *len)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return -1;
	int n = qr->width, size = n + 2 * QUIET, rc = 0;
	struct buf b = {0};
	rc |= put(&b,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
		  "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		  size, size, size, size);
	for (int y = 0; y < n && !rc; y++)
		for (int x = 0; x < n && !rc;) {
			if (!(qr->data[y * n + x] & 1)) { /* bit 0: a dark module */
				x++;
				continue;
			}
			int run = 1;
			while (x + run < n && (qr->data[y * n + x + run] & 1))
				run++;
			rc |= put(&b, "M%d %dh%dv1H%dz", x + QUIET, y + QUIET, run, x + QUIET);
			x += run;
		}
	rc |= put(&b, "%s", "\"/></svg>");
	QRcode_free(qr);
	if (rc) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
