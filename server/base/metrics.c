/* metrics.c: Prometheus text exposition of struct metrics. */
#include "server/base/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_ms[METRICS_LATENCY_BUCKETS] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};

void metrics_commit_observe(struct metrics *m, uint64_t ns)
{
	double ms = (double)ns / 1e6;
	int i = 0;
	while (i < METRICS_LATENCY_BUCKETS && ms > bucket_ms[i])
		i++;
	m->commit_latency_buckets[i]++;
	m->commit_latency_sum_s += ms / 1000.0;
	m->commits++;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t ncap = o->cap * 2 + (size_t)n + 256;
		char *nb = realloc(o->buf, ncap);
		if (!nb)
			return;
		o->buf = nb;
		o->cap = ncap;
	}
}

static void counter(struct out *o, const char *name, const char *help, const char *type, uint64_t v)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)v);
}

char *metrics_render(const struct metrics *m, metrics_label_fn reason_name, int reasons, size_t *len)
{
	struct out o = {malloc(4096), 0, 4096};
	if (!o.buf)
		return NULL;
	o.buf[0] = 0;
	counter(&o, "samvaer_connections", "Open WebSocket connections.", "gauge", m->connections_open);
	counter(&o, "samvaer_connections_total", "WebSocket connections accepted.", "counter", m->connections_total);
	counter(&o, "samvaer_sessions_authenticated", "Authenticated connections.", "gauge", m->sessions_authenticated);
	counter(&o, "samvaer_messages_relayed_total", "Text messages stored and relayed.", "counter",
		m->messages_relayed);
	counter(&o, "samvaer_calls_started_total", "Calls started (including busy).", "counter", m->calls_started);
	counter(&o, "samvaer_calls_ended_total", "Calls ended, for any reason.", "counter", m->calls_ended);
	counter(&o, "samvaer_calls_live", "Calls ringing or in progress.", "gauge", m->calls_started - m->calls_ended);
	counter(&o, "samvaer_call_media_connected_total", "Call participants whose ICE and DTLS came up.", "counter",
		m->call_media_connected);
	counter(&o, "samvaer_call_media_lost_total", "Calls ended because media failed or went silent.", "counter",
		m->call_media_lost);
	counter(&o, "samvaer_media_events_total", "Events read from the media workers.", "counter", m->media_events);
	counter(&o, "samvaer_push_queued_total", "Web Push messages queued for the sender.", "counter", m->push_queued);
	counter(&o, "samvaer_push_dropped_total", "Web Push messages dropped: the sender's queue was full.", "counter",
		m->push_dropped);
	counter(&o, "samvaer_push_sent_total", "Web Push messages the push service accepted.", "counter", m->push_sent);
	counter(&o, "samvaer_push_gone_total", "Web Push subscriptions deleted: the push service said 404 or 410.",
		"counter", m->push_gone);
	counter(&o, "samvaer_push_failed_total", "Web Push messages refused or unanswered (other statuses, timeouts).",
		"counter", m->push_failed);
	counter(&o, "samvaer_events_sent_total", "Frames queued to clients.", "counter", m->events_sent);
	counter(&o, "samvaer_requests_total", "Requests received.", "counter", m->requests_total);
	counter(&o, "samvaer_request_errors_total", "Requests answered with an error.", "counter", m->request_errors);
	counter(&o, "samvaer_protocol_violations_total", "Connections closed for protocol violations.", "counter",
		m->protocol_violations);
	counter(&o, "samvaer_logins_ok_total", "Successful logins.", "counter", m->logins_ok);
	counter(&o, "samvaer_logins_failed_total", "Failed logins.", "counter", m->logins_failed);
	counter(&o, "samvaer_logins_rate_limited_total", "Logins refused by rate limits.", "counter",
		m->logins_rate_limited);
	counter(&o, "samvaer_tls_reloads_total", "TLS certificate reloads on SIGHUP that took effect.", "counter",
		m->tls_reloads);
	counter(&o, "samvaer_invites_accepted_total", "Invitations used (new or linked accounts).", "counter",
		m->invites_accepted);
	counter(&o, "samvaer_invite_codes_refused_total", "Invitation codes refused (unknown, used, expired ...).",
		"counter", m->invite_codes_refused);
	counter(&o, "samvaer_invite_codes_rate_limited_total", "Invitation codes refused by the per-address limit.",
		"counter", m->invite_codes_rate_limited);
	counter(&o, "samvaer_sends_rate_limited_total", "Messages refused because one account sent too fast.",
		"counter", m->sends_rate_limited);
	counter(&o, "samvaer_slow_consumer_closes_total", "Connections cut off because they did not read their output.",
		"counter", m->slow_consumer_closes);
	counter(&o, "samvaer_output_queued_bytes", "Bytes queued to clients and not yet taken by the kernel.", "gauge",
		m->output_queued_bytes);
	counter(&o, "samvaer_commit_failures_total", "Group commits that failed.", "counter", m->commit_failures);
	counter(&o, "samvaer_wal_restart_checkpoints_total", "Checkpoints run on the loop so a long WAL starts over.",
		"counter", m->wal_restarts);
	counter(&o, "samvaer_retention_sweeps_total", "Retention sweeps run.", "counter", m->retention_sweeps);
	counter(&o, "samvaer_retention_messages_removed_total", "Messages removed by retention sweeps.", "counter",
		m->retention_messages_removed);
	counter(&o, "samvaer_retention_media_removed_total",
		"Attachments (photos, clips, voice notes) removed by retention sweeps.", "counter",
		m->retention_media_removed);
	counter(&o, "samvaer_unsent_uploads_removed_total",
		"Processed uploads never sent, removed after the grace period.", "counter", m->unsent_uploads_removed);
	counter(&o, "samvaer_message_log_bytes_compacted_total", "Bytes taken out of messages.log by compaction.",
		"counter", m->log_bytes_compacted);
	counter(&o, "samvaer_erasures_total", "Accounts and cases erased on request.", "counter", m->erasures);
	put(&o, "# HELP samvaer_decisions_total Policy decisions by reason.\n# TYPE samvaer_decisions_total counter\n");
	for (int r = 0; r < reasons && r < 32; r++)
		put(&o, "samvaer_decisions_total{reason=\"%s\"} %llu\n", reason_name(r),
		    (unsigned long long)m->decisions[r]);
	put(&o, "# HELP samvaer_commit_seconds Group commit latency.\n# TYPE samvaer_commit_seconds histogram\n");
	uint64_t cum = 0;
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += m->commit_latency_buckets[i];
		put(&o, "samvaer_commit_seconds_bucket{le=\"%g\"} %llu\n", bucket_ms[i] / 1000.0,
		    (unsigned long long)cum);
	}
	cum += m->commit_latency_buckets[METRICS_LATENCY_BUCKETS];
	put(&o, "samvaer_commit_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	put(&o, "samvaer_commit_seconds_sum %.6f\nsamvaer_commit_seconds_count %llu\n", m->commit_latency_sum_s,
	    (unsigned long long)m->commits);
	*len = o.len;
	return o.buf;
}
