/* errors.h: the protocol's stable error codes and their default human messages, from one X-macro list. */
#ifndef SAMVAER_PROTO_ERRORS_H
#define SAMVAER_PROTO_ERRORS_H

/* X(enum suffix, wire code, default message) */
#define PROTO_ERRORS(X)                                                                                             \
	X(OK, "ok", "ok")                                                                                           \
	X(MALFORMED_JSON, "malformed_json", "The message is not a JSON object.")                                    \
	X(BAD_REQUEST, "bad_request", "The request is missing a member or has one of the wrong type.")              \
	X(UNKNOWN_TYPE, "unknown_type", "Unknown request type.")                                                    \
	X(UNAUTHENTICATED, "unauthenticated", "Please log in first.")                                               \
	X(ALREADY_AUTHENTICATED, "already_authenticated", "This connection is already logged in.")                  \
	X(BAD_CREDENTIALS, "bad_credentials", "Wrong username or password.")                                        \
	X(RATE_LIMITED, "rate_limited", "Too many attempts. Please wait and try again.")                            \
	X(TOKEN_INVALID, "token_invalid", "Your session has expired. Please log in again.")                         \
	X(ACCOUNT_DISABLED, "account_disabled", "This account is disabled.")                                        \
	X(TEXT_EMPTY, "text_empty", "The message is empty.")                                                        \
	X(TEXT_TOO_LONG, "text_too_long", "The message is too long (at most 2000 characters).")                     \
	X(IDEMPOTENCY_CONFLICT, "idempotency_conflict", "This client_key was already used for another message.")    \
	X(STORE_UNAVAILABLE, "store_unavailable", "The message could not be saved. Please try again.")              \
	X(INTERNAL, "internal", "Something went wrong on the server.")                                              \
	X(POLICY, "policy", "Refused by the contact agreement.")                                                    \
	X(NO_CALL, "no_call", "There is no such call (it may have ended).")                                         \
	X(CALL_STATE, "call_state", "The call cannot do that now.")                                                 \
	X(BUSY, "busy", "You are already in a call.")                                                               \
	X(SDP_REJECTED, "sdp_rejected", "The call could not use this offer.")                                       \
	X(INVITE_UNKNOWN, "invite_unknown", "This code is not right. Please check it and try again.")               \
	X(INVITE_USED, "invite_used", "This invitation has already been used.")                                     \
	X(INVITE_EXPIRED, "invite_expired", "This invitation has expired. Please ask for a new one.")               \
	X(INVITE_REVOKED, "invite_revoked", "This invitation was withdrawn. Please ask for a new one.")             \
	X(INVITE_LOCKED, "invite_locked", "This code was locked after too many wrong tries. Ask for a new one.")    \
	X(INVITE_CONFLICT, "invite_conflict", "You are already connected with this child.")                         \
	X(INVITE_WRONG_ACCOUNT, "invite_wrong_account", "Only a family member can accept an invitation.")           \
	X(USERNAME_TAKEN, "username_taken", "This username is taken. Please choose another one.")                   \
	X(PAIRING_INVALID, "pairing_invalid", "This pairing code is not valid. Check it or ask for a new one.")     \
	X(PAIRING_EXPIRED, "pairing_expired", "This pairing code has expired. Please ask for a new one.")           \
	X(PAIRING_USED, "pairing_used", "This pairing code was used already. Please ask for a new one.")            \
	X(DEVICE_INVALID, "device_invalid", "This device is no longer paired. Please pair it again.")               \
	X(NOT_FOUND, "not_found", "No such person, device or code in your care.")                                   \
	X(FORBIDDEN, "forbidden", "Your role may not do this.")                                                     \
	X(CONFLICT, "conflict", "That cannot be done in its present state.")                                        \
	X(PUSH_ENDPOINT_INVALID, "push_endpoint_invalid",                                                           \
	  "This notification address cannot be used (it must be an https:// address).")                             \
	X(PUSH_KEYS_INVALID, "push_keys_invalid", "The browser's notification keys are not valid.")                 \
	X(PUSH_LIMIT, "push_limit",                                                                                 \
	  "Too many devices get notifications for this account. Turn them off on a device you no longer use.")      \
	X(SUPERVISOR_ABSENT, "supervisor_absent",                                                                   \
	  "This call needs a supervisor, and none is available now. Please try again later.")                       \
	X(SEND_RATE_LIMITED, "send_rate_limited", "You are sending very fast. Please wait a moment and try again.") \
	X(ATTACHMENT_UNAVAILABLE, "attachment_unavailable",                                                         \
	  "This photo, video or voice note cannot be sent. Please add it again.")

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
