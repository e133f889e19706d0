/* api_invites.c: admin API routes for invitations — invite someone into a case (code, link, QR), list, revoke
 * (docs/ADMIN-API.md "Invitations"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_routes.h"
#include "server/base/clock.h"
#include "server/base/qr_svg.h"
#include "server/invites/invites.h"

static void reply_outcome(struct api_call *c, int rc, const struct invites_outcome *out)
{
	static const struct {
		int status;
		const char *code;
	} map[] = {
	    [INVITES_BAD_REQUEST] = {400, "bad_request"},
	    [INVITES_FORBIDDEN] = {403, "forbidden"},
	    [INVITES_NOT_FOUND] = {404, "not_found"},
	    [INVITES_CONFLICT] = {409, "conflict"},
	    [INVITES_ERR] = {500, "internal"},
	};
	int i = rc > INVITES_OK && rc <= INVITES_ERR ? rc : INVITES_ERR;
	api_error(c, map[i].status, map[i].code, out->message[0] ? out->message : map[i].code,
		  out->field[0] ? out->field : NULL);
}

/* Roll back and answer the error, or commit durably. 1 if committed. */
/* Roll back and answer a refusal, or commit durably (api_write_commit). 1 if committed. */
static int write_end(struct api_call *c, int rc, const struct invites_outcome *out)
{
	if (rc != INVITES_OK) {
		store_rollback(c->app->store);
		reply_outcome(c, rc, out);
		return 0;
	}
	return api_write_commit(c, 0);
}

/* Where the family app lives, for the link: the body's app_url (the console sends its own origin), else the
 * server's listen address. */
static int app_url(struct api_call *c, char *out, size_t cap)
{
	const char *u = api_body_str(c, "app_url");
	if (!u) {
		snprintf(out, cap, "%s://%s:%d/", c->app->cfg.tls_cert[0] ? "https" : "http", c->app->cfg.listen,
			 c->app->cfg.port);
		return 0;
	}
	int ok = (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) && strlen(u) < cap &&
	    !strpbrk(u, " \"'<>#\\\n\r\t");
	if (ok)
		snprintf(out, cap, "%s", u);
	return ok ? 0 : -1;
}

static int read_request(struct api_call *c, struct invites_request *req)
{
	json_t *exp = json_object_get(c->body, "expires_in_s");
	json_t *terms = json_object_get(c->body, "terms");
	if (exp && (!json_is_integer(exp) || json_integer_value(exp) < 1)) {
		api_error(c, 400, "bad_request", "expires_in_s must be a whole number of seconds", "expires_in_s");
		return -1;
	}
	req->invitee_name = api_body_str(c, "invitee_name");
	req->relationship = api_body_str(c, "relationship");
	req->language = api_body_str(c, "locale"); /* "language": its older name */
	if (!req->language)
		req->language = api_body_str(c, "language");
	req->terms = json_is_null(terms) ? NULL : terms;
	req->expires_in_s = exp ? json_integer_value(exp) : 0;
	return 0;
}

static void route_create(struct api_call *c)
{
	struct invites_request req = {0};
	struct invites_outcome out = {0};
	struct invitation inv;
	char base[256], link[400];
	if (!c->body) {
		api_error(c, 400, "bad_request", "Send the invitation as a JSON object.", NULL);
		return;
	}
	if (app_url(c, base, sizeof(base))) {
		api_error(c, 400, "bad_request", "app_url must be an http(s) address", "app_url");
		return;
	}
	if (read_request(c, &req) || !api_write_begin(c))
		return;
	int64_t now = clock_now_ms();
	int rc = invites_create(c->app->store, &c->me, c->ids[0], &req, now, &out);
	if (!write_end(c, rc, &out))
		return;
	invites_link(base, &out.code, link, sizeof(link));
	char *svg = NULL;
	size_t svg_len;
	json_t *o = json_pack("{s:s,s:s,s:o}", "code", out.code.text, "link", link, "qr_svg",
			      qr_svg(link, &svg, &svg_len) ? json_null() : json_stringn(svg, svg_len));
	free(svg);
	explicit_bzero(&out.code, sizeof(out.code));
	if (store_invitation_get(c->app->store, out.invitation_id, &inv) == STORE_OK) {
		json_object_set_new(o, "invitation", invites_json(c->app->store, &inv, now));
		store_invitation_clear(&inv);
	}
	api_reply(c, 201, o);
}

struct list_ctx {
	struct api_call *c;
	json_t *arr;
	int64_t now;
};

static void add_invitation(const struct invitation *inv, void *ctx)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->arr, invites_json(l->c->app->store, inv, l->now));
}

static void route_list(struct api_call *c)
{
	if (!api_require_role(c, INVITES_ROLES) || !api_require_case(c, c->ids[0], INVITES_ROLES))
		return;
	struct list_ctx l = {c, json_array(), clock_now_ms()};
	if (store_invitations_of_case(c->app->store, c->ids[0], add_invitation, &l) != STORE_OK) {
		json_decref(l.arr);
		api_error(c, 500, "internal", store_errmsg(c->app->store), NULL);
		return;
	}
	api_reply(c, 200, l.arr);
}

static void route_revoke(struct api_call *c)
{
	struct invites_outcome out = {0};
	struct invitation inv;
	if (!api_write_begin(c))
		return;
	int64_t now = clock_now_ms();
	if (!write_end(c, invites_revoke(c->app->store, &c->me, c->ids[0], now, &out), &out))
		return;
	if (store_invitation_get(c->app->store, c->ids[0], &inv) != STORE_OK) {
		api_error(c, 500, "internal", store_errmsg(c->app->store), NULL);
		return;
	}
	api_reply(c, 200, invites_json(c->app->store, &inv, now));
	store_invitation_clear(&inv);
}

const struct api_route api_routes_invites[] = {
    {"POST", "/api/cases/#/invitations", route_create},
    {"GET", "/api/cases/#/invitations", route_list},
    {"POST", "/api/invitations/#/revoke", route_revoke},
    {NULL, NULL, NULL},
};
