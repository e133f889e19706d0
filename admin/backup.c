/* backup.c: samvaer-admin backup | restore | verify — online backups of the data directory (server/store/backup.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "server/store/backup.h"

#define KEEP_MAX 1000

static void print_summary(const char *what, const char *where, const struct backup_summary *s)
{
	time_t t = (time_t)(s->taken_at / 1000);
	struct tm tm;
	char when[32];
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %s\n  taken %s, schema %d\n  %lld files, %lld bytes\n  %lld messages in %lld conversations\n", what,
	       where, when, s->schema, (long long)s->files, (long long)s->bytes, (long long)s->messages,
	       (long long)s->conversations);
	if (s->audit_entries)
		printf("  audit chain intact: %lld entries\n", (long long)s->audit_entries);
	printf("  audit head %s\n", s->audit_head[0] ? s->audit_head : "(none)");
}

static int by_name_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* Keep the newest `keep` backups named samvaer-* in root (names sort by time); remove the others. */
static int prune(const char *root, int keep)
{
	DIR *d = opendir(root);
	if (!d)
		return admin_fail("backup: %s: cannot list", root);
	char *names[4096];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < sizeof(names) / sizeof(names[0]);)
		if (!strncmp(e->d_name, "samvaer-", 8) && !strchr(e->d_name, '.'))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name_desc);
	int rc = ADMIN_OK;
	for (size_t i = 0; i < n; i++) {
		if (i >= (size_t)keep) {
			char cmd[2048];
			snprintf(cmd, sizeof(cmd), "rm -rf -- '%s/%s'", root, names[i]);
			if (system(cmd) != 0)
				rc = admin_fail("backup: could not remove %s/%s", root, names[i]);
			else
				printf("removed old backup %s/%s\n", root, names[i]);
		}
		free(names[i]);
	}
	return rc;
}

/* backup DEST | backup --into ROOT [--keep N] */
int admin_cmd_backup(struct admin *a, int argc, char **argv)
{
	const char *root = admin_opt(argc, argv, "--into"), *keep_s = admin_opt(argc, argv, "--keep");
	char dest[1024], err[512];
	int keep = keep_s ? atoi(keep_s) : 0;
	if (keep_s && (keep < 1 || keep > KEEP_MAX))
		return admin_usage("--keep must be 1..%d", KEEP_MAX);
	if (root) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(dest, sizeof(dest), "%s/samvaer-%s", root, stamp);
	} else if (argc == 1 && argv[0][0] != '-') {
		snprintf(dest, sizeof(dest), "%s", argv[0]);
	} else {
		return admin_usage("backup DEST | backup --into ROOT [--keep N]");
	}
	struct backup_summary s;
	if (backup_take(a->store, dest, &s, err, sizeof(err)) != 0)
		return admin_fail("%s", err);
	print_summary("backup written to", dest, &s);
	return root && keep ? prune(root, keep) : ADMIN_OK;
}

/* restore SRC NEWDIR (no database of --data is opened) */
int admin_cmd_restore(struct admin *a, int argc, char **argv)
{
	char err[512];
	struct backup_summary s;
	(void)a;
	if (argc != 2)
		return admin_usage("restore SRC NEWDIR");
	if (backup_restore(argv[0], argv[1], &s, err, sizeof(err)) != 0)
		return admin_fail("%s", err);
	print_summary("restored into", argv[1], &s);
	printf("start the server with --data %s\n", argv[1]);
	return ADMIN_OK;
}

/* verify SRC */
int admin_cmd_verify(struct admin *a, int argc, char **argv)
{
	char err[512];
	struct backup_summary s;
	(void)a;
	if (argc != 1)
		return admin_usage("verify SRC");
	if (backup_verify(argv[0], &s, err, sizeof(err)) != 0)
		return admin_fail("%s", err);
	print_summary("backup verified:", argv[0], &s);
	return ADMIN_OK;
}
