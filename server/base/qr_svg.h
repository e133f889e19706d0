/* qr_svg.h: a QR code (libqrencode) as a small SVG image, for pairing and invitation codes shown on a screen or
 * printed. */
#ifndef SAMVAER_QR_SVG_H
#define SAMVAER_QR_SVG_H

#include <stddef.h>

/* Encode `text` (error correction level M, 8-bit mode) as an SVG document: black modules on white with the
 * four-module quiet zone, a viewBox in modules (the page scales it), no fixed size. *out is malloc'd (the
 * caller frees it), *len its length. 0, or -1 if the text does not fit a QR code or memory ran out. */
int qr_svg(const char *text, char **out, size_t *len);

#endif
