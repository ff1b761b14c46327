/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * redis16-argcopies: a line server whose startup copies its arguments and
 * program names as Redis's spt_init does, at every start, before its
 * update point: each argument after the first strdup'ed and the exec
 * vector's entry pointed to the copy, program_invocation_name and its
 * short form set to copies.  Only main's initial stack and the C
 * library's data name these copies, and the transfer carries neither.
 *
 * Beside them, blocks the program does reach, each by one kind of word
 * only, which the transfer carries and must not lose:
 *   - a pointer into the middle of a block (a static);
 *   - an address-typed integer holding a block's address with a tag in
 *     its low bit (a static);
 *   - a pointer one past the end of a block (a static);
 *   - a pointer written into a block of bytes (a static points to it);
 *   - a local of the update point's frame.
 * One request per connection:
 *   check   the five blocks' texts and the copies the
 *           process runs with now               -> "T1 T2 T3 T4 T5 ARGS NAME"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

static char *middle;        /* 4 bytes into its block */
static uintptr_t tagged;    /* a block's address | 1 */
static char *past_end;      /* one past the end of its block */
static char *record;        /* a block of bytes holding a pointer at 8 */
static char **exec_argv;    /* main's argv: the initial stack's vector */
static int exec_argc;

/* spt_init: the arguments and program names copied to the heap. */
static int copy_arguments(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!(argv[i] = strdup(argv[i])))
			return -1;
	char *name = strdup(program_invocation_name);
	char *short_name = strdup(program_invocation_short_name);
	if (!name || !short_name)
		return -1;
	program_invocation_name = name;
	program_invocation_short_name = short_name;
	return 0;
}

static char *text(const char *s)
{
	char *p = malloc(16);
	if (p)
		snprintf(p, 16, "%s", s);
	return p;
}

static int make_state(void)
{
	char *a = text("....middle"), *b = text("tagged"), *c = text("end");
	char *d = text("record"), *target;
	record = malloc(32);
	if (!a || !b || !c || !d || !record)
		return -1;
	middle = a + 4;
	tagged = (uintptr_t)b | 1;
	past_end = c + 16;
	memset(record, 'r', 32);
	target = d;
	memcpy(record + 8, &target, sizeof target);
	return 0;
}

static void handle(int fd, const char *local)
{
	char buf[256], out[512], *d;

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	if (!strncmp(buf, "check", 5)) {
		memcpy(&d, record + 8, sizeof d);
		int args = 0;
		for (int i = 1; i < exec_argc; i++)
			args += !!exec_argv[i][0];
		snprintf(out, sizeof out, "%s %s %s %s %s %d %s\n", middle,
			 (const char *)(tagged & ~(uintptr_t)1), past_end - 16, d, local, args,
			 program_invocation_short_name);
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

int main(int argc, char **argv)
{
	static int lfd = -1;

	if (argc < 2) {
		fprintf(stderr, "usage: redis16-argcopies SOCKET [ARG...]\n");
		return 2;
	}
	if (copy_arguments(argc, argv) < 0) {
		perror("redis16-argcopies: copies");
		return 1;
	}
	exec_argv = argv;
	exec_argc = argc;
	char *local = text("local");
	if (!local)
		return 1;
	if (!stf_is_updating()) {
		if (make_state() < 0) {
			perror("redis16-argcopies: state");
			return 1;
		}
		lfd = listen_at("redis16-argcopies", argv[1], SOCK_STREAM, 16);
	}
	for (;;) {
		stf_update_point();
		int c = accept_next("redis16-argcopies", lfd);
		if (c < 0)
			continue;
		handle(c, local);
		close(c);
	}
}
