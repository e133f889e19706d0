/* test_stun.c: STUN codec tests: RFC 5769 vectors byte for byte, malformed-message table, builders, round trips, MESSAGE-INTEGRITY vs HMAC() from several threads. */
#include "media/stun.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int checks, failures;
#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		checks++;                                                               \
		if (!(cond)) {                                                          \
			failures++;                                                     \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

/* ---- RFC 5769 §2.1: sample request, short-term password "VOkJxbRl1RmTxUk/WvJxBt" ---- */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58,                                                 /* Binding request, length 88 */
    0x21, 0x12, 0xa4, 0x42,                                                 /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, /* transaction id */
    0x80, 0x22, 0x00, 0x10,                                                 /* SOFTWARE, 16 bytes */
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00,
    0x24, 0x00, 0x04,                                                       /* PRIORITY */
    0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08,                         /* ICE-CONTROLLED tie breaker */
    0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, /* USERNAME "evtj:h6vY" + 3 bytes 0x20 padding */
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1,
    0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
    0xe5, 0x7a, 0x3b, 0xcf,
};

/* ---- RFC 5769 §2.2: IPv4 response, 192.0.2.1:32853 ---- */
static const uint8_t rfc_resp4[] = {
    0x01, 0x01, 0x00, 0x3c, /* Binding success, length 60 */
    0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80,
    0x22, 0x00, 0x0b, /* SOFTWARE "test vector" + 0x20 pad */
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS */
    0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0,
    0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
    0xc0, 0x7d, 0x4c, 0x96,
};

/* ---- RFC 5769 §2.3: IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853 ---- */
static const uint8_t rfc_resp6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87,
    0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, /* XOR-MAPPED-ADDRESS, IPv6 */
    0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2,
    0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c,
    0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* ---- RFC 5769 §2.4: long-term credentials (no FINGERPRINT) ---- */
static const uint8_t rfc_longterm[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29,
    0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, /* USERNAME (18 bytes, katakana "matrix") + 2 pad */
    0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82,
    0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, /* NONCE "f//499k954d6OL34oL9FSTvy64sA" */
    0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f,
    0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, /* REALM "example.org" + 1 pad */
    0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c,
    0xa8, 0x96, 0x66,
};

#define PWD "VOkJxbRl1RmTxUk/WvJxBt"
#define KEY (const uint8_t *)PWD, strlen(PWD)
static const uint8_t rfc_tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static void test_rfc_request(void)
{
	struct stun_msg m;
	const char *err = NULL;
	CHECK(stun_is_stun(rfc_request, sizeof rfc_request), "is_stun");
	int rc = stun_msg_parse(&m, rfc_request, sizeof rfc_request, &err);
	CHECK(rc == STUN_OK, "parse: %s", err);
	CHECK(m.type == STUN_BINDING_REQUEST, "type %04x", m.type);
	CHECK(stun_type_class(m.type) == STUN_CLASS_REQUEST && stun_type_method(m.type) == STUN_METHOD_BINDING,
	      "class");
	CHECK(memcmp(m.tid, rfc_tid, 12) == 0, "tid");
	CHECK(m.software_len == 16 && memcmp(m.software, "STUN test client", 16) == 0, "software");
	CHECK(m.priority == 0x6e0001ff, "priority %08x", m.priority);
	CHECK(STUN_HAS(&m, STUN_ATTR_ICE_CONTROLLED) && m.ice_controlled == 0x932ff9b151263b36ull, "controlled");
	CHECK(!STUN_HAS(&m, STUN_ATTR_ICE_CONTROLLING) && !STUN_HAS(&m, STUN_ATTR_USE_CANDIDATE), "flags");
	CHECK(m.username_len == 9 && memcmp(m.username, "evtj:h6vY", 9) == 0, "username");
	CHECK(m.mi_offset == 76 && m.fp_offset == 100, "offsets %zu %zu", m.mi_offset, m.fp_offset);
	CHECK(stun_msg_verify_fingerprint(&m, rfc_request, sizeof rfc_request) == STUN_OK, "fp");
	CHECK(stun_msg_verify_integrity(&m, rfc_request, sizeof rfc_request, KEY) == STUN_OK, "mi");
	CHECK(stun_msg_verify_integrity(&m, rfc_request, sizeof rfc_request, (const uint8_t *)"wrong", 5) ==
		  STUN_ERR_INTEGRITY,
	      "wrong pwd");
	/* parse -> serialize gives the same bytes (0x20 padding as in the RFC) */
	uint8_t out[256];
	int n = stun_msg_serialize(&m, out, sizeof out, KEY, 0x20);
	CHECK(n == (int)sizeof rfc_request && memcmp(out, rfc_request, sizeof rfc_request) == 0, "reserialize %d", n);
}

static void check_response(const uint8_t *vec, size_t len, uint8_t family, const uint8_t *ip)
{
	struct stun_msg m;
	const char *err = NULL;
	CHECK(stun_msg_parse(&m, vec, len, &err) == STUN_OK, "parse: %s", err);
	CHECK(m.type == STUN_BINDING_SUCCESS && stun_type_class(m.type) == STUN_CLASS_SUCCESS, "type");
	CHECK(m.xor_mapped.family == family && m.xor_mapped.port == 32853, "addr fam %d port %d", m.xor_mapped.family,
	      m.xor_mapped.port);
	CHECK(memcmp(m.xor_mapped.ip, ip, family == STUN_AF_V4 ? 4 : 16) == 0, "ip");
	CHECK(m.software_len == 11 && memcmp(m.software, "test vector", 11) == 0, "software");
	CHECK(stun_msg_verify_fingerprint(&m, vec, len) == STUN_OK, "fp");
	CHECK(stun_msg_verify_integrity(&m, vec, len, KEY) == STUN_OK, "mi");
	/* Build the same response with the writer: SOFTWARE, XOR-MAPPED-ADDRESS, MI, FP, 0x20 padding. */
	uint8_t out[256];
	struct stun_writer w;
	stun_writer_init(&w, out, sizeof out, STUN_BINDING_SUCCESS, rfc_tid);
	w.pad = 0x20;
	stun_writer_add(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_writer_add_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &m.xor_mapped);
	stun_writer_add_integrity(&w, KEY);
	stun_writer_add_fingerprint(&w);
	int n = stun_writer_finish(&w);
	CHECK(n == (int)len && memcmp(out, vec, len) == 0, "built response differs (%d)", n);
	n = stun_msg_serialize(&m, out, sizeof out, KEY, 0x20);
	CHECK(n == (int)len && memcmp(out, vec, len) == 0, "reserialize %d", n);
}

static void test_rfc_responses(void)
{
	static const uint8_t ip4[4] = {192, 0, 2, 1};
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
					0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
	check_response(rfc_resp4, sizeof rfc_resp4, STUN_AF_V4, ip4);
	check_response(rfc_resp6, sizeof rfc_resp6, STUN_AF_V6, ip6);
}

static void test_rfc_longterm(void)
{
	struct stun_msg m;
	const char *err = NULL;
	CHECK(stun_msg_parse(&m, rfc_longterm, sizeof rfc_longterm, &err) == STUN_OK, "parse: %s", err);
	CHECK(m.realm_len == 11 && memcmp(m.realm, "example.org", 11) == 0, "realm");
	CHECK(m.nonce_len == 28 && memcmp(m.nonce, "f//499k954d6OL34oL9FSTvy64sA", 28) == 0, "nonce");
	CHECK(m.username_len == 18, "username len");
	CHECK(stun_msg_verify_fingerprint(&m, rfc_longterm, sizeof rfc_longterm) == STUN_ERR_NO_FINGERPRINT, "no fp");
	/* RFC 8489 §9.2.2: key = MD5(username ":" realm ":" SASLprep(password)); SASLprep("The\u00adM\u00aatr\u2168")
     * is "TheMatrIX". */
	char in[64];
	int l = snprintf(in, sizeof in, "%.*s:example.org:TheMatrIX", (int)m.username_len, m.username);
	uint8_t key[16];
	unsigned kl = 0;
	EVP_Digest(in, (size_t)l, key, &kl, EVP_md5(), NULL);
	CHECK(stun_msg_verify_integrity(&m, rfc_longterm, sizeof rfc_longterm, key, kl) == STUN_OK, "long-term mi");
	uint8_t out[256];
	int n = stun_msg_serialize(&m, out, sizeof out, key, kl, 0);
	CHECK(n == (int)sizeof rfc_longterm && memcmp(out, rfc_longterm, sizeof rfc_longterm) == 0, "reserialize %d",
	      n);
}

/* ---- malformed and edge cases, each built from the sample request or with the writer ---- */

typedef size_t (*build_fn)(uint8_t *buf);

static size_t copy_req(uint8_t *b)
{
	memcpy(b, rfc_request, sizeof rfc_request);
	return sizeof rfc_request;
}
static size_t b_truncated(uint8_t *b)
{
	copy_req(b);
	return 19;
}
static size_t b_empty(uint8_t *b)
{
	(void)b;
	return 0;
}
static size_t b_cookie(uint8_t *b)
{
	size_t n = copy_req(b);
	b[4] ^= 1;
	return n;
}
static size_t b_topbits(uint8_t *b)
{
	size_t n = copy_req(b);
	b[0] |= 0x80;
	return n;
}
static size_t b_len_odd(uint8_t *b)
{
	size_t n = copy_req(b);
	b[3] = 0x59;
	return n;
}
static size_t b_len_short_dgram(uint8_t *b)
{
	return copy_req(b) - 4;
}
static size_t b_attr_past_end(uint8_t *b)
{
	size_t n = copy_req(b);
	b[62] = 0x01;
	return n; /* USERNAME len 0x109 */
}
static size_t b_mi_len(uint8_t *b)
{
	size_t n = copy_req(b);
	b[79] = 0x10;
	return n; /* MI len 16 */
}
static size_t b_fp_flip(uint8_t *b)
{
	size_t n = copy_req(b);
	b[105] ^= 1;
	return n;
}
static size_t b_mi_flip(uint8_t *b)
{
	size_t n = copy_req(b);
	b[90] ^= 1;
	return n;
}
static size_t b_user_flip(uint8_t *b)
{
	size_t n = copy_req(b);
	b[64] ^= 1;
	return n;
}
static size_t b_pad_change(uint8_t *b)
{
	size_t n = copy_req(b);
	b[73] = 0;
	return n; /* padding is covered by MI */
}
static size_t b_header_only(uint8_t *b)
{
	copy_req(b);
	b[2] = b[3] = 0;
	return 20;
}

static size_t with_writer(uint8_t *b, void (*body)(struct stun_writer *))
{
	struct stun_writer w;
	stun_writer_init(&w, b, 1024, STUN_BINDING_REQUEST, rfc_tid);
	body(&w);
	int n = stun_writer_finish(&w);
	return n < 0 ? 0 : (size_t)n;
}
static void w_after_fp(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_USERNAME, "a:b", 3);
	stun_writer_add_fingerprint(w);
	stun_writer_add_u32(w, STUN_ATTR_PRIORITY, 1);
}
static void w_mi_after_fp(struct stun_writer *w)
{
	stun_writer_add_fingerprint(w);
	stun_writer_add_integrity(w, KEY);
}
static void w_between_mi_fp(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_USERNAME, "a:b", 3);
	stun_writer_add_integrity(w, KEY);
	stun_writer_add_u32(w, STUN_ATTR_PRIORITY, 7); /* RFC 8489 §14.5: ignored */
	stun_writer_add_fingerprint(w);
}
static void w_no_mi(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_USERNAME, "a:b", 3);
	stun_writer_add_fingerprint(w);
}
static void w_bad_family(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\3\0\1abcd", 8);
}
static void w_v4_len(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\1\0\1abcdef", 10);
}
static void w_err_class(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_ERROR_CODE, "\0\0\7\0", 4);
}
static void w_err_short(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_ERROR_CODE, "\0\0", 2);
}
static void w_prio_len(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_PRIORITY, "abc", 3);
}
static void w_ctl_len(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_ICE_CONTROLLING, "abcd", 4);
}
static void w_usecand_len(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_USE_CANDIDATE, "a", 1);
}
static void w_fp_len(struct stun_writer *w)
{
	stun_writer_add(w, STUN_ATTR_FINGERPRINT, "abcdefgh", 8);
}
static void w_unknown(struct stun_writer *w)
{
	stun_writer_add(w, 0x0030, "x", 1);    /* comprehension-required: listed */
	stun_writer_add(w, 0xC057, "xxxx", 4); /* comprehension-optional (GOOG-NETWORK-INFO): skipped */
	stun_writer_add_integrity(w, KEY);
	stun_writer_add_fingerprint(w);
}
static void w_dup(struct stun_writer *w)
{
	stun_writer_add_u32(w, STUN_ATTR_PRIORITY, 1);
	stun_writer_add_u32(w, STUN_ATTR_PRIORITY, 2); /* only the first counts */
}
static void w_long_user(struct stun_writer *w)
{
	static char u[513];
	memset(u, 'u', sizeof u);
	stun_writer_add(w, STUN_ATTR_USERNAME, u, sizeof u);
}
/* clang-format off: a list of macro calls without semicolons, which clang-format 14 does not format stably */
#define W(fn)                              \
	static size_t b_##fn(uint8_t *b)   \
	{                                  \
		return with_writer(b, fn); \
	}
W(w_after_fp)
W(w_mi_after_fp)
W(w_between_mi_fp)
W(w_no_mi)
W(w_bad_family)
W(w_v4_len)
W(w_err_class)
W(w_err_short)
W(w_prio_len)
W(w_ctl_len)
W(w_usecand_len)
W(w_fp_len)
W(w_unknown)
W(w_dup)
W(w_long_user)
/* clang-format on */

struct bad_case {
	const char *name;
	build_fn build;
	int parse_rc, fp_rc, mi_rc; /* expected; fp/mi only checked when parse succeeds */
};

static const struct bad_case bad_cases[] = {
    {"empty", b_empty, STUN_ERR_TRUNCATED, 0, 0},
    {"truncated header", b_truncated, STUN_ERR_TRUNCATED, 0, 0},
    {"bad cookie", b_cookie, STUN_ERR_COOKIE, 0, 0},
    {"top bits set", b_topbits, STUN_ERR_NOT_STUN, 0, 0},
    {"length not multiple of 4", b_len_odd, STUN_ERR_LENGTH, 0, 0},
    {"datagram shorter than length", b_len_short_dgram, STUN_ERR_LENGTH, 0, 0},
    {"attribute length past end", b_attr_past_end, STUN_ERR_ATTR_TRUNCATED, 0, 0},
    {"MI length 16", b_mi_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"wrong fingerprint", b_fp_flip, STUN_OK, STUN_ERR_FINGERPRINT, STUN_OK},
    {"wrong MI bytes", b_mi_flip, STUN_OK, STUN_ERR_FINGERPRINT, STUN_ERR_INTEGRITY},
    {"tampered username", b_user_flip, STUN_OK, STUN_ERR_FINGERPRINT, STUN_ERR_INTEGRITY},
    {"tampered padding", b_pad_change, STUN_OK, STUN_ERR_FINGERPRINT, STUN_ERR_INTEGRITY},
    {"header only", b_header_only, STUN_OK, STUN_ERR_NO_FINGERPRINT, STUN_ERR_NO_INTEGRITY},
    {"attribute after FP", b_w_after_fp, STUN_ERR_AFTER_FINGERPRINT, 0, 0},
    {"MI after FP", b_w_mi_after_fp, STUN_ERR_AFTER_FINGERPRINT, 0, 0},
    {"attribute between MI and FP ignored", b_w_between_mi_fp, STUN_OK, STUN_OK, STUN_OK},
    {"no MI", b_w_no_mi, STUN_OK, STUN_OK, STUN_ERR_NO_INTEGRITY},
    {"XOR address family 3", b_w_bad_family, STUN_ERR_ATTR_VALUE, 0, 0},
    {"IPv4 address length 10", b_w_v4_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"ERROR-CODE class 7", b_w_err_class, STUN_ERR_ATTR_VALUE, 0, 0},
    {"ERROR-CODE short", b_w_err_short, STUN_ERR_ATTR_VALUE, 0, 0},
    {"PRIORITY length 3", b_w_prio_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"ICE-CONTROLLING length 4", b_w_ctl_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"USE-CANDIDATE with value", b_w_usecand_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"FINGERPRINT length 8", b_w_fp_len, STUN_ERR_ATTR_VALUE, 0, 0},
    {"unknown attributes", b_w_unknown, STUN_OK, STUN_OK, STUN_OK},
    {"duplicate PRIORITY", b_w_dup, STUN_OK, STUN_ERR_NO_FINGERPRINT, STUN_ERR_NO_INTEGRITY},
    {"USERNAME 513 bytes", b_w_long_user, STUN_ERR_ATTR_VALUE, 0, 0},
};

static void test_bad_cases(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		uint8_t buf[1024];
		size_t n = c->build(buf);
		struct stun_msg m;
		const char *err = NULL;
		int rc = stun_msg_parse(&m, buf, n, &err);
		CHECK(rc == c->parse_rc, "%s: parse %d (%s), want %d", c->name, rc, err, c->parse_rc);
		CHECK(err && strncmp(err, "stun: ", 6) == 0, "%s: error string", c->name);
		if (rc != STUN_OK || c->parse_rc != STUN_OK)
			continue;
		rc = stun_msg_verify_fingerprint(&m, buf, n);
		CHECK(rc == c->fp_rc, "%s: fp %d want %d", c->name, rc, c->fp_rc);
		rc = stun_msg_verify_integrity(&m, buf, n, KEY);
		CHECK(rc == c->mi_rc, "%s: mi %d want %d", c->name, rc, c->mi_rc);
	}
	/* details of the accepted edge cases */
	uint8_t buf[1024];
	struct stun_msg m;
	size_t n = b_w_unknown(buf);
	CHECK(stun_msg_parse(&m, buf, n, NULL) == STUN_OK && m.unknown_required_count == 1 &&
		  m.unknown_required[0] == 0x0030,
	      "unknown listed");
	n = b_w_between_mi_fp(buf);
	CHECK(stun_msg_parse(&m, buf, n, NULL) == STUN_OK && m.ignored_after_mi == 1 &&
		  !STUN_HAS(&m, STUN_ATTR_PRIORITY),
	      "ignored after MI");
	n = b_w_dup(buf);
	CHECK(stun_msg_parse(&m, buf, n, NULL) == STUN_OK && m.priority == 1, "first duplicate wins");
	CHECK(!stun_is_stun(buf, 19) && !stun_is_stun(NULL, 0), "is_stun short");
	static const uint8_t rtp[20] = {0x80, 0x60};
	CHECK(!stun_is_stun(rtp, sizeof rtp), "RTP is not STUN");
	CHECK(strcmp(stun_strerror(-999), "stun: unknown error") == 0, "strerror range");
}

/* ---- builders ---- */

static void test_builders(void)
{
	uint8_t buf[512];
	struct stun_msg m;
	struct stun_addr a = {.family = STUN_AF_V4, .port = 50000, .ip = {127, 0, 0, 1}};
	int n = stun_build_binding_success(buf, sizeof buf, rfc_tid, &a, KEY);
	CHECK(n == 20 + 12 + 24 + 8, "success len %d", n);
	CHECK(stun_msg_parse(&m, buf, (size_t)n, NULL) == STUN_OK, "success parse");
	CHECK(m.type == STUN_BINDING_SUCCESS && m.xor_mapped.family == a.family && m.xor_mapped.port == a.port &&
		  memcmp(m.xor_mapped.ip, a.ip, 16) == 0,
	      "success addr");
	CHECK(stun_msg_verify_integrity(&m, buf, (size_t)n, KEY) == STUN_OK, "success mi");
	CHECK(stun_msg_verify_fingerprint(&m, buf, (size_t)n) == STUN_OK, "success fp");
	CHECK(stun_build_binding_success(buf, 60, rfc_tid, &a, KEY) == STUN_ERR_NOSPACE, "success nospace");
	struct stun_addr bad = {.family = 9};
	CHECK(stun_build_binding_success(buf, sizeof buf, rfc_tid, &bad, KEY) == STUN_ERR_ARG, "bad family");

	static const struct {
		uint16_t code;
		const char *reason;
		bool mi;
	} errs[] = {
	    {400, NULL, false}, {401, NULL, false}, {487, NULL, true}, {420, "Unknown Attribute", true},
	    {500, "x", false},
	};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		uint16_t unk[2] = {0x0030, 0x0031};
		size_t nunk = errs[i].code == 420 ? 2 : 0;
		n = stun_build_binding_error(buf, sizeof buf, rfc_tid, errs[i].code, errs[i].reason, unk, nunk,
					     errs[i].mi ? (const uint8_t *)PWD : NULL, errs[i].mi ? strlen(PWD) : 0);
		CHECK(n > 0 && stun_msg_parse(&m, buf, (size_t)n, NULL) == STUN_OK, "error %d parse", errs[i].code);
		CHECK(m.type == STUN_BINDING_ERROR && m.error_code == errs[i].code, "error code %d", m.error_code);
		CHECK(m.error_reason_len > 0 && m.unknown_attrs_count == nunk, "error reason/unknown %d", errs[i].code);
		CHECK(stun_msg_verify_fingerprint(&m, buf, (size_t)n) == STUN_OK, "error fp");
		int want = errs[i].mi ? STUN_OK : STUN_ERR_NO_INTEGRITY;
		CHECK(stun_msg_verify_integrity(&m, buf, (size_t)n, KEY) == want, "error mi %d", errs[i].code);
	}
	CHECK(stun_build_binding_error(buf, sizeof buf, rfc_tid, 200, NULL, NULL, 0, NULL, 0) == STUN_ERR_ARG,
	      "code 200");

	struct stun_binding_request r = {.username = "srv:cli",
					 .priority = 1853824767u,
					 .controlling = true,
					 .tie_breaker = 0x0102030405060708ull,
					 .use_candidate = true,
					 .key = (const uint8_t *)"serverpwd-0123456789ab",
					 .key_len = 22};
	memcpy(r.tid, rfc_tid, 12);
	n = stun_build_binding_request(buf, sizeof buf, &r);
	CHECK(n > 0 && stun_msg_parse(&m, buf, (size_t)n, NULL) == STUN_OK, "request parse %d", n);
	CHECK(m.username_len == 7 && memcmp(m.username, "srv:cli", 7) == 0, "req username");
	CHECK(m.priority == r.priority && m.ice_controlling == r.tie_breaker, "req prio/tiebreak");
	CHECK(STUN_HAS(&m, STUN_ATTR_USE_CANDIDATE) && !STUN_HAS(&m, STUN_ATTR_ICE_CONTROLLED), "req flags");
	CHECK(stun_msg_verify_integrity(&m, buf, (size_t)n, r.key, r.key_len) == STUN_OK, "req mi");
	CHECK(stun_msg_verify_fingerprint(&m, buf, (size_t)n) == STUN_OK, "req fp");
	/* round trip: serialize the parsed request again gives the same bytes */
	uint8_t again[512];
	int n2 = stun_msg_serialize(&m, again, sizeof again, r.key, r.key_len, 0);
	CHECK(n2 == n && memcmp(buf, again, (size_t)n) == 0, "req round trip");
	for (size_t cap = 0; cap < (size_t)n; cap += 7)
		CHECK(stun_build_binding_request(buf, cap, &r) == STUN_ERR_NOSPACE, "req cap %zu", cap);
}

static void test_helpers(void)
{
	struct stun_msg m;
	CHECK(stun_msg_parse(&m, rfc_request, sizeof rfc_request, NULL) == STUN_OK, "parse");
	static const struct {
		const char *ufrag;
		bool want;
	} cases[] = {
	    {"evtj", true}, {"evt", false}, {"evtj:h6vY", false}, {"EVTJ", false}, {"", false}, {NULL, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(stun_msg_username_is_for(&m, cases[i].ufrag) == cases[i].want, "ufrag case %zu", i);
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(3478)};
	in4.sin_addr.s_addr = htonl(0x7f000001);
	struct stun_addr a;
	CHECK(stun_addr_from_sockaddr(&a, &in4) == STUN_OK && a.family == STUN_AF_V4 && a.port == 3478 &&
		  a.ip[0] == 127 && a.ip[3] == 1,
	      "sockaddr_in");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	CHECK(stun_addr_from_sockaddr(&a, &in6) == STUN_OK && a.family == STUN_AF_V6 && a.port == 9 && a.ip[15] == 1,
	      "sockaddr_in6");
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK(stun_addr_from_sockaddr(&a, &un) == STUN_ERR_ARG, "AF_UNIX");
}

static void test_crc(void)
{
	CHECK(stun_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "crc check value");
	CHECK(stun_type_method(0x0111) == 1 && stun_type_class(0x0111) == STUN_CLASS_ERROR, "type bits");
	CHECK(stun_type_class(STUN_BINDING_INDICATION) == STUN_CLASS_INDICATION, "indication");
}

/* MESSAGE-INTEGRITY against OpenSSL's one-shot HMAC() over the same bytes (header with the length ending at MI,
 * then the body), for keys of 0, 22, 64 (one SHA-1 block) and 100 bytes (hashed first, RFC 2104), from four
 * threads at once (each has its own MAC context). */
struct mi_job {
	size_t key_len;
	int bad;
};

static void *mi_thread(void *arg)
{
	struct mi_job *j = arg;
	uint8_t key[100];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 7 + j->key_len);
	for (int round = 0; round < 300; round++) {
		struct stun_binding_request r = {.username = "remote:local",
						 .priority = (uint32_t)round,
						 .controlling = true,
						 .tie_breaker = (uint64_t)round,
						 .key = key,
						 .key_len = j->key_len};
		r.tid[0] = (uint8_t)round;
		uint8_t buf[256], copy[256], want[EVP_MAX_MD_SIZE];
		int n = stun_build_binding_request(buf, sizeof buf, &r);
		struct stun_msg m;
		if (n <= 0 || stun_msg_parse(&m, buf, (size_t)n, NULL) || !m.mi_offset) {
			j->bad++;
			continue;
		}
		size_t mi = m.mi_offset;
		memcpy(copy, buf, mi);
		copy[2] = (uint8_t)((mi + 24 - 20) >> 8), copy[3] = (uint8_t)(mi + 24 - 20);
		unsigned wl = 0;
		HMAC(EVP_sha1(), key, (int)j->key_len, copy, mi, want, &wl);
		j->bad += wl != 20 || memcmp(buf + mi + 4, want, 20) != 0;
		j->bad += stun_msg_verify_integrity(&m, buf, (size_t)n, key, j->key_len) != STUN_OK;
		key[j->key_len ? round % j->key_len : 0] ^= j->key_len ? 1 : 0; /* another key next round */
	}
	return NULL;
}

static void test_integrity_threads(void)
{
	struct mi_job jobs[4] = {{.key_len = 0}, {.key_len = 22}, {.key_len = 64}, {.key_len = 100}};
	pthread_t th[4];
	int started = 0;
	for (int i = 0; i < 4; i++)
		started += pthread_create(&th[i], NULL, mi_thread, &jobs[i]) == 0;
	CHECK(started == 4, "threads");
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK(jobs[i].bad == 0, "key of %zu bytes: %d of 300 messages differ from HMAC()", jobs[i].key_len,
		      jobs[i].bad);
}

int main(void)
{
	test_rfc_request();
	test_rfc_responses();
	test_rfc_longterm();
	test_bad_cases();
	test_builders();
	test_crc();
	test_helpers();
	test_integrity_threads();
	printf("test_stun: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
