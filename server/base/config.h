/* config.h: server settings from defaults, then an optional `key = value` file, then command-line flags. */
#ifndef SAMVAER_CONFIG_H
#define SAMVAER_CONFIG_H

#include <stdint.h>

struct config {
	char listen[64];            /* address to bind, default 127.0.0.1 */
	int port;                   /* TCP port, default 8080 */
	char data_dir[512];         /* SQLite file and blobs, default ./data */
	char web_dir[512];          /* static files of the family web app, default ./web */
	char console_dir[512];      /* static files of the admin console, default ./admin/console */
	char i18n_dir[512];         /* server message catalogs; default "": ./server/i18n or the source's */
	char approvals[64];         /* roles that must approve agreements and changes, default "caseworker,carer" */
	char tls_cert[512];         /* PEM certificate; TLS is on when set */
	char tls_key[512];          /* PEM private key */
	int log_level;              /* enum log_level */
	int log_json;               /* 1: log as JSON lines */
	char log_file[512];         /* append logs here instead of stderr (reopened on SIGHUP); default "": stderr */
	int64_t session_ttl_s;      /* session token lifetime, default 7 days */
	int auth_timeout_s;         /* close unauthenticated sockets after this, default 10 */
	int sync_full;              /* 1: PRAGMA synchronous=FULL (default), 0: NORMAL */
	int media_workers;          /* media worker threads (one UDP port each), default 1 */
	int media_port_base;        /* worker i binds media_port_base + i; default 0: kernel-chosen ports */
	char media_announce_ip[64]; /* address in the answers' host candidates; default "": the listen address */
	int ring_timeout_s;         /* an unanswered call ends after this, default 45 */
	char turn_uris[512];        /* comma-separated TURN URIs handed out by call.ice; default "": no relay */
	char turn_secret[256];      /* shared secret with coturn's static-auth-secret (or read from turn_secret_file) */
	int turn_ttl_s;             /* lifetime of the TURN credentials call.ice hands out, default 3600 */
	char push_subject
	    [256]; /* VAPID sub claim (RFC 8292): mailto: or https: contact, default mailto:operator@localhost */
	int push_allow_http;   /* 1: accept http:// push endpoints on loopback (tests); default 0: https only */
	int retention_sweep_s; /* how often the retention sweep runs (server/retention), default 3600 */
	int send_rate;         /* messages per second one account may send, sustained; 0: no limit; default 10 */
	int send_burst;        /* messages one account may send at once before send_rate applies; default 60 */
	int out_budget_mb;     /* output queued to all clients before slow readers are cut off; default 64 */
	int out_stall_s;       /* a client whose queued output has not moved for this long is cut off; 30 */
	int upload_expiry_s;   /* an unfinished upload (tus) is removed this long after creation; default 86400 */
	int media_quota_mb;    /* photos, clips and voice notes one child's case may hold; 0: no quota; default 4096 */
	int control_cpu;       /* the control thread's CPU (cpu_place.h): -1 auto (default), -2 off, or a CPU number */
	int unsent_upload_grace_s; /* a processed upload never sent is removed by the retention sweep after this; 86400 */
};

void config_defaults(struct config *c);
/* Read a config file; returns 0 or -1 with err filled. */
int config_load_file(struct config *c, const char *path, char *err, int errlen);
/* Apply argv flags (and --config FILE first). Returns 0, 1 if --help was printed, or -1 with err filled. */
int config_from_args(struct config *c, int argc, char **argv, char *err, int errlen);
/* Set one setting by name ("port", "data_dir"...); returns 0 or -1. */
int config_set(struct config *c, const char *key, const char *value, char *err, int errlen);

#endif
