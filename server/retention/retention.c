/* retention.c: the retention sweep and erasure in the running server (see retention.h). */
#include "server/retention/retention.h"

#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/attachments_expire.h"
#include "server/blobs/blobstore.h"
#include "server/recordings/recordings.h"
#include "server/session/session.h"
#include "server/session/state.h"
#include "server/store/audit.h"
#include "server/store/msglog.h"
#include "server/store/store_retention.h"

static void note_commit(void *owner, void *arg, int ok)
{
	*(int *)arg = ok;
}

/* Commit the open transaction durably: 1 if it is. */
static int commit_durably(struct app *app)
{
	int ok = 0;
	commit_after(&app->commit, note_commit, &ok);
	commit_flush(&app->commit);
	return ok;
}

/* Rewrite the log without the floored messages; the syncer then fsyncs the new file. */
static int compact(struct app *app, struct msglog_compaction *st)
{
	commit_flush(&app->commit); /* nothing pending, every acknowledged message durable */
	if (store_messages_compact(app->store, st) != STORE_OK) {
		log_error("retention: compacting the message log: %s (the removed messages stay hidden; the next "
			  "sweep tries again)",
			  store_errmsg(app->store));
		app->compact_owed = 1;
		return -1;
	}
	app->compact_owed = 0;
	commit_log_replaced(&app->commit);
	app->metrics.log_bytes_compacted += st->bytes_before - st->bytes_after;
	return 0;
}

struct sweep {
	struct app *app;
	struct retention_report *out;
	int64_t last_case;
	int64_t case_removed, case_conversations;
	int case_days;
	int failed;
};

static void case_done(struct sweep *w)
{
	if (!w->last_case || !w->case_removed)
		return;
	w->out->cases++;
	if (audit_append(w->app->store, 0, AUDIT_RETENTION, w->last_case, 0,
			 json_pack("{s:s,s:i,s:I,s:I}", "action", "sweep", "messages_days", w->case_days,
				   "conversations", (json_int_t)w->case_conversations, "messages",
				   (json_int_t)w->case_removed)) != STORE_OK)
		w->failed = 1;
}

static void on_due(const struct retention_due *d, void *ctx)
{
	struct sweep *w = ctx;
	int64_t removed = 0;
	if (d->case_id != w->last_case) {
		case_done(w);
		w->last_case = d->case_id;
		w->case_removed = w->case_conversations = 0;
		w->case_days = d->messages_days;
	}
	if (store_message_floor_set(w->app->store, d->agreement_id, d->first_keep, &removed) != STORE_OK)
		w->failed = 1;
	if (removed > 0) {
		w->case_removed += removed;
		w->case_conversations++;
		w->out->conversations++;
		w->out->messages += removed;
	}
}

/* The poll timer does not keep the loop alive (like the other timers). */
static void compact_timer_stop(struct app *app)
{
	if (!ev_is_active(&app->compact_timer))
		return;
	ev_ref(app->loop);
	ev_timer_stop(app->loop, &app->compact_timer);
}

/* Stop a background compaction (its thread is joined, its file dropped): before an erasure compacts at once. */
static void compaction_abort(struct app *app)
{
	if (!app->compactor)
		return;
	msglog_compact_abort(app->compactor);
	app->compactor = NULL;
	compact_timer_stop(app);
}

/* Poll the background copy; when it is done, finish between two loop turns (nothing pending). */
static void on_compact_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct app *app = w->data;
	if (!app->compactor || !msglog_compact_done(app->compactor))
		return;
	compact_timer_stop(app);
	struct msglog_compactor *k = app->compactor;
	struct msglog_compaction st;
	app->compactor = NULL;
	commit_flush(&app->commit);
	if (store_messages_compact_finish(app->store, k, &st) != STORE_OK) {
		log_warn("retention: compacting the message log: %s (the removed messages stay hidden; the next sweep "
			 "tries again)",
			 store_errmsg(app->store));
		app->compact_owed = 1;
		return;
	}
	app->compact_owed = 0;
	commit_log_replaced(&app->commit);
	app->metrics.log_bytes_compacted += st.bytes_before - st.bytes_after;
	log_info("retention: messages.log compacted in the background: %llu -> %llu bytes (%llu records removed)",
		 (unsigned long long)st.bytes_before, (unsigned long long)st.bytes_after,
		 (unsigned long long)st.removed_records);
}

static void compaction_start(struct app *app)
{
	compaction_abort(app); /* a running one would only fail: more messages were removed since it began */
	commit_flush(&app->commit);
	app->compactor = store_messages_compact_start(app->store);
	if (!app->compactor) {
		log_error("retention: %s", store_errmsg(app->store));
		app->compact_owed = 1;
		return;
	}
	ev_timer_start(app->loop, &app->compact_timer);
	ev_unref(app->loop);
}

/* Attachments past media_days or below a floor (the floors this sweep set included), then unsent uploads. */
static int expire_media(struct app *app, int64_t now, struct retention_report *out)
{
	struct attachment_expiry media, unsent;
	int64_t grace_ms = (int64_t)app->cfg.unsent_upload_grace_s * 1000;
	if (attachment_expire_media(app->store, now, 1000, &media) != STORE_OK ||
	    attachment_expire_unsent(app->store, now - grace_ms, 1000, &unsent) != STORE_OK)
		return STORE_ERR;
	out->media = media.removed;
	out->media_bytes = media.bytes;
	out->unsent = unsent.removed;
	out->unsent_bytes = unsent.bytes;
	return STORE_OK;
}

static void report_media(struct app *app, const struct retention_report *out)
{
	app->metrics.retention_media_removed += (uint64_t)out->media;
	app->metrics.unsent_uploads_removed += (uint64_t)out->unsent;
	if (out->media)
		log_info("retention: removed %d attachment(s) (%lld bytes) past their case's media period or with "
			 "their message",
			 out->media, (long long)out->media_bytes);
	if (out->unsent)
		log_info("retention: removed %d upload(s) never sent (%lld bytes)", out->unsent,
			 (long long)out->unsent_bytes);
}

int retention_sweep(struct app *app, int64_t now, struct retention_report *out)
{
	struct sweep w = {app, out, 0, 0, 0, 0, 0};
	memset(out, 0, sizeof(*out));
	commit_flush(&app->commit);
	if (store_begin(app->store) != STORE_OK) {
		log_error("retention: %s", store_errmsg(app->store));
		return -1;
	}
	if (store_retention_due(app->store, now, on_due, &w) != STORE_OK)
		w.failed = 1;
	case_done(&w);
	if (!w.failed && recordings_expire(app->store, now, 1000, &out->recordings) != STORE_OK)
		w.failed = 1;
	if (!w.failed && expire_media(app, now, out) != STORE_OK)
		w.failed = 1;
	if (w.failed) {
		log_error("retention: sweep failed: %s", store_errmsg(app->store));
		store_rollback(app->store);
		return -1;
	}
	if (!commit_durably(app))
		return -1;
	app->metrics.retention_sweeps++;
	if (out->recordings)
		log_info("retention: removed %d recording file(s)", out->recordings);
	report_media(app, out);
	if (out->recordings || out->media || out->unsent)
		blobstore_sweep(app->blobs, app->store, 10000);
	if (!out->messages && app->compact_owed && !app->compactor)
		compaction_start(app); /* an earlier compaction failed: the removed messages are still in the file */
	if (!out->messages)
		return 0;
	app->metrics.retention_messages_removed += (uint64_t)out->messages;
	log_info("retention: removed %lld messages from %lld conversations in %lld cases; compacting messages.log",
		 (long long)out->messages, (long long)out->conversations, (long long)out->cases);
	compaction_start(app); /* hides them at once; the file follows when the thread is done */
	return 0;
}

int retention_erase(struct app *app, int64_t actor, int64_t account_id, int64_t case_id, const char *reference,
		    struct erase_result *out)
{
	commit_flush(&app->commit);
	if (store_begin(app->store) != STORE_OK)
		return STORE_ERR;
	int rc = case_id ? store_erase_case(app->store, actor, case_id, reference, out)
			 : store_erase_account(app->store, actor, account_id, reference, out);
	if (rc != STORE_OK) {
		store_rollback(app->store);
		return rc;
	}
	if (!commit_durably(app))
		return STORE_ERR;
	app->metrics.erasures++;
	session_agreements_changed(app);                /* their agreements ended */
	session_check_accounts(app);                    /* the erased account is disabled: its connections close */
	blobstore_sweep(app->blobs, app->store, 10000); /* the files of the erased media and recordings */
	struct msglog_compaction st = {0};
	compaction_abort(app);
	compact(app, &st); /* on failure the messages stay hidden and the next sweep compacts */
	commit_flush(&app->commit);
	if (store_wal_truncate(app->store) != STORE_OK) /* the erased rows' old page images leave the WAL */
		log_warn("erasure: the WAL could not be truncated now (%s); it is overwritten as it is reused",
			 store_errmsg(app->store));
	log_info("erasure: %s %lld (%s): %lld messages, %lld audit details; messages.log %llu -> %llu bytes",
		 case_id ? "case" : "account", (long long)(case_id ? case_id : account_id), reference,
		 (long long)out->messages, (long long)out->audit_entries, (unsigned long long)st.bytes_before,
		 (unsigned long long)st.bytes_after);
	return STORE_OK;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct retention_report r;
	retention_sweep(w->data, clock_now_ms(), &r);
}

void retention_start(struct app *app)
{
	app->compact_owed = store_messages_hidden(app->store) > 0; /* removed before a crash, still in the file */
	ev_timer_init(&app->compact_timer, on_compact_timer, 0.05, 0.05);
	app->compact_timer.data = app;
	ev_timer_init(&app->retention_timer, on_timer, 1.0, app->cfg.retention_sweep_s);
	app->retention_timer.data = app;
	ev_timer_start(app->loop, &app->retention_timer);
	ev_unref(app->loop);
}

void retention_stop(struct app *app)
{
	ev_ref(app->loop);
	ev_timer_stop(app->loop, &app->retention_timer);
	compaction_abort(app);
}
