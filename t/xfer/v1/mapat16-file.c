/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File mappings: a file mapped MAP_SHARED (its contents are the file's,
 * the new version maps the same file at the same address) and another
 * mapped MAP_PRIVATE (copied, at the same address); a heap block of bytes
 * holds, among its text, the address of a place in each.  Version 2
 * checks them through the kept words, then writes through the shared
 * mapping and reads the file back.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include "xt.h"

static char path_shared[64], path_private[64];
static char *shared, *private;
static char *msg;

static char *map_file(char *path, const char *tag, const char *text, int flags)
{
	snprintf(path, 64, "/tmp/ttst-mapat16-%s.%d", tag, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0 || pwrite(fd, text, strlen(text) + 1, 0) < 0)
		exit(1);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, flags, fd, 0);
	close(fd);
	return m;
}

static void init(void)
{
	shared = map_file(path_shared, "shared", "shared: in the file", MAP_SHARED);
	private = map_file(path_private, "private", "private: a copy", MAP_PRIVATE);
	private[100] = 'p'; /* a private change, not in the file */
	msg = malloc(32);
	strcpy(msg, "at:");
	char *s = shared + 8, *p = private + 9;
	memcpy(msg + 8, &s, sizeof s);
	memcpy(msg + 16, &p, sizeof p);
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	char *s, *p;
	memcpy(&s, msg + 8, sizeof s);
	memcpy(&p, msg + 16, sizeof p);
	CHECK(s == shared + 8 && !strcmp(s, "in the file"));
	CHECK(p == private + 9 && !strcmp(p, "a copy") && private[100] == 'p');
	strcpy(shared, "SHARED");
	char back[8] = "";
	int fd = open(path_shared, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, back, 7, 0) == 7 && !strcmp(back, "SHARED"));
	if (fd >= 0)
		close(fd);
	unlink(path_shared);
	unlink(path_private);
	XT_V2_RESULT();
#endif
}
