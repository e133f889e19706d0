/* test_policy.c: the policy engine's decisions for issue-2 rules — parties, status, validity, channels. */
#include <string.h>

#include "server/policy/policy.h"
#include "tests/unit/check.h"

#define CHILD 10
#define CONTACT 20
#define STRANGER 30
#define NOW 1800000000000LL

static struct agreement base(void)
{
	struct agreement a;
	memset(&a, 0, sizeof(a));
	a.id = 1;
	a.child_id = CHILD;
	a.contact_id = CONTACT;
	a.status = AG_ACTIVE;
	a.channels[CH_TEXT] = MODE_ALLOWED;
	return a;
}

struct tcase {
	const char *name;
	int status;    /* -1 = base */
	int text_mode; /* -1 = base */
	int64_t from, until;
	int64_t actor;
	enum channel ch;
	int null_agreement;
	enum policy_reason want;
	enum policy_verdict verdict;
	const char *rule;
	int64_t next_at;
};

static const struct tcase cases[] = {
    {"child may write", -1, -1, 0, 0, CHILD, CH_TEXT, 0, REASON_ALLOWED, VERDICT_ALLOW, "channels.text", 0},
    {"contact may write", -1, -1, 0, 0, CONTACT, CH_TEXT, 0, REASON_ALLOWED, VERDICT_ALLOW, "channels.text", 0},
    {"stranger denied", -1, -1, 0, 0, STRANGER, CH_TEXT, 0, REASON_NO_AGREEMENT, VERDICT_DENY, "agreement", 0},
    {"no agreement", -1, -1, 0, 0, CHILD, CH_TEXT, 1, REASON_NO_AGREEMENT, VERDICT_DENY, "agreement", 0},
    {"actor zero", -1, -1, 0, 0, 0, CH_TEXT, 0, REASON_NO_AGREEMENT, VERDICT_DENY, "agreement", 0},
    {"draft", AG_DRAFT, -1, 0, 0, CHILD, CH_TEXT, 0, REASON_AGREEMENT_DRAFT, VERDICT_DENY, "agreement.status", 0},
    {"pending", AG_PENDING, -1, 0, 0, CONTACT, CH_TEXT, 0, REASON_AGREEMENT_PENDING, VERDICT_DENY, "agreement.status",
     0},
    {"suspended", AG_SUSPENDED, -1, 0, 0, CHILD, CH_TEXT, 0, REASON_AGREEMENT_SUSPENDED, VERDICT_DENY,
     "agreement.status", 0},
    {"ended", AG_ENDED, -1, 0, 0, CONTACT, CH_TEXT, 0, REASON_AGREEMENT_ENDED, VERDICT_DENY, "agreement.status", 0},
    {"stranger on suspended", AG_SUSPENDED, -1, 0, 0, STRANGER, CH_TEXT, 0, REASON_NO_AGREEMENT, VERDICT_DENY,
     "agreement", 0},
    {"text off", -1, MODE_OFF, 0, 0, CHILD, CH_TEXT, 0, REASON_CHANNEL_OFF, VERDICT_DENY, "channels.text", 0},
    {"text moderated holds", -1, MODE_MODERATED, 0, 0, CHILD, CH_TEXT, 0, REASON_HELD_FOR_REVIEW, VERDICT_HOLD,
     "channels.text", 0},
    {"photo off by default", -1, -1, 0, 0, CHILD, CH_PHOTO, 0, REASON_CHANNEL_OFF, VERDICT_DENY, "channels.photo", 0},
    {"video call off", -1, -1, 0, 0, CONTACT, CH_VIDEO_CALL, 0, REASON_CHANNEL_OFF, VERDICT_DENY, "channels.video_call",
     0},
    {"bad channel", -1, -1, 0, 0, CHILD, (enum channel)99, 0, REASON_NO_AGREEMENT, VERDICT_DENY, "agreement", 0},
    {"not started", -1, -1, NOW + 1000, 0, CHILD, CH_TEXT, 0, REASON_AGREEMENT_NOT_STARTED, VERDICT_DENY,
     "agreement.valid_from", NOW + 1000},
    {"starts now", -1, -1, NOW, 0, CHILD, CH_TEXT, 0, REASON_ALLOWED, VERDICT_ALLOW, "channels.text", 0},
    {"started", -1, -1, NOW - 1, NOW + 1, CHILD, CH_TEXT, 0, REASON_ALLOWED, VERDICT_ALLOW, "channels.text", 0},
    {"expires now", -1, -1, 0, NOW, CHILD, CH_TEXT, 0, REASON_AGREEMENT_EXPIRED, VERDICT_DENY, "agreement.valid_until",
     0},
    {"expired", -1, -1, 0, NOW - 5, CONTACT, CH_TEXT, 0, REASON_AGREEMENT_EXPIRED, VERDICT_DENY,
     "agreement.valid_until", 0},
    {"status before dates", AG_SUSPENDED, -1, NOW + 5, 0, CHILD, CH_TEXT, 0, REASON_AGREEMENT_SUSPENDED, VERDICT_DENY,
     "agreement.status", 0},
    {"dates before channel", -1, MODE_OFF, 0, NOW - 5, CHILD, CH_TEXT, 0, REASON_AGREEMENT_EXPIRED, VERDICT_DENY,
     "agreement.valid_until", 0},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct agreement a = base();
		if (c->status >= 0)
			a.status = (enum agreement_status)c->status;
		if (c->text_mode >= 0)
			a.channels[CH_TEXT] = (uint8_t)c->text_mode;
		a.valid_from = c->from;
		a.valid_until = c->until;
		struct policy_decision d = policy_decide(c->null_agreement ? NULL : &a, c->actor, c->ch, NOW, NULL);
		CHECK(d.reason == c->want, c->name);
		CHECK(d.verdict == c->verdict, c->name);
		CHECK(strcmp(d.rule, c->rule) == 0, c->name);
		CHECK(d.next_at == c->next_at, c->name);
	}
	for (int r = 0; r < POLICY_REASON__COUNT; r++) {
		CHECK(policy_reason_name((enum policy_reason)r)[0] != 0, "reason has a code");
		CHECK(policy_reason_message((enum policy_reason)r)[0] != 0, "reason has a message");
	}
	CHECK(strcmp(policy_reason_name(REASON_AGREEMENT_SUSPENDED), "agreement_suspended") == 0, "stable code");
	CHECK(strcmp(policy_verdict_name(VERDICT_HOLD), "hold") == 0, "verdict name");
	return check_done("policy");
}
