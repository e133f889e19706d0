/* session_locale.c: which language a session speaks (the account's choice, else the client's at login, else en),
 * the human `message` of replies in it, and account.set_locale, the app's language setting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/log.h"
#include "server/i18n/i18n.h"
#include "server/session/session_internal.h"
#include "server/store/audit.h"
#include "server/store/store_invites.h"

void session_note_locale(struct session *s, const struct proto_request *r)
{
	const char *tag = json_string_value(json_object_get(r->root, "locale"));
	const char *match = i18n_match(tag);
	if (!match)
		return;
	snprintf(s->client_lang, sizeof(s->client_lang), "%s", match);
	snprintf(s->lang, sizeof(s->lang), "%s", i18n_choose(NULL, s->client_lang));
}

void session_locale_authenticated(struct session *s, const char *account_pref)
{
	snprintf(s->lang, sizeof(s->lang), "%s", i18n_choose(account_pref, s->client_lang));
}

const char *session_lang(const struct session *s)
{
	return s->lang[0] ? s->lang : I18N_FALLBACK;
}

const char *session_lang_of(struct app *app, int64_t account)
{
	struct route *r = router_first(&app->router, account);
	if (r && r->owner)
		return session_lang(r->owner);
	struct account a;
	if (app->store && store_account_by_id(app->store, account, &a) == STORE_OK)
		return i18n_choose(a.locale, NULL);
	return I18N_FALLBACK;
}

const char *session_localize(const struct session *s, const char *code, const char *message, char *buf, size_t cap)
{
	const char *lang = session_lang(s);
	if (!strcmp(lang, I18N_FALLBACK) || (message && !strncmp(message, "proto:", 6)))
		return message; /* English keeps the code's own words; a developer's detail stays as written */
	char key[96];
	snprintf(key, sizeof(key), "error.%s", code);
	if (i18n_format(lang, key, NULL, 0, buf, cap))
		return buf;
	snprintf(key, sizeof(key), "policy.%s", code);
	if (i18n_format(lang, key, NULL, 0, buf, cap))
		return buf;
	return message;
}

/* account.set_locale {locale}: "" follows the device again. Every live session of the account switches at once. */
struct locale_commit {
	uint64_t conn_id;
	json_t *id;
	int64_t account;
	char locale[I18N_TAG_MAX];
};

static void locale_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct locale_commit *lc = arg;
	struct session *s = session_by_conn(app, lc->conn_id);
	if (ok) {
		for (struct route *r = router_first(&app->router, lc->account); r; r = r->next)
			if (r->owner)
				session_locale_authenticated(r->owner, lc->locale);
	}
	if (s && ok)
		session_reply_ok(s, lc->id, json_pack("{s:s,s:s}", "locale", lc->locale, "effective", session_lang(s)));
	else if (s)
		session_reply_error(s, lc->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
	json_decref(lc->id);
	free(lc);
}

void session_handle_set_locale(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *tag;
	if (proto_param_string(r, "locale", 0, 15, &tag, NULL, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (!i18n_valid_pref(tag)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST,
				    "proto: locale must be \"\", en, ro, da, it or es");
		return;
	}
	struct app *app = s->app;
	struct locale_commit *lc = calloc(1, sizeof(*lc));
	if (!lc || store_begin(app->store) != STORE_OK ||
	    store_account_set_language(app->store, s->account_id, tag) != STORE_OK ||
	    audit_append(app->store, s->account_id, AUDIT_ACCOUNT, 0, 0,
			 json_pack("{s:s,s:s}", "action", "locale", "locale", tag)) != STORE_OK) {
		if (lc)
			log_error("account.set_locale: %s", store_errmsg(app->store));
		free(lc);
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	lc->conn_id = s->route.conn->id;
	lc->id = json_incref(r->id);
	lc->account = s->account_id;
	snprintf(lc->locale, sizeof(lc->locale), "%s", tag);
	commit_after(&app->commit, locale_committed, lc);
}
