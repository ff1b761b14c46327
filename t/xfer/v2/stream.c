/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of stream.c: the holder got a member; v2 writes two more
 * lines and checks that the file holds every line exactly once, in order. */
#include <fcntl.h>
#include <stdio_ext.h>
#include "xt.h"

struct holder {
	long added; /* new member: the holder is transformed, not copied */
	FILE *f;
	int lines;
};

static FILE *logf;
static FILE *alias;
static struct holder *h;
static char path[256];
static FILE *full;      /* a buffer full to its last byte, not written yet */
static size_t full_len;
/* the files, read back by version 2 (their names are gone at once: a
 * rolled-back or killed test leaves nothing behind) */
static int log_fd = -1, full_fd = -1;

static __attribute__((noinline)) void init(void)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/ttst-stream-%d.log", dir && *dir ? dir : "/tmp",
		 (int)getpid());
	unlink(path);
	logf = fopen(path, "a");
	if (!logf) {
		perror(path);
		exit(1);
	}
	log_fd = open(path, O_RDONLY);
	unlink(path);
	alias = logf;
	h = malloc(sizeof(*h));
	h->f = logf;
	fprintf(logf, "line 1\n");
	fflush(logf);
	fprintf(h->f, "line 2\n");
	fprintf(alias, "line 3\n");
	h->lines = 3;

	strncat(path, ".full", sizeof(path) - strlen(path) - 1);
	full = fopen(path, "w");
	full_fd = open(path, O_RDONLY);
	unlink(path);
	if (!full || log_fd < 0 || full_fd < 0) {
		perror(path);
		exit(1);
	}
	fputc('a', full); /* now the buffer exists */
	full_len = __fbufsize(full);
	for (size_t i = 1; i < full_len; i++)
		fputc('a' + i % 26, full);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(logf && logf != stdout && logf != stderr);
	CHECK(alias == logf);
	CHECK(h && h->f == logf && h->lines == 3 && h->added == 0);
	if (logf && h) {
		for (int i = 4; i <= 5; i++)
			fprintf(logf, "line %d\n", i);
		CHECK(fflush(logf) == 0);
		char got[256] = "";
		ssize_t n = pread(log_fd, got, sizeof(got) - 1, 0);
		got[n > 0 ? n : 0] = 0;
		CHECK(!strcmp(got, "line 1\nline 2\nline 3\nline 4\nline 5\n"));
		if (strcmp(got, "line 1\nline 2\nline 3\nline 4\nline 5\n"))
			fprintf(stderr, "the log file holds:\n%s", got);
	}
	CHECK(full && full != logf && full_len > 1 && __fpending(full) == full_len);
	if (full) {
		char c;
		CHECK(pread(full_fd, &c, 1, 0) == 0); /* nothing written before the commit */
		CHECK(fclose(full) == 0);
		char *got = malloc(full_len + 1);
		size_t n = 0;
		if (got && pread(full_fd, got, full_len + 1, 0) == (ssize_t)full_len)
			for (; n < full_len; n++)
				if (got[n] != 'a' + (int)(n % 26))
					break;
		CHECK(n == full_len);
		free(got);
	}
	XT_V2_RESULT();
}
