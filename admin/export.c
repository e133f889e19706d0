/* export.c: samvaer-admin export — one person's data as a zip for a subject-access request (GDPR art. 15). Reads
 * only, so it is safe while the server runs; audited (`export`). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "server/retention/export_zip.h"
#include "server/store/audit.h"
#include "server/store/store_export.h"

/* Make the finished file durable (libzip writes it through a temporary name and a rename). */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* export USERNAME --out FILE.zip --reference REF */
int admin_cmd_export(struct admin *a, int argc, char **argv)
{
	const char *out = admin_opt(argc, argv, "--out"), *ref = admin_opt(argc, argv, "--reference");
	if (argc < 1 || argv[0][0] == '-' || !out || !ref || !*ref)
		return admin_usage("export USERNAME --out FILE.zip --reference REF");
	int64_t id = admin_account_id(a, argv[0], NULL);
	if (!id)
		return ADMIN_FAIL;
	int missing;
	json_t *doc = store_export_account(a->store, id, &missing);
	if (!doc)
		return admin_fail("export: %s", store_errmsg(a->store));
	char err[256];
	struct stat sb;
	size_t messages = json_array_size(json_object_get(doc, "messages")),
	       entries = json_array_size(json_object_get(doc, "audit"));
	mode_t mask = umask(077); /* the person's data: not readable by others, not even while it is written */
	int rc = export_zip(doc, a->data_dir, out, NULL, NULL, err, sizeof(err));
	umask(mask);
	json_decref(doc);
	if (rc != 0)
		return admin_fail("%s", err);
	if (sync_file(out) != 0 || stat(out, &sb) != 0) {
		unlink(out);
		return admin_fail("export: cannot write %s: %s", out, strerror(errno));
	}
	if (store_begin(a->store) != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_EXPORT, 0, 0,
				json_pack("{s:I,s:s,s:I,s:I,s:s}", "account_id", (json_int_t)id, "reference", ref,
					  "messages", (json_int_t)messages, "entries", (json_int_t)entries, "via",
					  "cli")) != STORE_OK) {
		unlink(out);
		return admin_fail("export: cannot audit the export (%s); nothing was written", store_errmsg(a->store));
	}
	printf("exported %s to %s: %zu messages, %zu audit entries, %zu bytes\n", argv[0], out, messages, entries,
	       (size_t)sb.st_size);
	return ADMIN_OK;
}
