/* test_fsdir.c: fsdir_sync_parent fsyncs the folder that holds a name ("a/b/" names b in a; "/x" is in "/"; a bare
 * name is in "."), and reports a folder that cannot be opened. fsync is recorded here, by the path it was given. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char synced[PATH_MAX]; /* the folder the last fsync was called on */

static int record_fsync(int fd)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, synced, sizeof(synced) - 1);
	synced[n > 0 ? n : 0] = 0;
	return 0;
}

#define fsync record_fsync
#include "server/store/fsdir.c"
#undef fsync

#include "tests/unit/check.h"

static const char *parent_synced(const char *path)
{
	synced[0] = 0;
	return fsdir_sync_parent(path) == 0 ? synced : "(failed)";
}

int main(void)
{
	char tmp[] = "/tmp/samvaer-fsdir-XXXXXX", sub[PATH_MAX], file[PATH_MAX], cwd[PATH_MAX];
	if (!mkdtemp(tmp) || !getcwd(cwd, sizeof(cwd)))
		return 2;
	snprintf(sub, sizeof(sub), "%s/sub", tmp);
	snprintf(file, sizeof(file), "%s/file", tmp);
	mkdir(sub, 0700);
	close(open(file, O_WRONLY | O_CREAT, 0600));
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sub/new.log", tmp);
	CHECK(!strcmp(parent_synced(path), sub), "a file's folder");
	snprintf(path, sizeof(path), "%s/sub/", tmp);
	CHECK(!strcmp(parent_synced(path), tmp), "a trailing slash names the folder itself: its parent is synced");
	snprintf(path, sizeof(path), "%s//sub", tmp);
	CHECK(!strcmp(parent_synced(path), tmp), "a doubled slash");
	CHECK(!strcmp(parent_synced("/tmp"), "/"), "a name at the root is in /");
	CHECK(!strcmp(parent_synced("messages.log"), cwd), "a bare name is in the working folder");
	snprintf(path, sizeof(path), "%s/missing/x", tmp);
	CHECK(fsdir_sync_parent(path) == -1 && errno == ENOENT, "a folder that does not exist is an error");
	snprintf(path, sizeof(path), "%s/file/x", tmp);
	CHECK(fsdir_sync_parent(path) == -1 && errno == ENOTDIR, "a file is not a folder");
	synced[0] = 0;
	CHECK(fsdir_sync(sub) == 0 && !strcmp(synced, sub), "fsdir_sync syncs the folder named");

	unlink(file);
	rmdir(sub);
	rmdir(tmp);
	return check_done("fsdir");
}
