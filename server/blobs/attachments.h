/* attachments.h: the attachments table — one row per processed upload (photo, clip, voice note, profile photo): its
 * blobs and facts, where it went (sent, held, approved, rejected, profile), its wire JSON, and who may read it. */
#ifndef SAMVAER_ATTACHMENTS_H
#define SAMVAER_ATTACHMENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "server/base/jsonw.h"
#include "server/policy/agreement_enums.h"
#include "server/store/store.h"

#define ATTACHMENT_ID_LEN 22          /* base64url of 128 random bits: the tus upload id */
#define ATTACHMENT_HASH_LEN 64        /* a blob's SHA-256 in lower-case hex */
#define ATTACHMENT_WAVEFORM_POINTS 64 /* voice notes: peak levels 0..255, evenly over the duration */

/* Kinds: the three media channels, plus the profile photo (not a channel). Wire names in attachment_kind_name. */
enum attachment_kind {
	ATT_PHOTO,         /* "photo" */
	ATT_VIDEO_CLIP,    /* "video_clip" */
	ATT_VOICE_NOTE,    /* "voice_note" */
	ATT_PROFILE_PHOTO, /* "profile_photo" */
	ATT__KIND_COUNT
};

/* Where an attachment is. ready -> sent | held | profile; held -> approved | rejected. Each step happens once. */
enum attachment_state {
	ATT_READY,    /* processed, not used yet: only the uploader (and adults in scope) may read it */
	ATT_SENT,     /* in its conversation at `seq` */
	ATT_HELD,     /* in a held message (`held_id`) waiting for a supervisor */
	ATT_APPROVED, /* released by a supervisor: in its conversation at `seq` */
	ATT_REJECTED, /* refused by a supervisor (`reason`) */
	ATT_PROFILE,  /* the profile photo of `account_id` */
	ATT__STATE_COUNT
};

struct attachment {
	char id[ATTACHMENT_ID_LEN + 1]; /* the upload id; also the URL: /media/<id> */
	enum attachment_kind kind;      /* what it was uploaded as */
	enum attachment_state state;    /* see above */
	int64_t uploader_id;            /* who uploaded it (the sender) */
	int64_t case_id;      /* the child's case whose quota it counts against; 0 = none (an adult's photo) */
	int64_t agreement_id; /* message kinds: the conversation named at upload, the only one it may go to */
	int64_t account_id;   /* profile_photo: whose picture it is */
	int64_t seq;          /* sent / approved: the message's seq in the conversation; else 0 */
	int64_t held_id;      /* held (and after): the held message's id; else 0 */
	char mime[48];        /* of the main blob: image/jpeg, video/mp4, video/webm, audio/ogg, audio/webm */
	int width, height;    /* px of the main blob (photo, clip); 0 = does not apply */
	int64_t duration_ms;  /* clip, voice note; 0 = does not apply */
	int waveform_len;     /* voice note: points in waveform (ATTACHMENT_WAVEFORM_POINTS); 0 = none */
	uint8_t waveform[ATTACHMENT_WAVEFORM_POINTS];
	int64_t bytes;                        /* size of the main blob */
	char blob[ATTACHMENT_HASH_LEN + 1];   /* main blob (display photo, remuxed clip, voice note) */
	char thumb[ATTACHMENT_HASH_LEN + 1];  /* photo thumbnail (JPEG); "" = none */
	char poster[ATTACHMENT_HASH_LEN + 1]; /* clip poster frame (JPEG); "" = none */
	char thumb_mime[24], poster_mime[24]; /* their types ("image/jpeg"); "" = none */
	int64_t thumb_bytes, poster_bytes;    /* their sizes; 0 = none */
	int64_t total_bytes; /* main + thumb + poster, what counts against the quota (set by attachment_add) */
	int64_t created_at;  /* ms */
	int64_t used_at;     /* ms: sent, held or made a profile photo; 0 while ready */
	int64_t decided_by, decided_at; /* approved / rejected: by which supervisor, when (ms) */
	char reason[256];               /* rejected: the supervisor's reason */
};

/* Wire names: "photo", "video_clip", "voice_note", "profile_photo" / "ready", "sent", "held", ... */
const char *attachment_kind_name(enum attachment_kind k);
const char *attachment_state_name(enum attachment_state s);
/* The kind for a wire name; -1 if none. */
int attachment_kind_parse(const char *name);
/* The agreement channel a kind is sent on (CH_PHOTO, CH_VIDEO_CLIP, CH_VOICE_NOTE); -1 for profile_photo. */
int attachment_kind_channel(enum attachment_kind k);

/* Record a processed upload (state ready, created_at as given) and take a reference on each of its blobs
 * (blobs.refs, server/blobs/blobstore.h). Joins the open group-commit transaction (call store_begin first).
 * STORE_DUPLICATE if the id exists. */
int attachment_add(struct store *s, const struct attachment *a);

/* Read one attachment: STORE_OK, STORE_NOT_FOUND, STORE_ERR. */
int attachment_get(struct store *s, const char *id, struct attachment *out);
/* The attachment sent (or approved) in a conversation at seq: for history and events. */
int attachment_by_message(struct store *s, int64_t agreement, int64_t seq, struct attachment *out);

/* State changes, inside the caller's transaction (store_begin ... commit_after). Each moves one step from the state
 * it names and returns STORE_OK; STORE_NOT_FOUND when there is no such attachment or it is not in that state (already
 * used, another conversation, another uploader): the caller answers with its own error code. */
/* ready -> sent: `sender` must be the uploader and `agreement` the one it was uploaded for; seq its message. */
int attachment_mark_sent(struct store *s, const char *id, int64_t sender, int64_t agreement, int64_t seq, int64_t now);
/* ready -> held: the message waits as held row `held_id`. */
int attachment_mark_held(struct store *s, const char *id, int64_t sender, int64_t agreement, int64_t held_id,
			 int64_t now);
/* held -> approved: released into the conversation at seq by `reviewer`. */
int attachment_mark_approved(struct store *s, const char *id, int64_t seq, int64_t reviewer, int64_t now);
/* held -> rejected, with the reviewer's reason (shown to the sender). */
int attachment_mark_rejected(struct store *s, const char *id, int64_t reviewer, const char *reason, int64_t now);
/* ready -> profile: a profile_photo upload becomes `account`'s picture (the caller checked who may set it). */
int attachment_mark_profile(struct store *s, const char *id, int64_t uploader, int64_t account, int64_t now);
/* The newest profile photo of an account: STORE_OK with its id, or STORE_NOT_FOUND. */
int attachment_profile_of(struct store *s, int64_t account, char id[ATTACHMENT_ID_LEN + 1]);

/* The read rule for GET /media/<id>: 1 if `account` may read it, else 0 (errors count as 0).
 * - the uploader, always;
 * - the two parties of its conversation once sent or approved (never while held or after rejection);
 * - adults in scope: carer, caseworker or supervisor linked to its case (the moderation queue needs held items);
 * - a profile photo: anyone who shares an agreement with its person, and adults in scope of those agreements' cases.
 * Nobody else: not operators, not the other contacts of the child. */
int attachment_may_read(struct store *s, const struct attachment *a, int64_t account);

/* Bytes the attachments of a case hold (the per-child quota counts total_bytes; rejected ones too, until removed). */
int attachment_case_bytes(struct store *s, int64_t case_id, int64_t *bytes);

/* Remove an attachment row and drop its blob references (retention, erasure, unused uploads); blobs left with no
 * reference are deleted from disk by blobstore_sweep() after the commit. */
int attachment_delete(struct store *s, const char *id);
/* Ready attachments created before `before` (never sent): cb(id) for each, oldest first, at most limit. */
typedef void (*attachment_id_cb)(const char *id, void *ctx);
int attachment_unused(struct store *s, int64_t before, int limit, attachment_id_cb cb, void *ctx);

/* The wire object (PROTOCOL.md, "attachment"): {"id","kind","mime","width","height","duration_ms","waveform",
 * "bytes","url":"/media/<id>","thumb":"/media/<id>/thumb","poster":"/media/<id>/poster"}, members that do not
 * apply left out. A new reference; NULL on allocation failure. */
json_t *attachment_json(const struct attachment *a);
/* The same object, byte for byte as jansson's compact encoding of attachment_json, into a jsonw buffer. */
void attachment_jsonw(struct jsonw *w, const struct attachment *a);
/* Bytes attachment_jsonw can write at most. */
#define ATTACHMENT_JSON_MAX 1024

#endif
