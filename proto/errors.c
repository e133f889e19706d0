/* errors.c: names and messages of the protocol error codes, generated from PROTO_ERRORS. */
#include "proto/errors.h"

static const char *const codes[] = {
#define PROTO_ERR_CODE(name, code, msg) code,
    PROTO_ERRORS(PROTO_ERR_CODE)
#undef PROTO_ERR_CODE
};

static const char *const messages[] = {
#define PROTO_ERR_MSG(name, code, msg) msg,
    PROTO_ERRORS(PROTO_ERR_MSG)
#undef PROTO_ERR_MSG
};

const char *proto_error_code(enum proto_error e)
{
	return (unsigned)e < PROTO_ERR__COUNT ? codes[e] : "internal";
}

const char *proto_error_message(enum proto_error e)
{
	return (unsigned)e < PROTO_ERR__COUNT ? messages[e] : messages[PROTO_ERR_INTERNAL];
}
