/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A log file kept in a global FILE *, opened for appending, with output
 * still in its buffer at the update point: the new version gets a stream
 * on the same file descriptor holding that output, once however many
 * pointers point to it. */
#include <fcntl.h>
#include <stdio_ext.h>
#include "xt.h"

struct holder {
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

/* not inlined: its allocation sites are identical in both versions */
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
	/* pending at the update point: written by the new version only */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
