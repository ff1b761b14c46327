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
 *  - candidates are F's startup heap blocks of the program's own
 *    allocation sites (blocks a library allocated are never freed: the
 *    library may hold them where no scan looks);
 *  - roots, scanned conservatively (every aligned word that points into a
 *    candidate, one past its end included, keeps it): every other tracked
 *    object, the writable data of the executable and of every library
 *    (their .bss included), the main stack from the update point's locals
 *    up, and the stack of every thread parked with locals, from its
 *    locals up (its callers' frames, its thread-local block);
 *  - a kept candidate is scanned in turn.
 */
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "engine.h"
#include "heap.h"
#include "remote.h"

struct sweep {
	struct stf_range *cand;   /* candidates by address (value: marked) */
	size_t ncand;
	uint64_t *work;           /* candidates to scan */
	size_t nwork;
};

static void mark(struct sweep *s, uint64_t v)
{
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
			if (!s->cand[mid].value) {
				s->cand[mid].value = 1;
				s->work[s->nwork++] = mid;
			}
			return;
		}
	}
}

static void scan(struct sweep *s, uint64_t start, uint64_t end)
{
	start = (start + 7) & ~7ULL;
	for (uint64_t a = start; a + 8 <= end; a += 8)
		mark(s, *(const uint64_t *)(uintptr_t)a);
}

static int cmp_range(const void *a, const void *b)
{
	const struct stf_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The writable segments (.data, .bss) of the executable and of every
 * library, from their program headers. */
static int scan_image(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uint64_t start = info->dlpi_addr + ph->p_vaddr;
		scan(arg, start, start + ph->p_memsz);
	}
	return 0;
}

/* Stacks, from /proc/self/maps: the main stack from sp up, and those
 * holding a parked thread's locals from the locals up. */
static int scan_stacks(struct sweep *s, struct stf_peer *dst, uint64_t sp)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = stf__raw_malloc(cap + 1);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		stf__raw_free(buf);
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
			for (size_t k = 0; k < dst->nobjs; k++) {
				const struct stf_obj *o = &dst->objs[k];
				if (o->kind == STF_OBJ_LOCAL && o->addr >= start && o->addr < from)
					from = o->addr;
			}
			scan(s, from, end);
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	stf__raw_free(buf);
	return 0;
}

/* stf__objects_each: scan a tracked object that is not a candidate. */
static int scan_unless_candidate(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct sweep *s = ctx;
	size_t lo = 0, hi = s->ncand;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->cand[mid].start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->ncand && s->cand[lo].start == addr)
		return 0;
	if (kind == STF_SLOT_MMAP && !(stf__mapping_prot(getpid(), addr, size) & PROT_READ))
		return 0; /* not readable (or gone) */
	scan(s, addr, addr + size);
	return 0;
}

int stf__free_startup(struct stf_xfer *x, size_t nstartup)
{
	struct stf_peer *dst = x->dst;
	struct sweep s = { 0 };
	/* the main stack from the update point's locals up: the program's
	 * frames, not libstf's (whose unused slots hold stale copies of
	 * what the startup allocated) */
	const struct stf_parked_frame *own = stf__xfer_own_frame();
	uint64_t here = own && own->unit && own->locals ? own->locals : (uint64_t)(uintptr_t)&s;
	int rc = -1;

	s.cand = stf__raw_malloc((nstartup + 1) * sizeof(*s.cand));
	s.work = stf__raw_malloc((nstartup + 1) * sizeof(*s.work));
	if (!s.cand || !s.work)
		goto out;
	for (size_t k = 0; k < nstartup; k++) {
		const struct stf_obj *o = &dst->objs[k];
		if (o->kind != STF_OBJ_HEAP || !o->dyn_id || !o->size ||
		    (o->flags & (STF_OBJF_EXTERNAL | STF_OBJF_INTERNAL)))
			continue;
		s.cand[s.ncand++] = (struct stf_range){ o->addr, o->size, 0 };
	}
	if (!s.ncand) { /* nothing to sweep: no need to scan the whole state */
		rc = 0;
		goto out;
	}
	qsort(s.cand, s.ncand, sizeof(*s.cand), cmp_range);
	/* every tracked object that is not a candidate */
	stf__objects_each(scan_unless_candidate, &s);
	dl_iterate_phdr(scan_image, &s);
	if (scan_stacks(&s, dst, here) < 0)
		goto out;
	while (s.nwork) {
		const struct stf_range *c = &s.cand[s.work[--s.nwork]];
		scan(&s, c->start, c->start + c->size);
	}
	for (size_t k = 0; k < s.ncand; k++) {
		if (s.cand[k].value) {
			x->rep->startup_kept++;
		} else {
			free((void *)(uintptr_t)s.cand[k].start);
			x->rep->startup_freed++;
		}
	}
	rc = 0;
out:
	stf__raw_free(s.cand);
	stf__raw_free(s.work);
	return rc;
}
