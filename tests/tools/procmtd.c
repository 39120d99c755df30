// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/mtd for the guest's C tools, see procmtd.h. */
#include "procmtd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The name of a /proc/mtd line, between its first and last double quote
 * (names may hold quotes, not newlines); NULL if the line has none.
 */
static const char *line_name(char *line, size_t *len)
{
	char *first = strchr(line, '"'), *last = strrchr(line, '"');

	if (!first || last == first)
		return NULL;
	*len = (size_t)(last - first - 1);
	return first + 1;
}

int procmtd_find(const char *name, int *nums, size_t max)
{
	char line[256];
	size_t found = 0, len;
	const char *listed;
	FILE *f = fopen("/proc/mtd", "re");
	int n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "mtd%d:", &n) != 1)
			continue;	/* the header */
		listed = line_name(line, &len);
		if (name && (!listed || len != strlen(name) ||
			     memcmp(listed, name, len)))
			continue;
		if (found < max)
			nums[found] = n;
		found++;
	}
	fclose(f);
	return (int)found;
}

int procmtd_open(const char *name, int flags)
{
	int nums[8], i, k, found, fd;
	char path[64];

	for (i = 0; i < 100; i++) {
		found = procmtd_find(name, nums, 8);
		for (k = 0; k < found && k < 8; k++) {
			snprintf(path, sizeof(path), "/dev/mtd%d", nums[k]);
			fd = open(path, flags);
			if (fd >= 0)
				return fd;
		}
		usleep(100000);
	}
	errno = ENODEV;
	return -1;
}

int procmtd_conn_dirs(const char *name, char (*dirs)[PROCMTD_DIR_MAX],
		      int max)
{
	char file[96], line[64];
	int id, found = 0;

	for (id = 0; id < 4096; id++) {
		FILE *f;
		bool same;

		snprintf(file, sizeof(file), "/sys/fs/muse/connections/%d/name",
			 id);
		f = fopen(file, "r");
		if (!f)
			continue;
		same = fgets(line, sizeof(line), f) &&
		       !strncmp(line, name, strlen(name)) &&
		       (line[strlen(name)] == '\n' || !line[strlen(name)]);
		fclose(f);
		if (same && found < max)
			snprintf(dirs[found], PROCMTD_DIR_MAX,
				 "/sys/fs/muse/connections/%d", id);
		found += same;
	}
	return found;
}

bool procmtd_conn_dir(const char *name, char *path, size_t size)
{
	char dir[1][PROCMTD_DIR_MAX];

	if (procmtd_conn_dirs(name, dir, 1) < 1)
		return false;
	snprintf(path, size, "%s", dir[0]);
	return true;
}

int procmtd_conn_write(const char *dir, const char *file)
{
	char path[160];
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		e = errno;
	if (fd >= 0)
		close(fd);
	return e;
}
