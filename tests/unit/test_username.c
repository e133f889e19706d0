/* test_username.c: username folding (NFKC case fold with ICU), which names a new account may take, the readable
 * one-time codes, and the QR SVG. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "server/base/qr_svg.h"
#include "server/base/readable_code.h"
#include "server/base/username.h"

static const struct {
	const char *name, *typed, *key; /* key NULL: username_key fails */
} folds[] = {
    {"ascii lower stays", "mia", "mia"},
    {"ascii upper folds", "MIA", "mia"},
    {"mixed case folds", "MiA", "mia"},
    {"fullwidth upper (NFKC + fold)", "\xef\xbc\xad\xef\xbc\xa9\xef\xbc\xa1", "mia"},
    {"fullwidth lower", "\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x81", "mia"},
    {"ligature fi", "\xef\xac\x81ona", "fiona"},
    {"sharp s folds to ss",
     "Stra\xc3\x9f"
     "e",
     "strasse"},
    {"Romanian s-comma upper", "\xc8\x98tefan", "\xc8\x99tefan"},
    {"decomposed e + acute composes", "Rene\xcc\x81", "ren\xc3\xa9"},
    {"Danish AE and O-slash", "\xc3\x86RT\xc3\x98", "\xc3\xa6rt\xc3\xb8"},
    {"Greek final sigma folds", "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91", "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1"},
    {"digits and punctuation kept", "ana.m_2-b", "ana.m_2-b"},
    {"fullwidth digit", "ana\xef\xbc\x92", "ana2"},
    {"invalid UTF-8 refused", "mi\xff", NULL},
    {"truncated sequence refused", "mi\xc3", NULL},
};

static const struct {
	const char *name, *typed;
	int valid;
} names[] = {
    {"plain", "mia", 1},
    {"capitals", "Mia", 1},
    {"letters of other scripts", "\xd0\x9c\xd0\xb8\xd1\x8f", 1},
    {"with marks", "Rene\xcc\x81", 1},
    {"dot underscore dash", "a.b_c-d", 1},
    {"one byte is short", "m", 0},
    {"space", "mia p", 0},
    {"at sign", "mia@home", 0},
    {"control",
     "mi\x01"
     "a",
     0},
    {"empty", "", 0},
    {"65 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
    {"64 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1},
    {"not UTF-8",
     "mi\xff"
     "a",
     0},
};

static void test_folds(void)
{
	char key[USERNAME_KEY_MAX], again[USERNAME_KEY_MAX];
	for (size_t i = 0; i < sizeof(folds) / sizeof(folds[0]); i++) {
		int rc = username_key(folds[i].typed, key, sizeof(key));
		if (!folds[i].key) {
			CHECK(rc == -1, folds[i].name);
			continue;
		}
		CHECK(rc == 0 && !strcmp(key, folds[i].key), folds[i].name);
		/* idempotent: what the store's clash handling relies on */
		CHECK(username_key(key, again, sizeof(again)) == 0 && !strcmp(key, again), "a key folds to itself");
	}
	CHECK(username_key("mia", key, 3) == -1, "a key that does not fit is refused");
}

static void test_names(void)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(username_valid(names[i].typed) == names[i].valid, names[i].name);
}

static void test_codes(void)
{
	struct rcode a, b, typed;
	CHECK(rcode_new(&a) == 0 && rcode_new(&b) == 0, "two codes");
	CHECK(strlen(a.text) == RCODE_TEXT_LEN && a.text[4] == '-' && a.text[9] == '-', "grouped in fours");
	CHECK(strcmp(a.text, b.text) != 0, "random");
	int alphabet_only = 1;
	for (const char *p = a.text; *p; p++)
		alphabet_only &= *p == '-' || strchr(RCODE_ALPHABET, *p) != NULL;
	CHECK(alphabet_only, "only the look-alike-free alphabet");
	CHECK(!strpbrk(RCODE_ALPHABET, "01OIL"), "no 0, 1, O, I, L");
	char lower[32];
	for (size_t i = 0; i <= strlen(a.text); i++)
		lower[i] =
		    a.text[i] == '-' ? ' ' : (char)(a.text[i] >= 'A' && a.text[i] <= 'Z' ? a.text[i] + 32 : a.text[i]);
	CHECK(rcode_parse(lower, &typed) == 0 && !strcmp(typed.text, a.text), "typed in lower case with spaces");
	CHECK(rcode_hash_equal(typed.secret_hash, a.secret_hash), "the same hash");
	CHECK(!rcode_hash_equal(b.secret_hash, a.secret_hash), "another code, another hash");
	CHECK(!strcmp(typed.lookup, a.lookup) && strlen(typed.secret) == RCODE_SECRET_LEN, "lookup and secret parts");
	CHECK(rcode_parse("ABCD-EFGH-JKM", &typed) == -1, "too short");
	CHECK(rcode_parse("ABCD-EFGH-JKMNP", &typed) == -1, "too long");
	CHECK(rcode_parse("ABCD-EFGH-JKM0", &typed) == -1, "a zero is not in the alphabet");
	CHECK(rcode_parse("ABCD-EFGH-JKMO", &typed) == -1, "nor an O");
	int counts[31] = {0};
	char sym[3101];
	CHECK(rcode_random_symbols(sym, 3100) == 0 && strlen(sym) == 3100, "random symbols");
	for (int i = 0; i < 3100; i++)
		counts[strchr(RCODE_ALPHABET, sym[i]) - RCODE_ALPHABET]++;
	int spread = 1;
	for (int i = 0; i < 31; i++)
		spread &= counts[i] > 40 && counts[i] < 180; /* 100 expected each; far outside is a bias */
	CHECK(spread, "every symbol drawn about equally often");
}

static void test_qr(void)
{
	char *svg = NULL;
	size_t len = 0;
	CHECK(qr_svg("http://127.0.0.1:8080/#pair=K7QM-3XTP-9HRW", &svg, &len) == 0, "encodes");
	CHECK(svg && len == strlen(svg), "length");
	CHECK(svg && !strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 52), "an SVG document");
	CHECK(svg && strstr(svg, "</svg>") && strstr(svg, "<path fill=\"#000\" d=\"M4 4h7v1H4z"),
	      "starts with the top-left finder pattern's first row (7 dark modules after the 4-module quiet zone)");
	free(svg);
	char big[4000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(qr_svg(big, &svg, &len) == -1, "too long for any QR code");
}

int main(void)
{
	test_folds();
	test_names();
	test_codes();
	test_qr();
	return check_done("username");
}
