/* store_wal.h: the VFS the server's own connection uses, which writes each commit's WAL frames with one syscall. */
#ifndef SAMVAER_STORE_WAL_H
#define SAMVAER_STORE_WAL_H

#include <sqlite3.h>

/* Register the VFS (once; the control thread only) and return its name for sqlite3_open_v2, or NULL to use the
 * default VFS. */
const char *store_wal_vfs(void);

#endif
