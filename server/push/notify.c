/* notify.c: when to push — a ringing call or a new message, only to an account with no live connection, only when
 * the agreement allows that contact now; the payload names the relationship, never the message's text. */
#include <stdio.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/i18n/i18n.h"
#include "server/policy/policy.h"
#include "server/push/push_internal.h"

/* What the recipient calls the other party: the child sees the agreement's relationship label ("Dad"); the
 * contact sees the child's display name. */
static void label_for(struct app *app, const struct agreement *a, int64_t to, const char *lang, char *out, size_t cap)
{
	struct account acc;
	if (to == a->child_id && a->relationship[0])
		snprintf(out, cap, "%s", a->relationship);
	else if (store_account_by_id(app->store, agreement_peer(a, to), &acc) == STORE_OK && acc.display_name[0])
		snprintf(out, cap, "%s", acc.display_name);
	else
		i18n_text(lang, "push.someone", "Someone", out, cap);
}

struct fanout {
	struct app *app;
	struct push_job *job; /* template: everything but the subscription */
	int queued;
};

static void on_subscription(const struct push_sub *sub, void *ctx)
{
	struct fanout *f = ctx;
	struct push_job *j = f->job;
	j->sub_id = sub->id;
	memcpy(j->endpoint, sub->endpoint, sizeof(j->endpoint));
	memcpy(j->p256dh, sub->p256dh, sizeof(j->p256dh));
	memcpy(j->auth, sub->auth, sizeof(j->auth));
	if (push_sender_enqueue(f->app->push->sender, j) == 0) {
		f->app->metrics.push_queued++;
		f->queued++;
	} else {
		f->app->metrics.push_dropped++;
		log_warn("push: the queue is full; a push to account %lld was dropped", (long long)j->account);
	}
}

/* One push per subscription of `to`, payload {"kind","title","body","tag","url"}. */
static int fan_out(struct app *app, int64_t to, json_t *payload, int ttl_s, int urgent, const char *topic)
{
	static struct push_job job; /* large; control thread only */
	memset(&job, 0, sizeof(job));
	char *text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	if (!text || strlen(text) >= sizeof(job.payload)) {
		free(text);
		return 0;
	}
	job.account = to;
	job.ttl_s = ttl_s;
	job.urgent = urgent;
	snprintf(job.topic, sizeof(job.topic), "%s", topic ? topic : "");
	job.len = strlen(text);
	memcpy(job.payload, text, job.len);
	free(text);
	struct fanout f = {app, &job, 0};
	if (store_push_list(app->store, to, on_subscription, &f) != STORE_OK)
		log_error("push: %s", store_errmsg(app->store));
	memset(&job, 0, sizeof(job));
	return f.queued;
}

/* Only an account with no authenticated connection gets a push (a live one has the event already), and never a
 * disabled one. */
static int offline(struct app *app, int64_t account)
{
	struct account acc;
	return app->push && router_first(&app->router, account) == NULL &&
	    store_account_by_id(app->store, account, &acc) == STORE_OK && !acc.disabled;
}

int push_message(struct app *app, const struct agreement *a, int64_t sender)
{
	int64_t to = agreement_peer(a, sender);
	if (!to || !offline(app, to))
		return 0;
	struct policy_decision d = policy_decide(a, sender, CH_TEXT, clock_now_ms(), NULL);
	if (d.verdict != VERDICT_ALLOW && d.verdict != VERDICT_HOLD)
		return 0; /* hold: a message a supervisor released (every earlier check passed: status, pause, window) */
	char label[160], title[200], body[400], tag[32], url[48];
	const char *lang = session_lang_of(app, to);
	label_for(app, a, to, lang, label, sizeof(label));
	struct i18n_arg name = {"name", label, 0};
	if (!i18n_format(lang, "push.message_body", &name, 1, body, sizeof(body)))
		snprintf(body, sizeof(body), "From %s", label);
	i18n_text(lang, "push.message_title", "New message", title, sizeof(title));
	snprintf(tag, sizeof(tag), "msg-%lld", (long long)a->id);
	snprintf(url, sizeof(url), "/#/chat/%lld", (long long)a->id);
	json_t *p =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "message", "title", title, "body", body, "tag", tag, "url", url);
	return fan_out(app, to, p, PUSH_MSG_TTL_S, 0, tag);
}

int push_call(struct app *app, const struct agreement *a, int64_t to, int64_t caller, uint64_t call_id, int video,
	      int supervisor_ready)
{
	if (!offline(app, to) || !agreement_peer(a, caller))
		return 0;
	struct policy_decision d =
	    policy_decide(a, caller, video ? CH_VIDEO_CALL : CH_VOICE_CALL, clock_now_ms(), NULL);
	if (d.verdict != VERDICT_ALLOW && !(d.verdict == VERDICT_NEEDS_SUPERVISOR && supervisor_ready))
		return 0; /* outside the window, paused, suspended, or supervised with nobody to supervise */
	char label[160], title[400], tag[32], url[48];
	const char *lang = session_lang_of(app, to);
	label_for(app, a, to, lang, label, sizeof(label));
	struct i18n_arg name = {"name", label, 0};
	if (!i18n_format(lang, "push.call_title", &name, 1, title, sizeof(title)))
		snprintf(title, sizeof(title), "%s is calling", label);
	snprintf(tag, sizeof(tag), "call-%llu", (unsigned long long)call_id);
	snprintf(url, sizeof(url), "/#/chat/%lld", (long long)a->id);
	json_t *p =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "call", "title", title, "body", "", "tag", tag, "url", url);
	return fan_out(app, to, p, PUSH_CALL_TTL_S, 1, NULL);
}
