/* invite_qr.h: a QR code (libqrencode) of a link as a small SVG document, for printing or sending an invitation. */
#ifndef SAMVAER_INVITE_QR_H
#define SAMVAER_INVITE_QR_H

#include <stddef.h>

/* The QR code of `text` (error correction level M, 4-module quiet zone) as SVG: one black path on white, scalable
 * (viewBox in modules). Returns a malloc'd NUL-terminated string, or NULL (too long, out of memory). */
char *invite_qr_svg(const char *text);

#endif
