/* agreement.c: names of channels, channel modes and agreement states as they appear on the wire and in SQL. */
#include "server/policy/agreement_enums.h"

#include <string.h>

static const char *const channel_names[CH__COUNT] = {"text",       "photo",      "video_clip",
						     "voice_note", "voice_call", "video_call"};
static const char *const mode_names[MODE__COUNT] = {"off", "allowed", "moderated"};
static const char *const status_names[AG__COUNT] = {"draft", "pending", "active", "suspended", "ended"};

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (s && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *channel_name(enum channel c)
{
	return (unsigned)c < CH__COUNT ? channel_names[c] : "?";
}
int channel_parse(const char *s)
{
	return lookup(channel_names, CH__COUNT, s);
}
const char *channel_mode_name(enum channel_mode m)
{
	return (unsigned)m < MODE__COUNT ? mode_names[m] : "off";
}
int channel_mode_parse(const char *s)
{
	return lookup(mode_names, MODE__COUNT, s);
}
const char *agreement_status_name(enum agreement_status s)
{
	return (unsigned)s < AG__COUNT ? status_names[s] : "?";
}
int agreement_status_parse(const char *s)
{
	return lookup(status_names, AG__COUNT, s);
}
