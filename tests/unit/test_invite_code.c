/* test_invite_code.c: invitation codes (server/invites/invite_code.c) — typed input is read case-insensitively with
 * separators ignored and look-alikes refused, display and parse round-trip, random codes use the whole alphabet about
 * evenly, the stored hash binds lookup and secret; and the QR SVG (invite_qr.c) draws exactly libqrencode's modules. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/invites/invite_code.h"
#include "server/invites/invite_qr.h"
#include "tests/unit/check.h"

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
		struct invite_code c;
		int rc = invite_code_parse(cases[i].typed, &c);
		if (!cases[i].lookup) {
			CHECK(rc == -1, cases[i].name);
			continue;
		}
		CHECK(rc == 0 && !strcmp(c.lookup, cases[i].lookup) && !strcmp(c.secret, cases[i].secret),
		      cases[i].name);
	}
	struct invite_code c;
	CHECK(invite_code_parse(NULL, &c) == -1, "NULL");
}

static void test_random(void)
{
	int counts[sizeof(INVITE_ALPHABET) - 1] = {0};
	const int n = 20000;
	int roundtrip = 1, distinct = 1, from_alphabet = 1, random_ok = 1;
	struct invite_code prev;
	memset(&prev, 0, sizeof(prev));
	for (int i = 0; i < n; i++) {
		struct invite_code c, back;
		char shown[INVITE_DISPLAY_LEN + 1];
		random_ok &= invite_code_new(&c) == 0;
		invite_code_display(&c, shown);
		roundtrip &= strlen(shown) == 14 && shown[4] == '-' && shown[9] == '-' &&
		    invite_code_parse(shown, &back) == 0 && !strcmp(back.lookup, c.lookup) &&
		    !strcmp(back.secret, c.secret);
		distinct &= strcmp(c.secret, prev.secret) != 0;
		prev = c;
		for (int k = 0; k < INVITE_CODE_LEN; k++) {
			char ch = k < INVITE_LOOKUP_LEN ? c.lookup[k] : c.secret[k - INVITE_LOOKUP_LEN];
			const char *at = strchr(INVITE_ALPHABET, ch);
			from_alphabet &= at && ch;
			if (at && ch)
				counts[at - INVITE_ALPHABET]++;
		}
	}
	CHECK(random_ok, "randomness");
	CHECK(from_alphabet, "every character from the alphabet");
	CHECK(roundtrip, "display then parse gives the code back");
	CHECK(distinct, "consecutive secrets differ");
	/* 240000 characters over 31 symbols: about 7742 each (sd about 87); a plain modulo draw would give the first 8
	 * symbols 12.5% more, far outside +-6% (5 sd) */
	int expect = n * INVITE_CODE_LEN / (int)(sizeof(INVITE_ALPHABET) - 1), even = 1;
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
		even &= counts[k] > expect * 94 / 100 && counts[k] < expect * 106 / 100;
	CHECK(even, "characters spread evenly over the alphabet");
}

static void test_hash(void)
{
	struct invite_code a, b, c;
	uint8_t ha[INVITE_HASH_LEN], hb[INVITE_HASH_LEN], hc[INVITE_HASH_LEN], again[INVITE_HASH_LEN];
	invite_code_parse("AAAA-2345-6789", &a);
	invite_code_parse("BBBB-2345-6789", &b);
	invite_code_parse("AAAA-2345-678A", &c);
	invite_code_hash(&a, ha);
	invite_code_hash(&b, hb);
	invite_code_hash(&c, hc);
	invite_code_hash(&a, again);
	CHECK(invite_hash_equal(ha, again), "same code, same hash");
	CHECK(!invite_hash_equal(ha, hb), "the lookup is part of the hash");
	CHECK(!invite_hash_equal(ha, hc), "the secret is part of the hash");
}

/* Paint the path's "Mx yhNv1Hxz" runs into a grid and compare with libqrencode's own modules. */
static void test_qr(void)
{
	const char *link = "https://samvaer.example/#join=K7QM-4XPD-9HTW";
	char *svg = invite_qr_svg(link);
	QRcode *qr = QRcode_encodeString(link, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	CHECK(svg && qr, "encodes");
	if (!svg || !qr) {
		free(svg);
		QRcode_free(qr);
		return;
	}
	int w = qr->width, size = 0;
	CHECK(!strncmp(svg, "<svg ", 5) && strstr(svg, "</svg>"), "an SVG document");
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
}

int main(void)
{
	test_parse();
	test_random();
	test_hash();
	test_qr();
	return check_done("invite_code");
}
