/* invites.c: samvaer-admin invite create/list/revoke — invitations into a child's case, made for a named carer or
 * caseworker of the case under the same rules as the admin API (server/invites/invites.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "server/base/clock.h"
#include "server/base/config.h"
#include "server/base/qr_svg.h"
#include "server/invites/invites.h"

static int64_t parse_num(const char *s)
{
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? v : 0;
}

static int case_of_child(struct admin *a, const char *child, int64_t *case_id)
{
	int64_t id = admin_account_id(a, child, "child");
	if (!id)
		return -1;
	if (store_case_of_child(a->store, id, case_id) != STORE_OK)
		return admin_fail("'%s' has no case (samvaer-admin case add %s)", child, child), -1;
	return 0;
}

/* Commit, or roll back and say why not. */
static int finish(struct admin *a, int rc, const struct invites_outcome *out, const char *as)
{
	if (rc != INVITES_OK) {
		store_rollback(a->store);
		if (out->field[0])
			return admin_fail("%s (%s)", out->message, out->field);
		return admin_fail("%s%s%s", as ? as : "", as ? ": " : "", out->message[0] ? out->message : "refused");
	}
	if (store_commit(a->store) != STORE_OK)
		return admin_fail("could not save: %s", store_errmsg(a->store));
	return ADMIN_OK;
}

/* Where the family app is for the link: --url, else the server's address from --config (or the default). */
static int app_url(int argc, char **argv, char *out, size_t cap)
{
	const char *url = admin_opt(argc, argv, "--url"), *file = admin_opt(argc, argv, "--config");
	struct config cfg;
	char err[256];
	if (url) {
		if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
			return admin_usage("--url must start with http:// or https://");
		snprintf(out, cap, "%s", url);
		return 0;
	}
	config_defaults(&cfg);
	if (file && config_load_file(&cfg, file, err, sizeof(err)) != 0)
		return admin_fail("%s", err);
	snprintf(out, cap, "%s://%s:%d/", cfg.tls_cert[0] ? "https" : "http", cfg.listen, cfg.port);
	return 0;
}

static int write_qr(const char *file, const char *link)
{
	char *svg;
	size_t len;
	if (qr_svg(link, &svg, &len))
		return admin_fail("the link is too long for a QR code");
	FILE *f = strcmp(file, "-") ? fopen(file, "w") : stdout;
	int ok = f && fwrite(svg, 1, len, f) == len && fputc('\n', f) != EOF;
	if (f && f != stdout)
		ok = fclose(f) == 0 && ok;
	free(svg);
	return ok ? ADMIN_OK : admin_fail("cannot write %s", file);
}

static int read_terms(const char *file, json_t **out)
{
	json_error_t jerr;
	*out = NULL;
	if (!file)
		return 0;
	*out = !strcmp(file, "-") ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
				  : json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	return *out ? 0 : admin_fail("%s: %s (line %d)", file, jerr.text, jerr.line);
}

static int invite_create(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct invites_outcome out = {0};
	struct invites_request req = {0};
	char base[256], link[400];
	int64_t case_id;
	const char *as = admin_opt(argc, argv, "--as"), *exp = admin_opt(argc, argv, "--expires-in");
	req.invitee_name = admin_opt(argc, argv, "--name");
	req.relationship = admin_opt(argc, argv, "--relationship");
	req.language = admin_opt(argc, argv, "--locale"); /* --language: its older name */
	if (!req.language)
		req.language = admin_opt(argc, argv, "--language");
	req.expires_in_s = exp ? parse_num(exp) : 0;
	if (argc < 1 || argv[0][0] == '-' || !as || !req.invitee_name || !req.relationship ||
	    (exp && !req.expires_in_s))
		return admin_usage("invite create needs CHILD --as USER --name NAME --relationship LABEL");
	if (app_url(argc, argv, base, sizeof(base)) || case_of_child(a, argv[0], &case_id))
		return ADMIN_FAIL;
	if (store_account_by_name(a->store, as, &who) != STORE_OK || who.disabled)
		return admin_fail("no enabled account '%s'", as);
	json_t *terms;
	if (read_terms(admin_opt(argc, argv, "--terms"), &terms) || store_begin(a->store) != STORE_OK)
		return json_decref(terms), admin_fail("%s", store_errmsg(a->store));
	req.terms = terms;
	int64_t now = clock_now_ms();
	int rc = finish(a, invites_create(a->store, &who, case_id, &req, now, &out), &out, as);
	json_decref(terms);
	if (rc != ADMIN_OK)
		return rc;
	invites_link(base, &out.code, link, sizeof(link));
	time_t until = (time_t)((now / 1000) + (req.expires_in_s ? req.expires_in_s : INVITES_EXPIRY_DEFAULT_S));
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&until));
	printf("invitation: %lld\ncode: %s\nlink: %s\nexpires: %s\n", (long long)out.invitation_id, out.code.text, link,
	       when);
	const char *qr = admin_opt(argc, argv, "--qr");
	return qr ? write_qr(qr, link) : ADMIN_OK;
}

struct list_ctx {
	struct admin *a;
	int64_t now;
};

static void print_row(const struct invitation *inv, void *arg)
{
	struct list_ctx *l = arg;
	struct account by;
	char when[32];
	time_t t = (time_t)(inv->expires_at / 1000);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%MZ", gmtime(&t));
	if (store_account_by_id(l->a->store, inv->created_by, &by) != STORE_OK)
		snprintf(by.username, sizeof(by.username), "?");
	printf("%-5lld %-8s %s-****-**** %s tries=%d by=%s %s, %s\n", (long long)inv->id, invites_state(inv, l->now),
	       inv->lookup, when, inv->failed_tries, by.username, inv->relationship, inv->invitee_name);
}

static int invite_list(struct admin *a, int argc, char **argv)
{
	int64_t case_id;
	if (argc < 1)
		return admin_usage("invite list needs CHILD");
	if (case_of_child(a, argv[0], &case_id))
		return ADMIN_FAIL;
	struct list_ctx l = {a, clock_now_ms()};
	if (store_invitations_of_case(a->store, case_id, print_row, &l) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return ADMIN_OK;
}

static int invite_revoke(struct admin *a, int argc, char **argv)
{
	struct invites_outcome out = {0};
	struct account who;
	int64_t id = argc ? parse_num(argv[0]) : 0;
	const char *as = admin_opt(argc, argv, "--as");
	if (!id)
		return admin_usage("invite revoke needs ID [--as USER]");
	if (as && (store_account_by_name(a->store, as, &who) != STORE_OK || who.disabled))
		return admin_fail("no enabled account '%s'", as);
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc = finish(a, invites_revoke(a->store, as ? &who : NULL, id, clock_now_ms(), &out), &out, as);
	if (rc == ADMIN_OK)
		printf("invitation %lld revoked\n", (long long)id);
	return rc;
}

int admin_cmd_invite(struct admin *a, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "create"))
		return invite_create(a, argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "list"))
		return invite_list(a, argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "revoke"))
		return invite_revoke(a, argc - 1, argv + 1);
	return admin_usage("invite create|list|revoke");
}
