/* test_aes_gcm.c: unit tests for media/aes_gcm: the NIST GCM test case 4 vector, AES-NI and EVP agree on every length 0..1500 with one and two AAD parts, tampering is caught, direction is enforced; the start-up self-test and its fallback to EVP. */
#include "media/aes_gcm.h"

#include <stdlib.h>
#include <string.h>
#include "tests/unit/media/check_media.h"

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4 (AES-128, 96-bit IV, 20-byte AAD). */
static void test_vector(enum aes_gcm_impl impl, const char *name)
{
	uint8_t key[16], iv[12], aad[20], pt[60], ct[60], tag[16], out[60], t[16];
	unhex("feffe9928665731c6d6a8f9467308308", key);
	unhex("cafebabefacedbaddecaf888", iv);
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
	      "b16aedf5aa0de657ba637b39",
	      pt);
	unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
	      "1ba30b396a0aac973d58e091",
	      ct);
	unhex("5bc94fbc3221a5db94fae95ae7121a47", tag);
	struct aes_gcm *e = aes_gcm_new(key, true, impl), *d = aes_gcm_new(key, false, impl);
	CHECK(e && d, "%s: contexts", name);
	memcpy(out, pt, 60);
	CHECK(aes_gcm_seal(e, iv, aad, 12, aad + 12, 8, out, 60, t) == 0 && !memcmp(out, ct, 60) && !memcmp(t, tag, 16),
	      "%s: test case 4 seal (AAD in two parts)", name);
	CHECK(aes_gcm_open(d, iv, aad, 20, NULL, 0, out, 60, tag) == 0 && !memcmp(out, pt, 60), "%s: test case 4 open",
	      name);
	CHECK(aes_gcm_seal(d, iv, aad, 20, NULL, 0, out, 60, t) == -1 &&
		  aes_gcm_open(e, iv, aad, 20, NULL, 0, out, 60, tag) == -1,
	      "%s: a context works one way only", name);
	aes_gcm_free(e);
	aes_gcm_free(d);
}

static void test_agree(void)
{
	uint8_t key[16], iv[12], aad[40];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(i * 13 + 1);
	struct aes_gcm *ne = aes_gcm_new(key, true, AES_GCM_AUTO), *ee = aes_gcm_new(key, true, AES_GCM_EVP);
	struct aes_gcm *nd = aes_gcm_new(key, false, AES_GCM_AUTO), *ed = aes_gcm_new(key, false, AES_GCM_EVP);
	CHECK(ne && ee && nd && ed && !aes_gcm_is_native(ee), "contexts");
	printf("aes_gcm: AUTO runs on %s\n", aes_gcm_is_native(ne) ? "AES-NI" : "EVP");
	static uint8_t a[1500], b[1500], ref[1500];
	int bad = 0, tamper_missed = 0;
	srand(7);
	for (size_t len = 0; len <= 1500; len++) {
		for (size_t i = 0; i < len; i++)
			ref[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof aad; i++)
			aad[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof iv; i++)
			iv[i] = (uint8_t)rand();
		size_t n1 = len % 29, n2 = len % 3 ? len % 11 : 0;
		uint8_t ta[16], tb[16];
		memcpy(a, ref, len), memcpy(b, ref, len);
		if (aes_gcm_seal(ne, iv, aad, n1, n2 ? aad + 29 : NULL, n2, a, len, ta) ||
		    aes_gcm_seal(ee, iv, aad, n1, n2 ? aad + 29 : NULL, n2, b, len, tb) || memcmp(a, b, len) ||
		    memcmp(ta, tb, 16))
			bad++;
		/* each opens the other's */
		if (aes_gcm_open(ed, iv, aad, n1, n2 ? aad + 29 : NULL, n2, a, len, ta) || memcmp(a, ref, len) ||
		    aes_gcm_open(nd, iv, aad, n1, n2 ? aad + 29 : NULL, n2, b, len, tb) || memcmp(b, ref, len))
			bad++;
		/* one flipped bit anywhere (text, AAD or tag) fails both */
		memcpy(a, ref, len);
		aes_gcm_seal(ne, iv, aad, n1, NULL, 0, a, len, ta);
		size_t where = (size_t)rand() % (len + n1 + 16);
		uint8_t *p = where < len ? a + where : where < len + n1 ? aad + (where - len) : ta + (where - len - n1);
		*p ^= (uint8_t)(1u << (rand() % 8));
		memcpy(b, a, len);
		if (aes_gcm_open(nd, iv, aad, n1, NULL, 0, a, len, ta) != 1 ||
		    aes_gcm_open(ed, iv, aad, n1, NULL, 0, b, len, ta) != 1)
			tamper_missed++;
	}
	CHECK(bad == 0, "AES-NI and EVP disagree on %d of 1501 lengths", bad);
	CHECK(tamper_missed == 0, "%d tampered messages opened", tamper_missed);
	aes_gcm_free(ne), aes_gcm_free(ee), aes_gcm_free(nd), aes_gcm_free(ed);
}

/* The start-up self-test passes on a sound build; a corrupted AES-NI output makes it fail, and from then on AUTO
 * contexts are EVP (which still gives the right answers). Last: the switch lasts for the process. */
static void test_self_test(void)
{
	uint8_t key[16] = {1};
	struct aes_gcm *g = aes_gcm_new(key, true, AES_GCM_AUTO);
	bool native = aes_gcm_is_native(g);
	aes_gcm_free(g);
	CHECK(aes_gcm_self_test(), "self-test at start-up");
	CHECK(aes_gcm__self_test_run(0), "self-test run again");
	if (!native) {
		printf("aes_gcm: no AES-NI here: the fallback is not exercised\n");
		return;
	}
	CHECK(!aes_gcm__self_test_run(1), "a corrupted AES-NI output fails the self-test");
	CHECK(!aes_gcm_self_test(), "and the process knows");
	g = aes_gcm_new(key, true, AES_GCM_AUTO);
	CHECK(g && !aes_gcm_is_native(g), "AUTO falls back to EVP");
	aes_gcm_free(g);
	test_vector(AES_GCM_AUTO, "auto after the fallback");
}

int main(void)
{
	test_vector(AES_GCM_AUTO, "auto");
	test_vector(AES_GCM_EVP, "evp");
	test_agree();
	test_self_test();
	printf("aes_gcm: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
