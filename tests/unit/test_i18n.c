/* test_i18n.c: the server's messages per language: named arguments numbered for umsg (texts first), patterns refused
 * with a reason, the real catalogs loaded through ICU with every error code and policy reason in every language,
 * Romanian plurals and diacritics, the fallback to English, and the choice of language. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/errors.h"
#include "server/i18n/i18n.h"
#include "server/i18n/msgpattern.h"
#include "server/mediaproc/mediaproc.h"
#include "server/policy/policy.h"
#include "tests/unit/check.h"

static const struct {
	const char *name, *pattern, *numbered;
} numbering[] = {
    {"plain text", "Hello!", "Hello!"},
    {"one text", "From {name}", "From {0}"},
    {"spaces kept", "From { name }", "From { 0 }"},
    {"texts before numbers", "{n, plural, one {# from {who}} other {# from {who}}}",
     "{1, plural, one {# from {0}} other {# from {0}}}"},
    {"select is text", "{g, select, female {She} other {They}} calls {n, number}",
     "{0, select, female {She} other {They}} calls {1, number}"},
    {"number style", "{n, number, integer} left", "{0, number, integer} left"},
    {"offset", "{n, plural, offset:1 =0 {none} other {#}}", "{0, plural, offset:1 =0 {none} other {#}}"},
    {"quoted braces are text", "Type '{name}' or {x}", "Type '{name}' or {0}"},
    {"doubled apostrophe", "It''s {who}", "It''s {0}"},
    {"lone apostrophe", "l'app di {who}", "l'app di {0}"},
    {"selectordinal", "{n, selectordinal, one {#st} other {#th}}", "{0, selectordinal, one {#st} other {#th}}"},
};

static const struct {
	const char *name, *pattern;
} refused[] = {
    {"unclosed", "Hi {name"},
    {"stray close", "Hi }"},
    {"no name", "Hi {}"},
    {"name with space", "{first name}"},
    {"date type", "{d, date, short}"},
    {"no other", "{n, plural, one {x}}"},
    {"bad plural word", "{n, plural, some {x} other {y}}"},
    {"text and number", "{n} {n, plural, other {#}}"},
    {"four texts", "{a}{b}{c}{d}"},
    {"three numbers", "{a, number}{b, number}{c, number}"},
    {"option without message", "{n, plural, one other {x}}"},
};

static void test_numbering(void)
{
	char out[256], err[128];
	struct msgpattern_args a;
	for (size_t i = 0; i < sizeof(numbering) / sizeof(numbering[0]); i++) {
		int rc = msgpattern_number(numbering[i].pattern, &a, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && !strcmp(out, numbering[i].numbered), numbering[i].name);
		if (rc || strcmp(out, numbering[i].numbered))
			fprintf(stderr, "  got \"%s\" (%s)\n", rc ? "" : out, rc ? err : "");
	}
	msgpattern_number("{n, plural, one {# from {who}} other {{g, select, other {x}}}}", &a, out, sizeof(out), err,
			  sizeof(err));
	CHECK(a.n_text == 2 && !strcmp(a.text[0], "who") && !strcmp(a.text[1], "g") && a.n_num == 1 &&
		  !strcmp(a.num[0], "n"),
	      "names and kinds");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err[0] = '\0';
		CHECK(msgpattern_number(refused[i].pattern, &a, out, sizeof(out), err, sizeof(err)) == -1 &&
			  !strncmp(err, "msgpattern: ", 12),
		      refused[i].name);
	}
	CHECK(msgpattern_number("a long {name}", &a, out, 8, err, sizeof(err)) == -1, "out too small");
}

#define ERR_CODE(name, code, msg) code,
static const char *const error_codes[] = {PROTO_ERRORS(ERR_CODE)};
#define MEDIA_CODE(name, value, code, status, msg) code,
static const char *const media_codes[] = {MEDIAPROC_ERRORS(MEDIA_CODE)};
#define REASON_CODE(name, code, verdict, rule, msg) code,
static const char *const reason_codes[] = {POLICY_REASONS(REASON_CODE)};

static const char *const langs[] = {"en", "ro", "da", "it", "es"};

/* Every code in every language, from that language's own catalog (not the English fallback). */
static void test_every_code(void)
{
	char key[96], en[I18N_TEXT_MAX], text[I18N_TEXT_MAX];
	for (size_t l = 0; l < 5; l++) {
		int missing = 0;
		for (size_t i = 1; i < sizeof(error_codes) / sizeof(error_codes[0]); i++) { /* 0 is "ok" */
			snprintf(key, sizeof(key), "error.%s", error_codes[i]);
			if (!i18n_format(langs[l], key, NULL, 0, text, sizeof(text)) ||
			    (l && i18n_format("en", key, NULL, 0, en, sizeof(en)) && !strcmp(en, text)))
				missing++, fprintf(stderr, "  %s: %s missing or English\n", langs[l], key);
		}
		for (size_t i = 1; i < sizeof(media_codes) / sizeof(media_codes[0]); i++) { /* 0 is "ok" */
			snprintf(key, sizeof(key), "error.%s", media_codes[i]);
			if (!i18n_format(langs[l], key, NULL, 0, text, sizeof(text)) ||
			    (l && i18n_format("en", key, NULL, 0, en, sizeof(en)) && !strcmp(en, text)))
				missing++, fprintf(stderr, "  %s: %s missing or English\n", langs[l], key);
		}
		for (size_t i = 0; i < sizeof(reason_codes) / sizeof(reason_codes[0]); i++) {
			snprintf(key, sizeof(key), "policy.%s", reason_codes[i]);
			if (!i18n_format(langs[l], key, NULL, 0, text, sizeof(text)) ||
			    (l && i18n_format("en", key, NULL, 0, en, sizeof(en)) && !strcmp(en, text)))
				missing++, fprintf(stderr, "  %s: %s missing or English\n", langs[l], key);
		}
		CHECK(missing == 0, langs[l]);
	}
}

static void test_formatting(void)
{
	char out[I18N_TEXT_MAX];
	struct i18n_arg sec = {"seconds", NULL, 0};
	const struct {
		const char *lang;
		double n;
		const char *want;
	} plurals[] = {
	    {"en", 1, "Too many attempts. Please try again in 1 second."},
	    {"en", 30, "Too many attempts. Please try again in 30 seconds."},
	    {"ro", 1, "Prea multe încercări. Încercați din nou peste o secundă."},
	    {"ro", 5, "Prea multe încercări. Încercați din nou peste 5 secunde."},
	    {"ro", 20, "Prea multe încercări. Încercați din nou peste 20 de secunde."},
	    {"ro", 102, "Prea multe încercări. Încercați din nou peste 102 secunde."},
	    {"da", 1, "For mange forsøg. Prøv igen om 1 sekund."},
	    {"da", 1200, "For mange forsøg. Prøv igen om 1.200 sekunder."},
	};
	for (size_t i = 0; i < sizeof(plurals) / sizeof(plurals[0]); i++) {
		sec.num = plurals[i].n;
		const char *r = i18n_format(plurals[i].lang, "error.rate_limited_wait", &sec, 1, out, sizeof(out));
		CHECK(r && !strcmp(out, plurals[i].want), plurals[i].want);
		if (!r || strcmp(out, plurals[i].want))
			fprintf(stderr, "  got \"%s\"\n", out);
	}
	struct i18n_arg minutes = {"minutes", NULL, 10};
	CHECK(i18n_format("ro", "error.rate_limited_wait_minutes", &minutes, 1, out, sizeof(out)) &&
		  !strcmp(out, "Prea multe încercări. Încercați din nou peste 10 minute."),
	      "Romanian minutes (few)");
	struct i18n_arg who = {"name", "Bunica Ileana", 0};
	CHECK(i18n_format("ro", "push.call_title", &who, 1, out, sizeof(out)) && !strcmp(out, "Bunica Ileana te sună"),
	      "a text argument");
	CHECK(i18n_format("ro", "push.call_title", NULL, 0, out, sizeof(out)) == NULL && out[0] == '\0',
	      "a missing argument gives NULL");
	struct i18n_arg num_name = {"name", NULL, 3};
	CHECK(i18n_format("ro", "push.call_title", &num_name, 1, out, sizeof(out)) == NULL,
	      "a number for a text is refused");
	CHECK(i18n_format("ro", "no.such_key", NULL, 0, out, sizeof(out)) == NULL, "an unknown key gives NULL");
	CHECK(!strcmp(i18n_text("ro", "no.such_key", "English default", out, sizeof(out)), "English default"),
	      "i18n_text falls back to the code's default");
	CHECK(!strcmp(i18n_text("xx", "error.busy", NULL, out, sizeof(out)), "You are already in a call."),
	      "an unknown language speaks English");
	CHECK(!strcmp(i18n_text("ro", "error.unauthenticated", NULL, out, sizeof(out)),
		      "Vă rugăm să vă conectați mai întâi."),
	      "Romanian with ă and â");
	CHECK(i18n_format("en", "push.call_title", &who, 1, out, 8) == NULL && strlen(out) < 8, "too small a buffer");
}

static void test_choice(void)
{
	CHECK(!strcmp(i18n_choose("ro", "da-DK"), "ro"), "the account's language first");
	CHECK(!strcmp(i18n_choose("", "da-DK"), "da"), "then the client's");
	CHECK(!strcmp(i18n_choose(NULL, "ES"), "es"), "case does not matter");
	CHECK(!strcmp(i18n_choose("", "de-DE"), "en"), "else English");
	CHECK(!strcmp(i18n_choose("xx", "it_IT"), "it"), "an unsupported preference is skipped");
	CHECK(i18n_match("nb") == NULL && i18n_match(NULL) == NULL, "no match");
	const struct {
		const char *header, *want;
	} accept[] = {
	    {"da-DK,da;q=0.9,en;q=0.8", "da"},
	    {"fr-FR, ro;q=0.5", "ro"},
	    {"en;q=0.4, it;q=0.7", "it"},
	    {"ro;q=0", NULL},
	    {"de, fr", NULL},
	    {"", NULL},
	    {"  es-419 ; q=1.0 , ro", "es"},
	    {"ro;q=0.5, da;q=0.5", "ro"},
	    {"da;q=abc, ro;q=0.1", "ro"},
	    {"*", NULL},
	};
	for (size_t i = 0; i < sizeof(accept) / sizeof(accept[0]); i++) {
		const char *got = i18n_accept_language(accept[i].header);
		CHECK(accept[i].want ? got && !strcmp(got, accept[i].want) : got == NULL, accept[i].header);
	}
	CHECK(i18n_accept_language(NULL) == NULL, "no header");
	CHECK(i18n_valid_pref("") && i18n_valid_pref("da") && !i18n_valid_pref("da-DK") && !i18n_valid_pref("de"),
	      "preferences stored: '' or a supported tag");
}

/* A catalog with a broken message fails the load, naming file and key; the languages loaded before are dropped. */
static void test_broken_catalog(void)
{
	char dir[] = "/tmp/samvaer-i18n-XXXXXX", path[128], err[256] = "";
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/en.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"a.ok\": \"Fine\", \"a.bad\": \"Hi {name\"}", f);
	fclose(f);
	CHECK(i18n_load(dir, err, sizeof(err)) == -1 && strstr(err, "en.json: a.bad: msgpattern:"),
	      "parse error named");
	CHECK(!i18n_loaded("en"), "nothing left loaded");
	f = fopen(path, "w");
	fputs("{\"a.ok\": \"{n, plural, other {#} one {x}\"}", f);
	fclose(f);
	CHECK(i18n_load(dir, err, sizeof(err)) == -1, "unclosed plural");
	f = fopen(path, "w");
	fputs("{\"a.ok\": \"Fine\"}", f);
	fclose(f);
	CHECK(i18n_load(dir, err, sizeof(err)) == 0 && i18n_loaded("en") && !i18n_loaded("ro"), "en alone loads");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	char err[256];
	test_numbering();
	test_choice();
	test_broken_catalog();
	int rc = i18n_load(SAMVAER_SOURCE_DIR "/server/i18n", err, sizeof(err));
	CHECK(rc == 0, "the real catalogs load");
	if (rc)
		fprintf(stderr, "  %s\n", err);
	for (size_t l = 0; l < 5; l++)
		CHECK(i18n_loaded(langs[l]), langs[l]);
	test_every_code();
	test_formatting();
	i18n_unload();
	return check_done("i18n");
}
