/* store_devices.h: pairing codes, paired devices (their credentials stored only as hashes) and password resets —
 * the rows behind server/devices/. Uncached statements; writes join the caller's open transaction. */
#ifndef SAMVAER_STORE_DEVICES_H
#define SAMVAER_STORE_DEVICES_H

#include <stdint.h>

#include "server/store/store.h"

#define STORE_SECRET_HASH_LEN 32 /* SHA-256 of a code's secret or of a device credential */

/* One pairing code (pairings row). */
struct pairing {
	int64_t id;
	int64_t account_id;                         /* whose device it pairs */
	int64_t created_by;                         /* account, 0 = samvaer-admin */
	int64_t created_at, expires_at, ended_at;   /* ms */
	int failed_tries;                           /* wrong secrets typed for this lookup */
	char state[12];                             /* open, used, revoked, locked */
	int64_t device_id;                          /* the device it paired (used), else 0 */
	uint8_t secret_hash[STORE_SECRET_HASH_LEN]; /* SHA-256 of lookup || secret */
};

/* One paired device (devices row). */
struct device {
	int64_t id;
	int64_t account_id;
	char name[65];        /* as the device named itself ("Mia's tablet") */
	int64_t created_by;   /* who made the pairing code, 0 = samvaer-admin */
	int64_t created_at;   /* ms */
	int64_t last_seen_at; /* ms of the last sign-in with its credential (0 = never since pairing) */
	int64_t revoked_at;   /* ms, 0 = active */
	int64_t revoked_by;   /* account, 0 = samvaer-admin or none */
};

typedef void (*store_pairing_cb)(const struct pairing *p, void *ctx);
typedef void (*store_device_cb)(const struct device *d, void *ctx);

/* Pairings. add: STORE_DUPLICATE when the lookup is taken (make another code). */
int store_pairing_add(struct store *s, const char *lookup, const uint8_t hash[STORE_SECRET_HASH_LEN], int64_t account,
		      int64_t created_by, int64_t expires_at, int64_t *id);
int store_pairing_by_lookup(struct store *s, const char *lookup, struct pairing *out);
int store_pairing_get(struct store *s, int64_t id, struct pairing *out);
/* A wrong secret: failed_tries + 1, and state 'locked' once it reaches lock_at. Sets *locked. */
int store_pairing_failed(struct store *s, int64_t id, int lock_at, int *locked);
/* End an open pairing: state "used" (with the device) or "revoked". STORE_NOT_FOUND unless it was open. */
int store_pairing_end(struct store *s, int64_t id, const char *state, int64_t device_id);
/* Open, unexpired pairings of an account, newest first. */
int store_pairings_open(struct store *s, int64_t account, int64_t now, store_pairing_cb cb, void *ctx);

/* Devices. add: a new device with its credential's hash. */
int store_device_add(struct store *s, int64_t account, const char *name, const uint8_t hash[STORE_SECRET_HASH_LEN],
		     int64_t created_by, int64_t *id);
int store_device_get(struct store *s, int64_t id, struct device *out);
/* The active (not revoked) device holding this credential. */
int store_device_by_credential(struct store *s, const uint8_t hash[STORE_SECRET_HASH_LEN], struct device *out);
int store_device_seen(struct store *s, int64_t id, int64_t now);
/* Revoke: void the credential (its hash is replaced by random bytes), mark it revoked and delete its login
 * sessions. STORE_NOT_FOUND unless it was active. */
int store_device_revoke(struct store *s, int64_t id, int64_t by, int64_t now);
/* Active devices of an account, oldest first. */
int store_devices_of(struct store *s, int64_t account, store_device_cb cb, void *ctx);

/* Sessions made by a device (auth.pair, auth.device), and which device made a session (0 = a password login). */
int store_session_add_device(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t account,
			     int64_t expires_at, int64_t device_id);
int store_session_device(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t *device_id);

/* Password resets: a new hash, password_reset_at = now (told at the next login), and every login session of the
 * account that no device made is deleted. clear: the person has been told (password_reset_at = 0). */
int store_account_password_reset(struct store *s, int64_t account, const char *password_hash, int64_t now);
int store_account_reset_told(struct store *s, int64_t account);

/* People whose devices and password a carer or caseworker of the case looks after: the case's child and the
 * contacts of its agreements, each once (child first), with the relationship of the contact's newest agreement
 * ("" for the child). */
typedef void (*store_person_cb)(int64_t account, const char *relationship, void *ctx);
int store_case_people(struct store *s, int64_t case_id, store_person_cb cb, void *ctx);
/* Cases in which `account` is the child or a contact of an agreement (for scope checks), by id. */
int store_cases_of_person(struct store *s, int64_t account, store_id_cb cb, void *ctx);

#endif
