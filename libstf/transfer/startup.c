/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * startup.c - the new version's own startup objects after the forward
 * transfer (DESIGN.md, "Chained updates").
 *
 * F runs its startup before its update point: what it allocates there
 * (a default configuration, an empty table...) is usually replaced by the
 * old version's state, whose pointers now hold the statics that pointed
 * to it.  Left in the heap, these orphans would be state of the next
 * update with nothing to pair them with.  After the forward transfer F
 * frees those it can prove unreachable, and keeps the others:
 *
 *  - candidates are F's startup heap blocks and mappings of the program's
 *    own allocation sites, and the heap blocks of the libraries whose
 *    writable data the transfer replaced with the old version's
 *    (libraries.c: libevent's base and its arrays, made by the new
 *    startup's event_base_new(), when the old base is carried).  Blocks of the other libraries (the C
 *    runtime's, libstf's) are never freed: their data was not replaced,
 *    so they are the library's state as the new version uses it;
 *  - roots, scanned conservatively (every aligned word that points into a
 *    candidate keeps it): every other tracked object, the writable data of
 *    the executable and of every library (their .bss included), the data
 *    words of every epoll registration, the stack of every thread parked
 *    at an update or wait point of this process from where the program's
 *    part of it begins (the registers the point saved, then the
 *    program's frames: update.h, STF_PROGRAM_FRAMES_FROM; below lie
 *    libstf's frames, whose unwritten slots hold dead copies of what the
 *    thread handled before) and the point's locals below that, the stack
 *    mapping of every other thread from its stack pointer up (a thread
 *    the startup started may be inside a library loop on a base of its
 *    own), and the main thread's static thread-local block;
 *  - a kept candidate is scanned in turn.
 *
 * An unreachable library block was the library's state only through the
 * library data the transfer replaced, so no code of the new version can
 * reach it any more.  The descriptors the startup opened that such blocks
 * held (a dropped base's epoll instance and notification pipe), or the
 * startup blocks old objects were transferred into (inplace.c: a log
 * file), or the statics the transfer overwrote (an epoll instance the
 * startup kept in one), are closed too, but a descriptor is a number, not
 * a pointer: see startup-fds.c for how conservatively.
 *
 * So are the descriptors inherited from the old version that only its
 * blocks the transfer dropped name (unreached.c): a base the startup
 * before made, which a thread ran its loop on at that update's commit
 * (memcached's workers parked inside event_base_loop()), was kept then
 * and has been used by no one since; its epoll instance and pipes would
 * stay open in every version after (stf__sweep_left_fds).
 */
#include <fcntl.h>
#include <stdio.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "defined-scan.h"
#include "engine.h"
#include "epoll.h"
#include "heap.h"
#include "inplace.h"
#include "loop-fds.h"
#include "remote.h"
#include "rebind.h"
#include "static-tls.h"
#include "sweep.h"
#include "update.h"

static void mark(struct sweep *s, uint64_t v)
{
	/* most words of a big state are no address of the startup's (text,
	 * numbers, zeros, the transferred objects elsewhere): a binary search
	 * each took most of 200 ms in Redis's sweep */
	if (v - s->lo >= s->span)
		return;
	size_t lo = 0, hi = s->ncand;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		/* inside, not one past the end: heap blocks are adjacent, the
		 * next block starts there */
		if (v < s->cand[mid].start)
			hi = mid;
		else if (v - s->cand[mid].start >= (s->cand[mid].size ? s->cand[mid].size : 1))
			lo = mid + 1;
		else {
			if (!(s->cand[mid].value & CAND_KEPT)) {
				s->cand[mid].value |= CAND_KEPT;
				s->work[s->nwork++] = mid;
			}
			return;
		}
	}
}

/* stf__epoll_data_each: a registration's data word is a root. */
static void mark_epoll_data(void *ctx, uint64_t data)
{
	mark(ctx, data);
}

static void mark_words(void *ctx, uint64_t start, uint64_t end, uint8_t unused)
{
	struct sweep *s = ctx;
	(void)unused;
	start = (start + 7) & ~7ULL;
	for (uint64_t a = start; a + 8 <= end; a += 8)
		mark(s, *(const uint64_t *)(uintptr_t)a);
}

void stf__sweep_scan(struct sweep *s, uint64_t start, uint64_t end)
{
	if (s->fd_pass)
		stf__sweep_find_fds_kept(s, start, end);
	else
		stf__defined_scan(mark_words, s, start, end, 0);
}

int stf__sweep_cmp_range(const void *a, const void *b)
{
	const struct stf_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The writable segments (.data, .bss) of the executable and of every
 * library, from their program headers. */
int stf__sweep_image(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct sweep *s = arg;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uint64_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
		if (s->fd_pass) {
			/* libstf's own data holds none of the program's
			 * descriptors, nor does the C runtime's but its
			 * streams', nor the executable's but its statics
			 * (see stf__sweep_fds); what RELRO protects (.dynamic,
			 * the GOT) none at all, but numbers that look like
			 * some */
			uint64_t own = (uint64_t)(uintptr_t)&stf__own_startup;
			if ((own >= start && own < end) || !info->dlpi_name || !*info->dlpi_name ||
			    stf__lib_is_runtime(info->dlpi_name))
				continue;
			for (int r = 0; r < info->dlpi_phnum; r++) {
				const ElfW(Phdr) *rp = &info->dlpi_phdr[r];
				uint64_t relro_end = info->dlpi_addr + rp->p_vaddr + rp->p_memsz;
				if (rp->p_type == PT_GNU_RELRO && relro_end > start && relro_end <= end)
					start = relro_end;
			}
		}
		stf__sweep_scan(s, start, end);
	}
	return 0;
}

/* The main thread's static thread-local block lies below its thread
 * pointer (x86-64), in memory the dynamic linker mapped: at most this much
 * of it is scanned, from its lowest module's block up. */
#define MAIN_TLS_SCAN (64u << 10)

/* Where the main thread's stack began (argc): exported by the dynamic
 * linker. */
extern void *__libc_stack_end;

/* Is tp the thread pointer of a parked thread other than the caller? */
static int other_thread_tp(const struct stf_peer *dst, uint64_t tp)
{
	if (tp == (uint64_t)(uintptr_t)__builtin_thread_pointer())
		return 0;
	for (size_t t = 0; t < dst->ntls; t++)
		if (dst->tls[t].tp == tp)
			return 1;
	return 0;
}

/* The stack pointer of thread tid, blocked in a system call (a parked
 * thread waits in one), from /proc/self/task/TID/syscall; 0 if unknown. */
static uint64_t blocked_sp(uint64_t tid)
{
	char path[64], buf[256];
	unsigned long long v[9];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%llu/syscall", (unsigned long long)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "NR ARG1 ... ARG6 SP PC" ("running" when not in a call) */
	if (sscanf(buf, "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
		return 0;
	return v[7];
}

/* Is func (a code address from the unwind information) the start of the
 * function holding the update or wait point thread t is parked at?  Not
 * if that function was inlined into its caller. */
static int point_function(const struct stf_peer *dst, const struct stf_peer_thread *t,
			  uint64_t func)
{
	const char *wait = strstr(t->func, " [wait]");
	size_t n = wait ? (size_t)(wait - t->func) : strlen(t->func);

	for (size_t k = 0; func && k < dst->nobjs; k++) {
		const struct stf_obj *o = &dst->objs[k];
		if (o->kind != STF_OBJ_FUNC || o->addr != func || !o->id)
			continue;
		/* a function's ID: its name, or "file:name" if static */
		const char *colon = strrchr(o->id, ':');
		const char *name = colon ? colon + 1 : o->id;
		if (strlen(name) == n && !strncmp(name, t->func, n))
			return 1;
	}
	return 0;
}

/* If a parked thread's program frames begin at `from`, scan the registers
 * its point saved there but those holding the dead values of the
 * function that called the point (update.c, program_registers); return
 * where its frames begin. */
static uint64_t scan_saved_registers(struct sweep *s, const struct stf_program_frames *parked,
				     size_t nparked, uint64_t from, uint64_t end)
{
	for (size_t t = 0; t < nparked; t++) {
		const struct stf_program_frames *pf = &parked[t];
		if (pf->from != from || from + STF_SAVED_REGS * 8 > end)
			continue;
		for (unsigned r = 0; r < STF_SAVED_REGS; r++) {
			uint64_t a = from + r * 8, v = *(const uint64_t *)(uintptr_t)a;
			int dead = 0;
			for (unsigned d = 0; d < pf->ndead && !dead; d++)
				dead = pf->dead[d] == v;
			if (!dead)
				stf__sweep_scan(s, a, a + 8);
		}
		return from + STF_SAVED_REGS * 8;
	}
	return from;
}

/* Stacks, from /proc/self/maps: the main stack from sp up, the mapping
 * of every other thread's thread pointer (its stack and thread-local
 * block) from where its program frames begin if it is parked here, else
 * from where its stack pointer is (whole if unknown), the locals of the
 * points below those, and the caller's thread-local block. */
int stf__sweep_stacks(struct sweep *s, struct stf_peer *dst, uint64_t sp)
{
	uint64_t own_tp = (uint64_t)(uintptr_t)__builtin_thread_pointer();
	uint64_t *sps = stf__raw_malloc((dst->nthreads + 1) * sizeof(*sps));
	struct stf_program_frames *parked = stf__raw_malloc((dst->nthreads + 1) * sizeof(*parked));
	size_t nsps = 0, nparked = 0;

	/* a thread parked at an update or wait point of this process from
	 * where its program frames begin, as the main thread; another from
	 * where it blocked */
	for (size_t t = 0; sps && parked && t < dst->nthreads; t++) {
		struct stf_program_frames *pf = &parked[nparked];
		if (!stf__parked_program_frames(dst->threads[t].tid, pf))
			pf = NULL;
		else if (!point_function(dst, &dst->threads[t], pf->func))
			pf->ndead = 0;
		if (pf)
			nparked++;
		if (dst->threads[t].tid != (uint64_t)syscall(SYS_gettid) &&
		    ((pf && (sps[nsps] = pf->from)) || (sps[nsps] = blocked_sp(dst->threads[t].tid))))
			nsps++;
	}
	/* the points' locals, picked out once: they are looked for in every
	 * writable mapping (Redis's new version has ~600, its catalog 18,000
	 * startup objects: 0.2 s per pass when walked per mapping) */
	size_t nlocals = 0;
	const struct stf_obj **locals = stf__raw_malloc((dst->nobjs + 1) * sizeof(*locals));
	for (size_t k = 0; locals && k < dst->nobjs; k++)
		if (dst->objs[k].kind == STF_OBJ_LOCAL)
			locals[nlocals++] = &dst->objs[k];
	size_t cap = 1 << 16, len = 0;
	char *buf = stf__raw_malloc(cap + 1);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0 || !sps || !parked || !locals) {
		stf__raw_free(buf);
		stf__raw_free(sps);
		stf__raw_free(parked);
		stf__raw_free(locals);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb = stf__raw_realloc(buf, 2 * cap + 1);
			if (!nb) {
				close(fd);
				stf__raw_free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = 0;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n'), *p;
		if (nl)
			*nl = 0;
		uint64_t start = strtoull(line, &p, 16), end = strtoull(p + 1, &p, 16);
		char perms[5] = { 0 };
		memcpy(perms, p + 1, 4);
		if (perms[1] == 'w' && perms[0] == 'r') {
			uint64_t from = sp >= start && sp < end ? sp : end;
			/* the fd pass: not the C runtime's frames main runs
			 * in, whose slots hold dead values of what ran before
			 * it, nor the auxiliary vector and strings above them
			 * (AT_* tags are small numbers) */
			uint64_t top = (uint64_t)(uintptr_t)__libc_stack_end;
			if (s->fd_pass && top >= start && top < end) {
				end = top;
				if (s->runtime_frames >= start && s->runtime_frames < end)
					end = s->runtime_frames;
			}
			uint64_t thread_sp = end;
			for (size_t t = 0; t < nsps; t++)
				if (sps[t] >= start && sps[t] < thread_sp)
					thread_sp = sps[t];
			for (size_t t = 0; t < dst->ntls; t++)
				if (dst->tls[t].tp >= start && dst->tls[t].tp < end &&
				    other_thread_tp(dst, dst->tls[t].tp) &&
				    (thread_sp < end ? thread_sp : start) < from)
					from = thread_sp < end ? thread_sp : start;
			/* the caller's thread-local block, when it is not in
			 * its stack's mapping (the main thread's): another
			 * thread's lies above its frames, scanned with them,
			 * and below its stack pointer are dead frames */
			if (own_tp >= start && own_tp < end && !(sp >= start && sp < end)) {
				uint64_t low = own_tp - start > MAIN_TLS_SCAN ? own_tp - MAIN_TLS_SCAN : start;
				uint64_t high = from < end ? from : end, lowest, mine_lo, mine_hi;
				stf__static_tls(&lowest, &mine_lo, &mine_hi);
				if (lowest > low)
					low = lowest;
				if (mine_lo >= low && mine_hi <= high) {  /* libstf's own: skipped */
					stf__sweep_scan(s, low, mine_lo);
					low = mine_hi;
				}
				if (low < high)
					stf__sweep_scan(s, low, high);
			}
			from = scan_saved_registers(s, parked, nparked, from, end);
			stf__sweep_scan(s, from, end);
			/* a point's locals below where its program frames begin
			 * (a wait point's cond and mutex, its own parameters) */
			for (size_t k = 0; k < nlocals; k++) {
				const struct stf_obj *o = locals[k];
				if (o->addr >= start && o->addr < from)
					stf__sweep_scan(s, o->addr, o->addr + o->size < from ? o->addr + o->size : from);
			}
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	stf__raw_free(buf);
	stf__raw_free(sps);
	stf__raw_free(parked);
	stf__raw_free(locals);
	return 0;
}

/* stf__objects_each: scan a tracked object that is neither a candidate
 * nor inside one (an object an STF_ALLOCATOR function handed out of a
 * candidate block, a slab chunk: part of the block, scanned with it if the
 * block is kept; as a root it would keep its own block). */
int stf__sweep_object(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct sweep *s = ctx;
	size_t lo = 0, hi = s->ncand;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->cand[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* cand[lo - 1]: the last candidate starting at or before addr */
	if (lo && addr - s->cand[lo - 1].start < (s->cand[lo - 1].size ? s->cand[lo - 1].size : 1))
		return 0;
	/* the startup's descriptors: what the transfer allocated holds the
	 * old version's values, which name the old version's descriptors */
	if (s->fd_pass == FD_PASS_STARTUP && !stf__index_find(&stf__own_startup, addr, 0))
		return 0;
	if (kind == STF_SLOT_MMAP && !(stf__mapping_prot(getpid(), addr, size) & PROT_READ))
		return 0; /* not readable (or gone) */
	stf__sweep_scan(s, addr, addr + size);
	return 0;
}

/* The libraries whose writable data the transfer replaced: the file names
 * the allocation sites of their blocks go by ("<file>+0x<offset>", the
 * name the dynamic linker loaded, which /proc/self/maps may give through a
 * symbolic link), found by where their library data objects lie. */
#define MAX_CARRIED 64

struct carried {
	const struct stf_peer *dst;
	size_t nstartup;
	const char *names[MAX_CARRIED];
	size_t n;
};

static int find_carried(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct carried *c = arg;
	(void)size;
	if (c->n == MAX_CARRIED || !info->dlpi_name || !*info->dlpi_name)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uint64_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
		/* catalogued last before the transfer, after the indexed objects */
		for (size_t k = c->nstartup; k-- > 0 && stf__is_lib_data(&c->dst->objs[k]);) {
			if (c->dst->objs[k].addr < start || c->dst->objs[k].addr >= end)
				continue;
			const char *slash = strrchr(info->dlpi_name, '/');
			c->names[c->n++] = slash ? slash + 1 : info->dlpi_name;
			return 0;
		}
	}
	return 0;
}

/* Was the block of site `id` allocated by one of those libraries? */
static int carried_library(const struct carried *c, const char *id)
{
	const char *plus = strstr(id, "+0x");
	size_t n = plus ? (size_t)(plus - id) : 0;

	for (size_t k = 0; n && k < c->n; k++)
		if (strlen(c->names[k]) == n && !strncmp(c->names[k], id, n))
			return 1;
	return 0;
}

/* A readable mapping the startup made at a site of the program and still
 * has (the transfer re-creates the old version's mappings at their own
 * addresses: one of the same site is then an orphan, unless the old one
 * replaced it at the same address, stf__mmap_with). */
static int startup_mapping(const struct stf_obj *o)
{
	int prot;
	return o->kind == STF_OBJ_MMAP && o->dyn_id && o->size &&
	       !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL)) &&
	       stf__mapping_id_at(o->addr) == o->dyn_id &&
	       (prot = stf__mapping_prot(getpid(), o->addr, o->size)) >= 0 && (prot & PROT_READ);
}

/* Scan the candidates marked and not scanned yet, and those they mark. */
static void reach_from_work(struct sweep *s)
{
	while (s->nwork) {
		const struct stf_range *c = &s->cand[s->work[--s->nwork]];
		stf__sweep_scan(s, c->start, c->start + c->size);
	}
}

int stf__free_startup(struct stf_xfer *x, size_t nstartup)
{
	struct stf_peer *dst = x->dst;
	struct sweep s = { 0 };
	/* the main stack from the update point's frame up: the program's
	 * frames and the registers they had saved, not libstf's frames
	 * (whose unused slots hold stale copies of what the startup
	 * allocated) */
	uint64_t here = stf__handover_frame();
	if (!here)
		here = (uint64_t)(uintptr_t)&s;
	int rc = -1;

	struct carried carried = { .dst = dst, .nstartup = nstartup };

	dl_iterate_phdr(find_carried, &carried);
	s.cand = stf__raw_malloc((nstartup + 1) * sizeof(*s.cand));
	s.work = stf__raw_malloc((nstartup + 1) * sizeof(*s.work));
	if (!s.cand || !s.work)
		goto out;
	for (size_t k = 0; k < nstartup; k++) {
		const struct stf_obj *o = &dst->objs[k];
		if (startup_mapping(o)) {
			s.cand[s.ncand++] = (struct stf_range){ o->addr, o->size, CAND_MAPPING };
			continue;
		}
		if (o->kind != STF_OBJ_HEAP || !o->dyn_id || !o->size ||
		    (o->flags & STF_OBJF_INTERNAL) ||
		    ((o->flags & STF_OBJF_EXTERNAL) && !carried_library(&carried, o->id)))
			continue;
		if (stf__sweep_taken_in_place(o))
			continue; /* state now */
		s.cand[s.ncand++] = (struct stf_range){ o->addr, o->size, 0 };
	}
	stf__loop_fds_reset();
	int fds_read = stf__sweep_startup_fds(&s, x->src->pid) == 0;
	if (fds_read)
		stf__loop_fds_past(x->src, stf__sweep_mark_noted, &s);
	int left = fds_read && stf__sweep_find_fds_left(&s, x);
	if (!s.ncand && !left && !stf__inplace_dropped_any() && !stf__rebind_any_dup() &&
	    (!fds_read || !stf__sweep_find_fds_overwritten(&s, x))) {
		/* nothing to sweep: no need to scan the whole state */
		rc = 0;
		goto out;
	}
	qsort(s.cand, s.ncand, sizeof(*s.cand), stf__sweep_cmp_range);
	if (s.ncand) {
		s.lo = s.cand[0].start;
		for (size_t k = 0; k < s.ncand; k++) {
			uint64_t end = s.cand[k].start + (s.cand[k].size ? s.cand[k].size : 1);
			if (end - s.lo > s.span)
				s.span = end - s.lo;
		}
	}
	/* every tracked object that is not a candidate */
	stf__objects_each(stf__sweep_object, &s);
	dl_iterate_phdr(stf__sweep_image, &s);
	stf__epoll_data_each(mark_epoll_data, &s);
	reach_from_work(&s);
	/* then what the stacks alone keep */
	for (size_t k = 0; k < s.ncand; k++)
		if (!(s.cand[k].value & CAND_KEPT))
			s.cand[k].value |= CAND_UNHELD;
	if (stf__sweep_stacks(&s, dst, here) < 0)
		goto out;
	reach_from_work(&s);
	if (fds_read)
		stf__sweep_fds(&s, x, nstartup, here);
	if (left)
		stf__sweep_left_fds(&s, x, nstartup, here);
	for (size_t k = 0; k < s.ncand; k++) {
		if (s.cand[k].value & CAND_KEPT) {
			x->rep->startup_kept++;
		} else {
			if (s.cand[k].value & CAND_MAPPING)
				munmap((void *)(uintptr_t)s.cand[k].start, s.cand[k].size);
			else
				free((void *)(uintptr_t)s.cand[k].start);
			x->rep->startup_freed++;
		}
	}
	rc = 0;
out:
	stf__inplace_release();
	stf__raw_free(s.cand);
	stf__raw_free(s.work);
	return rc;
}
