/* exporter.h: subject-access exports (export_zip.h) made on a thread of their own, one at a time, into files under
 * DATA/exports/ that are unlinked as soon as they are open: a person's media (clips up to 200 MB each) are never read
 * on the control thread nor held in memory, and the answer is streamed from the file. */
#ifndef SAMVAER_EXPORTER_H
#define SAMVAER_EXPORTER_H

#include <ev.h>
#include <jansson.h>
#include <stdint.h>

#define EXPORTER_QUEUE 4 /* exports waiting or in progress; one more is refused (busy) */

struct exporter;
struct export_job;

/* done(ctx, fd, len, err) on the loop's thread: fd >= 0 is the zip, open for reading, already unlinked, len bytes,
 * and the callee's to close; or fd -1 and err says why. */
typedef void (*export_done_fn)(void *ctx, int fd, uint64_t len, const char *err);

/* Empty DATA/exports/ of what an earlier process left, and start the thread. NULL with err. */
struct exporter *exporter_start(struct ev_loop *loop, const char *data_dir, char *err, size_t errlen);
/* Queue the export of doc (taken, whatever the result). NULL when EXPORTER_QUEUE are queued already: busy. */
struct export_job *exporter_submit(struct exporter *x, json_t *doc, export_done_fn done, void *ctx);
/* done will not run for job: a waiting job is dropped, one in progress stops at libzip's next check. */
void exporter_cancel(struct exporter *x, struct export_job *job);
/* Cancel every job (done does not run), stop the thread and free. */
void exporter_stop(struct exporter *x);

#endif
