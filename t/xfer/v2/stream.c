/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of stream.c: the holder got a member; v2 writes two more
 * lines and checks that the file holds every line exactly once, in order. */
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
static char full_path[256];
static size_t full_len;

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
	alias = logf;
	h = malloc(sizeof(*h));
	h->f = logf;
	fprintf(logf, "line 1\n");
	fflush(logf);
	fprintf(h->f, "line 2\n");
	fprintf(alias, "line 3\n");
	h->lines = 3;

	snprintf(full_path, sizeof(full_path), "%s.full", path);
	full = fopen(full_path, "w");
	if (!full) {
		perror(full_path);
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
		FILE *in = fopen(path, "r");
		char got[256] = "";
		size_t n = in ? fread(got, 1, sizeof(got) - 1, in) : 0;
		got[n] = 0;
		if (in)
			fclose(in);
		CHECK(!strcmp(got, "line 1\nline 2\nline 3\nline 4\nline 5\n"));
		if (strcmp(got, "line 1\nline 2\nline 3\nline 4\nline 5\n"))
			fprintf(stderr, "the log file holds:\n%s", got);
	}
	CHECK(full && full != logf && full_len > 1 && __fpending(full) == full_len);
	if (full) {
		FILE *in = fopen(full_path, "r");
		CHECK(in && fgetc(in) == EOF); /* nothing written before the commit */
		if (in)
			fclose(in);
		CHECK(fclose(full) == 0);
		in = fopen(full_path, "r");
		size_t n = 0;
		for (int c; in && (c = fgetc(in)) != EOF; n++)
			if (c != 'a' + (int)(n % 26))
				break;
		CHECK(n == full_len);
		if (in)
			fclose(in);
	}
	unlink(path);
	unlink(full_path);
	XT_V2_RESULT();
}
