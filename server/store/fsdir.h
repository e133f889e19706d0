/* fsdir.h: making a directory's own entries durable. fsync of a file makes its bytes durable, not its name: a
 * file just created, renamed or removed can vanish (or come back) after a power cut until its directory is
 * fsynced too. */
#ifndef SAMVAER_FSDIR_H
#define SAMVAER_FSDIR_H

/* fsync the directory `dir`: 0, or -1 with errno. */
int fsdir_sync(const char *dir);
/* fsync the directory that holds `path` (a file or folder name; "." when it has no slash). */
int fsdir_sync_parent(const char *path);
/* Unlink every file in `dir` (names starting with '.' are left; sub-folders are not entered). 0, or -1 when `dir`
 * cannot be read. */
int fsdir_empty(const char *dir);

#endif
