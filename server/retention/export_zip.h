/* export_zip.h: a subject-access export as a zip (store_export.h): export.json (the document, indented), README.txt
 * (what each part is, for the person reading it) and, once media exist, media/ with their files. */
#ifndef SAMVAER_EXPORT_ZIP_H
#define SAMVAER_EXPORT_ZIP_H

#include <jansson.h>
#include <stddef.h>

/* The zip's bytes in *out (malloc'd, *len bytes): 0, or -1 with err. */
int export_zip(json_t *doc, char **out, size_t *len, char *err, size_t errlen);

#endif
