/* test_siphash.c: SipHash-2-4 against the paper's vectors and OpenSSL, the per-process key, and client keys that
 * collide under the FNV-1a hash the message log and the rate limits used before, which no longer collide. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/base/intmap.h"
#include "server/store/msglog.h"
#include "base/siphash.h"
#include "tests/unit/check.h"

/* Reference implementation's vectors.h (key 00..0f, message 00 01 .. n-1), output as little-endian bytes; n = 15 is
 * the worked example of the paper's appendix A (0xa129ca6149be45e5). */
static const uint8_t ref_vectors[16][8] = {
    {0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72}, {0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74},
    {0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d}, {0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85},
    {0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf}, {0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18},
    {0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb}, {0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab},
    {0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93}, {0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e},
    {0xf3, 0xb9, 0xdd, 0x94, 0xc5, 0xbb, 0x5d, 0x7a}, {0xa7, 0xad, 0x6b, 0x22, 0x46, 0x2f, 0xb3, 0xf4},
    {0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75}, {0x90, 0x3d, 0x84, 0xc0, 0x27, 0x56, 0xea, 0x14},
    {0xee, 0xf2, 0x7a, 0x8e, 0x90, 0xca, 0x23, 0xf7}, {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1},
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* OpenSSL's SipHash (EVP_MAC "SIPHASH", 8-byte output): 0 when unavailable. */
static int openssl_siphash(const uint8_t key[16], const uint8_t *msg, size_t len, uint64_t *out)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t size = 8, got = 0;
	uint8_t md[16];
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
	int ok = ctx && EVP_MAC_init(ctx, key, 16, params) && EVP_MAC_update(ctx, msg, len) &&
	    EVP_MAC_final(ctx, md, &got, sizeof(md)) && got == 8;
	if (ok)
		*out = le64(md);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

static void test_vectors(void)
{
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (int n = 0; n < 16; n++)
		CHECK(siphash24(key, msg, (size_t)n) == le64(ref_vectors[n]), "reference vector");
	CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull, "the paper's appendix A example");
	struct siphash words;
	siphash_init(&words, key);
	siphash_update_u64(&words, 0x0706050403020100ull); /* bytes 00..07, little-endian */
	siphash_update(&words, msg + 8, 7);
	CHECK(siphash_final(&words) == 0xa129ca6149be45e5ull, "a word fed whole is its 8 little-endian bytes");
	int compared = 0;
	for (int n = 0; n <= 64; n++) {
		uint64_t want;
		if (openssl_siphash(key, msg, (size_t)n, &want)) {
			compared++;
			CHECK(siphash24(key, msg, (size_t)n) == want, "same as OpenSSL's SIPHASH");
		}
	}
	CHECK(compared == 65, "OpenSSL's SIPHASH MAC is there to compare with");
	/* the incremental form gives the same result however the input is cut */
	for (int n = 0; n <= 64; n++)
		for (int cut1 = 0; cut1 <= n; cut1 += 3)
			for (int cut2 = cut1; cut2 <= n; cut2 += 5) {
				struct siphash st;
				siphash_init(&st, key);
				siphash_update(&st, msg, (size_t)cut1);
				siphash_update(&st, msg + cut1, (size_t)(cut2 - cut1));
				siphash_update(&st, msg + cut2, (size_t)(n - cut2));
				if (siphash_final(&st) != siphash24(key, msg, (size_t)n)) {
					CHECK(0, "incremental = one call");
					return;
				}
			}
}

/* The key another run of this program draws, as hex (run as `test_siphash --print-key`). */
static int other_process_key(char out[33])
{
	char self[4000], cmd[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || memchr(self, '\'', (size_t)n))
		return -1;
	self[n] = 0;
	snprintf(cmd, sizeof(cmd), "'%s' --print-key", self);
	FILE *f = popen(cmd, "r");
	int ok = f && fgets(out, 33, f) && strlen(out) == 32;
	if (f)
		pclose(f);
	return ok ? 0 : -1;
}

static void hex16(const uint8_t *k, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", k[i]);
}

static void test_process_key(void)
{
	const uint8_t *k = siphash_process_key();
	static const uint8_t zero[16];
	CHECK(memcmp(k, zero, 16) != 0, "the process key is not all zeros");
	CHECK(siphash_process_key() == k, "drawn once");
	char mine[33], a[33] = "", b[33] = "";
	hex16(k, mine);
	CHECK(other_process_key(a) == 0 && other_process_key(b) == 0, "two other runs print their keys");
	CHECK(strcmp(a, b) != 0 && strcmp(a, mine) != 0 && strcmp(b, mine) != 0, "every process has its own key");
}

/* ---- the hash used before: 64-bit FNV-1a, then the message log mixed in agreement and sender ---- */

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t old_key_hash(int64_t agreement, int64_t sender, const char *key, size_t len)
{
	uint64_t h = fnv1a(key, len);
	h ^= (uint64_t)agreement * 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)sender * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return h < 2 ? h + 2 : h;
}

/* Pairs of 16-character keys with the same 64-bit FNV-1a hash, found offline by Pollard's rho with distinguished
 * points (about 2^32 hash evaluations, four minutes of one core): anyone can make more. */
static const char *const fnv_pairs[][2] = {
    {"e324df43db18418e", "dfb93ad32f363972"}, /* both 0x64b9a6be4e347c03 */
};

static void test_fnv_full_collisions(void)
{
	size_t npairs = sizeof(fnv_pairs) / sizeof(fnv_pairs[0]);
	CHECK(npairs >= 1, "some pairs");
	for (size_t i = 0; i < npairs; i++) {
		const char *a = fnv_pairs[i][0], *b = fnv_pairs[i][1];
		size_t n = strlen(a);
		CHECK(strcmp(a, b) != 0 && strlen(b) == n, "two different keys");
		CHECK(fnv1a(a, n) == fnv1a(b, n), "they collide under FNV-1a");
		CHECK(old_key_hash(7, 3, a, n) == old_key_hash(7, 3, b, n), "and under the old key hash");
		CHECK(msglog__key_hash(7, 3, a, n) != msglog__key_hash(7, 3, b, n), "not under the keyed hash");
		CHECK(intmap_hash_bytes(a, n) != intmap_hash_bytes(b, n), "nor under intmap_hash_bytes");
	}
	/* and the log tells them apart as keys, as it always did */
	char dir[] = "/tmp/samvaer-siphash-XXXXXX", path[64], err[256];
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/messages.log", dir);
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	CHECK(l != NULL, "open");
	for (size_t i = 0; l && i < npairs; i++) {
		int64_t seq = (int64_t)(2 * i + 1);
		struct msglog_record ra = {7, seq, 3, 1, fnv_pairs[i][0], 16, "a", 1};
		struct msglog_record rb = {7, seq + 1, 3, 1, fnv_pairs[i][1], 16, "b", 1};
		CHECK(msglog_append(l, &ra) == MSGLOG_OK && msglog_append(l, &rb) == MSGLOG_OK, "both keys appended");
		CHECK(msglog_find_key(l, 7, 3, fnv_pairs[i][0], 16) == seq &&
			  msglog_find_key(l, 7, 3, fnv_pairs[i][1], 16) == seq + 1,
		      "each key finds its own message");
	}
	if (l) {
		CHECK(msglog_write(l) == 0, "write");
		msglog_close(l);
	}
	unlink(path);
	rmdir(dir);
}

/* What hash flooding needs is cheaper than a full collision: keys that share a slot. Under the old hash anyone
 * finds them by trying keys offline (about cap tries per key); count how they spread under the keyed hash. */
static int max_per_slot(const char keys[][24], int n, size_t cap, int keyed)
{
	int *count = calloc(cap, sizeof(int)), max = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(keys[i]);
		uint64_t h = keyed ? msglog__key_hash(7, 3, keys[i], len) : old_key_hash(7, 3, keys[i], len);
		int c = ++count[h & (cap - 1)];
		max = c > max ? c : max;
	}
	free(count);
	return max;
}

static void test_fnv_slot_collisions(void)
{
	enum { N = 64 };
	static const size_t caps[] = {1024, 65536}; /* the key table's first size, and a grown one */
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		size_t cap = caps[c];
		static char keys[N][24];
		int n = 0;
		uint64_t target = old_key_hash(7, 3, "target", 6) & (cap - 1);
		for (unsigned long i = 0; n < N; i++) {
			char k[24];
			int len = snprintf(k, sizeof(k), "flood-%lu", i);
			if ((old_key_hash(7, 3, k, (size_t)len) & (cap - 1)) == target)
				memcpy(keys[n++], k, (size_t)len + 1);
		}
		CHECK(max_per_slot(keys, N, cap, 0) == N, "under the old hash all of them share one slot");
		int keyed = max_per_slot(keys, N, cap, 1);
		CHECK(keyed <= 6, "under the keyed hash they spread like any keys");
		if (keyed > 6)
			fprintf(stderr, "  %d of %d keys in one of %zu slots\n", keyed, N, cap);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--print-key")) {
		char hex[33];
		hex16(siphash_process_key(), hex);
		puts(hex);
		return 0;
	}
	test_vectors();
	test_process_key();
	test_fnv_full_collisions();
	test_fnv_slot_collisions();
	return check_done("siphash");
}
