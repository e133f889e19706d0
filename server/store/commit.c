/* commit.c: the group commit — the turn's SQLite transaction and message-log records committed together at the
 * end of each loop turn, continuations run once the syncer thread has made them durable. */
#include "server/store/commit.h"

#include <stdio.h>
#include <stdlib.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/base/metrics.h"
#include "server/store/store.h"
#include "server/store/syncer.h"

void commit_after_in(struct commit *c, struct commit_wait *w, commit_fn fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	w->next = NULL;
	*c->wait_tail = w;
	c->wait_tail = &w->next;
}

void commit_after(struct commit *c, commit_fn fn, void *arg)
{
	struct commit_wait *w = malloc(sizeof(*w));
	if (!w) {
		fn(c->owner, arg, 0);
		return;
	}
	w->embedded = 0;
	commit_after_in(c, w, fn, arg);
}

static void run_waits(struct commit *c, struct commit_wait *w, int ok)
{
	while (w) {
		struct commit_wait *next = w->next;
		int embedded = w->embedded; /* fn may free the memory w lives in */
		w->fn(c->owner, w->arg, ok);
		if (!embedded)
			free(w);
		w = next;
	}
}

/* Run, in order, every committed batch whose generation is durable (or failed to become so). */
static void run_durable(struct commit *c, uint64_t gen, int ok)
{
	if (gen > c->durable_gen)
		c->durable_gen = gen;
	while (c->batch_head && c->batch_head->gen <= gen) {
		struct commit_batch *b = c->batch_head;
		c->batch_head = b->next;
		if (!c->batch_head)
			c->batch_tail = &c->batch_head;
		if (ok)
			metrics_commit_observe(c->metrics, clock_mono_ns() - b->started_ns);
		run_waits(c, b->waits, ok);
		free(b);
	}
}

enum commit_mode {
	COMMIT_TURN, /* end of a loop turn: may wait while an fsync is in flight */
	COMMIT_NOW,  /* commit now; the syncer makes it durable */
	COMMIT_WAIT, /* commit and fsync on this thread (admin API, shutdown) */
};

/* An fsync is running (or about to) for an earlier commit: committing now would only wait behind it. Commits
 * nobody waits for are not handed to the syncer, so this looks at what was requested, not what was committed. */
static int sync_in_flight(const struct commit *c)
{
	return c->syncer && c->requested_gen > c->durable_gen;
}

static void request_sync(struct commit *c)
{
	c->requested_gen = c->committed_gen;
	syncer_request(c->syncer, c->committed_gen, c->unsynced_files);
	c->unsynced_files = 0;
}

/* Between two transactions: finish the background checkpoint's work so the WAL starts over (syncer.h). This
 * blocks the loop for the frames written since that checkpoint began, and the fsyncs of the few pages it copies:
 * 1-3 ms, once per 16 MiB of WAL (about once a second at 5,000 msg/s). */
static void restart_wal(struct commit *c)
{
	uint64_t t0 = clock_mono_ns();
	int wal = 0, copied = 0;
	if (store_checkpoint(c->store, &wal, &copied) != STORE_OK)
		log_warn("WAL checkpoint: %s", store_errmsg(c->store));
	syncer_wal_restart_done(c->syncer);
	c->metrics->wal_restarts++;
	log_debug("WAL checkpoint on the loop: %d of %d frames in %.1f ms", copied, wal, (clock_mono_ns() - t0) / 1e6);
}

/* Commit the open transaction; its waiters run once it is durable. At the end of a turn, while an fsync is in
 * flight, the transaction stays open and gathers the next turns' writes: it is committed as soon as that fsync
 * completes (on_synced), so one commit and one fsync cover them all and nothing waits longer than it would have
 * behind the running fsync. */
static void commit_turn(struct commit *c, enum commit_mode mode)
{
	if (mode == COMMIT_TURN && sync_in_flight(c))
		return;
	uint64_t t0 = clock_mono_ns();
	int ok = 1;
	if (store_in_txn(c->store)) {
		ok = store_commit(c->store) == STORE_OK;
		if (ok)
			c->committed_gen++;
		else {
			c->metrics->commit_failures++;
			log_error("%s", store_errmsg(c->store));
			if (c->failed)
				c->failed(c->owner);
		}
		c->unsynced_files |= store_take_written(c->store);
	}
	if (ok && c->syncer && syncer_wal_restart_wanted(c->syncer))
		restart_wal(c);
	/* Waiters may queue new waiters (for the next turn): detach the list first. */
	struct commit_wait *w = c->wait_head;
	c->wait_head = NULL;
	c->wait_tail = &c->wait_head;
	if (!ok) {
		run_waits(c, w, 0);
		return;
	}
	int wait_here = mode == COMMIT_WAIT;
	if (w && c->syncer && c->committed_gen > c->durable_gen) {
		struct commit_batch *b = malloc(sizeof(*b));
		if (b) {
			*b = (struct commit_batch){c->committed_gen, t0, w, NULL};
			*c->batch_tail = b;
			c->batch_tail = &b->next;
			w = NULL;
			if (!wait_here)
				request_sync(c);
		} else {
			wait_here = 1;
		}
	}
	if (wait_here && c->syncer && c->committed_gen > c->durable_gen) {
		request_sync(c);
		int synced = syncer_sync_now(c->syncer) == 0;
		run_durable(c, c->committed_gen, synced);
		run_waits(c, w, synced);
		return;
	}
	if (!c->syncer && w)
		metrics_commit_observe(c->metrics, clock_mono_ns() - t0);
	run_waits(c, w, 1); /* nothing of theirs waits for an fsync */
}

static void on_synced(uint64_t gen, int ok, void *arg)
{
	struct commit *c = arg;
	if (!ok)
		c->metrics->commit_failures++;
	run_durable(c, gen, ok);
	commit_turn(c, COMMIT_TURN); /* what gathered while that fsync ran */
}

void commit_now(struct commit *c)
{
	commit_turn(c, COMMIT_NOW);
}

void commit_flush(struct commit *c)
{
	commit_turn(c, COMMIT_WAIT);
}

static void on_turn_end(struct ev_loop *loop, ev_prepare *w, int revents)
{
	commit_turn(w->data, COMMIT_TURN);
}

int commit_init(struct commit *c, struct ev_loop *loop, struct store *store, struct metrics *metrics,
		const char *data_dir, int sync_full, void *owner, char *err, size_t errlen)
{
	c->loop = loop;
	c->store = store;
	c->metrics = metrics;
	c->owner = owner;
	c->wait_tail = &c->wait_head;
	c->batch_tail = &c->batch_head;
	if (sync_full && !(c->syncer = syncer_start(loop, data_dir, on_synced, c))) {
		snprintf(err, errlen, "cannot start the syncer thread");
		return -1;
	}
	return 0;
}

void commit_start(struct commit *c)
{
	ev_prepare_init(&c->turn_end, on_turn_end);
	c->turn_end.data = c;
	ev_prepare_start(c->loop, &c->turn_end);
	ev_unref(c->loop);
	c->started = 1;
}

void commit_free(struct commit *c)
{
	if (c->started) {
		ev_ref(c->loop);
		ev_prepare_stop(c->loop, &c->turn_end);
		c->started = 0;
	}
	if (c->store)
		commit_flush(c);
	syncer_stop(c->syncer);
	c->syncer = NULL;
	if (c->batch_head) /* cannot happen after commit_flush; never leave a waiter unanswered */
		run_durable(c, UINT64_MAX, 0);
}

void commit_log_replaced(struct commit *c)
{
	if (c->syncer)
		syncer_log_replaced(c->syncer);
}
