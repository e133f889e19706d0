/* test_screen.c: contact-detail and word-list screening — what must be held (with the tricks senders use to slip
 * past a filter), and ordinary messages that must not be. */
#include <stdio.h>
#include <string.h>

#include "server/policy/screen.h"
#include "tests/unit/check.h"

static const struct {
	const char *name, *text;
	enum screen_hit want;
} cases[] = {
    {"plain hello", "Hi Dad! I scored a goal today", SCREEN_NONE},
    {"small numbers", "We won 3-2 and I have 12 stickers", SCREEN_NONE},
    {"date", "See you on 24.12.2026", SCREEN_NONE},
    {"time", "Call at 17:30?", SCREEN_NONE},
    {"ro mobile", "suna-ma la 0722 123 456", SCREEN_PHONE},
    {"intl phone", "my number is +40 722-123-456", SCREEN_PHONE},
    {"dk phone", "ring 20 30 40 50", SCREEN_PHONE},
    {"dotted phone", "0722.123.456", SCREEN_PHONE},
    {"full-width digits",
     "\xef\xbc\x90\xef\xbc\x97\xef\xbc\x92\xef\xbc\x92\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94", SCREEN_PHONE},
    {"email", "write to me: dad.abroad@example.com", SCREEN_EMAIL},
    {"email caps", "DAD@EXAMPLE.IT", SCREEN_EMAIL},
    {"email at-word", "andrei (at) mail dot com", SCREEN_EMAIL},
    {"at sign alone", "I am @ school", SCREEN_NONE},
    {"at word", "I am at school", SCREEN_NONE},
    {"ro address", "locuim pe Strada Florilor 12", SCREEN_ADDRESS},
    {"en address", "we moved to 221 Baker Street", SCREEN_ADDRESS},
    {"dk address", "Norregade 5, 2. sal", SCREEN_ADDRESS},
    {"it address", "Via Roma 10, Milano", SCREEN_ADDRESS},
    {"street no number", "our street is quiet", SCREEN_NONE},
    {"empty", "", SCREEN_NONE},
    /* links */
    {"https link", "look https://example.org/x", SCREEN_URL},
    {"www", "go to www.example.net", SCREEN_URL},
    {"bare domain", "my blog is fotos-dad.com", SCREEN_URL},
    {"domain spaced", "fotos . ro", SCREEN_URL},
    {"domain dot word", "fotos dot com", SCREEN_URL},
    {"domain tight weak tld", "see fotografie.it", SCREEN_URL},
    {"full-width domain",
     "\xef\xbd\x86\xef\xbd\x8f\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x93\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d",
     SCREEN_URL},
    {"sentence end", "I did it. It was fun", SCREEN_NONE},
    {"missing space short", "love it.so much", SCREEN_NONE},
    {"decimal", "it is 3.5 km", SCREEN_NONE},
    {"abbreviation", "bring toys, books etc. to the party", SCREEN_NONE},
    /* social-media names and handles */
    {"handle", "follow @lina_2009", SCREEN_HANDLE},
    {"tag handle", "ig: lina.2009", SCREEN_HANDLE},
    {"platform", "add me on Snapchat", SCREEN_HANDLE},
    {"platform spaced", "my t e l e g r a m is lina", SCREEN_HANDLE},
    {"platform look-alike", "wh\xd0\xb0tsapp me", SCREEN_HANDLE}, /* Cyrillic a */
    {"platform accents", "d\xc3\xaesc\xc3\xb3rd?", SCREEN_HANDLE},
    {"snap word", "a snap of the cat", SCREEN_NONE},
    {"insta word", "instant noodles", SCREEN_NONE},
};

static const struct {
	const char *name, *text, *lang; /* lang NULL: must not be held */
} words[] = {
    {"en word", "you are a bitch", "en"},
    {"en prefix", "so sexy", "en"},
    {"en phrase", "this is our secret ok", "en"},
    {"en phrase apostrophe", "don't tell your mum", "en"},
    {"en phrase curly apostrophe", "don\xe2\x80\x99t tell your mum", "en"},
    {"spaced letters", "s e x", "en"},
    {"dotted letters", "s.e.x", "en"},
    {"digits for letters", "s3x", "en"},
    {"signs for letters", "$ex pics", "en"},
    {"repeated letters", "seeeexy", "en"},
    {"full-width", "\xef\xbd\x93\xef\xbd\x85\xef\xbd\x98", "en"},
    {"upper case", "NAKED", "en"},
    {"Cyrillic look-alikes",
     "n\xd0\xb0k\xd0\xb5"
     "d",
     "en"},
    {"zero-width space", "na\xe2\x80\x8bked", "en"},
    {"split with punctuation", "na.ked", "en"},
    {"ro with diacritics", "e secretul nostru", "ro"},
    {"ro without diacritics", "sterge mesajul te rog", "ro"},
    {"ro comma-below vs cedilla", "\xc8\x99terge mesajul", "ro"},
    {"ro hyphenated", "trimite-mi o poza", "ro"},
    {"da", "det er vores hemmelighed", "da"},
    {"da o for oe", "kom og mod mig alene", "da"},
    {"da with oe",
     "m\xc3\xb8"
     "d mig alene",
     "da"},
    {"it", "non dirlo a nessuno", "it"},
    {"it accent", "non dirlo a pap\xc3\xa0", "it"},
    {"it unaccented", "non dirlo a papa", "it"},
    {"es", "no se lo digas a nadie", "es"},
    {"es tilde dropped", "cono", "es"},
    {"es accent", "d\xc3\xb3nde vives?", "es"},
    {"hello", "Hi Dad! I scored a goal today", NULL},
    {"Essex", "we went to Essex", NULL},
    {"Scunthorpe-ish", "my class went to the museum", NULL},
    {"ordinary ro", "Bun\xc4\x83 mam\xc4\x83, mi-e dor de tine", NULL},
    {"ordinary da", "Hej far, vi ses p\xc3\xa5 l\xc3\xb8rdag", NULL},
    {"ordinary it", "Ciao nonna, ti voglio bene", NULL},
    {"ordinary es", "Hola abuela, te quiero mucho", NULL},
    {"numbers", "we won 3-2 in 2026", NULL},
    {"a code with digits (s350 read as sesso once)", "message s350, room s3", NULL},
    {"a run that spells nothing", "a b c d", NULL},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(screen_contact_details(cases[i].text, strlen(cases[i].text)) == cases[i].want, cases[i].name);
	CHECK(strcmp(screen_hit_name(SCREEN_EMAIL), "email") == 0, "names");
	CHECK(screen_contact_details("\xff\xfe", 2) == SCREEN_NONE, "invalid UTF-8");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int line = 0;
		const char *lang = screen_words(words[i].text, strlen(words[i].text), &line);
		CHECK(words[i].lang ? lang && !strcmp(lang, words[i].lang) && line > 0 : !lang, words[i].name);
		if (words[i].lang && (!lang || strcmp(lang, words[i].lang)))
			fprintf(stderr, "  %s: got %s\n", words[i].name, lang ? lang : "nothing");
	}
	CHECK(!screen_words("\xff\xfe", 2, NULL), "words: invalid UTF-8");
	return check_done("screen");
}
