/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Streams the transfer refuses (the same program in both versions), and
 * one it carries:
 *   unread  a read stream with buffered input not consumed yet;
 *   void    a FILE libc allocated, held in a void * (no stream type says
 *           what it is: a block of libc copied as raw bytes);
 *   memstream  open_memstream's stream: no file descriptor to re-create
 *           it on;
 *   cloexec a stream on a close-on-exec descriptor, which the new version
 *           inherits all the same: this one is carried. */
#include <fcntl.h>

#include "xt.h"

static FILE *in;
static void *opaque;
static char path[256];
static char *mem;
static size_t memlen;

static __attribute__((noinline)) void init(const char *what)
{
	if (!strcmp(what, "memstream")) {
		in = open_memstream(&mem, &memlen);
		fputs("kept in memory", in);
		return;
	}
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/ttst-stream-refused-%d", dir && *dir ? dir : "/tmp",
		 (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f || fputs("first\nsecond\nthird\n", f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
	if (!strcmp(what, "cloexec")) {
		in = fopen(path, "we");
		unlink(path);
		return;
	}
	char line[64];
	FILE *s = fopen(path, "r");
	unlink(path);
	if (!s || !fgets(line, sizeof(line), s)) { /* the other 13 bytes wait */
		perror(path);
		exit(1);
	}
	if (!strcmp(what, "void"))
		opaque = s;
	else
		in = s;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "unread";

	if (!stf_is_updating()) {
		init(what);
		XT_V1_LOOP();
	}
	stf_update_point();
	/* only the stream on the close-on-exec descriptor commits: the
	 * same open file, close-on-exec again, and writable */
	CHECK(!strcmp(what, "cloexec"));
	CHECK(in && fileno(in) >= 0);
	CHECK(in && fcntl(fileno(in), F_GETFD) == FD_CLOEXEC);
	CHECK(in && fputs("fourth\n", in) >= 0 && fflush(in) == 0);
	XT_V2_RESULT();
}
