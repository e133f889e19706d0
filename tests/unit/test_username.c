/* test_username.c: username folding (NFKC case fold with ICU) and which names a new account may take. (The readable
 * one-time codes and the QR SVG: test_readable_code.c.) */
#include <stdlib.h>
#include <string.h>

#include "check.h"
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

int main(void)
{
	test_folds();
	test_names();
	return check_done("username");
}
