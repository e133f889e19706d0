/* export_zip.c: packing a subject-access export into a zip file, with libzip. */
#include "server/retention/export_zip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "server/blobs/blobstore.h"

static const char readme[] =
    "Samvaer: your data (subject access, GDPR article 15)\n"
    "\n"
    "export.json holds, in this order:\n"
    "- account: your account as the server keeps it (no password: only a one-way hash is kept, and not here);\n"
    "- cases: the children's cases you are part of, and in which role;\n"
    "- agreements: the contact agreements you are a party to, with their terms;\n"
    "- messages: every message of your conversations that is still kept (sent and received; \"from\" is the\n"
    "  sender's account id; times are milliseconds since 1970-01-01 UTC);\n"
    "- held_messages: messages held for review;\n"
    "- pauses: pauses of your agreements;\n"
    "- audit: the audit trail's entries about you (logins, changes, decisions);\n"
    "- media: the photos, video clips and voice notes you sent and those sent to you, as the server keeps them\n"
    "  (photos at display size with no location or camera data; clips and voice notes as shared). Each entry\n"
    "  names its conversation (agreement_id, seq) and its copy in the folder media/ (\"file\"; null when it was\n"
    "  removed while this export was being made). Media older than a case's media period are not here.\n"
    "Messages older than the retention period of a case have been removed and are not here.\n";

static int add(zip_t *z, const char *name, const char *text, char *err, size_t errlen)
{
	zip_source_t *f = zip_source_buffer(z, text, strlen(text), 0);
	if (!f || zip_file_add(z, name, f, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(f);
		snprintf(err, errlen, "export: adding %s: %s", name, zip_strerror(z));
		return -1;
	}
	return 0;
}

/* The main file of each media entry, stored as it is (photos and clips are compressed already). An entry whose blob
 * has gone (a sweep meanwhile) gets "file": null before the document is written. */
static int add_media(zip_t *z, json_t *doc, const char *data_dir, char *err, size_t errlen)
{
	json_t *m;
	size_t i;
	json_array_foreach(json_object_get(doc, "media"), i, m)
	{
		const char *name = json_string_value(json_object_get(m, "file"));
		char path[700];
		struct stat sb;
		if (!name ||
		    blobstore_path_in(data_dir, json_string_value(json_object_get(m, "sha256")), path, sizeof(path)) !=
			0 ||
		    stat(path, &sb) != 0) {
			json_object_set_new(m, "file", json_null());
			continue;
		}
		zip_source_t *f = zip_source_file(z, path, 0, -1);
		zip_int64_t idx = f ? zip_file_add(z, name, f, ZIP_FL_ENC_UTF_8) : -1;
		if (idx < 0) {
			zip_source_free(f);
			snprintf(err, errlen, "export: adding %s: %s", name, zip_strerror(z));
			return -1;
		}
		zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
	}
	return 0;
}

struct stop_check {
	int (*stop)(void *arg);
	void *arg;
};

static int check_stop(zip_t *z, void *ud)
{
	(void)z;
	const struct stop_check *sc = ud;
	return sc->stop(sc->arg);
}

int export_zip(json_t *doc, const char *data_dir, const char *path, int (*stop)(void *arg), void *stop_arg, char *err,
	       size_t errlen)
{
	int zerr = 0;
	char *json = NULL;
	struct stop_check sc = {stop, stop_arg};
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &zerr);
	if (!z) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "export: cannot create %s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	if (stop)
		zip_register_cancel_callback_with_state(z, check_stop, NULL, &sc);
	int rc = add_media(z, doc, data_dir, err, errlen);
	if (rc == 0 && !(json = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII))) {
		snprintf(err, errlen, "export: out of memory");
		rc = -1;
	}
	if (rc == 0)
		rc = add(z, "export.json", json, err, errlen) || add(z, "README.txt", readme, err, errlen) ? -1 : 0;
	if (rc == 0 && zip_close(z) < 0) {
		snprintf(err, errlen, stop && stop(stop_arg) ? "export: cancelled" : "export: writing %s: %s", path,
			 zip_strerror(z));
		rc = -1;
	}
	if (rc != 0)
		zip_discard(z);
	if (rc == 0 && chmod(path, 0600) != 0) { /* the person's data: libzip keeps the umask's mode */
		snprintf(err, errlen, "export: chmod %s: %s", path, strerror(errno));
		unlink(path);
		rc = -1;
	}
	free(json);
	return rc;
}
