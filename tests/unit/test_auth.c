/* test_auth.c: password hashes (server/session/auth.c, phc.c) — a hash is libargon2's own string for the same salt,
 * hashes libargon2 wrote (every stored row) verify, a wrong password does not, the timing dummy matches nothing,
 * and damaged strings are refused rather than read as some other hash. */
#include <argon2.h>
#include <stdio.h>
#include <string.h>

#include "server/session/auth.h"
#include "server/session/phc.h"
#include "tests/unit/check.h"

/* libargon2's encoder, for a salt we choose: what auth.c wrote before it had its own encoder. */
static void argon2_reference(const char *pw, const uint8_t *salt, size_t salt_len, char *out, size_t cap)
{
	int rc = argon2id_hash_encoded(2, 19 * 1024, 1, pw, strlen(pw), salt, salt_len, 32, out, cap);
	CHECK(rc == ARGON2_OK, "libargon2 hashes");
}

static void test_same_as_libargon2(void)
{
	char ours[AUTH_HASH_MAX], ref[AUTH_HASH_MAX];
	struct phc h;
	CHECK(auth_password_hash("correct horse battery", ours) == 0, "hashed");
	CHECK(phc_decode(ours, &h) == 0, "our string reads back");
	CHECK(h.m_kib == 19 * 1024 && h.t == 2 && h.p == 1 && h.salt_len == 16 && h.hash_len == 32, "the parameters");
	argon2_reference("correct horse battery", h.salt, h.salt_len, ref, sizeof ref);
	CHECK(!strcmp(ours, ref), "the same string libargon2 writes for that salt");
	char again[AUTH_HASH_MAX];
	CHECK(auth_password_hash("correct horse battery", again) == 0 && strcmp(ours, again), "a fresh salt each time");
}

static void test_verify(void)
{
	static const uint8_t salt[] = "sixteen byte slt";
	char ref[AUTH_HASH_MAX], ours[AUTH_HASH_MAX];
	argon2_reference("pässwörd 123", salt, 16, ref, sizeof ref);
	CHECK(auth_password_verify(ref, "pässwörd 123", strlen("pässwörd 123")) == 1, "libargon2's string verifies");
	CHECK(auth_password_verify(ref, "pässwörd 124", strlen("pässwörd 124")) == 0, "a wrong password does not");
	CHECK(auth_password_verify(ref, "pässwörd 1234", strlen("pässwörd 12")) == 0, "only len bytes count");
	CHECK(auth_password_verify(ref, "", 0) == 0, "nor an empty one");
	static char huge[AUTH_PASSWORD_MAX + 2];
	memset(huge, 'a', AUTH_PASSWORD_MAX + 1);
	CHECK(auth_password_verify(ref, huge, AUTH_PASSWORD_MAX + 1) == 0, "one over the limit does not match");
	CHECK(auth_password_hash(huge, ours) == -1, "and is not hashed");
	CHECK(auth_password_hash("another secret", ours) == 0, "hashed");
	CHECK(auth_password_verify(ours, "another secret", 14) == 1, "our own string verifies");
	CHECK(argon2id_verify(ours, "another secret", 14) == ARGON2_OK, "and libargon2 verifies it too");
	CHECK(auth_password_verify(auth_dummy_hash(), "", 0) == 0 &&
		  auth_password_verify(auth_dummy_hash(), "x", 1) == 0,
	      "the timing dummy is a well-formed hash that matches nothing");
}

static const struct {
	const char *name, *s;
} bad[] = {
    {"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"old version",
     "$argon2id$v=16$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"no version", "$argon2id$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"leading zero",
     "$argon2id$v=19$m=019456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"sign", "$argon2id$v=19$m=+19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"4 GiB of memory",
     "$argon2id$v=19$m=4194304,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"digits overflow",
     "$argon2id$v=19$m=99999999999,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"t=0", "$argon2id$v=19$m=19456,t=0,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"p=0", "$argon2id$v=19$m=19456,t=2,p=0$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"order", "$argon2id$v=19$t=2,m=19456,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"padding", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"base64url", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_A"},
    {"trailing bits",
     "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdB$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c2l4$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"no hash", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$"},
    {"no hash part", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA"},
    {"a third part",
     "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"},
    {"trailing space",
     "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "},
    {"empty", ""},
};

static void test_refused(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct phc h;
		CHECK(phc_decode(bad[i].s, &h) == -1, bad[i].name);
		CHECK(auth_password_verify(bad[i].s, "x", 1) == -1, bad[i].name);
	}
	static const char good[] =
	    "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbiBieXRlIHNsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	struct phc h;
	char back[AUTH_HASH_MAX];
	CHECK(phc_decode(good, &h) == 0 && h.salt_len == 16 && !memcmp(h.salt, "sixteen byte slt", 16) &&
		  h.hash_len == 32,
	      "the well-formed string the table damages");
	CHECK(phc_encode(&h, back, sizeof back) == (int)strlen(good) && !strcmp(back, good), "writes back the same");
	CHECK(phc_encode(&h, back, strlen(good)) == -1, "a short buffer is refused");
	CHECK(auth_password_verify(good, "x", 1) == 0, "well formed, wrong");
}

int main(void)
{
	test_same_as_libargon2();
	test_verify();
	test_refused();
	return check_done("auth");
}
