/* uploads.c: the uploads service — start and stop (spool, blob store, processing pool, expiry timer), the answer
 * helpers, Bearer authentication, and the split of requests between tus (/files/) and downloads (/media/). */
#include "server/uploads/uploads_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/session/auth.h"
#include "server/session/state.h"

#define SWEEP_INTERVAL_S 60.0

void up__reset(struct up_response *res)
{
	memset(res, 0, sizeof(*res));
	res->fd = -1;
}

void up__header(struct up_response *res, const char *name, const char *fmt, ...)
{
	if (res->nheaders >= UP_MAX_HEADERS)
		return;
	va_list ap;
	va_start(ap, fmt);
	res->headers[res->nheaders].name = name;
	vsnprintf(res->headers[res->nheaders].value, sizeof(res->headers[0].value), fmt, ap);
	va_end(ap);
	res->nheaders++;
}

/* A JSON string body member: the codes and sentences here are our own, but escape quotes and backslashes anyway. */
static size_t json_quote(char *dst, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 3 < cap; s++) {
		if (*s == '"' || *s == '\\')
			dst[n++] = '\\';
		dst[n++] = *s;
	}
	dst[n] = 0;
	return n;
}

void up__error(struct up_response *res, int status, const char *code, const char *message)
{
	char c[64], m[300];
	json_quote(c, sizeof(c), code);
	json_quote(m, sizeof(m), message);
	res->status = status;
	snprintf(res->code, sizeof(res->code), "%s", code);
	snprintf(res->content_type, sizeof(res->content_type), "application/json");
	int n = snprintf(res->body, sizeof(res->body), "{\"error\":\"%s\",\"message\":\"%s\"}", c, m);
	res->body_len = n > 0 && (size_t)n < sizeof(res->body) ? (size_t)n : 0;
	res->content_length = res->body_len;
}

int up__account(struct uploads *u, const char *bearer, struct account *out)
{
	uint8_t hash[32];
	int64_t account, expires;
	struct store *s = u->app->store;
	if (!bearer || auth_token_hash(bearer, strlen(bearer), hash) != 0 ||
	    store_session_get(s, hash, &account, &expires) != STORE_OK || expires <= clock_now_ms() ||
	    store_account_by_id(s, account, out) != STORE_OK || out->disabled)
		return -1;
	return 0;
}

static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	uploads_sweep(w->data, clock_now_ms());
}

struct uploads *uploads_create(struct app *app, char *err, size_t errlen)
{
	struct uploads *u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "uploads: out of memory");
		return NULL;
	}
	u->app = app;
	intmap_init(&u->by_id);
	intmap_init(&u->media_sessions);
	snprintf(u->blob_root, sizeof(u->blob_root), "%s/blobs", app->cfg.data_dir);
	mediaproc_limits_default(&u->limits);
	struct mediaproc_config pc = {.limits = u->limits};
	if (spool_dir_reset(app->cfg.data_dir) != 0) {
		snprintf(err, errlen, "uploads: cannot prepare %s/spool", app->cfg.data_dir);
		goto fail;
	}
	if (!(u->blobs = app->blobs)) { /* the app's one blob store (recordings share it) */
		snprintf(err, errlen, "uploads: no blob store");
		goto fail;
	}
	if (!(u->writer = spool_writer_start(app->loop))) {
		snprintf(err, errlen, "uploads: cannot start the spool writer");
		goto fail;
	}
	if (!(u->pool = mediaproc_pool_create(app->loop, &pc, err, errlen)))
		goto fail;
	double every = app->cfg.upload_expiry_s < SWEEP_INTERVAL_S ? app->cfg.upload_expiry_s : SWEEP_INTERVAL_S;
	ev_timer_init(&u->sweep, on_sweep, every, every);
	u->sweep.data = u;
	ev_timer_start(app->loop, &u->sweep);
	ev_unref(app->loop);
	return u;
fail:
	uploads_destroy(u);
	return NULL;
}

void uploads_destroy(struct uploads *u)
{
	if (!u)
		return;
	if (ev_is_active(&u->sweep)) {
		ev_ref(u->app->loop);
		ev_timer_stop(u->app->loop, &u->sweep);
	}
	spool_writer_stop(u->writer); /* its last flushes may still hand uploads to the pool */
	u->writer = NULL;
	if (u->pool)
		mediaproc_pool_destroy(u->pool); /* answers what it held: those uploads end FAILED */
	u->pool = NULL;
	commit_flush(&u->app->commit); /* attachments recorded by those answers: their continuations need u */
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->by_id, &pos, NULL, &v)) {
		struct upload *up = v;
		spool_destroy(up->spool);
		free(up->patch);
		free(up);
	}
	intmap_free(&u->by_id);
	up__media_free(u);
	free(u);
}

static int dispatch(struct uploads *u, const struct up_request *req, struct up_response *res, struct up_patch **patch)
{
	if (!strncmp(req->path, "/files/", 7) || !strcmp(req->path, "/files"))
		return up__tus(u, req, res, patch);
	if (!strncmp(req->path, "/media/", 7))
		return up__media(u, req, res);
	up__error(res, 404, "not_found", "There is nothing here.");
	res->code[0] = 0; /* a path outside the protocol: a developer's detail, left in English */
	return UP_DONE;
}

int uploads_handle(struct uploads *u, const struct up_request *req, struct up_response *res, struct up_patch **patch)
{
	up__reset(res);
	*patch = NULL;
	int rc = dispatch(u, req, res, patch);
	if (rc == UP_DONE)
		up__localize_request(u, req, res);
	return rc;
}

int uploads_sweep(struct uploads *u, int64_t now)
{
	int n = 0;
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->by_id, &pos, NULL, &v)) {
		struct upload *up = v;
		if (up->expires_at > now || up->state == UPLOAD_PROCESSING || up->patch)
			continue;
		up__remove(u, up);
		n++;
	}
	if (blobstore_sweep(u->blobs, u->app->store, 1000) < 0)
		log_error("blobs: sweep: %s", store_errmsg(u->app->store));
	return n;
}
