/* test_screen.c: contact-detail screening — what must be held, and ordinary messages that must not be. */
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
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(screen_contact_details(cases[i].text, strlen(cases[i].text)) == cases[i].want, cases[i].name);
	CHECK(strcmp(screen_hit_name(SCREEN_EMAIL), "email") == 0, "names");
	CHECK(screen_contact_details("\xff\xfe", 2) == SCREEN_NONE, "invalid UTF-8");
	return check_done("screen");
}
