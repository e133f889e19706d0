/* fuzz_transport_demux.c: libFuzzer target: arbitrary datagrams into an ICE-lite transport (RFC 7983 demux, STUN, DTLS). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/transport.h"

static struct dtls_cert *cert;
static struct dtls_ctx *ctx;
static size_t sent;

static void on_send(void *user, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	(void)user, (void)buf, (void)to;
	sent += len;
}

/* Input: datagrams separated by a 2-byte big-endian length prefix; the first from address A, then B. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	if (!cert &&
	    (dtls_cert_generate(&cert, err, sizeof err) ||
	     !(ctx = dtls_ctx_new(cert, DTLS_ROLE_SERVER, NULL, err, sizeof err))))
		abort();
	struct transport_params p = {.dtls = ctx,
				     .ice_role = ICE_ROLE_LITE,
				     .local_ufrag = "abcd",
				     .local_pwd = "0123456789012345678901",
				     .remote_ufrag = "wxyz",
				     .remote_pwd = "abcdefghijabcdefghijab",
				     .remote_fingerprint = dtls_cert_fingerprint(cert),
				     .send = on_send};
	struct transport *t = transport_new(&p);
	struct ice_addr a[2];
	ice_addr_from_string(&a[0], "127.0.0.1", 5000);
	ice_addr_from_string(&a[1], "::1", 5001);
	uint8_t buf[2048];
	for (size_t off = 0, i = 0; t && off + 2 <= size; i++) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		if (n > sizeof buf)
			n = sizeof buf;
		memcpy(buf, data + off, n);
		off += n;
		size_t len = n;
		if (len)
			transport_recv(t, buf, &len, &a[i & 1], (int64_t)i * 10);
		transport_tick(t, (int64_t)i * 10);
	}
	transport_free(t);
	return 0;
}
