/* ice.h: ICE for one peer connection: ICE-lite responder (server), minimal controlling initiator (test peer), consent freshness. */
#ifndef SAMVAER_MEDIA_ICE_H
#define SAMVAER_MEDIA_ICE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Model (RFC 8445 §2.5 ICE-lite, RFC 7675 consent freshness)
 *   ICE_ROLE_LITE         the server: answers Binding requests that carry "<local ufrag>:<remote ufrag>" and a
 *                         MESSAGE-INTEGRITY keyed with the local password. The first valid request selects its
 *                         source address; a request with USE-CANDIDATE (re)selects. Valid requests from the
 *                         selected address refresh consent.
 *   ICE_ROLE_CONTROLLING  the test peer / load generator: sends Binding requests with USE-CANDIDATE to one
 *                         remote candidate (every ICE_CHECK_INTERVAL_MS until answered, then every
 *                         ICE_CONSENT_INTERVAL_MS); a valid success response selects and refreshes consent.
 *                         It also answers valid Binding requests (an SFU running full libnice checks back), without
 *                         changing its selection.
 * No allocation, no locks; one agent belongs to one thread.
 */

#define ICE_UFRAG_GEN_LEN 8          /* generated ufrag length (RFC 8839 §5.4: >= 4) */
#define ICE_PWD_GEN_LEN 24           /* generated password length (>= 22) */
#define ICE_CRED_MAX 257             /* ufrag / pwd storage incl. NUL */
#define ICE_CONSENT_TIMEOUT_MS 30000 /* RFC 7675 §5.1 */
#define ICE_CHECK_INTERVAL_MS 50     /* controlling: retry until answered */
#define ICE_CONSENT_INTERVAL_MS 2000 /* controlling: keep-alive / consent checks */

enum ice_role { ICE_ROLE_LITE = 0, ICE_ROLE_CONTROLLING = 1 };

enum ice_state {
	ICE_STATE_NEW = 0,      /* no valid check yet */
	ICE_STATE_CONNECTED,    /* an address is selected and consent is fresh */
	ICE_STATE_DISCONNECTED, /* consent expired (no valid check for consent_timeout_ms) */
};

/* Result bits of ice_agent_handle (>= 0), or a negative error. */
#define ICE_RX_REPLY 0x1      /* out holds a response to send back to the source address */
#define ICE_RX_SELECTED 0x2   /* the selected address changed (or was set for the first time) */
#define ICE_ERR_NOT_FOR_US -1 /* wrong USERNAME, or a response to no outstanding request */
#define ICE_ERR_PARSE -2      /* not a valid STUN message / bad FINGERPRINT */
#define ICE_ERR_AUTH -3       /* MESSAGE-INTEGRITY missing or wrong (a 400/401 reply may be in out) */
#define ICE_ERR_ARG -4

/* A UDP transport address as the socket layer gives it. */
struct ice_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} u;
	socklen_t len;
};

struct ice_agent {
	enum ice_role role;
	enum ice_state state;
	char local_ufrag[ICE_CRED_MAX], local_pwd[ICE_CRED_MAX];   /* ours (from our SDP) */
	char remote_ufrag[ICE_CRED_MAX], remote_pwd[ICE_CRED_MAX]; /* theirs (from their SDP) */
	struct ice_addr selected;                                  /* where media goes; valid when selected_gen > 0 */
	uint32_t selected_gen;                                     /* bumped each time the selected address changes */
	int64_t last_consent_ms;     /* last valid request (lite) / response (controlling) */
	uint32_t consent_timeout_ms; /* ICE_CONSENT_TIMEOUT_MS unless changed */
	/* controlling only */
	struct ice_addr remote_cand; /* the one remote candidate we check */
	uint64_t tie_breaker;
	uint8_t tid[12]; /* outstanding request */
	bool tid_valid;
	int64_t next_check_ms;
	uint64_t requests_answered; /* lite: valid requests answered; controlling: responses accepted */
};

/* Fill ufrag (ICE_UFRAG_GEN_LEN chars) and pwd (ICE_PWD_GEN_LEN chars) with random ice-chars, NUL-terminated.
 * Buffers must hold ICE_CRED_MAX. Returns 0 or ICE_ERR_ARG (RNG failure). */
int ice_credentials_generate(char *ufrag, char *pwd);

/* remote_cand: controlling role only (may be NULL for lite). Credentials longer than ICE_CRED_MAX-1: ICE_ERR_ARG. */
int ice_agent_init(struct ice_agent *a, enum ice_role role, const char *local_ufrag, const char *local_pwd,
		   const char *remote_ufrag, const char *remote_pwd, const struct ice_addr *remote_cand);

/* Feed one datagram that stun_is_stun() accepted, from address from. May write a response of *out_len bytes
 * into out (cap >= 128 is enough). Returns ICE_RX_* bits or a negative ICE_ERR_*. */
int ice_agent_handle(struct ice_agent *a, const uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now_ms,
		     uint8_t *out, size_t cap, size_t *out_len);

/* Timers: consent expiry (both roles) and, for the controlling role, a due Binding request written to out
 * (send it to a->remote_cand). Returns the request length, 0 if none. */
int ice_agent_tick(struct ice_agent *a, int64_t now_ms, uint8_t *out, size_t cap);

/* Address helpers. */
bool ice_addr_equal(const struct ice_addr *a, const struct ice_addr *b);
uint32_t ice_addr_hash(const struct ice_addr *a);
int ice_addr_from_string(struct ice_addr *out, const char *ip, uint16_t port); /* 0 or ICE_ERR_ARG */
const char *ice_state_name(enum ice_state s);

#endif
