/* config.c: parse the config file and flags into struct config; every setting has one name for both. */
#include "server/base/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/log.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = 8080;
	snprintf(c->data_dir, sizeof(c->data_dir), "data");
	snprintf(c->web_dir, sizeof(c->web_dir), "web");
	snprintf(c->console_dir, sizeof(c->console_dir), "admin/console");
	snprintf(c->approvals, sizeof(c->approvals), "caseworker,carer");
	c->log_level = LOG_INFO;
	c->session_ttl_s = 7 * 24 * 3600;
	c->auth_timeout_s = 10;
	c->sync_full = 1;
	c->media_workers = 1;
	c->ring_timeout_s = 45;
	c->retention_sweep_s = 3600;
	c->turn_ttl_s = 3600;
	snprintf(c->push_subject, sizeof(c->push_subject), "mailto:operator@localhost");
	c->send_rate = 10;
	c->send_burst = 60;
	c->out_budget_mb = 64;
	c->out_stall_s = 30;
	c->upload_expiry_s = 86400;
	c->media_quota_mb = 4096;
	c->control_cpu = -1; /* CPU_PLACE_AUTO */
	c->unsent_upload_grace_s = 86400;
}

static int set_str(char *dst, size_t cap, const char *v, char *err, int errlen, const char *key)
{
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "config: value of %s is too long", key);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int set_int(int64_t *dst, const char *v, int64_t lo, int64_t hi, char *err, int errlen, const char *key)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || end == v || x < lo || x > hi) {
		snprintf(err, errlen, "config: %s must be an integer in %lld..%lld", key, (long long)lo, (long long)hi);
		return -1;
	}
	*dst = x;
	return 0;
}

/* Backpressure and fairness (docs/OPERATIONS.md "Slow and flooding clients"). */
static int set_flow(struct config *c, const char *key, const char *v, char *err, int errlen)
{
	int64_t x;
	int rate = !strcmp(key, "send_rate"), burst = !strcmp(key, "send_burst"),
	    budget = !strcmp(key, "out_budget_mb");
	if (set_int(&x, v, rate ? 0 : 1, rate ? 100000 : burst ? 1000000 : budget ? 65536 : 3600, err, errlen, key))
		return -1;
	*(rate ? &c->send_rate : burst ? &c->send_burst : budget ? &c->out_budget_mb : &c->out_stall_s) = (int)x;
	return 0;
}

/* The media and call settings that are small integers. */
static int set_small(struct config *c, const char *key, const char *v, char *err, int errlen)
{
	int64_t x;
	int media = !strcmp(key, "media_workers"), base = !strcmp(key, "media_port_base");
	if (set_int(&x, v, media ? 1 : base ? 0 : 1, media ? 64 : base ? 65535 : 3600, err, errlen, key))
		return -1;
	*(media ? &c->media_workers : base ? &c->media_port_base : &c->ring_timeout_s) = (int)x;
	return 0;
}

/* turn_secret_file: the secret is the file's first line (so it is not on argv or in a shared config file). */
static int set_turn_secret_file(struct config *c, const char *path, char *err, int errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "config: cannot open turn_secret_file %s: %s", path, strerror(errno));
		return -1;
	}
	char line[sizeof(c->turn_secret) + 2] = "";
	int ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	if (!ok || !*line || strlen(line) >= sizeof(c->turn_secret)) {
		snprintf(err, errlen,
			 "config: turn_secret_file %s must hold the secret (1..%zu bytes) on its first line", path,
			 sizeof(c->turn_secret) - 1);
		return -1;
	}
	snprintf(c->turn_secret, sizeof(c->turn_secret), "%s", line);
	return 0;
}

/* The TURN relay settings handed out by call.ice (server/turn.c). */
static int set_turn(struct config *c, const char *key, const char *v, char *err, int errlen)
{
	int64_t x;
	if (!strcmp(key, "turn_uris"))
		return set_str(c->turn_uris, sizeof(c->turn_uris), v, err, errlen, key);
	if (!strcmp(key, "turn_secret"))
		return set_str(c->turn_secret, sizeof(c->turn_secret), v, err, errlen, key);
	if (!strcmp(key, "turn_secret_file"))
		return set_turn_secret_file(c, v, err, errlen);
	if (set_int(&x, v, 60, 7 * 24 * 3600, err, errlen, key))
		return -1;
	c->turn_ttl_s = (int)x;
	return 0;
}

/* Web Push: the VAPID contact (mailto: or https:) and whether loopback http:// endpoints are accepted. */
static int set_push(struct config *c, const char *key, const char *v, char *err, int errlen)
{
	int64_t x;
	if (!strcmp(key, "push_subject")) {
		if (strncmp(v, "mailto:", 7) != 0 && strncmp(v, "https://", 8) != 0) {
			snprintf(err, errlen, "config: push_subject must start with mailto: or https://");
			return -1;
		}
		for (const char *p = v; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
				snprintf(err, errlen, "config: push_subject holds a character a JWT claim cannot");
				return -1;
			}
		return set_str(c->push_subject, sizeof(c->push_subject), v, err, errlen, key);
	}
	if (set_int(&x, v, 0, 1, err, errlen, key))
		return -1;
	c->push_allow_http = (int)x;
	return 0;
}

/* A comma list of caseworker / carer / supervisor, each at most once. */
static int set_approvals(struct config *c, const char *v, char *err, int errlen)
{
	char copy[64];
	if (strlen(v) >= sizeof(copy) || !*v) {
		snprintf(err, errlen, "config: approvals must list roles, e.g. caseworker,carer");
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s", v);
	for (char *save = NULL, *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		if (strcmp(r, "caseworker") && strcmp(r, "carer") && strcmp(r, "supervisor")) {
			snprintf(err, errlen, "config: approvals: '%s' is not caseworker, carer or supervisor", r);
			return -1;
		}
	}
	snprintf(c->approvals, sizeof(c->approvals), "%s", v);
	return 0;
}

int config_set(struct config *c, const char *key, const char *v, char *err, int errlen)
{
	int64_t x;
	if (!strcmp(key, "listen"))
		return set_str(c->listen, sizeof(c->listen), v, err, errlen, key);
	if (!strcmp(key, "data_dir") || !strcmp(key, "data"))
		return set_str(c->data_dir, sizeof(c->data_dir), v, err, errlen, key);
	if (!strcmp(key, "web_dir") || !strcmp(key, "web"))
		return set_str(c->web_dir, sizeof(c->web_dir), v, err, errlen, key);
	if (!strcmp(key, "console_dir") || !strcmp(key, "console"))
		return set_str(c->console_dir, sizeof(c->console_dir), v, err, errlen, key);
	if (!strcmp(key, "i18n_dir"))
		return set_str(c->i18n_dir, sizeof(c->i18n_dir), v, err, errlen, key);
	if (!strcmp(key, "approvals"))
		return set_approvals(c, v, err, errlen);
	if (!strcmp(key, "log_file"))
		return set_str(c->log_file, sizeof(c->log_file), v, err, errlen, key);
	if (!strcmp(key, "tls_cert"))
		return set_str(c->tls_cert, sizeof(c->tls_cert), v, err, errlen, key);
	if (!strcmp(key, "tls_key"))
		return set_str(c->tls_key, sizeof(c->tls_key), v, err, errlen, key);
	if (!strcmp(key, "port")) {
		if (set_int(&x, v, 0, 65535, err, errlen, key))
			return -1;
		c->port = (int)x;
		return 0;
	}
	if (!strcmp(key, "log_level")) {
		int lvl = log_level_parse(v);
		if (lvl < 0) {
			snprintf(err, errlen, "config: log_level must be debug, info, warn or error");
			return -1;
		}
		c->log_level = lvl;
		return 0;
	}
	if (!strcmp(key, "log_json")) {
		if (set_int(&x, v, 0, 1, err, errlen, key))
			return -1;
		c->log_json = (int)x;
		return 0;
	}
	if (!strcmp(key, "session_ttl_s"))
		return set_int(&c->session_ttl_s, v, 1, 365LL * 24 * 3600, err, errlen, key);
	if (!strcmp(key, "auth_timeout_s")) {
		if (set_int(&x, v, 1, 300, err, errlen, key))
			return -1;
		c->auth_timeout_s = (int)x;
		return 0;
	}
	if (!strcmp(key, "media_announce_ip"))
		return set_str(c->media_announce_ip, sizeof(c->media_announce_ip), v, err, errlen, key);
	if (!strcmp(key, "media_workers") || !strcmp(key, "media_port_base") || !strcmp(key, "ring_timeout_s"))
		return set_small(c, key, v, err, errlen);
	if (!strncmp(key, "turn_", 5) &&
	    (!strcmp(key, "turn_uris") || !strcmp(key, "turn_secret") || !strcmp(key, "turn_secret_file") ||
	     !strcmp(key, "turn_ttl_s")))
		return set_turn(c, key, v, err, errlen);
	if (!strcmp(key, "push_subject") || !strcmp(key, "push_allow_http"))
		return set_push(c, key, v, err, errlen);
	if (!strcmp(key, "retention_sweep_s")) {
		if (set_int(&x, v, 1, 86400, err, errlen, key))
			return -1;
		c->retention_sweep_s = (int)x;
		return 0;
	}
	if (!strcmp(key, "send_rate") || !strcmp(key, "send_burst") || !strcmp(key, "out_budget_mb") ||
	    !strcmp(key, "out_stall_s"))
		return set_flow(c, key, v, err, errlen);
	if (!strcmp(key, "upload_expiry_s") || !strcmp(key, "media_quota_mb")) {
		int expiry = !strcmp(key, "upload_expiry_s");
		if (set_int(&x, v, expiry ? 1 : 0, expiry ? 30 * 86400 : 1 << 24, err, errlen, key))
			return -1;
		*(expiry ? &c->upload_expiry_s : &c->media_quota_mb) = (int)x;
		return 0;
	}
	if (!strcmp(key, "control_cpu")) { /* auto, off, or a CPU number */
		if (!strcmp(v, "auto") || !strcmp(v, "off")) {
			c->control_cpu = !strcmp(v, "auto") ? -1 : -2;
			return 0;
		}
		if (set_int(&x, v, 0, 1023, err, errlen, key))
			return -1;
		c->control_cpu = (int)x;
		return 0;
	}
	if (!strcmp(key, "unsent_upload_grace_s")) {
		if (set_int(&x, v, 60, 30 * 86400, err, errlen, key))
			return -1;
		c->unsent_upload_grace_s = (int)x;
		return 0;
	}
	if (!strcmp(key, "sync_full")) {
		if (set_int(&x, v, 0, 1, err, errlen, key))
			return -1;
		c->sync_full = (int)x;
		return 0;
	}
	snprintf(err, errlen, "config: unknown setting '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int config_load_file(struct config *c, const char *path, char *err, int errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "config: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	char line[1024];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "config: %s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = 0;
		rc = config_set(c, trim(s), trim(eq + 1), err, errlen);
	}
	fclose(f);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: samvaer [--config FILE] [--listen ADDR] [--port N] [--data DIR] [--web DIR]\n"
		"               [--tls-cert PEM --tls-key PEM] [--log-level debug|info|warn|error] [--log-json]\n"
		"               [--log-file PATH]   (SIGHUP reloads the TLS certificate and reopens the log file)\n"
		"               [--turn-uris URI,URI --turn-secret-file FILE --turn-ttl-s N]\n"
		"               [--send-rate N --send-burst N] [--out-budget-mb N --out-stall-s N]\n"
		"               [--upload-expiry-s N --media-quota-mb N --unsent-upload-grace-s N]\n"
		"               [--control-cpu auto|off|N]\n"
		"Every flag --some-name sets the config-file key some_name.\n");
}

int config_from_args(struct config *c, int argc, char **argv, char *err, int errlen)
{
	for (int i = 1; i < argc; i++) /* --config first, so flags override the file */
		if (!strcmp(argv[i], "--config") && i + 1 < argc && config_load_file(c, argv[i + 1], err, errlen))
			return -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return 1;
		}
		if (!strcmp(a, "--log-json")) {
			c->log_json = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
			snprintf(err, errlen, "config: bad argument '%s' (see --help)", a);
			return -1;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--config"))
			continue;
		char key[64];
		snprintf(key, sizeof(key), "%s", a + 2);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		if (config_set(c, key, v, err, errlen))
			return -1;
	}
	return 0;
}
