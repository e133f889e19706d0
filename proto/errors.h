/* errors.h: the protocol's stable error codes and their default human messages, from one X-macro list. */
#ifndef SAMVAER_PROTO_ERRORS_H
#define SAMVAER_PROTO_ERRORS_H

/* X(enum suffix, wire code, default message) */
#define PROTO_ERRORS(X)                                                                                          \
	X(OK, "ok", "ok")                                                                                        \
	X(MALFORMED_JSON, "malformed_json", "The message is not a JSON object.")                                 \
	X(BAD_REQUEST, "bad_request", "The request is missing a member or has one of the wrong type.")           \
	X(UNKNOWN_TYPE, "unknown_type", "Unknown request type.")                                                 \
	X(UNAUTHENTICATED, "unauthenticated", "Please log in first.")                                            \
	X(ALREADY_AUTHENTICATED, "already_authenticated", "This connection is already logged in.")               \
	X(BAD_CREDENTIALS, "bad_credentials", "Wrong username or password.")                                     \
	X(RATE_LIMITED, "rate_limited", "Too many attempts. Please wait and try again.")                         \
	X(TOKEN_INVALID, "token_invalid", "Your session has expired. Please log in again.")                      \
	X(ACCOUNT_DISABLED, "account_disabled", "This account is disabled.")                                     \
	X(TEXT_EMPTY, "text_empty", "The message is empty.")                                                     \
	X(TEXT_TOO_LONG, "text_too_long", "The message is too long (at most 2000 characters).")                  \
	X(IDEMPOTENCY_CONFLICT, "idempotency_conflict", "This client_key was already used for another message.") \
	X(STORE_UNAVAILABLE, "store_unavailable", "The message could not be saved. Please try again.")           \
	X(INTERNAL, "internal", "Something went wrong on the server.")                                           \
	X(POLICY, "policy", "Refused by the contact agreement.")                                                 \
	X(NO_CALL, "no_call", "There is no such call (it may have ended).")                                      \
	X(CALL_STATE, "call_state", "The call cannot do that now.")                                              \
	X(BUSY, "busy", "You are already in a call.")                                                            \
	X(SDP_REJECTED, "sdp_rejected", "The call could not use this offer.")                                    \
	X(PUSH_ENDPOINT_INVALID, "push_endpoint_invalid",                                                        \
	  "This notification address cannot be used (it must be an https:// address).")                          \
	X(PUSH_KEYS_INVALID, "push_keys_invalid", "The browser's notification keys are not valid.")              \
	X(PUSH_LIMIT, "push_limit",                                                                              \
	  "Too many devices get notifications for this account. Turn them off on a device you no longer use.")   \
	X(SUPERVISOR_ABSENT, "supervisor_absent",                                                                \
	  "This call needs a supervisor, and none is available now. Please try again later.")

enum proto_error {
#define PROTO_ERR_ENUM(name, code, msg) PROTO_ERR_##name,
	PROTO_ERRORS(PROTO_ERR_ENUM)
#undef PROTO_ERR_ENUM
	    PROTO_ERR__COUNT
};

/* Wire code ("bad_request") of an error. */
const char *proto_error_code(enum proto_error e);
/* Default English message of an error. */
const char *proto_error_message(enum proto_error e);

#endif
