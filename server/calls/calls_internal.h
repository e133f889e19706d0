/* calls_internal.h: the call and its parties, shared by calls.c (signalling), calls_supervision.c and calls_timing.c. */
#ifndef SAMVAER_CALLS_INTERNAL_H
#define SAMVAER_CALLS_INTERNAL_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#include "server/calls/calls.h"
#include "server/session/session_internal.h"

#define CALL_MAX_CONTACTS 4    /* contacts in one group call */
#define CALL_MAX_PARTIES 8     /* child + contacts + supervisors (SFU_MAX_PARTICIPANTS) */
#define CALL_MAX_WATCHERS 16   /* supervisors of the child's case who see the call */
#define CALL_WARNING_MS 120000 /* warning before the server ends a call */

enum call_state { CALL_RINGING, CALL_ACTIVE, CALL_WAITING_SUPERVISOR };
enum party_role { PARTY_CHILD, PARTY_CONTACT, PARTY_SUPERVISOR };
enum party_state { PARTY_RINGING, PARTY_JOINED, PARTY_LEFT };
enum party_media { PMEDIA_NONE, PMEDIA_CONNECTED, PMEDIA_FLOWING };
enum party_consent { CONSENT_NONE, CONSENT_PENDING, CONSENT_GIVEN };
/* What a child or contact chose to send (call.sending): video on, face hidden, or sound only both ways. */
enum party_sending { SENDING_ON, SENDING_HIDDEN, SENDING_SOUND_ONLY };

struct call_party {
	int64_t account; /* also its participant id on the media worker */
	char name[129];  /* display name */
	enum party_role role;
	int64_t agreement_id; /* contacts: the agreement with the child */
	enum party_state state;
	const char *left_reason; /* static string once left */
	uint64_t conn;           /* its call session (started, accepted or joined); 0 while ringing */
	int in_media;            /* a participant on the media worker (after call.offer) */
	enum party_media media;
	int audio_muted, video_muted; /* by a supervisor */
	enum party_consent consent;   /* supervisors listening in */
	enum party_sending sending;   /* its own choice (call.sending); the server drops what it hides */
	int64_t answered_at;          /* contacts: ms when this contact's part began (both sides in); 0 = never */
	int64_t ends_at;              /* contacts: ms when the server ends its part; 0 = no limit */
	const char *ends_because;     /* "window_closes" or "time_limit" */
	int warned;                   /* the two-minute warning for ends_at was sent */
	int mix_wanted;               /* call.mix: receives one mixed audio stream */
	int mix_by_sending;           /* ...because it went sound only (call.sending), not by call.mix */
	int listening;                /* a supervisor listening in, unheard until call.speak */
};

struct call {
	uint64_t id;                     /* call id on the wire and on the media workers */
	struct app *app;                 /* the control thread */
	int64_t child;                   /* the child's account */
	int64_t caller;                  /* who started it */
	int64_t case_id;                 /* the child's case */
	int video;                       /* video call (else voice) */
	int supervised;                  /* an agreement makes calls supervised: media waits for a supervisor */
	int media;                       /* media_call_create succeeded */
	int paused;                      /* media paused on the worker */
	int64_t started_at, answered_at; /* ms; answered_at 0 while ringing */
	enum call_state state;
	struct call_party p[CALL_MAX_PARTIES]; /* [0] is the child; left parties stay (for the record) */
	size_t n;
	int64_t watchers[CALL_MAX_WATCHERS]; /* supervisors of the case: get call.state, may join */
	size_t n_watchers;
	ev_timer ring;        /* ring timeout, while anyone rings */
	ev_timer clock;       /* next warning or end (calls_timing.c) */
	struct call_rec *rec; /* recording state (calls_recording.c), NULL until someone asks */
};

/* calls.c */
struct call_party *calls__party(struct call *c, int64_t account);
/* The requester's own party, joined, in the call named by `call_id` (with media); replies no_call / call_state /
 * bad_request and returns NULL otherwise. */
struct call_party *calls__own_party(struct session *s, struct proto_request *r, struct call **cp);
/* The call object (PROTOCOL.md §9) with change/by. */
json_t *calls__json(const struct call *c, const char *reason, const char *change, int64_t by);
/* call.state to the child, every rung contact and every watcher. */
void calls__broadcast(struct call *c, const char *reason, const char *change, int64_t by);
/* An event to every joined party (and supervisors). */
void calls__to_parties(struct call *c, const char *event, json_t *data);
void calls__renegotiate(struct call *c);
/* A party leaves (contacts, supervisors); the call ends when no contact is left or the child leaves. */
/* Returns 1 when that ended the call (c is freed). */
int calls__party_leave(struct call *c, struct call_party *p, const char *reason, int64_t by);
void calls__end(struct call *c, const char *reason, int64_t by);
/* Apply mute, consent and call.sending gates to the party's media participant (both directions). */
void calls__apply_gates(struct call *c, struct call_party *p);

/* calls_supervision.c */
int calls__supervisor_connected(const struct call *c); /* a supervisor's media is up (and consented) */
/* A supervisor's media connected or it left: resume or pause a supervised call, tell everyone (change). */
void calls__supervision_update(struct call *c, const char *change, int64_t by);
int calls__needs_consent(struct call *c);
/* A supervisor of the case has a live connection (could join a supervised call). */
int calls__supervisor_available(struct app *app, int64_t case_id);

/* calls_mix.c */
/* MEDIA_ROLE_* for the party's offers: the mix for call.mix and for a supervisor listening in. */
unsigned calls__media_role(const struct call *c, const struct call_party *p);
void calls__sound_only_mix(struct call *c, struct call_party *p, int on);
void calls__levels(struct call *c, const struct media_event *ev);

/* calls_timing.c */
void calls__timing_init(struct call *c);
/* Recompute every contact's ends_at and (re)arm the clock; warns at once if under two minutes remain. */
void calls__timing_update(struct call *c);

/* calls_recording.c */
int calls__rec_init(struct app *app, char *err, size_t errlen); /* the recorder thread; takes in crash leftovers */
void calls__rec_free(struct app *app);                          /* after the workers stopped */
void calls__rec_json(const struct call *c, json_t *o);          /* "recording": off | requested | on */
void calls__rec_party_joined(struct call *c, struct call_party *p);
void calls__rec_call_end(struct call *c);
void calls_handle_record(struct session *s, struct proto_request *r);
void calls_handle_record_consent(struct session *s, struct proto_request *r);

/* Handlers (calls.c, calls_supervision.c; call.ice is turn.c's) */
void calls_handle_start(struct session *s, struct proto_request *r);
void calls_handle_accept(struct session *s, struct proto_request *r);
void calls_handle_decline(struct session *s, struct proto_request *r);
void calls_handle_cancel(struct session *s, struct proto_request *r);
void calls_handle_hangup(struct session *s, struct proto_request *r);
void calls_handle_offer(struct session *s, struct proto_request *r);
void calls_handle_live(struct session *s, struct proto_request *r);
void calls_handle_join(struct session *s, struct proto_request *r);
void calls_handle_leave(struct session *s, struct proto_request *r);
void calls_handle_mute(struct session *s, struct proto_request *r);
void calls_handle_end(struct session *s, struct proto_request *r);
void calls_handle_consent(struct session *s, struct proto_request *r);
void calls_handle_mix(struct session *s, struct proto_request *r);
void calls_handle_speak(struct session *s, struct proto_request *r);

/* calls_sending.c */
extern const char *const calls__sending_names[]; /* "on", "hidden", "sound_only" by enum party_sending */
void calls_handle_sending(struct session *s, struct proto_request *r);

#endif
