/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtime-state.c - what the C runtime holds that the sweep of the new
 * startup's descriptors (startup.c) must tell apart from the program's
 * state.
 *
 * The sweep keeps a startup descriptor open when its number is an int of
 * memory the new version keeps.  Two places of the C runtime hold no
 * descriptor of the program but small numbers, which kept nginx's log
 * files open at each update (error.log and access.log, reopened by every
 * startup): the frames the C runtime runs main from, whose slots the
 * runtime never wrote hold dead values of what ran before main, and the
 * runtime's writable data (its counters and flags; `_rtld_global`).  The
 * runtime's own hold on a file is a stdio stream, found here precisely.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <stdio.h>
#include <unwind.h>

#include "remote.h"
#include "runtime-state.h"

struct frames_walk {
	uint64_t from;
	uint64_t run_start; /* the lowest frame's CFA of the current run of
			       runtime frames, 0 if the last frame was none */
	unsigned after_run; /* frames of no runtime library above that run */
};

static int runtime_code(uint64_t ip)
{
	Dl_info info;
	return dladdr((void *)(uintptr_t)ip, &info) && stf__lib_is_runtime(info.dli_fname);
}

static _Unwind_Reason_Code frames_step(struct _Unwind_Context *ctx, void *arg)
{
	struct frames_walk *w = arg;
	/* a frame's context gives its code address and the CFA of the frame
	 * it called: the caller of main gives main's CFA, the top of the
	 * program's frames */
	uint64_t below = _Unwind_GetCFA(ctx), ip = _Unwind_GetIP(ctx);
	if (below <= w->from || !ip)
		return _URC_NO_REASON; /* libstf's frames, or past the last */
	if (runtime_code(ip)) {
		if (!w->run_start || w->after_run) {
			w->run_start = below;
			w->after_run = 0;
		}
	} else if (w->run_start) {
		w->after_run++;
	}
	return _URC_NO_REASON;
}

/* The outermost run of runtime frames: main's caller up, allowing one
 * frame of the executable above it (_start); a runtime frame between the
 * program's (a callback of qsort) is no such run. */
uint64_t stf__runtime_frames_start(uint64_t from)
{
	struct frames_walk w = { .from = from };
	_Unwind_Backtrace(frames_step, &w);
	return w.after_run <= 1 ? w.run_start : 0;
}

/* glibc's list of the open streams (not declared by its headers). */
extern FILE *_IO_list_all;

void stf__stream_fds_each(void (*fn)(void *ctx, int fd), void *ctx)
{
	for (FILE *f = _IO_list_all; f; f = f->_chain)
		if (f->_fileno >= 0)
			fn(ctx, f->_fileno);
}
