/* uploads_i18n.c: the `message` of /files/ and /media/ refusals in the asker's language — the account's choice, else
 * the request's Accept-Language, else English — from the same catalog keys as WebSocket replies (error.<code>, else
 * policy.<code>; server/session/session_locale.c). The `error` code never changes. */
#include <stdio.h>
#include <string.h>

#include "server/i18n/i18n.h"
#include "server/session/state.h"
#include "server/uploads/uploads_internal.h"

const char *up__lang(struct uploads *u, int64_t account, const char *client_tag)
{
	struct account a;
	const char *pref = NULL;
	if (account > 0 && store_account_by_id(u->app->store, account, &a) == STORE_OK)
		pref = a.locale;
	return i18n_choose(pref, client_tag);
}

void up__localize(struct up_response *res, const char *lang)
{
	char key[96], text[I18N_TEXT_MAX], code[sizeof(res->code)];
	if (!res->code[0] || !strcmp(lang, I18N_FALLBACK))
		return; /* English keeps the code's own sentence */
	snprintf(key, sizeof(key), "error.%s", res->code);
	if (!i18n_format(lang, key, NULL, 0, text, sizeof(text))) {
		snprintf(key, sizeof(key), "policy.%s", res->code);
		if (!i18n_format(lang, key, NULL, 0, text, sizeof(text)))
			return;
	}
	snprintf(code, sizeof(code), "%s", res->code);
	up__error(res, res->status, code, text);
}

void up__localize_request(struct uploads *u, const struct up_request *req, struct up_response *res)
{
	int64_t account = 0;
	if (!res->code[0])
		return;
	if (up__who(u, req, &account) != 0)
		account = 0;
	up__localize(res, up__lang(u, account, i18n_accept_language(req->accept_language)));
}
