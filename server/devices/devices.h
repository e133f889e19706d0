/* devices.h: devices paired instead of logged in, and recovery without e-mail — pairing codes, device credentials,
 * revocation and password resets, with their scope checks and audit entries. Shared by the WebSocket methods
 * (devices_ws.c), the admin API and samvaer-admin; knows nothing of HTTP or sockets. Every function writes inside
 * the caller's open transaction (store_begin); on anything but DEVICES_OK the caller rolls back (the failed tries
 * of devices_pair are the exception: commit them, they are the guessing cap). */
#ifndef SAMVAER_DEVICES_H
#define SAMVAER_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "server/base/readable_code.h"
#include "server/session/session.h"
#include "server/store/store.h"
#include "server/store/store_devices.h"

#define DEVICES_ROLES_CARE "caseworker,carer" /* who looks after the devices and passwords of a case's people */
#define DEVICES_PAIR_HOURS_DEFAULT 24         /* a pairing code's life */
#define DEVICES_PAIR_HOURS_MAX 168
#define DEVICES_PAIR_TRIES 5         /* wrong secrets for one code before it locks */
#define DEVICES_NAME_MAX 64          /* bytes of a device's name */
#define DEVICES_CREDENTIAL_HEX 64    /* a device credential: 256 random bits as hex */
#define DEVICES_TEMP_PASSWORD_LEN 14 /* "XXXX-XXXX-XXXX" of the code alphabet, about 59 bits */

/* Results; the admin API maps them to 400/403/404/409/500. */
enum devices_result {
	DEVICES_OK,
	DEVICES_BAD_REQUEST, /* a member is missing or wrong (field + message) */
	DEVICES_FORBIDDEN,   /* the caller's role may not do this at all */
	DEVICES_NOT_FOUND,   /* no such person, device or code in the caller's scope */
	DEVICES_CONFLICT,    /* the object's state does not allow it (revoked already, ...) */
	DEVICES_ERR,         /* store failure */
};

/* What happened, or why not. */
struct devices_outcome {
	int64_t case_id;    /* the case through which the caller acted (0: their own account) */
	int64_t account_id; /* whose sessions a revocation or reset may have ended (0: none) */
	char message[200];  /* why not, for people */
	char field[32];     /* the request member that is wrong, or "" */
};

/* May `who` look after `target`'s devices? DEVICES_OK when who is target (self_ok), or a carer or caseworker
 * linked to case `case_id` (0: any case) in which target is the child or a contact of an agreement. Fills
 * out->case_id. */
int devices_check(struct store *s, const struct account *who, int64_t target, int64_t case_id, int self_ok,
		  struct devices_outcome *out);

/* A new pairing code for `target` (an adult may make one for themself; a child never does). hours 0 = default. */
struct devices_code {
	struct rcode code;  /* code.text is shown once, never stored */
	int64_t pairing_id; /* pairings.id */
	int64_t expires_at; /* ms */
};
int devices_pairing_create(struct store *s, const struct account *who, int64_t target, int64_t case_id, int hours,
			   const char *via, struct devices_code *code, struct devices_outcome *out);
/* Revoke an open code before it is used. */
int devices_pairing_revoke(struct store *s, const struct account *who, int64_t pairing_id, int64_t case_id,
			   const char *via, struct devices_outcome *out);

/* A device redeeming a code (auth.pair) or signing in with its credential (auth.device). */
enum devices_signin {
	DEVICES_SIGNIN_OK,
	DEVICES_SIGNIN_INVALID,  /* no such code, a wrong secret, revoked, locked; an unknown or revoked credential */
	DEVICES_SIGNIN_EXPIRED,  /* the right code, too late */
	DEVICES_SIGNIN_USED,     /* the right code, used already */
	DEVICES_SIGNIN_DISABLED, /* the account is disabled */
	DEVICES_SIGNIN_ERR,      /* store failure */
};
struct devices_paired {
	struct account account;                      /* who the device signs in as */
	struct device device;                        /* the device */
	char credential[DEVICES_CREDENTIAL_HEX + 1]; /* auth.pair only: given to the device once */
	int locked;                                  /* auth.pair: this wrong try locked the code */
};
/* Redeem `typed` for a new device called `name`: on OK the pairing is used, the device exists with its
 * credential's hash, and the use is audited. A wrong secret counts against the code (commit it anyway). */
int devices_pair(struct store *s, const char *typed, const char *name, const char *peer, struct devices_paired *out);
/* A new device with a fresh credential for `account`, made by `created_by` (an account), without a code: what
 * devices_pair does once the code checked out, and what an accepted invitation can give the new account's device
 * instead of a password. The caller audits it and adds a session (store_session_add_device). */
int devices_issue(struct store *s, int64_t account, const char *name, int64_t created_by, struct devices_paired *out);
/* The device holding `credential`: on OK, last_seen_at is now and the sign-in is audited. */
int devices_signin(struct store *s, const char *credential, size_t len, const char *peer, struct devices_paired *out);

/* Revoke a device: its credential is voided and its login sessions deleted (the caller then ends their live
 * connections: session_check_accounts, or for samvaer-admin the running server within a second). */
int devices_revoke(struct store *s, const struct account *who, int64_t device_id, int64_t case_id, const char *via,
		   struct devices_outcome *out);

/* Reset `target`'s password (a carer or caseworker in scope): to `password` (8..1024 bytes), or NULL for a
 * temporary one written into temp (DEVICES_TEMP_PASSWORD_LEN + 1 bytes). The account's password sessions end,
 * paired devices stay, and the person is told at their next login (auth.login's "notice"). Hashes with Argon2id:
 * tens of milliseconds. */
int devices_password_reset(struct store *s, const struct account *who, int64_t target, int64_t case_id,
			   const char *password, const char *via, char *temp, struct devices_outcome *out);

/* JSON views (devices_json.c): a device {id, name, created_at, last_seen_at}; a new code {pairing_id, account_id,
 * code, expires_at, link (when app_url is an http(s) address of the family app), qr_svg}. */
json_t *devices_device_json(const struct device *d);
json_t *devices_code_json(const struct devices_code *code, int64_t account, const char *app_url);

/* The WebSocket methods (devices_ws.c): auth.pair, auth.device (before login), device.list, device.revoke,
 * pairing.targets, pairing.create. app.c adds them. */
extern const struct session_method devices_methods[];
extern const size_t devices_method_count;

#endif
