/* worker.h: media workers (one thread per core, one UDP port each) and the control thread's interface to calls. */
#ifndef SAMVAER_MEDIA_WORKER_H
#define SAMVAER_MEDIA_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   media_workers_start() binds one UDP socket per worker (port_base + i) and starts one thread per worker.
 *   A call is pinned to one worker (least loaded at media_call_create) and lives only on that thread, so
 *   the per-packet path takes no locks and allocates nothing: recvmmsg batch -> transport lookup by source
 *   address (open-addressing hash) -> SRTP unprotect once -> sfu fan-out (rewrite + SRTP protect per
 *   receiver) -> sendmmsg batch.
 *   The control thread sends commands through a per-worker queue woken by eventfd, and reads events back
 *   from one queue whose eventfd (media_events_fd) it watches in its event loop.
 *
 * Thread rules
 *   Every media_* function below is called from ONE thread (the control thread); none of them waits for a
 *   worker. media_participant_add parses the offer and builds the answer on the calling thread (pure code,
 *   ~100 us), then queues the participant to the worker; the answer is valid at once.
 *   Commands to one call are applied in the order they were issued.
 *
 * Errors: negative MEDIA_ERR_* codes, media_strerror() for a static message.
 */

#define MEDIA_ROLE_SEND 0x1 /* the participant's audio/video is relayed to the others */
#define MEDIA_ROLE_RECV 0x2 /* the participant receives the others' media */
#define MEDIA_ROLE_MIX 0x4  /* receives the mix from its first answer on (media_call_set_mix turns it off) */
#define MEDIA_ROLE_DEFAULT (MEDIA_ROLE_SEND | MEDIA_ROLE_RECV)

#define MEDIA_ERRORS(X)                                                           \
	X(MEDIA_OK, 0, "media: ok")                                               \
	X(MEDIA_ERR_ARG, -1, "media: invalid argument")                           \
	X(MEDIA_ERR_STATE, -2, "media: workers not started (or already started)") \
	X(MEDIA_ERR_NO_CALL, -3, "media: no such call")                           \
	X(MEDIA_ERR_EXISTS, -4, "media: call or participant already exists")      \
	X(MEDIA_ERR_SDP, -5, "media: offer rejected (see the SDP error)")         \
	X(MEDIA_ERR_NOSPACE, -6, "media: answer buffer too small")                \
	X(MEDIA_ERR_NOMEM, -7, "media: out of memory")                            \
	X(MEDIA_ERR_SYS, -8, "media: socket, thread or eventfd setup failed")     \
	X(MEDIA_ERR_FULL, -9, "media: call is full")

enum media_err {
#define MEDIA_X_ENUM(name, val, msg) name = val,
	MEDIA_ERRORS(MEDIA_X_ENUM)
#undef MEDIA_X_ENUM
};

struct media_config {
	unsigned n_workers;          /* 0: one per online CPU */
	const char *bind_ip;         /* IPv4/IPv6 literal, e.g. "127.0.0.1" or "0.0.0.0" */
	uint16_t port_base;          /* worker i binds port_base + i; 0: kernel-chosen ports */
	const char *announce_ip;     /* host candidate in answers; NULL: bind_ip */
	uint32_t consent_timeout_ms; /* 0: 30000 (RFC 7675) */
	uint32_t stats_interval_ms;  /* 0: 5000; MEDIA_EV_STATS per participant at this period */
};

enum media_event_type {
	MEDIA_EV_CONNECTED = 1, /* ICE + DTLS up, SRTP keyed */
	MEDIA_EV_FIRST_MEDIA,   /* the first packet of this participant's media was relayed */
	MEDIA_EV_DISCONNECTED,  /* consent freshness lost (no valid STUN check for consent_timeout_ms) */
	MEDIA_EV_FAILED,        /* DTLS failed, or the worker could not set the participant up */
	MEDIA_EV_STATS,         /* periodic counters, below */
	MEDIA_EV_LEVELS,        /* talking indicators of the call (participant_id 0), at most every 200 ms */
};

/* One participant's audio level: from its RFC 6464 header extension, else (mixed calls) its decoded sound. */
struct media_level {
	uint64_t participant_id;
	uint8_t level; /* -dBov: 0 loudest, 127 silent */
	bool talking;
};

struct media_stats {
	uint64_t rx_rtp, rx_rtcp;   /* packets received from the participant */
	uint64_t relayed;           /* its packets sent on (counted once per receiver) */
	uint64_t dropped;           /* its packets dropped: paused, muted, no receiver, unknown stream */
	uint64_t tx_rtp;            /* media packets sent to it */
	uint64_t nack_rtx, pli_fwd; /* retransmissions sent to it; keyframe requests it made */
};

struct media_event {
	enum media_event_type type;
	uint64_t call_id, participant_id;
	unsigned worker;
	struct media_stats stats; /* MEDIA_EV_STATS only */
	unsigned n_levels;        /* MEDIA_EV_LEVELS only: the call's senders of audio */
	struct media_level levels[8];
};

/* Start the workers. err gets a message on failure. */
int media_workers_start(const struct media_config *cfg, char *err, size_t errlen);
/* Stop and join the workers, free every call. */
void media_workers_stop(void);
unsigned media_workers_count(void);
uint16_t media_worker_port(unsigned worker); /* the bound UDP port (0 if no such worker) */

/* Create a call and pin it to the least loaded worker. Returns the worker index or a MEDIA_ERR_*. */
int media_call_create(uint64_t call_id);
/* Add a participant from its SDP offer (BUNDLE + rtcp-mux, Opus and/or VP8/H.264, DTLS actpass/active).
 * Writes our ICE-lite answer (NUL-terminated) to answer; the participant's media flows once its ICE and DTLS
 * are up (MEDIA_EV_CONNECTED). role: MEDIA_ROLE_* flags. Returns MEDIA_OK or a MEDIA_ERR_*; for
 * MEDIA_ERR_SDP, *sdp_err (if not NULL) gets the SDP module's message.
 * Each m-section the participant receives on carries one other participant's audio or video, announced with
 * its SSRC (and RTX SSRC) and a=msid:samvaer-<source id> <kind>-<source id> (media/call_plan.h). A later offer
 * from the same participant with the same ICE ufrag and fingerprint is a renegotiation on the same transport
 * (sections keep their sources, new ones take the newcomers); with new credentials it replaces the transport,
 * and the others' streams of it carry on. MEDIA_ERR_FULL: no free slot in the call. */
int media_participant_add(uint64_t call_id, uint64_t participant_id, const char *offer_sdp, size_t offer_len,
			  unsigned role, char *answer, size_t answer_cap, const char **sdp_err);
int media_participant_remove(uint64_t call_id, uint64_t participant_id);
/* Participants whose last answer misses a stream they could receive, or carries one that ended, since a change
 * (someone's media added, removed, or sending other kinds): ask them to offer again on the same transport
 * (PROTOCOL.md call.renegotiate). Fills pids (at most max), clears the marks, returns the count. */
size_t media_call_take_renegotiate(uint64_t call_id, uint64_t *pids, size_t max);
/* Producer gate: what the participant sends (false = muted: the server drops those packets). */
int media_call_set_gate(uint64_t call_id, uint64_t participant_id, bool audio_on, bool video_on);
/* Consumer gate: what the participant receives (false = it gets none of that kind). */
int media_call_set_recv_gate(uint64_t call_id, uint64_t participant_id, bool audio_on, bool video_on);
/* Mixed receive ("weak connection"): the participant gets one audio stream, the mix of the others, instead of
 * one per person. Every receiver is mixed while more than three participants send (CALL_PLAN_MIX_ABOVE). It
 * takes effect when the participant renegotiates (it is marked: media_call_take_renegotiate). */
int media_call_set_mix(uint64_t call_id, uint64_t participant_id, bool on);
/* Whether the participant's current plan receives the mix. */
bool media_call_is_mixed(uint64_t call_id, uint64_t participant_id);
/* Pause: no media flows in the call at all while on (transports stay up). */
int media_call_pause(uint64_t call_id, bool on);
/* Record the call into rec (media/recorder.h: its mix and every sender's VP8 video, past the gates), or with rec NULL
 * stop. The recording being replaced or stopped, or still running when the call ends, is closed by the worker, and
 * its done(arg, result) runs on the recorder thread once its files are complete. */
struct recording;
struct recording_result;
int media_call_record(uint64_t call_id, struct recording *rec,
		      void (*done)(void *arg, const struct recording_result *res), void *arg);
/* End the call: DTLS close_notify to every participant, free everything. */
int media_call_end(uint64_t call_id);

/* Events: watch media_events_fd() for readability, then drain with media_events_poll (which also clears
 * the eventfd). Returns the number of events written to out. */
int media_events_fd(void);
size_t media_events_poll(struct media_event *out, size_t max);

/* Benches: the mixer counters of the worker's live mixing calls, summed every 200 ms (read without a lock). */
struct mixer_stats;
void media_worker_mix_stats(unsigned worker, struct mixer_stats *out);

const char *media_strerror(int code);
const char *media_event_name(enum media_event_type t);

#endif
