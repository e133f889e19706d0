/* test_tus_headers.c: the tus 1.0 header parsers as tables of named cases — Upload-Length/Offset numbers,
 * Tus-Resumable, Upload-Metadata (the spec's own example, tus-js-client's form, every refusal), base64 (RFC 4648
 * section 10 vectors), upload ids, and Range (RFC 9110 section 14.1.2 examples). */
#include <stdio.h>
#include <string.h>

#include "server/uploads/tus_headers.c" /* the parser itself: no library needed */
#include "tests/unit/check.h"

static void test_numbers(void)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
	    {"0", TUS_HDR_OK, 0},
	    {"100", TUS_HDR_OK, 100},
	    {"9223372036854775807", TUS_HDR_OK, 9223372036854775807ull},
	    {"9223372036854775808", TUS_HDR_INVALID, 0},
	    {"99999999999999999999999", TUS_HDR_INVALID, 0},
	    {"", TUS_HDR_MISSING, 0},
	    {NULL, TUS_HDR_MISSING, 0},
	    {"-1", TUS_HDR_INVALID, 0},
	    {"+1", TUS_HDR_INVALID, 0},
	    {" 1", TUS_HDR_INVALID, 0},
	    {"1 ", TUS_HDR_INVALID, 0},
	    {"0x10", TUS_HDR_INVALID, 0},
	    {"1e3", TUS_HDR_INVALID, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = tus_parse_u64(cases[i].s, &v);
		char name[64];
		snprintf(name, sizeof(name), "number '%s'", cases[i].s ? cases[i].s : "(null)");
		CHECK(rc == cases[i].rc && (rc != TUS_HDR_OK || v == cases[i].v), name);
	}
	CHECK(tus_version_ok("1.0.0") && !tus_version_ok("1.0") && !tus_version_ok(NULL) && !tus_version_ok("0.2.2"),
	      "Tus-Resumable 1.0.0 only");
}

static void test_base64(void)
{
	static const struct {
		const char *in, *out;
		int n;
	} cases[] = {
	    {"", "", 0},
	    {"Zg==", "f", 1},
	    {"Zm8=", "fo", 2},
	    {"Zm9v", "foo", 3},
	    {"Zm9vYg==", "foob", 4},
	    {"Zm9vYmE=", "fooba", 5},
	    {"Zm9vYmFy", "foobar", 6},
	    {"Zg", NULL, -1},
	    {"Zh==", NULL, -1},
	    {"Z===", NULL, -1},
	    {"=Zm9", NULL, -1},
	    {"Zm9v\n", NULL, -1},
	    {"Zm-_", NULL, -1},
	    {"Zg==Zg==", NULL, -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char out[16];
		int n = tus_base64_decode(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		char name[64];
		snprintf(name, sizeof(name), "base64 '%s'", cases[i].in);
		CHECK(n == cases[i].n && (n < 0 || memcmp(out, cases[i].out, (size_t)n) == 0), name);
	}
	unsigned char small[2];
	CHECK(tus_base64_decode("Zm9v", 4, small, sizeof(small)) == -1, "base64 output bounded");
}

static void test_metadata(void)
{
	struct tus_metadata m;
	/* the spec's example: "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential" */
	const char *spec = "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential";
	CHECK(tus_parse_metadata(spec, strlen(spec), &m) == TUS_HDR_OK, "spec example");
	CHECK(strcmp(m.filename, "world_domination_plan.pdf") == 0 && m.kind[0] == 0, "spec example: filename");
	/* tus-js-client joins with "," and encodes with btoa */
	const char *js = "kind cGhvdG8=,agreement_id MTI=,filename cMOpcmUuanBn";
	CHECK(tus_parse_metadata(js, strlen(js), &m) == TUS_HDR_OK, "client form");
	CHECK(strcmp(m.kind, "photo") == 0 && m.agreement_id == 12 && m.account_id == 0,
	      "client form: kind, agreement");
	CHECK(strcmp(m.filename, "p__re.jpg") == 0, "filename: non-ASCII bytes replaced");
	const char *spaced = "kind dm9pY2Vfbm90ZQ==, account_id Nw==";
	CHECK(tus_parse_metadata(spaced, strlen(spaced), &m) == TUS_HDR_OK && m.account_id == 7 &&
		  strcmp(m.kind, "voice_note") == 0,
	      "pairs joined with \", \"");
	static const struct {
		const char *s, *name;
	} bad[] = {
	    {"kind cGhvdG8=,kind cGhvdG8=", "a key twice"},
	    {"kind cGhvdG8", "value not padded"},
	    {",kind cGhvdG8=", "empty pair"},
	    {"kind cGhvdG8=,", "trailing comma"},
	    {"agreement_id LTE=", "agreement id -1"},
	    {"agreement_id MA==", "agreement id 0"},
	    {"agreement_id MTJh", "agreement id 12a"},
	    {"agreement_id MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=", "agreement id too long"},
	    {"kind", "kind without a value"},
	    {"kind AA==", "kind with a NUL"},
	    {"ki\x01nd cGhvdG8=", "control byte in a key"},
	    {"kind cGhvdG8=\x20\x20", "junk after a value"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(tus_parse_metadata(bad[i].s, strlen(bad[i].s), &m) == TUS_HDR_INVALID, bad[i].name);
	CHECK(tus_parse_metadata("", 0, &m) == TUS_HDR_MISSING, "no metadata");
	const char *unknown = "colour cmVk,kind cGhvdG8=";
	CHECK(tus_parse_metadata(unknown, strlen(unknown), &m) == TUS_HDR_OK && strcmp(m.kind, "photo") == 0,
	      "unknown keys skipped");
}

static void test_ids(void)
{
	CHECK(tus_id_valid("AAAAAAAAAAAAAAAAAAAAAA", 22), "22 base64url");
	CHECK(tus_id_valid("aZ09-_aZ09-_aZ09-_aZ09", 22), "every alphabet class");
	CHECK(!tus_id_valid("AAAAAAAAAAAAAAAAAAAAA", 21), "21");
	CHECK(!tus_id_valid("AAAAAAAAAAAAAAAAAAAAA/", 22), "slash");
	CHECK(!tus_id_valid("AAAAAAAAAAAAAAAAAAAA..", 22), "dots");
	CHECK(!tus_id_valid(NULL, 22), "null");
}

static void test_range(void)
{
	static const struct {
		const char *s;
		uint64_t size;
		int rc;
		uint64_t first, last;
	} cases[] = {
	    {"bytes=0-499", 10000, 1, 0, 499},
	    {"bytes=500-999", 10000, 1, 500, 999},
	    {"bytes=-500", 10000, 1, 9500, 9999},
	    {"bytes=9500-", 10000, 1, 9500, 9999},
	    {"bytes=0-", 10000, 1, 0, 9999},
	    {"bytes=0-99999", 10000, 1, 0, 9999},
	    {"bytes=-20000", 10000, 1, 0, 9999},
	    {"bytes=10000-", 10000, -1, 0, 0},
	    {"bytes=-0", 10000, -1, 0, 0},
	    {"bytes=0-0", 0, -1, 0, 0},
	    {"bytes=5-4", 10000, 0, 0, 0},
	    {"bytes=0-1,5-6", 10000, 0, 0, 0},
	    {"items=0-1", 10000, 0, 0, 0},
	    {"bytes=a-b", 10000, 0, 0, 0},
	    {"bytes=", 10000, 0, 0, 0},
	    {"bytes=-", 10000, 0, 0, 0},
	    {"bytes=99999999999999999999-", 10000, 0, 0, 0},
	    {NULL, 10000, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a = 7, b = 7;
		int rc = http_range_parse(cases[i].s, cases[i].size, &a, &b);
		char name[80];
		snprintf(name, sizeof(name), "range '%s' of %llu", cases[i].s ? cases[i].s : "(null)",
			 (unsigned long long)cases[i].size);
		CHECK(rc == cases[i].rc && (rc != 1 || (a == cases[i].first && b == cases[i].last)), name);
	}
}

int main(void)
{
	test_numbers();
	test_base64();
	test_metadata();
	test_ids();
	test_range();
	return check_done("tus_headers");
}
