/* media.c: GET/HEAD /media/<id>[/thumb|/poster] — authorised on every request (Bearer, or the samvaer_media cookie
 * that POST /media/session sets), by the attachments' read rule; Range, private caching, nosniff. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/recordings/recordings.h"
#include "server/session/auth.h"
#include "server/store/audit.h"
#include "server/session/state.h"
#include "server/uploads/uploads_internal.h"

#define MEDIA_COOKIE "samvaer_media"
#define MEDIA_COOKIES_MAX 100000 /* live cookie sessions kept in memory */

/* A cookie session: a random token (only its hash kept) standing for the login session that asked for it, which must
 * still be alive at every use (logging out or revoking the device ends the cookie too). */
struct media_cookie {
	uint8_t hash[32];         /* SHA-256 of the cookie value */
	uint8_t session_hash[32]; /* the login session's token hash */
	int64_t account_id;
	int64_t expires_at; /* the login session's expiry */
};

void up__media_free(struct uploads *u)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->media_sessions, &pos, NULL, &v))
		free(v);
	intmap_free(&u->media_sessions);
}

static void plain_headers(struct up_response *res)
{
	up__header(res, "cache-control:", "no-store");
	up__header(res, "x-content-type-options:", "nosniff");
}

static int refuse(struct up_response *res, int status, const char *code, const char *message)
{
	up__error(res, status, code, message);
	plain_headers(res);
	return UP_DONE;
}

static void sweep_cookies(struct uploads *u, int64_t now)
{
	size_t pos = 0;
	uint64_t k;
	void *v;
	while (intmap_next(&u->media_sessions, &pos, &k, &v))
		if (((struct media_cookie *)v)->expires_at <= now)
			free(intmap_del(&u->media_sessions, k));
}

static int new_session(struct uploads *u, const struct up_request *req, struct up_response *res)
{
	uint8_t hash[32];
	int64_t account, expires, now = clock_now_ms();
	struct account me;
	if (up__account(u, req->bearer, &me) != 0 || auth_token_hash(req->bearer, strlen(req->bearer), hash) != 0 ||
	    store_session_get(u->app->store, hash, &account, &expires) != STORE_OK)
		return refuse(res, 401, "unauthenticated", "Please log in.");
	sweep_cookies(u, now);
	char token[AUTH_TOKEN_HEX + 1];
	struct media_cookie *c = calloc(1, sizeof(*c));
	if (!c || u->media_sessions.count >= MEDIA_COOKIES_MAX || auth_token_new(token, c->hash) != 0 ||
	    intmap_put(&u->media_sessions, intmap_hash_bytes(c->hash, 32), c) != 0) {
		free(c);
		return refuse(res, 503, mediaproc_err_code(MEDIAPROC_ERR_BUSY),
			      mediaproc_err_message(MEDIAPROC_ERR_BUSY));
	}
	memcpy(c->session_hash, hash, 32);
	c->account_id = me.id;
	c->expires_at = expires;
	res->status = 204;
	plain_headers(res);
	up__header(res, "set-cookie:", MEDIA_COOKIE "=%s; Path=/media; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
		   token, (long long)((expires - now) / 1000), req->tls ? "; Secure" : "");
	return UP_DONE;
}

int up__who(struct uploads *u, const struct up_request *req, int64_t *account)
{
	struct account me;
	if (req->bearer)
		return up__account(u, req->bearer, &me) == 0 ? (*account = me.id, 0) : -1;
	uint8_t hash[32];
	int64_t acc, exp;
	if (!req->cookie || strlen(req->cookie) != AUTH_TOKEN_HEX ||
	    auth_token_hash(req->cookie, AUTH_TOKEN_HEX, hash) != 0)
		return -1;
	struct media_cookie *c = intmap_get(&u->media_sessions, intmap_hash_bytes(hash, 32));
	if (!c || CRYPTO_memcmp(c->hash, hash, 32) != 0 || c->expires_at <= clock_now_ms())
		return -1;
	/* the login session behind it must still be alive, and its account enabled */
	if (store_session_get(u->app->store, c->session_hash, &acc, &exp) != STORE_OK || acc != c->account_id ||
	    store_account_by_id(u->app->store, acc, &me) != STORE_OK || me.disabled)
		return -1;
	*account = acc;
	return 0;
}

/* "/media/<id>", "/media/<id>/thumb", "/media/<id>/poster": 0 with id and which (0 main, 1 thumb, 2 poster). */
static int parse_path(const char *path, char id[TUS_ID_LEN + 1], int *which)
{
	const char *p = path + 7, *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	if (!tus_id_valid(p, n))
		return -1;
	memcpy(id, p, n);
	id[n] = 0;
	*which = !slash ? 0 : !strcmp(slash, "/thumb") ? 1 : !strcmp(slash, "/poster") ? 2 : -1;
	return *which < 0 ? -1 : 0;
}

static int serve(struct uploads *u, const struct up_request *req, struct up_response *res, const char *hash,
		 const char *mime)
{
	int fd = blobstore_open_read(u->blobs, hash);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return refuse(res, 404, "media_not_found", "This photo or recording is not here any more.");
	}
	uint64_t size = (uint64_t)st.st_size, first = 0, last = size ? size - 1 : 0;
	int r = http_range_parse(req->range, size, &first, &last);
	if (r < 0) {
		close(fd);
		refuse(res, 416, "range_not_satisfiable", "That part of the file does not exist.");
		up__header(res, "content-range:", "bytes */%llu", (unsigned long long)size);
		return UP_DONE;
	}
	res->status = r == 1 ? 206 : 200;
	snprintf(res->content_type, sizeof(res->content_type), "%s", mime[0] ? mime : "application/octet-stream");
	up__header(res, "cache-control:", "private, max-age=31536000, immutable"); /* ids and blobs never change */
	up__header(res, "x-content-type-options:", "nosniff");
	up__header(res, "accept-ranges:", "bytes");
	up__header(res, "content-disposition:", "inline");
	up__header(res, "cross-origin-resource-policy:", "same-origin");
	if (r == 1)
		up__header(res, "content-range:", "bytes %llu-%llu/%llu", (unsigned long long)first,
			   (unsigned long long)last, (unsigned long long)size);
	res->file_off = first;
	res->file_len = size ? last - first + 1 : 0;
	res->content_length = res->file_len;
	if (req->method == UP_HEAD)
		close(fd);
	else
		res->fd = fd;
	return UP_DONE;
}

/* "/media/recordings/<id>": a call recording's file, for the adults of its case; the first request of a playback
 * (no Range, or one from byte 0) is audit-logged as played. */
static int recording(struct uploads *u, const struct up_request *req, struct up_response *res, int64_t account)
{
	struct recording_row r;
	const char *id = req->path + strlen("/media/recordings/");
	if (strlen(id) != RECORDING_ID_LEN || recordings_get(u->app->store, id, &r) != STORE_OK ||
	    !recordings_may_play(u->app->store, &r, account))
		return refuse(res, 404, "media_not_found", "This photo or recording is not here, or not for you.");
	int rc = serve(u, req, res, r.blob, r.mime);
	if (res->status / 100 == 2 && req->method == UP_GET && (!req->range || !strncmp(req->range, "bytes=0-", 8)) &&
	    store_begin(u->app->store) == STORE_OK &&
	    audit_append(u->app->store, account, AUDIT_CALL_RECORDING, r.case_id, 0,
			 json_pack("{s:I,s:s,s:s,s:s}", "call_id", (json_int_t)r.call_id, "action", "played",
				   "recording", r.recording, "file", r.id)) != STORE_OK)
		log_error("audit: %s", store_errmsg(u->app->store));
	return rc;
}

int up__media(struct uploads *u, const struct up_request *req, struct up_response *res)
{
	if (!strcmp(req->path, "/media/session"))
		return req->method == UP_POST ? new_session(u, req, res)
					      : refuse(res, 405, "method_not_allowed", "Use POST.");
	if (req->method != UP_GET && req->method != UP_HEAD)
		return refuse(res, 405, "method_not_allowed", "Use GET.");
	char id[TUS_ID_LEN + 1];
	int which;
	int64_t account;
	if (up__who(u, req, &account) != 0)
		return refuse(res, 401, "unauthenticated", "Please log in.");
	if (!strncmp(req->path, "/media/recordings/", 18))
		return recording(u, req, res, account);
	struct attachment a;
	/* one answer for "no such id" and "not yours": an id's existence is not revealed */
	if (parse_path(req->path, id, &which) != 0 || attachment_get(u->app->store, id, &a) != STORE_OK ||
	    !attachment_may_read(u->app->store, &a, account))
		return refuse(res, 404, "media_not_found", "This photo or recording is not here, or not for you.");
	const char *hash = which == 0 ? a.blob : which == 1 ? a.thumb : a.poster;
	const char *mime = which == 0 ? a.mime : which == 1 ? a.thumb_mime : a.poster_mime;
	if (!hash[0])
		return refuse(res, 404, "media_not_found", "This photo or recording is not here, or not for you.");
	return serve(u, req, res, hash, mime);
}
