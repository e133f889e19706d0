/* export.c: samvaer-admin export — one person's data as a zip for a subject-access request (GDPR art. 15). Reads
 * only, so it is safe while the server runs; audited (`export`). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "server/retention/export_zip.h"
#include "server/store/audit.h"
#include "server/store/store_export.h"

static int write_file(const char *path, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); /* the person's data: not world-readable */
	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return fsync(fd) | close(fd);
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
	char *zip, err[256];
	size_t len;
	size_t messages = json_array_size(json_object_get(doc, "messages")),
	       entries = json_array_size(json_object_get(doc, "audit"));
	int rc = export_zip(doc, a->data_dir, &zip, &len, err, sizeof(err));
	json_decref(doc);
	if (rc != 0)
		return admin_fail("%s", err);
	if (write_file(out, zip, len) != 0) {
		free(zip);
		return admin_fail("export: cannot write %s: %s", out, strerror(errno));
	}
	free(zip);
	if (store_begin(a->store) != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_EXPORT, 0, 0,
				json_pack("{s:I,s:s,s:I,s:I,s:s}", "account_id", (json_int_t)id, "reference", ref,
					  "messages", (json_int_t)messages, "entries", (json_int_t)entries, "via",
					  "cli")) != STORE_OK) {
		unlink(out);
		return admin_fail("export: cannot audit the export (%s); nothing was written", store_errmsg(a->store));
	}
	printf("exported %s to %s: %zu messages, %zu audit entries, %zu bytes\n", argv[0], out, messages, entries, len);
	return ADMIN_OK;
}
