/* fsdir.c: fsync of directories, for the entries of files the store creates (see fsdir.h). */
#include "server/store/fsdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int fsdir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int fsdir_sync_parent(const char *path)
{
	char dir[1024];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return errno = ENAMETOOLONG, -1;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/') /* "a/b/" names b */
		dir[--n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash)
		return fsdir_sync(".");
	slash[slash == dir] = 0; /* "/x" -> "/" */
	return fsdir_sync(dir);
}

int fsdir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	return 0;
}
