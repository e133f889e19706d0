/* export_zip.h: a subject-access export as a zip (store_export.h): export.json (the document, indented), README.txt
 * (what each part is, for the person reading it) and media/ with the file of each entry of the document's "media"
 * (store_export.h), read from the blob store of data directory `data_dir`. */
#ifndef SAMVAER_EXPORT_ZIP_H
#define SAMVAER_EXPORT_ZIP_H

#include <jansson.h>
#include <stddef.h>

/* The zip's bytes in *out (malloc'd, *len bytes): 0, or -1 with err. A media entry whose file is missing gets
 * "file": null in doc. */
int export_zip(json_t *doc, const char *data_dir, char **out, size_t *len, char *err, size_t errlen);

#endif
