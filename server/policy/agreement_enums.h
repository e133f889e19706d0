/* agreement_enums.h: channels, channel modes and agreement states, and their names on the wire and in SQL. */
#ifndef SAMVAER_AGREEMENT_ENUMS_H
#define SAMVAER_AGREEMENT_ENUMS_H

enum channel { CH_TEXT, CH_PHOTO, CH_VIDEO_CLIP, CH_VOICE_NOTE, CH_VOICE_CALL, CH_VIDEO_CALL, CH__COUNT };
enum channel_mode { MODE_OFF, MODE_ALLOWED, MODE_MODERATED, MODE__COUNT };
enum agreement_status { AG_DRAFT, AG_PENDING, AG_ACTIVE, AG_SUSPENDED, AG_ENDED, AG__COUNT };

const char *channel_name(enum channel c);           /* "text", "voice_call", ... */
int channel_parse(const char *s);                   /* -1 if unknown */
const char *channel_mode_name(enum channel_mode m); /* "off", "allowed", "moderated" */
int channel_mode_parse(const char *s);
const char *agreement_status_name(enum agreement_status s); /* "draft", ... */
int agreement_status_parse(const char *s);

#endif
