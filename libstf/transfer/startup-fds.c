/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * startup-fds.c - the descriptors of the sweep of the new version's
 * startup (startup.c): which the new version no longer uses, and closes.
 *
 * The new version inherits every descriptor of the old one and opens its
 * own in its startup.  After the transfer, those of its own that only the
 * blocks the sweep frees (or the statics the transfer overwrote) named
 * are closed (stf__sweep_fds), and so are the inherited ones that only the
 * old blocks the transfer dropped named (stf__sweep_left_fds).  A
 * descriptor is a number, not a pointer: both decide by value, and keep a
 * descriptor open whenever memory the new version keeps may name it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "defined-scan.h"
#include "engine.h"
#include "heap.h"
#include "inplace.h"
#include "loop-fds.h"
#include "rebind.h"
#include "remote.h"
#include "runtime-state.h"
#include "sweep.h"

static void find_fds_defined(void *ctx, uint64_t start, uint64_t end, uint8_t flag)
{
	struct sweep *s = ctx;
	start = (start + 3) & ~3ULL;
	for (uint64_t a = start; a + 4 <= end; a += 4) {
		uint32_t v = *(const uint32_t *)(uintptr_t)a;
		if (v < MAX_SWEPT_FD && (s->fd_state[v] & s->want) &&
		    !(s->in_stacks && (s->fd_state[v] & FD_IN_LOOP)))
			s->fd_state[v] |= flag;
	}
}

/* Flag the descriptors s->want selects whose numbers are aligned ints in
 * [start, end). */
static void find_fds(struct sweep *s, uint64_t start, uint64_t end, uint8_t flag)
{
	stf__defined_scan(find_fds_defined, s, start, end, flag);
}

/* [start, end) minus the ranges to skip, to find_fds. */
void stf__sweep_find_fds_kept(struct sweep *s, uint64_t start, uint64_t end)
{
	for (size_t k = 0; k < s->nskip && start < end; k++) {
		const struct stf_range *r = &s->skip[k];
		if (r->start + r->size <= start)
			continue;
		if (r->start >= end)
			break;
		if (r->start > start)
			find_fds(s, start, r->start, FD_IN_KEPT);
		start = r->start + r->size;
	}
	if (start < end)
		find_fds(s, start, end, FD_IN_KEPT);
}

/* What /proc/PID/fd/FD links to ("pipe:[8278066]"), in target; 0 if
 * unknown. */
static int fd_target(pid_t pid, int fd, char *target, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, target, size - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return 1;
}

/* Is fd an epoll instance, an eventfd, a timerfd, a signalfd or a pipe? */
static int event_kind(int fd)
{
	static const char *const kinds[] = { "anon_inode:[eventpoll]", "anon_inode:[eventfd]",
		"anon_inode:[timerfd]", "anon_inode:[signalfd]", "pipe:[" };
	char target[64];

	if (!fd_target(getpid(), fd, target, sizeof(target)))
		return 0;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++)
		if (!strncmp(target, kinds[k], strlen(kinds[k])))
			return 1;
	return 0;
}

/* The kinds of descriptor an event library's state holds: epoll
 * instances, eventfds, timerfds, signalfds, pipes; and regular files, a
 * program's logs (the C runtime holds them only in its streams, see
 * stf__sweep_fds).  Sockets (syslog's connection, a resolver's) are never
 * closed but for a duplicate of an old one.  FD_STARTUP (with FD_IN_FREED
 * for that duplicate), or 0: not closable. */
static uint8_t closable_kind(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return FD_STARTUP;
	/* the old version's socket, given to the startup's bind (rebind.c):
	 * the transferred state names it by the old number, so this one is
	 * closed unless kept memory names it (found in no freed block: the
	 * startup may have held it in a static the transfer overwrote) */
	if (stf__rebind_dup(fd))
		return FD_STARTUP | FD_IN_FREED;
	return event_kind(fd) ? FD_STARTUP : 0;
}

/* The descriptors open in this process and not in the old version, of
 * the kinds above: the new startup's (the new version inherits every
 * descriptor of the old one); and those open in both on the same file,
 * of an event library's kind (FD_INHERITED).  -1 if either table cannot
 * be read. */
int stf__sweep_startup_fds(struct sweep *s, pid_t past)
{
	char path[64];
	uint8_t in_past[MAX_SWEPT_FD] = { 0 };
	struct dirent *e;
	DIR *d;

	struct rlimit rl;
	long limit = MAX_SWEPT_FD;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur * 3 / 4 < limit)
		limit = (long)rl.rlim_cur * 3 / 4;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)past);
	for (int pass = 0; pass < 2; pass++) {
		if (!(d = opendir(pass ? "/proc/self/fd" : path)))
			return -1;
		int skip = pass ? dirfd(d) : -1;
		while ((e = readdir(d))) {
			char *end;
			long fd = strtol(e->d_name, &end, 10);
			if (*end || end == e->d_name || fd < 3 || fd >= limit || fd == skip)
				continue;
			char was[64], is[64];
			if (!pass)
				in_past[fd] = 1;
			else if (!in_past[fd])
				s->fd_state[fd] = closable_kind(fd);
			else if (fd_target(past, (int)fd, was, sizeof(was)) &&
				 fd_target(getpid(), (int)fd, is, sizeof(is)) && !strcmp(was, is) &&
				 event_kind((int)fd))
				s->fd_state[fd] = FD_INHERITED;
		}
		closedir(d);
	}
	return 0;
}

/* Did an old object go into startup object o (inplace.c: it took that
 * object's ID), or an old sub-object into it (the rest zeroed)?  It holds
 * the old version's values now. */
int stf__sweep_taken_in_place(const struct stf_obj *o)
{
	const struct stf_range *own = stf__index_find(&stf__own_startup, o->addr, 0);
	return o->kind == STF_OBJ_HEAP && own && own->start == o->addr &&
	       (own->value != o->dyn_id || stf__inplace_holder(o->addr));
}

/* stf__defined_scan: the aligned ints of [start, end) below MAX_SWEPT_FD
 * set to flag in the array ctx. */
static void note_fds_defined(void *ctx, uint64_t start, uint64_t end, uint8_t flag)
{
	uint8_t *named = ctx;
	for (uint64_t a = (start + 3) & ~3ULL; a + 4 <= end; a += 4) {
		uint32_t v = *(const uint32_t *)(uintptr_t)a;
		if (v < MAX_SWEPT_FD)
			named[v] = flag;
	}
}

/* The numbers the new version's statics and locals held as aligned ints
 * before the transfer wrote the old version's values over them (the
 * statics and locals paired with the old version's), in
 * x->overwritten_fds: a descriptor the startup opened and kept only there
 * (beanstalkd's epoll instance, in a static) is named by nothing the new
 * version keeps, as one only a freed block names.
 *
 * The locals among them may not be written yet at the update point (a
 * poll array only the loop fills): their bytes are what the stack held
 * before, read as the sweep reads any memory, conservatively (a number
 * there can only close a startup descriptor that no memory the new
 * version keeps names), and not reported by memcheck
 * (stf__defined_scan). */
void stf__note_overwritten_fds(struct stf_xfer *x)
{
	uint8_t *named = stf__arena_alloc(x->arena, MAX_SWEPT_FD);

	if (!named)
		return; /* then none is closed for this reason: kept, never a guess */
	x->overwritten_fds = named;
	for (size_t i = 0; i < x->src->nobjs; i++) {
		if (!x->pair[i].scheduled || x->pair[i].dst < 0)
			continue;
		const struct stf_obj *d = &x->dst->objs[x->pair[i].dst];
		if (d->kind == STF_OBJ_STATIC || d->kind == STF_OBJ_LOCAL)
			stf__defined_scan(note_fds_defined, named, d->addr, d->addr + d->size, 1);
	}
}

/* The startup's descriptors the overwritten memory named count as named
 * by a freed block; whether there is one. */
int stf__sweep_find_fds_overwritten(struct sweep *s, const struct stf_xfer *x)
{
	int any = 0;
	if (!x->overwritten_fds)
		return 0;
	for (int fd = 0; fd < MAX_SWEPT_FD; fd++)
		if ((s->fd_state[fd] & FD_STARTUP) && x->overwritten_fds[fd]) {
			s->fd_state[fd] |= FD_IN_FREED;
			any = 1;
		}
	return any;
}

/* stf__stream_fds_each: a stdio stream's descriptor is kept. */
static void keep_stream_fd(void *ctx, int fd)
{
	struct sweep *s = ctx;
	if (fd < MAX_SWEPT_FD)
		s->fd_state[fd] |= FD_IN_KEPT;
}

/* stf__inplace_dropped_each: what a startup block held before an old
 * object was transferred into it is freed as a block is. */
static void find_fds_dropped(void *ctx, const uint8_t *bytes, uint64_t size)
{
	find_fds(ctx, (uint64_t)(uintptr_t)bytes, (uint64_t)(uintptr_t)bytes + size, FD_IN_FREED);
}

/* Mark FD_IN_KEPT the descriptors s->want selects that the memory the new
 * version keeps names (sweep_fds says which), then close those of
 * `flag` it does not. */
static void close_unkept_fds(struct sweep *s, struct stf_xfer *x, size_t nstartup, uint64_t here,
			     int pass, uint8_t flag)
{
	s->fd_pass = pass;
	for (size_t k = 0; k < s->ncand; k++)
		if (s->cand[k].value & CAND_KEPT)
			find_fds(s, s->cand[k].start, s->cand[k].start + s->cand[k].size,
				 pass == FD_PASS_STARTUP && (s->cand[k].value & CAND_UNHELD) ?
				 FD_IN_LOOP : FD_IN_KEPT);
	stf__objects_each(stf__sweep_object, s);
	dl_iterate_phdr(stf__sweep_image, s);
	for (size_t k = 0; k < nstartup; k++)
		if (x->dst->objs[k].kind == STF_OBJ_STATIC && !stf__is_lib_data(&x->dst->objs[k]))
			stf__sweep_scan(s, x->dst->objs[k].addr, x->dst->objs[k].addr + x->dst->objs[k].size);
	stf__stream_fds_each(keep_stream_fd, s);
	s->runtime_frames = stf__runtime_frames_start(here);
	/* a descriptor of a block only the stacks keep is no more kept by
	 * the stacks too: the frames of the loop running on that base hold
	 * its descriptors (libevent's dispatch, the callback's argument) */
	s->in_stacks = pass == FD_PASS_STARTUP;
	int stacks = stf__sweep_stacks(s, x->dst, here);
	s->in_stacks = 0;
	if (stacks == 0) {
		for (int fd = 0; fd < MAX_SWEPT_FD; fd++)
			if ((s->fd_state[fd] & (flag | FD_IN_KEPT | FD_IN_LOOP)) == flag)
				close(fd);
	}
	s->fd_pass = 0;
}

/* The startup's descriptors only blocks the stacks alone keep name
 * (FD_IN_LOOP, not FD_IN_KEPT): in use by a loop a thread runs on its
 * startup's base until the commit, then left; noted for the next update
 * (loop-fds.c), which drops that base. */
static void note_loop_fds(const struct sweep *s)
{
	char target[64];
	for (int fd = 0; fd < MAX_SWEPT_FD; fd++)
		if ((s->fd_state[fd] & (FD_STARTUP | FD_IN_LOOP | FD_IN_KEPT)) ==
			    (FD_STARTUP | FD_IN_LOOP) &&
		    fd_target(getpid(), fd, target, sizeof(target)))
			stf__loop_fds_note(fd, target);
}

/* stf__loop_fds_past: an inherited descriptor the update before noted,
 * still the same file, is FD_NOTED. */
void stf__sweep_mark_noted(void *ctx, int fd, const char *target)
{
	struct sweep *s = ctx;
	char now[64];
	if (fd >= 0 && fd < MAX_SWEPT_FD && (s->fd_state[fd] & FD_INHERITED) &&
	    fd_target(getpid(), fd, now, sizeof(now)) && !strcmp(now, target))
		s->fd_state[fd] |= FD_NOTED;
}

/*
 * After the marking: close the startup's descriptors that only the blocks
 * about to be freed name (the epoll instance and notification pipe of a
 * dropped libevent base, the log files of a startup's configuration an
 * old one was transferred into, inplace.c) or the statics and locals the
 * transfer overwrote named.  A descriptor is a number, so this is decided
 * by value, conservatively: it must be of a kind an event library keeps
 * (closable_kind), its number an aligned int in such a block, and nowhere
 * in the memory the new version keeps that may hold one of its own
 * descriptors - the kept candidates and other startup objects, the
 * stacks (the main thread's up to main's frame: above it lie the C
 * runtime's frames that call main), the executable's statics (those the
 * plugin describes: the rest of its data is the C runtime's variables
 * copied there, such as getopt's `optind`, and the compiler's), the
 * writable data of the libraries but the C runtime's and libstf's, except what the
 * transfer overwrote with the old version's values (the statics of
 * unchanged types, the libraries' data it carried, the startup blocks
 * old objects went into): there a number names an old descriptor, never
 * one the new startup opened.  The C runtime holds a program's
 * descriptor in a stdio stream (runtime-state.c), never as a bare number
 * in its data: an int there equal to a log's number (a counter of the
 * dynamic linker's) kept nginx's logs open.  A number found by chance
 * elsewhere keeps a descriptor open; it is never closed on a guess.
 */
void stf__sweep_fds(struct sweep *s, struct stf_xfer *x, size_t nstartup, uint64_t here)
{
	struct stf_range *skip;
	size_t nskip = 0;
	int any = 0;

	s->want = FD_STARTUP;
	for (size_t k = 0; k < s->ncand; k++)
		if (!(s->cand[k].value & CAND_KEPT))
			find_fds(s, s->cand[k].start, s->cand[k].start + s->cand[k].size, FD_IN_FREED);
	stf__inplace_dropped_each(find_fds_dropped, s);
	stf__sweep_find_fds_overwritten(s, x);
	for (int fd = 0; fd < MAX_SWEPT_FD; fd++)
		any |= (s->fd_state[fd] & FD_IN_FREED) != 0;
	for (size_t k = 0; k < s->ncand; k++)
		any |= (s->cand[k].value & (CAND_KEPT | CAND_UNHELD)) == (CAND_KEPT | CAND_UNHELD);
	if (!any || !(skip = stf__raw_malloc((x->src->nobjs + nstartup + stf__exe_nunits + 1) *
					     sizeof(*skip))))
		return;
	for (size_t i = 0; i < x->src->nobjs; i++) {
		const struct stf_obj *d;
		if (!x->pair[i].scheduled || x->pair[i].dst < 0)
			continue;
		d = &x->dst->objs[x->pair[i].dst];
		if (d->kind == STF_OBJ_STATIC && x->pair[i].same && !stf__is_lib_data(d))
			skip[nskip++] = (struct stf_range){ d->addr, d->size, 0 };
	}
	/* catalogued last before the transfer, after the indexed objects */
	for (size_t k = nstartup; k-- > 0 && stf__is_lib_data(&x->dst->objs[k]);)
		skip[nskip++] = (struct stf_range){ x->dst->objs[k].addr, x->dst->objs[k].size, 0 };
	/* the startup's blocks old objects went into */
	for (size_t k = 0; k < nstartup; k++)
		if (stf__sweep_taken_in_place(&x->dst->objs[k]))
			skip[nskip++] = (struct stf_range){ x->dst->objs[k].addr,
							    x->dst->objs[k].size, 0 };
	/* the cells in which libstf numbered each unit's allocation sites
	 * (runtime/sites.c): consecutive small numbers in the data of an
	 * instrumented library (the executable's own are no static), never
	 * a descriptor */
	for (size_t u = 0; u < stf__exe_nunits; u++) {
		const struct stf_unit *unit = stf__exe_units[u];
		if (stf_unit_site_ids(unit))
			skip[nskip++] = (struct stf_range){
				(uint64_t)(uintptr_t)stf_unit_site_ids(unit),
				((const struct stf_blob_hdr *)stf_unit_blob(unit))->site_ids.count *
					sizeof(uint32_t), 0 };
	}
	qsort(skip, nskip, sizeof(*skip), stf__sweep_cmp_range);
	s->skip = skip;
	s->nskip = nskip;
	close_unkept_fds(s, x, nstartup, here, FD_PASS_STARTUP, FD_IN_FREED);
	note_loop_fds(s);
	s->skip = NULL;
	s->nskip = 0;
	stf__raw_free(skip);
}

/* The inherited descriptors (FD_INHERITED) whose numbers are aligned ints
 * in the old blocks the transfer dropped (x->unreached) get FD_LEFT;
 * whether any did. */
int stf__sweep_find_fds_left(struct sweep *s, const struct stf_xfer *x)
{
	const struct stf_peer *src = x->src;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int any = 0;

	for (int fd = 0; fd < MAX_SWEPT_FD && !any; fd++)
		any = (s->fd_state[fd] & FD_INHERITED) != 0;
	if (!any || !x->unreached)
		return 0;
	s->want = FD_INHERITED;
	for (size_t i = 0; i < src->nobjs; i++) {
		const struct stf_obj *o = &src->objs[i];
		const uint8_t *bytes = o->bytes;
		if (!x->unreached[i] || !o->size)
			continue;
		if (!bytes) {
			if (cap < o->size) {
				stf__raw_free(buf);
				cap = (buf = stf__raw_malloc(o->size)) ? o->size : 0;
			}
			if (!buf || stf__peer_read(src, o->addr, buf, o->size) < 0)
				continue; /* unread: its descriptors stay open */
			bytes = buf;
		}
		find_fds(s, (uint64_t)(uintptr_t)bytes, (uint64_t)(uintptr_t)bytes + o->size, FD_LEFT);
	}
	stf__raw_free(buf);
	any = 0;
	for (int fd = 0; fd < MAX_SWEPT_FD; fd++)
		any |= (s->fd_state[fd] & FD_LEFT) != 0;
	return any;
}

/*
 * Close the inherited descriptors of an event library's kind that only
 * the old blocks the transfer dropped named (FD_LEFT): the epoll
 * instance and pipes of a base the startup before made and nothing
 * carried reaches any more (unreached.c).  The same conservative rule as
 * sweep_fds', but over all the memory the new version keeps, the
 * transferred state included (which names the old version's descriptors
 * by their numbers): an int there equal to one keeps it open.  Those the
 * update before noted as only a running loop's (loop-fds.c) are closed
 * without that test: in a large program the state holds every small
 * number (memcached's statistics and main's locals held them all).  The
 * blocks that named them then are unreachable now, from the paired
 * locals too; a program that copied such a number elsewhere after the
 * commit would lose that descriptor.
 */
void stf__sweep_left_fds(struct sweep *s, struct stf_xfer *x, size_t nstartup, uint64_t here)
{
	int any = 0;
	for (int fd = 0; fd < MAX_SWEPT_FD; fd++) {
		if ((s->fd_state[fd] & (FD_LEFT | FD_NOTED)) == (FD_LEFT | FD_NOTED)) {
			close(fd);
			s->fd_state[fd] = 0;
		}
		any |= (s->fd_state[fd] & FD_LEFT) != 0;
	}
	if (!any)
		return;
	s->want = FD_LEFT;
	close_unkept_fds(s, x, nstartup, here, FD_PASS_LEFT, FD_LEFT);
}
