/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib-threads.c - threads a library starts that run no program code (see
 * lib-threads.h).
 *
 * GIO starts GLib's worker thread, gmain, the first time it makes a GTask
 * (g_socket_listener_add_address makes one): the thread iterates GLib's
 * private worker context for ever, blocked in poll, every signal blocked.
 * It never reaches an update point, and no signal reaches it, so the
 * quiescence waited for it until its timeout and the update rolled back.
 *
 * Such a thread is quiescent while it is blocked in the library: a thread
 * blocked in the kernel changes no memory.  It is not stopped (it could
 * not be: its signals are blocked), it is checked, at every sweep of the
 * quiescence.  A thread started through pthread_create (respawn.c's
 * trampoline notes it here, with the address of its first frame) that
 * never entered a function holding an update point counts as parked when
 *  - its start routine is no function of the program's (the executable's
 *    code: only the executable is instrumented),
 *  - it is blocked in a wait of the kernel (poll, select, epoll, a futex,
 *    a sleep) called from outside the program's code,
 *  - no word of its stack from there up to its first frame is an address
 *    in the program's code: no frame of the program's is under way.  A
 *    library thread that holds such an address in a frame is taken for
 *    one running program code (conservative: the update times out as
 *    before, naming it), and
 *  - its context switches did not change while it was being checked.
 * The last sweep's are published with the parked threads' frames
 * (stf__root); the new version checks once it has read the process that
 * their context switches have not changed since (one that ran may have
 * changed what was read: the update rolls back naming it), and starts
 * them again at its commit (transfer/lib-restart.c).
 *
 * The quiescer allocates nothing: the proc files and the stack are read
 * into static buffers, under stf__q_lock.  A thread that ends by
 * pthread_exit keeps its record until a thread of its ID begins (the
 * kernel reuses IDs of ended threads only); a thread ID with no record
 * (a thread made by clone behind libstf's back) is never a library's.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib-threads.h"
#include "parked.h"

/* Threads started through pthread_create, by thread ID (open addressing
 * from tid % MAX_STARTED; a freed slot's tid is 0, a slot being filled
 * has -1). */
#define MAX_STARTED 4096
static struct started {
	_Atomic pid_t tid;
	uint64_t start, arg;
	uintptr_t top;
} started[MAX_STARTED];

static __thread int own_slot __attribute__((tls_model("initial-exec"))) = -1;

void stf__thread_began(const volatile struct stf_thread_start *from, uintptr_t top)
{
	pid_t tid = stf__gettid_raw(), none = 0;
	size_t h = (size_t)tid % MAX_STARTED;

	for (size_t i = 0; i < MAX_STARTED; i++) {
		struct started *s = &started[(h + i) % MAX_STARTED];
		pid_t was = atomic_load_explicit(&s->tid, memory_order_relaxed);
		/* a record of this ID is an ended thread's */
		if ((was == tid && atomic_compare_exchange_strong(&s->tid, &was, -1)) ||
		    (was == 0 && atomic_compare_exchange_strong(&s->tid, &none, -1))) {
			s->start = from->fn;
			s->arg = from->arg;
			s->top = top;
			atomic_store_explicit(&s->tid, tid, memory_order_release);
			own_slot = (int)((h + i) % MAX_STARTED);
			return;
		}
		none = 0;
	}
	/* full: this thread is never taken for a library's */
}

void stf__thread_ended(void)
{
	if (own_slot >= 0)
		atomic_store_explicit(&started[own_slot].tid, 0, memory_order_release);
	own_slot = -1;
}

/* A copy of tid's record; false if it has none. */
static bool find_started(pid_t tid, struct started *out)
{
	size_t h = (size_t)tid % MAX_STARTED;

	for (size_t i = 0; i < MAX_STARTED; i++) {
		const struct started *s = &started[(h + i) % MAX_STARTED];
		if (atomic_load_explicit(&s->tid, memory_order_acquire) != tid)
			continue;
		out->start = s->start;
		out->arg = s->arg;
		out->top = s->top;
		/* still its record (not ended and taken again meanwhile) */
		return atomic_load_explicit(&s->tid, memory_order_acquire) == tid;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The checks.                                                          */

static uintptr_t text_lo, text_hi; /* the executable's code */

static int executable_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (!text_lo || lo < text_lo)
			text_lo = lo;
		if (hi > text_hi)
			text_hi = hi;
	}
	return 1; /* the first object is the executable */
}

void stf__lib_threads_prepare(void)
{
	if (!text_hi)
		dl_iterate_phdr(executable_text, NULL);
}

static bool in_program(uint64_t addr)
{
	return addr >= text_lo && addr < text_hi;
}

static bool is_wait(long nr)
{
	switch (nr) {
	case SYS_futex:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		return true;
	}
	return stf__lib_thread_polls((uint64_t)nr);
}

bool stf__lib_thread_polls(uint64_t nr)
{
	switch (nr) {
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		return true;
	}
	return false;
}

static char proc_buf[4096];

static ssize_t read_proc(pid_t tid, const char *what)
{
	return stf__task_file(tid, what, proc_buf, sizeof proc_buf);
}

static uint64_t status_field(const char *name, int base)
{
	const char *p = strstr(proc_buf, name);
	return p ? strtoull(p + strlen(name), NULL, base) : 0;
}

/* Its context switches so far and its blocked signals; -1 if gone. */
static int read_status(pid_t tid, uint64_t *switches, uint64_t *sigblk)
{
	if (read_proc(tid, "status") < 0)
		return -1;
	*switches = status_field("\nvoluntary_ctxt_switches:", 10) +
		    status_field("\nnonvoluntary_ctxt_switches:", 10);
	*sigblk = status_field("\nSigBlk:", 16);
	return 0;
}

/* The system call it is blocked in, its first two arguments, its stack
 * pointer and where it was called from ("NR ARG1 .. ARG6 SP PC"); -1 if
 * it runs. */
static int read_syscall(pid_t tid, long *nr, uint64_t args[2], uint64_t *sp, uint64_t *pc)
{
	if (read_proc(tid, "syscall") < 0)
		return -1;
	char *p = proc_buf, *end;
	*nr = strtol(p, &end, 10);
	if (end == p)
		return -1; /* "running" */
	for (int field = 0; field < 6; field++) {
		uint64_t v = strtoull(end, &end, 16);
		if (field < 2)
			args[field] = v;
	}
	*sp = strtoull(end, &end, 16);
	*pc = strtoull(end, &end, 16);
	return *pc ? 0 : -1;
}

/* At most this much stack between a thread's wait and its first frame. */
#define MAX_SCANNED (64u << 20)

/* Does a word of [sp, top) hold an address in the program's code?  Read
 * through process_vm_readv: a thread that ended meanwhile reads as one
 * that does (not a library's). */
static bool stack_names_program(uint64_t sp, uint64_t top)
{
	static uint64_t chunk[512];

	for (uint64_t at = sp & ~(uint64_t)7; at < top; at += sizeof chunk) {
		size_t len = top - at < sizeof chunk ? (size_t)(top - at) : sizeof chunk;
		struct iovec local = { chunk, len }, remote = { (void *)(uintptr_t)at, len };
		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
			return true;
		for (size_t k = 0; k < len / sizeof *chunk; k++)
			if (in_program(chunk[k]))
				return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The sweeps.                                                          */

#define MAX_NOTED 64
static struct stf_library_thread noted[MAX_NOTED];
static size_t nnoted;

void stf__lib_threads_sweep_begin(void)
{
	nnoted = 0;
}

bool stf__lib_thread_quiet_locked(pid_t tid)
{
	struct started s;
	uint64_t before, after, sigblk, args[2], sp, pc;
	long nr;

	if (!text_hi || nnoted == MAX_NOTED || !find_started(tid, &s) || in_program(s.start) ||
	    read_status(tid, &before, &sigblk) < 0 || read_syscall(tid, &nr, args, &sp, &pc) < 0 ||
	    !is_wait(nr) || in_program(pc) || s.top <= sp || s.top - sp > MAX_SCANNED ||
	    stack_names_program(sp, s.top) || read_status(tid, &after, &sigblk) < 0 ||
	    after != before)
		return false;
	struct stf_library_thread *t = &noted[nnoted];
	memset(t, 0, sizeof *t);
	t->tid = (uint64_t)tid;
	t->start = s.start;
	t->arg = s.arg;
	t->nr = (uint64_t)nr;
	t->switches = after;
	t->sigblk = sigblk;
	if (nr == SYS_poll || nr == SYS_ppoll) {
		t->fds = args[0];
		t->nfds = args[1];
	}
	if (read_proc(tid, "comm") > 0)
		snprintf(t->name, sizeof t->name, "%.*s", (int)strcspn(proc_buf, "\n"), proc_buf);
	nnoted++;
	return true;
}

void stf__lib_threads_publish_locked(void)
{
	stf__root.library_threads = (uintptr_t)noted;
	stf__root.nlibrary_threads = nnoted;
}

const struct stf_library_thread *stf__lib_threads_own(size_t *n)
{
	*n = nnoted;
	return noted;
}
