/* stun.h: STUN message codec for ICE-lite (RFC 8489/5389 wire format, RFC 8445 ICE attributes, RFC 7983 demux). */
#ifndef SAMVAER_MEDIA_STUN_H
#define SAMVAER_MEDIA_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread rules: functions over caller memory, no locks; error strings are static constants. HMAC-SHA1 (MESSAGE-
 * INTEGRITY) is OpenSSL's EVP_MAC: fetched once per process, one context per calling thread made on its first
 * use and freed at its exit; OpenSSL allocates a few small blocks inside each HMAC, nothing else does. */

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554Eu /* RFC 8489 §14.7 */
#define STUN_MI_LEN 20                   /* HMAC-SHA1 output */
#define STUN_TID_LEN 12
#define STUN_MAX_UNKNOWN 8    /* comprehension-required unknowns listed; more sets unknown_overflow */
#define STUN_MAX_ORDER 24     /* known attributes remembered in wire order (for re-serialization) */
#define STUN_MAX_USERNAME 512 /* RFC 8489 §14.3: less than 513 bytes */
#define STUN_MAX_REASON 763   /* RFC 8489 §14.8 */
#define STUN_MAX_TEXT 763     /* SOFTWARE, REALM, NONCE (RFC 8489 §14.9-14.14) */

/* Message types (method | class bits, RFC 8489 §5). */
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define STUN_METHOD_BINDING 0x001

enum stun_class { STUN_CLASS_REQUEST = 0, STUN_CLASS_INDICATION = 1, STUN_CLASS_SUCCESS = 2, STUN_CLASS_ERROR = 3 };

/* Attribute types (RFC 8489 §18.3, RFC 8445 §16.1). */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY 0x0024
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A

/* Error codes: stable negative numbers, one static "stun: ..." message each. */
#define STUN_ERRORS(X)                                                                              \
	X(STUN_OK, 0, "stun: ok")                                                                   \
	X(STUN_ERR_TRUNCATED, -1, "stun: shorter than the 20-byte header")                          \
	X(STUN_ERR_NOT_STUN, -2, "stun: first two bits not zero")                                   \
	X(STUN_ERR_COOKIE, -3, "stun: bad magic cookie")                                            \
	X(STUN_ERR_LENGTH, -4, "stun: message length not a multiple of 4 or not the datagram size") \
	X(STUN_ERR_ATTR_TRUNCATED, -5, "stun: attribute runs past the end of the message")          \
	X(STUN_ERR_ATTR_VALUE, -6, "stun: attribute value has the wrong size or content")           \
	X(STUN_ERR_AFTER_FINGERPRINT, -7, "stun: attribute after FINGERPRINT")                      \
	X(STUN_ERR_NO_INTEGRITY, -8, "stun: no MESSAGE-INTEGRITY attribute")                        \
	X(STUN_ERR_INTEGRITY, -9, "stun: MESSAGE-INTEGRITY mismatch")                               \
	X(STUN_ERR_NO_FINGERPRINT, -10, "stun: no FINGERPRINT attribute")                           \
	X(STUN_ERR_FINGERPRINT, -11, "stun: FINGERPRINT mismatch")                                  \
	X(STUN_ERR_NOSPACE, -12, "stun: output buffer too small")                                   \
	X(STUN_ERR_ARG, -13, "stun: invalid argument")

enum stun_err {
#define STUN_X_ENUM(name, val, msg) name = val,
	STUN_ERRORS(STUN_X_ENUM)
#undef STUN_X_ENUM
};

/* A transport address. ip is in network byte order; port in host order. */
struct stun_addr {
	uint8_t family; /* STUN_AF_V4 or STUN_AF_V6 (the STUN family codes) */
	uint16_t port;
	uint8_t ip[16]; /* first 4 bytes used for IPv4 */
};
#define STUN_AF_V4 0x01
#define STUN_AF_V6 0x02

/* Parsed view of one message. Text pointers refer to the parsed buffer and are not NUL-terminated. */
struct stun_msg {
	uint16_t type;             /* method and class, e.g. STUN_BINDING_REQUEST */
	uint16_t length;           /* body length from the header */
	uint8_t tid[STUN_TID_LEN]; /* transaction id */
	uint32_t present;          /* bit STUN_HAS(attr) set for each known attribute seen */
	const char *username;      /* USERNAME, e.g. "serverufrag:clientufrag" (RFC 8445 §7.2.2) */
	uint16_t username_len;
	const char *software; /* SOFTWARE */
	uint16_t software_len;
	const char *realm, *nonce; /* REALM, NONCE (long-term credentials only) */
	uint16_t realm_len, nonce_len;
	struct stun_addr xor_mapped; /* XOR-MAPPED-ADDRESS, already un-XORed */
	struct stun_addr mapped;     /* MAPPED-ADDRESS (legacy) */
	uint32_t priority;           /* PRIORITY */
	uint64_t ice_controlling;    /* ICE-CONTROLLING tie-breaker */
	uint64_t ice_controlled;     /* ICE-CONTROLLED tie-breaker */
	uint16_t error_code;         /* ERROR-CODE: class*100 + number (300..699) */
	const char *error_reason;
	uint16_t error_reason_len;
	uint16_t unknown_attrs[STUN_MAX_UNKNOWN]; /* UNKNOWN-ATTRIBUTES attribute content */
	uint8_t unknown_attrs_count;
	size_t mi_offset;                            /* offset of the MESSAGE-INTEGRITY attribute header, 0 if absent */
	size_t fp_offset;                            /* offset of the FINGERPRINT attribute header, 0 if absent */
	uint32_t fingerprint;                        /* FINGERPRINT value as received */
	uint16_t unknown_required[STUN_MAX_UNKNOWN]; /* comprehension-required types we do not know (for 420) */
	uint8_t unknown_required_count;
	bool unknown_overflow;          /* more than STUN_MAX_UNKNOWN of them */
	uint8_t ignored_after_mi;       /* attributes ignored because they followed MESSAGE-INTEGRITY */
	uint16_t order[STUN_MAX_ORDER]; /* known attribute types in wire order (first occurrence) */
	uint8_t order_count;
};

/* Bit for attribute type t in stun_msg.present (0 for types this module does not know). */
uint32_t stun_attr_bit(uint16_t type);
#define STUN_HAS(msg, type) (((msg)->present & stun_attr_bit(type)) != 0)

/* RFC 7983 demux: true if buf looks like STUN (first two bits 0, magic cookie, length multiple of 4). */
bool stun_is_stun(const uint8_t *buf, size_t len);
/* Parse a whole datagram. Returns STUN_OK or a negative stun_err; *err (if not NULL) gets the message. */
int stun_msg_parse(struct stun_msg *msg, const uint8_t *buf, size_t len, const char **err);
/* Check FINGERPRINT of a parsed message (RFC 8489 §14.7). STUN_ERR_NO_FINGERPRINT if absent. */
int stun_msg_verify_fingerprint(const struct stun_msg *msg, const uint8_t *buf, size_t len);
/* Check MESSAGE-INTEGRITY (RFC 8489 §14.5) with key (short-term: the ICE password, RFC 8445 §7.2.2). */
int stun_msg_verify_integrity(const struct stun_msg *msg, const uint8_t *buf, size_t len, const uint8_t *key,
			      size_t key_len);
/* RFC 8445 §7.3: a request to us carries USERNAME "<our ufrag>:<their ufrag>". True if it starts with
 * local_ufrag followed by ':' (constant time over the ufrag). */
bool stun_msg_username_is_for(const struct stun_msg *msg, const char *local_ufrag);
/* Fill a stun_addr from a struct sockaddr_in / sockaddr_in6 (passed as void*). STUN_ERR_ARG if neither. */
int stun_addr_from_sockaddr(struct stun_addr *out, const void *sockaddr);
/* Class and method of a message type (RFC 8489 §5). */
enum stun_class stun_type_class(uint16_t type);
uint16_t stun_type_method(uint16_t type);
/* Static message for a stun_err code. */
const char *stun_strerror(int code);
/* CRC-32 (ISO-HDLC, as used by FINGERPRINT before the XOR). */
uint32_t stun_crc32(uint32_t crc, const uint8_t *buf, size_t len);

/* Writer: appends attributes to a caller buffer. Errors are sticky and reported by stun_writer_finish. */
struct stun_writer {
	uint8_t *buf;
	size_t cap, len;
	int err;     /* first error, STUN_OK while fine */
	uint8_t pad; /* value of padding bytes (0; RFC 5769 vectors use 0x20) */
};
void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type, const uint8_t tid[STUN_TID_LEN]);
void stun_writer_add(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_writer_add_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_writer_add_u64(struct stun_writer *w, uint16_t type, uint64_t v);
void stun_writer_add_addr(struct stun_writer *w, uint16_t type, const struct stun_addr *a); /* XOR if XOR-MAPPED */
void stun_writer_add_error(struct stun_writer *w, uint16_t code, const char *reason);       /* NULL: default phrase */
void stun_writer_add_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len);
void stun_writer_add_fingerprint(struct stun_writer *w);
/* Returns the message length, or a negative stun_err. */
int stun_writer_finish(struct stun_writer *w);

/* Binding success response to request tid: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (key = our ICE pwd),
 * FINGERPRINT. Returns length or negative stun_err. */
int stun_build_binding_success(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN],
			       const struct stun_addr *mapped, const uint8_t *key, size_t key_len);
/* Binding error response (e.g. 400, 401, 420, 487). For 420, unknown lists the attribute types.
 * key may be NULL (no MESSAGE-INTEGRITY, as for 400/401). FINGERPRINT is always added. */
int stun_build_binding_error(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN], uint16_t code,
			     const char *reason, const uint16_t *unknown, size_t unknown_count, const uint8_t *key,
			     size_t key_len);

/* Binding request of an ICE agent (the team's test peer). */
struct stun_binding_request {
	uint8_t tid[STUN_TID_LEN];
	const char *username; /* "remoteufrag:localufrag" */
	uint32_t priority;
	bool controlling; /* ICE-CONTROLLING if true, else ICE-CONTROLLED */
	uint64_t tie_breaker;
	bool use_candidate;
	const uint8_t *key; /* remote ICE pwd */
	size_t key_len;
};
int stun_build_binding_request(uint8_t *buf, size_t cap, const struct stun_binding_request *req);

/* Re-serialize a parsed message: known attributes in their original order; MESSAGE-INTEGRITY recomputed
 * with key (skipped if key is NULL), FINGERPRINT recomputed. Unknown attributes are dropped. */
int stun_msg_serialize(const struct stun_msg *msg, uint8_t *buf, size_t cap, const uint8_t *key, size_t key_len,
		       uint8_t pad);

#endif
