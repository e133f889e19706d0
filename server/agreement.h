/* agreement.h: the contact agreement as plain data — what the store loads and the policy engine reads. */
#ifndef SAMVAER_AGREEMENT_H
#define SAMVAER_AGREEMENT_H

#include <stdint.h>

enum channel { CH_TEXT, CH_PHOTO, CH_VIDEO_CLIP, CH_VOICE_NOTE, CH_VOICE_CALL, CH_VIDEO_CALL, CH__COUNT };
enum channel_mode { MODE_OFF, MODE_ALLOWED, MODE_MODERATED, MODE__COUNT };
enum agreement_status { AG_DRAFT, AG_PENDING, AG_ACTIVE, AG_SUSPENDED, AG_ENDED, AG__COUNT };

struct agreement {
	int64_t id;                 /* agreements.id; also the conversation id */
	int64_t case_id;            /* the child's case */
	int64_t child_id;           /* account of the child */
	int64_t contact_id;         /* account of the contact */
	enum agreement_status status;
	uint8_t channels[CH__COUNT]; /* enum channel_mode per channel */
	int64_t valid_from;         /* ms; 0 = no start date */
	int64_t valid_until;        /* ms; 0 = no end date */
	char relationship[64];      /* label the child sees, e.g. "Dad" */
	char status_reason[160];    /* why suspended/ended (shown to adults only) */
	int64_t last_seq;           /* highest message seq stored (runtime, owned by messaging) */
};

const char *channel_name(enum channel c);         /* "text", "voice_call", ... */
int channel_parse(const char *s);                 /* -1 if unknown */
const char *channel_mode_name(enum channel_mode m); /* "off", "allowed", "moderated" */
int channel_mode_parse(const char *s);
const char *agreement_status_name(enum agreement_status s); /* "draft", ... */
int agreement_status_parse(const char *s);

/* The other party of an agreement for account `self`, or 0 if self is not a party. */
static inline int64_t agreement_peer(const struct agreement *a, int64_t self)
{
	return self == a->child_id ? a->contact_id : self == a->contact_id ? a->child_id : 0;
}

#endif
