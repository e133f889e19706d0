/* test_readable_code.c: the readable one-time codes of pairings and invitations (server/base/readable_code.c) —
 * typed input is read case-insensitively with separators ignored and look-alikes refused, shown form and parse
 * round-trip, random codes use the whole alphabet about evenly, the stored hash binds lookup and secret; and the QR
 * SVG (server/base/qr_svg.c) draws exactly libqrencode's modules. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/qr_svg.h"
#include "server/base/readable_code.h"
#include "tests/unit/check.h"

#define SYMBOLS (RCODE_LOOKUP_LEN + RCODE_SECRET_LEN)
#define NSYM ((int)sizeof(RCODE_ALPHABET) - 1)

static const struct {
	const char *name;
	const char *typed;
	const char *lookup, *secret; /* NULL: refused */
} cases[] = {
    {"as shown", "K7QM-4XPD-9HTW", "K7QM", "4XPD9HTW"},
    {"lower case", "k7qm-4xpd-9htw", "K7QM", "4XPD9HTW"},
    {"spaces and no dashes", " k7qm 4xpd 9htw ", "K7QM", "4XPD9HTW"},
    {"run together", "K7QM4XPD9HTW", "K7QM", "4XPD9HTW"},
    {"dots", "K7QM.4XPD.9HTW", "K7QM", "4XPD9HTW"},
    {"tabs", "K7QM\t4XPD\t9HTW", "K7QM", "4XPD9HTW"},
    {"zero is not in the alphabet", "K7QM-4XPD-9HT0", NULL, NULL},
    {"O is not in the alphabet", "K7QM-4XPD-9HTO", NULL, NULL},
    {"I is not in the alphabet", "K7QM-4XPD-9HTI", NULL, NULL},
    {"L is not in the alphabet", "K7QM-4XPD-9HTL", NULL, NULL},
    {"1 is not in the alphabet", "K7QM-4XPD-9HT1", NULL, NULL},
    {"too short", "K7QM-4XPD-9HT", NULL, NULL},
    {"too long", "K7QM-4XPD-9HTWX", NULL, NULL},
    {"empty", "", NULL, NULL},
    {"only separators", "-- --", NULL, NULL},
    {"other punctuation", "K7QM_4XPD_9HTW", NULL, NULL},
    {"non-ASCII", "K7QM-4XPD-9HT\xc3\x9c", NULL, NULL},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rcode c;
		int rc = rcode_parse(cases[i].typed, &c);
		if (!cases[i].lookup) {
			CHECK(rc == -1, cases[i].name);
			continue;
		}
		CHECK(rc == 0 && !strcmp(c.lookup, cases[i].lookup) && !strcmp(c.secret, cases[i].secret) &&
			  !strcmp(c.text, "K7QM-4XPD-9HTW"),
		      cases[i].name);
	}
	struct rcode c;
	CHECK(rcode_parse(NULL, &c) == -1, "NULL");
}

static void test_random(void)
{
	int counts[NSYM] = {0};
	const int n = 20000;
	int shape = 1, roundtrip = 1, distinct = 1, from_alphabet = 1, random_ok = 1;
	struct rcode prev;
	memset(&prev, 0, sizeof(prev));
	for (int i = 0; i < n; i++) {
		struct rcode c, back;
		char lower[RCODE_TEXT_LEN + 1];
		random_ok &= rcode_new(&c) == 0;
		shape &= strlen(c.text) == RCODE_TEXT_LEN && c.text[4] == '-' && c.text[9] == '-' &&
		    !strncmp(c.text, c.lookup, 4) && !strncmp(c.text + 5, c.secret, 4) &&
		    !strcmp(c.text + 10, c.secret + 4);
		for (int k = 0; k <= RCODE_TEXT_LEN; k++) /* as someone might type it: lower case, spaces */
			lower[k] = c.text[k] == '-'
			    ? ' '
			    : (char)(c.text[k] >= 'A' && c.text[k] <= 'Z' ? c.text[k] + 32 : c.text[k]);
		roundtrip &= rcode_parse(lower, &back) == 0 && !strcmp(back.text, c.text) &&
		    rcode_hash_equal(back.secret_hash, c.secret_hash);
		distinct &= strcmp(c.secret, prev.secret) != 0;
		prev = c;
		for (int k = 0; k < SYMBOLS; k++) {
			char ch = k < RCODE_LOOKUP_LEN ? c.lookup[k] : c.secret[k - RCODE_LOOKUP_LEN];
			const char *at = strchr(RCODE_ALPHABET, ch);
			from_alphabet &= at && ch;
			if (at && ch)
				counts[at - RCODE_ALPHABET]++;
		}
	}
	CHECK(random_ok, "randomness");
	CHECK(!strpbrk(RCODE_ALPHABET, "01OIL"), "no 0, 1, O, I, L in the alphabet");
	CHECK(from_alphabet, "every character from the alphabet");
	CHECK(shape, "shown as the lookup and the secret in groups of four");
	CHECK(roundtrip, "typed back in lower case with spaces: the same code and hash");
	CHECK(distinct, "consecutive secrets differ");
	/* 240000 characters over 31 symbols: about 7742 each (sd about 87); a plain modulo draw would give the first 8
	 * symbols 12.5% more, far outside +-6% (5 sd) */
	int expect = n * SYMBOLS / NSYM, even = 1;
	for (int k = 0; k < NSYM; k++)
		even &= counts[k] > expect * 94 / 100 && counts[k] < expect * 106 / 100;
	CHECK(even, "characters spread evenly over the alphabet");
	char sym[41];
	memset(sym, '!', sizeof(sym));
	CHECK(rcode_random_symbols(sym, 40) == 0 && strlen(sym) == 40 && strspn(sym, RCODE_ALPHABET) == 40,
	      "random symbols: as many as asked, then the terminator");
}

static void test_hash(void)
{
	struct rcode a, b, c, again;
	CHECK(rcode_parse("AAAA-2345-6789", &a) == 0 && rcode_parse("BBBB-2345-6789", &b) == 0 &&
		  rcode_parse("AAAA-2345-678A", &c) == 0 && rcode_parse("aaaa 2345 6789", &again) == 0,
	      "parses");
	CHECK(rcode_hash_equal(a.secret_hash, again.secret_hash), "same code, same hash");
	CHECK(!rcode_hash_equal(a.secret_hash, b.secret_hash), "the lookup is part of the hash");
	CHECK(!rcode_hash_equal(a.secret_hash, c.secret_hash), "the secret is part of the hash");
}

/* Paint the path's "Mx yhNv1Hxz" runs into a grid and compare with libqrencode's own modules. */
static void test_qr(void)
{
	const char *link = "https://samvaer.example/#join=K7QM-4XPD-9HTW";
	char *svg = NULL;
	size_t len = 0;
	QRcode *qr = QRcode_encodeString(link, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	CHECK(qr_svg(link, &svg, &len) == 0 && qr, "encodes");
	if (!svg || !qr) {
		free(svg);
		QRcode_free(qr);
		return;
	}
	int w = qr->width, size = 0;
	CHECK(len == strlen(svg), "length");
	CHECK(!strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 40) && strstr(svg, "</svg>"),
	      "an SVG document");
	const char *vb = strstr(svg, "viewBox=\"0 0 ");
	CHECK(vb && sscanf(vb, "viewBox=\"0 0 %d", &size) == 1 && size == w + 8, "4 modules of quiet zone each side");
	unsigned char *grid = calloc((size_t)w * w, 1);
	const char *p = strstr(svg, " d=\"");
	int ok = p != NULL, x, y, run, back, used;
	for (p = p ? p + 4 : ""; ok && *p == 'M'; p += used) {
		used = 0;
		ok = sscanf(p, "M%d %dh%dv1H%dz%n", &x, &y, &run, &back, &used) == 4 && used > 0 && back == x &&
		    x >= 4 && y >= 4 && run > 0 && x - 4 + run <= w && y - 4 < w;
		for (int i = 0; ok && i < run; i++)
			grid[(y - 4) * w + x - 4 + i] = 1;
	}
	CHECK(ok && *p == '"', "the path is only module runs inside the code");
	int same = 1;
	for (int i = 0; i < w * w; i++)
		same &= grid[i] == (qr->data[i] & 1);
	CHECK(same, "every dark module drawn, no light one");
	free(grid);
	free(svg);
	QRcode_free(qr);
	char big[4000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	svg = NULL;
	CHECK(qr_svg(big, &svg, &len) == -1 && !svg, "too long for any QR code");
}

int main(void)
{
	test_parse();
	test_random();
	test_hash();
	test_qr();
	return check_done("readable_code");
}
