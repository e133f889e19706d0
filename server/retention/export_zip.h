/* export_zip.h: a subject-access export as a zip (store_export.h): export.json (the document, indented), README.txt
 * (what each part is, for the person reading it) and media/ with the file of each entry of the document's "media"
 * (store_export.h), read from the blob store of data directory `data_dir`. */
#ifndef SAMVAER_EXPORT_ZIP_H
#define SAMVAER_EXPORT_ZIP_H

#include <jansson.h>
#include <stddef.h>

/* Write the zip as the new file `path` (it must not exist; mode 0600): 0, or -1 with err and nothing left at path.
 * A media entry whose file is missing gets "file": null in doc. With stop, the work ends early (-1, "export:
 * cancelled") once stop(stop_arg) returns non-zero; libzip asks it while it writes. */
int export_zip(json_t *doc, const char *data_dir, const char *path, int (*stop)(void *arg), void *stop_arg, char *err,
	       size_t errlen);

#endif
