/* sendlimit.c: the per-account send budget (docs/OPERATIONS.md "Slow and flooding clients"): past it a send is
 * refused with send_rate_limited and retry_after_ms, and the connection is not read again until then, so one
 * account flooding costs the loop a refusal per pause instead of a parse per frame, and others are not slowed. */
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/session/session_internal.h"

#define PAUSE_MIN_MS 10 /* a refusal pauses reading at least this long (the lws timer's useful resolution) */

int session_send_allowed(struct session *s, json_t *id)
{
	struct app *app = s->app;
	if (app->cfg.send_rate <= 0)
		return 1;
	int64_t wait_us = pace_take(&app->send_pace, (uint64_t)s->account_id, (int64_t)(clock_mono_ns() / 1000));
	if (!wait_us)
		return 1;
	int64_t wait_ms = (wait_us + 999) / 1000;
	app->metrics.sends_rate_limited++;
	log_ratelimited("account %lld: sending too fast, refused for %lld ms", (long long)s->account_id,
			(long long)wait_ms);
	json_t *extra = json_object();
	json_object_set_new(extra, "retry_after_ms", json_integer(wait_ms));
	json_object_set_new(extra, "retry_after_s", json_integer((wait_ms + 999) / 1000));
	session_reply_extra(s, id, proto_error_code(PROTO_ERR_SEND_RATE_LIMITED),
			    proto_error_message(PROTO_ERR_SEND_RATE_LIMITED), extra);
	conn_pause(s->route.conn, wait_ms > PAUSE_MIN_MS ? wait_ms : PAUSE_MIN_MS);
	return 0;
}
