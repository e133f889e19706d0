/* api_devices.c: admin API routes for the devices and passwords of a case's people — list, pairing codes, revoke,
 * password reset (docs/ADMIN-API.md, "Devices and recovery"). */
#include <string.h>

#include "server/api/api_routes.h"
#include "server/base/clock.h"
#include "server/devices/devices.h"
#include "server/session/auth.h"

static int allowed(struct api_call *c)
{
	return api_require_role(c, DEVICES_ROLES_CARE) && api_require_case(c, c->ids[0], DEVICES_ROLES_CARE);
}

static void reply_outcome(struct api_call *c, int rc, const struct devices_outcome *out)
{
	static const struct {
		int status;
		const char *code;
	} map[] = {
	    [DEVICES_BAD_REQUEST] = {400, "bad_request"},
	    [DEVICES_FORBIDDEN] = {403, "forbidden"},
	    [DEVICES_NOT_FOUND] = {404, "not_found"},
	    [DEVICES_CONFLICT] = {409, "conflict"},
	    [DEVICES_ERR] = {500, "internal"},
	};
	int i = rc > DEVICES_OK && rc <= DEVICES_ERR ? rc : DEVICES_ERR;
	api_error(c, map[i].status, map[i].code, out->message[0] ? out->message : map[i].code,
		  out->field[0] ? out->field : NULL);
}

/* Roll back and answer a refusal, or commit (api_write_commit) and then close the connections of whatever ended (a
 * revoked device, a reset password's sessions). 1 if committed. */
static int write_end(struct api_call *c, int rc, const struct devices_outcome *out)
{
	if (rc != DEVICES_OK) {
		store_rollback(c->app->store);
		reply_outcome(c, rc, out);
		return 0;
	}
	if (!api_write_commit(c, 0))
		return 0;
	if (out->account_id)
		session_check_account(c->app, out->account_id);
	return 1;
}

/* ---- GET /api/cases/#/devices ---- */

struct people_ctx {
	struct api_call *c;
	json_t *arr;
	json_t *list; /* the person's devices or codes being filled */
};

static void add_device(const struct device *d, void *ctx)
{
	json_array_append_new(ctx, devices_device_json(d));
}

static void add_pairing(const struct pairing *p, void *ctx)
{
	json_array_append_new(ctx,
			      json_pack("{s:I,s:I,s:I}", "pairing_id", (json_int_t)p->id, "created_at",
					(json_int_t)p->created_at, "expires_at", (json_int_t)p->expires_at));
}

static void add_person(int64_t account, const char *relationship, void *ctx)
{
	struct people_ctx *p = ctx;
	struct store *s = p->c->app->store;
	struct account a;
	if (store_account_by_id(s, account, &a) != STORE_OK)
		return;
	json_t *devices = json_array(), *codes = json_array();
	store_devices_of(s, account, add_device, devices);
	store_pairings_open(s, account, clock_now_ms(), add_pairing, codes);
	json_array_append_new(p->arr,
			      json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:I,s:o,s:o}", "account_id", (json_int_t)a.id,
					"username", a.username, "display_name", a.display_name, "role", a.role,
					"relationship", relationship, "disabled", a.disabled, "password_reset_at",
					(json_int_t)a.password_reset_at, "devices", devices, "pairings", codes));
}

static void route_list(struct api_call *c)
{
	if (!allowed(c))
		return;
	struct people_ctx p = {c, json_array(), NULL};
	if (store_case_people(c->app->store, c->ids[0], add_person, &p) != STORE_OK) {
		json_decref(p.arr);
		api_error(c, 500, "internal", store_errmsg(c->app->store), NULL);
		return;
	}
	api_reply(c, 200, json_pack("{s:I,s:o}", "case_id", (json_int_t)c->ids[0], "people", p.arr));
}

/* ---- writes ---- */

static void route_pair(struct api_call *c)
{
	struct devices_outcome out = {0};
	struct devices_code code;
	json_t *hours = c->body ? json_object_get(c->body, "hours") : NULL;
	if (!allowed(c))
		return;
	if (hours && !json_is_integer(hours)) {
		api_error(c, 400, "bad_request", "hours must be a whole number.", "hours");
		return;
	}
	if (!api_write_begin(c))
		return;
	int rc = devices_pairing_create(c->app->store, &c->me, c->ids[1], c->ids[0],
					hours ? (int)json_integer_value(hours) : 0, "api", &code, &out);
	if (write_end(c, rc, &out))
		api_reply(c, 201, devices_code_json(&code, c->ids[1], api_body_str(c, "app_url")));
	explicit_bzero(&code, sizeof(code));
}

static void route_pairing_revoke(struct api_call *c)
{
	struct devices_outcome out = {0};
	if (!allowed(c) || !api_write_begin(c))
		return;
	int rc = devices_pairing_revoke(c->app->store, &c->me, c->ids[1], c->ids[0], "api", &out);
	if (write_end(c, rc, &out))
		api_reply(c, 200, json_pack("{s:I,s:b}", "pairing_id", (json_int_t)c->ids[1], "revoked", 1));
}

static void route_device_revoke(struct api_call *c)
{
	struct devices_outcome out = {0};
	if (!allowed(c) || !api_write_begin(c))
		return;
	int rc = devices_revoke(c->app->store, &c->me, c->ids[1], c->ids[0], "api", &out);
	if (write_end(c, rc, &out))
		api_reply(c, 200, json_pack("{s:I,s:b}", "device_id", (json_int_t)c->ids[1], "revoked", 1));
}

static void route_password(struct api_call *c)
{
	struct devices_outcome out = {0};
	char temp[DEVICES_TEMP_PASSWORD_LEN + 1] = "";
	json_t *pw = c->body ? json_object_get(c->body, "password") : NULL;
	if (!allowed(c))
		return;
	if (pw && !json_is_string(pw)) {
		api_error(c, 400, "bad_request", "password must be text.", "password");
		return;
	}
	if (!api_write_begin(c))
		return;
	int rc = devices_password_reset(c->app->store, &c->me, c->ids[1], c->ids[0], json_string_value(pw), "api", temp,
					&out);
	if (write_end(c, rc, &out)) {
		json_t *res =
		    json_pack("{s:I,s:I}", "account_id", (json_int_t)c->ids[1], "reset_at", (json_int_t)clock_now_ms());
		if (!pw)
			json_object_set_new(res, "temporary_password", json_string(temp));
		api_reply(c, 200, res);
	}
	explicit_bzero(temp, sizeof(temp));
}

const struct api_route api_routes_devices[] = {
    {"GET", "/api/cases/#/devices", route_list},
    {"POST", "/api/cases/#/accounts/#/pairings", route_pair},
    {"POST", "/api/cases/#/pairings/#/revoke", route_pairing_revoke},
    {"POST", "/api/cases/#/devices/#/revoke", route_device_revoke},
    {"POST", "/api/cases/#/accounts/#/password", route_password},
    {NULL, NULL, NULL},
};
