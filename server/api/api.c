/* api.c: admin API front — bearer authentication, the route table, JSON replies and scope checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_internal.h"
#include "server/session/auth.h"
#include "server/base/clock.h"
#include "server/base/log.h"

void api_reply_text(struct api_call *c, int status, const char *content_type, char *text, size_t len)
{
	c->res->status = status;
	c->res->content_type = content_type;
	free(c->res->body);
	c->res->body = text;
	c->res->len = len;
}

void api_reply(struct api_call *c, int status, json_t *result)
{
	char *text = json_dumps(result, JSON_COMPACT);
	json_decref(result);
	if (!text) {
		api_reply_text(c, 500, "application/json", strdup("{\"error\":{\"code\":\"internal\"}}"), 30);
		return;
	}
	api_reply_text(c, status, "application/json", text, strlen(text));
}

void api_error(struct api_call *c, int status, const char *code, const char *message, const char *field)
{
	json_t *e = json_pack("{s:s,s:s}", "code", code, "message", message ? message : code);
	if (field)
		json_object_set_new(e, "field", json_string(field));
	api_reply(c, status, json_pack("{s:o}", "error", e));
}

static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int api_require_role(struct api_call *c, const char *roles)
{
	if (in_list(roles, c->me.role))
		return 1;
	api_error(c, 403, "forbidden", "Your role may not do this.", NULL);
	return 0;
}

const char *api_case_role(struct api_call *c, int64_t case_id)
{
	static const char *const roles[] = {"caseworker", "supervisor", "carer"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(c->me.role, roles[i]) && store_case_has_member(c->app->store, case_id, c->me.id, roles[i]))
			return roles[i];
	return NULL;
}

int api_require_case(struct api_call *c, int64_t case_id, const char *roles)
{
	const char *r = case_id > 0 ? api_case_role(c, case_id) : NULL;
	if (r && in_list(roles, r))
		return 1;
	api_error(c, 404, "not_found", "No such case in your caseload.", NULL);
	return 0;
}

const char *api_query(struct api_call *c, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = c->req->query; p && *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			snprintf(buf, cap, "%.*s", (int)(len - n - 1), p + n + 1);
			return buf;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

int api_write_begin(struct api_call *c)
{
	commit_flush(&c->app->commit);
	if (store_begin(c->app->store) == STORE_OK)
		return 1;
	api_error(c, 500, "internal", "The store is not available.", NULL);
	return 0;
}

static void note_commit(void *owner, void *arg, int ok)
{
	*(int *)arg = ok;
}

int api_write_commit(struct api_call *c, int agreements_changed)
{
	int ok = 0;
	commit_after(&c->app->commit, note_commit, &ok);
	if (agreements_changed)
		session_agreements_changed(c->app);
	else
		commit_flush(&c->app->commit);
	if (!ok)
		api_error(c, 500, "internal", "The change could not be saved.", NULL);
	return ok;
}

const char *api_body_str(struct api_call *c, const char *name)
{
	return c->body ? json_string_value(json_object_get(c->body, name)) : NULL;
}

static void route_me(struct api_call *c)
{
	char initials[16];
	auth_initials(c->me.display_name, initials);
	api_reply(c, 200,
		  json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)c->me.id, "username", c->me.username,
			    "display_name", c->me.display_name, "role", c->me.role, "initials", initials, "locale",
			    c->me.locale));
}

#include "server/api/api_routes.h"

/* Who is calling: the token's session, not expired, account enabled. */
static int authenticate(struct api_call *c)
{
	uint8_t hash[32];
	int64_t account, expires;
	const char *tok = c->req->bearer;
	if (!tok || auth_token_hash(tok, strlen(tok), hash) != 0 ||
	    store_session_get(c->app->store, hash, &account, &expires) != STORE_OK || expires <= clock_now_ms() ||
	    store_account_by_id(c->app->store, account, &c->me) != STORE_OK || c->me.disabled) {
		api_error(c, 401, "unauthenticated", "Please log in.", NULL);
		return 0;
	}
	return 1;
}

static int parse_body(struct api_call *c)
{
	if (!c->req->body || c->req->body_len == 0)
		return 1;
	json_error_t jerr;
	c->body = json_loadb(c->req->body, c->req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c->body)) {
		char msg[200];
		snprintf(msg, sizeof(msg), "The body must be a JSON object (%s).",
			 c->body ? "not an object" : jerr.text);
		api_error(c, 400, "bad_request", msg, NULL);
		return 0;
	}
	return 1;
}

void api_handle(struct app *app, const struct api_request *req, struct api_response *res)
{
	struct api_call c = {.app = app, .req = req, .res = res};
	memset(res, 0, sizeof(*res));
	res->fd = -1;
	if (!authenticate(&c))
		return;
	if (!parse_body(&c))
		goto out;
	if (!strcmp(req->method, "GET") && !strcmp(req->path, "/api/me")) {
		route_me(&c);
		goto out;
	}
	const struct api_route *r = api_route_find(req->method, req->path, c.ids);
	if (r)
		r->fn(&c);
	else
		api_error(&c, 404, "not_found", "No such API endpoint.", NULL);
out:
	json_decref(c.body);
	if (!res->body && !res->later)
		api_error(&c, 500, "internal", "The handler gave no answer.", NULL);
}

void api_later_cancel(struct api_later *later)
{
	later->cancel(later);
}
