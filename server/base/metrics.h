/* metrics.h: process counters and the commit latency histogram, rendered as Prometheus text for /metrics. */
#ifndef SAMVAER_METRICS_H
#define SAMVAER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_LATENCY_BUCKETS 12

struct metrics {
	uint64_t connections_open;       /* WebSocket connections now */
	uint64_t connections_total;      /* accepted since start */
	uint64_t sessions_authenticated; /* authenticated connections now */
	uint64_t messages_relayed;       /* text messages stored and fanned out */
	uint64_t events_sent;            /* frames queued to clients */
	uint64_t requests_total;         /* requests decoded */
	uint64_t request_errors;         /* error responses */
	uint64_t protocol_violations;    /* connections closed for binary/oversize/bad UTF-8 */
	uint64_t logins_ok, logins_failed, logins_rate_limited;
	uint64_t tls_reloads; /* certificate reloads on SIGHUP that took effect */
	uint64_t invites_accepted, invite_codes_refused, invite_codes_rate_limited;
	uint64_t commits, commit_failures;
	uint64_t wal_restarts; /* checkpoints the loop ran to let a long WAL start over */
	uint64_t retention_sweeps, retention_messages_removed; /* retention sweeps run, messages they removed */
	uint64_t log_bytes_compacted;                          /* bytes removed from messages.log by compactions */
	uint64_t retention_media_removed; /* attachments removed by retention sweeps (media_days, removed messages) */
	uint64_t unsent_uploads_removed;  /* processed uploads never sent, removed after the grace period */
	uint64_t erasures;                /* accounts and cases erased */
	uint64_t commit_latency_buckets[METRICS_LATENCY_BUCKETS + 1]; /* last one is +Inf */
	double commit_latency_sum_s;
	uint64_t decisions[32];              /* per policy reason */
	uint64_t calls_started, calls_ended; /* calls created (incl. busy) / ended for any reason */
	uint64_t call_media_connected;       /* participants whose ICE + DTLS came up */
	uint64_t call_media_lost;            /* calls ended because a participant's media failed or went silent */
	uint64_t media_events;               /* events read from the media workers */
	uint64_t push_queued, push_dropped;  /* Web Push jobs handed to the sender / dropped on a full queue */
	uint64_t push_sent, push_gone;       /* accepted by the push service / subscription gone (404, 410) */
	uint64_t push_failed;                /* any other answer, or none */
	uint64_t sends_rate_limited;         /* msg.send refused with send_rate_limited */
	uint64_t slow_consumer_closes;       /* connections cut off for not reading their output */
	uint64_t output_queued_bytes;        /* bytes queued to all clients now (not yet handed to the kernel) */
};

void metrics_commit_observe(struct metrics *m, uint64_t ns);
/* The label of decisions[i] (the caller passes policy_reason_name: the counters know no policy). */
typedef const char *(*metrics_label_fn)(int i);
/* The Prometheus exposition (malloc'd, caller frees); decisions[0 .. reasons-1] are labelled by reason_name. */
char *metrics_render(const struct metrics *m, metrics_label_fn reason_name, int reasons, size_t *len);

#endif
