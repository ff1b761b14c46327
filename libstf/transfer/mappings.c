/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mappings.c - mmap'd objects across versions: re-created at the old
 * version's address (the next version reserved it, STF_AVOID), so that a
 * word of bytes or of untyped memory pointing into one stays right as it
 * is; elsewhere only when that address is taken and no such word holds
 * it.  Their protection read from /proc/PID/maps, created writable and
 * protected once filled, given back their old size and address on the
 * way back; pointers into the memory the process tree shares, whose
 * contents are kept as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "tree.h"
#include "xfer.h"

/* The protection of the pages [addr, addr+size) of process pid, from
 * /proc/PID/maps: PROT_*, -1 if it cannot be read or a page is not mapped,
 * -2 if the pages have different protections, -3 if they are shared. */
int stf__mapping_prot(pid_t pid, uint64_t addr, uint64_t size)
{
	char path[64], line[512];
	int prot = -1;
	uint64_t covered = addr; /* the pages below are accounted for */
	size_t have = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (covered < addr + size) {
		ssize_t r = read(fd, line + have, sizeof(line) - 1 - have);
		if (r <= 0 && !have)
			break;
		have += r > 0 ? (size_t)r : 0;
		line[have] = 0;
		char *nl = strchr(line, '\n');
		if (!nl && have < sizeof(line) - 1 && r > 0)
			continue;
		if (nl)
			*nl = 0;
		unsigned long long lo, hi;
		char perm[5];
		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perm) == 3 && covered >= lo &&
		    covered < hi) {
			int p = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
				(perm[2] == 'x' ? PROT_EXEC : 0);
			if (perm[3] == 's') {
				prot = -3;
				break;
			}
			if (prot >= 0 && p != prot) {
				prot = -2;
				break;
			}
			prot = p;
			covered = hi;
		}
		/* the rest of the buffer (an over-long line is skipped) */
		size_t used = nl ? (size_t)(nl + 1 - line) : have;
		memmove(line, line + used, have - used);
		have -= used;
	}
	close(fd);
	return prot < -1 || covered >= addr + size ? prot : -1;
}

int stf__add_protect(struct stf_xfer *x, uint64_t addr, uint64_t size, int prot)
{
	struct stf_range *n = stf__raw_realloc(x->protect, (x->nprotect + 1) * sizeof(*n));
	if (!n)
		return -1;
	x->protect = n;
	n[x->nprotect++] = (struct stf_range){ addr, size, (uint64_t)prot };
	return 0;
}

/* Give the mappings created writable their protection. */
int stf__apply_protect(const struct stf_range *r, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (mprotect((void *)(uintptr_t)r[i].start, r[i].size, (int)r[i].value) < 0) {
			snprintf(err, errlen, "cannot set the protection of the mapping at "
				 "0x%" PRIx64 " (%" PRIu64 " bytes): %s", r[i].start, r[i].size,
				 strerror(errno));
			return -1;
		}
	return 0;
}

/* Backward: the size of the old version's mapping that the forward
 * transfer turned into o, if o's elements of type (du, dt) fit in it (the
 * rest are zero), else `size`. */
uint64_t stf__old_mapping_size(const struct stf_obj *o, const struct stf_meta_unit *du,
				 uint32_t dt, uint64_t size)
{
	const struct stf_range *r = stf__index_find(&stf__fwd_mappings, o->addr, 0);
	if (!r || r->start != o->addr || r->size != o->size || r->value >= size ||
	    !o->unit || !du || !o->bytes)
		return size;
	uint64_t esz = T(o->unit, strip(o->unit, o->type))->size;
	uint64_t desz = T(du, strip(du, dt))->size;
	uint64_t fit = desz ? r->value / desz * esz : 0;
	if (!esz || fit > o->size || !stf__all_zero(o->bytes + fit, o->size - fit))
		return size;
	return r->value;
}

uint64_t stf__mapping_home(const struct stf_xfer *x, const struct stf_obj *o, uint64_t *own)
{
	const struct stf_range *r = x->dir == STF_BACKWARD ?
		stf__index_find(&stf__fwd_mapping_from, o->addr, 0) : NULL;
	const struct stf_range *sz = r && r->start == o->addr ?
		stf__index_find(&stf__fwd_mappings, o->addr, 0) : NULL;
	*own = sz && sz->start == o->addr ? sz->value : o->size;
	return r && r->start == o->addr ? r->value : o->addr;
}

const char *stf__occupant(uint64_t start, uint64_t end, char *buf, size_t len)
{
	char line[512];
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	snprintf(buf, len, "memory this process maps");
	while (fd >= 0) {
		ssize_t r = read(fd, line + have, sizeof(line) - 1 - have);
		have += r > 0 ? (size_t)r : 0;
		line[have] = 0;
		char *nl = strchr(line, '\n');
		if (!nl && r > 0 && have < sizeof(line) - 1)
			continue;
		if (!have)
			break;
		if (nl)
			*nl = 0;
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo < end && hi > start) {
			snprintf(buf, len, "the mapping %s", line);
			break;
		}
		size_t used = nl ? (size_t)(nl + 1 - line) : have;
		memmove(line, line + used, have - used);
		have -= used;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

uint64_t stf__map_at(struct stf_xfer *x, const struct alloc_req *q, uint32_t site)
{
	const struct stf_obj *o = &x->src->objs[q->src];
	int pinned = x->pair[q->src].pinned;
	void *p = stf__mmap_with(q->size, PROT_READ | PROT_WRITE, site, q->id, q->at, q->own);
	if (!p && errno == EEXIST && !pinned) /* its typed pointers follow it */
		p = stf__mmap_with(q->size, PROT_READ | PROT_WRITE, site, q->id, 0, 0);
	if (!p) {
		char on[256], from[256], what[600];
		size_t f = q->src;
		uint64_t at = 0;
		int err = errno;
		stf__pin_origin(x, q->src, &f, &at);
		/* past its old size: another object of the old version kept
		 * at its address there, or the new version's own */
		const struct stf_obj *t = stf__peer_find(x->src, q->at + q->size - 1);
		if (!t || t->addr + t->size <= q->at + q->own || t == o)
			t = stf__peer_find(x->dst, q->at + q->size - 1);
		if (t && t->addr < q->at + q->size && t->addr + t->size > q->at)
			stf__obj_name(t, what, sizeof(what));
		else
			stf__occupant(q->at, q->at + q->size, what, sizeof(what));
		stf__obj_name(o, on, sizeof(on));
		if (err != EEXIST)
			stf__xfail(x, "%s: the mapping of %" PRIu64 " bytes cannot be created at "
				   "its address 0x%" PRIx64 ": %s", on, q->size, q->at, strerror(err));
		else
			stf__xfail(x, "%s: the mapping at 0x%" PRIx64 " (%" PRIu64 " bytes, %" PRIu64
				   " in the new version) keeps its address for a word not known to "
				   "be a pointer (offset %" PRIu64 " of %s holds an address inside "
				   "it), but 0x%" PRIx64 "-0x%" PRIx64 " is taken in the new version by "
				   "%s; keep the size of the type the mapping holds, or give the "
				   "memory holding the word a type (STF_ALLOCATOR on its allocator)",
				   on, o->addr, o->size, q->size, at,
				   stf__obj_name(&x->src->objs[f], from, sizeof(from)), q->at,
				   q->at + q->size, what);
		return 0;
	}
	uint64_t a = (uint64_t)(uintptr_t)p;
	/* writable while it is filled */
	if ((q->prot != (PROT_READ | PROT_WRITE) && stf__add_protect(x, a, q->size, q->prot) < 0) ||
	    stf__index_add(&stf__fwd_mappings, a, q->size, o->size) < 0 ||
	    stf__index_add(&stf__fwd_mapping_from, a, q->size, o->addr) < 0) {
		stf__xfail(x, "out of memory");
		return 0;
	}
	return a;
}

/* The type of the destination version named like the source type st of su
 * (a struct, union or enum: their layout may change under one name), or
 * STF_NONE. */
static uint32_t dst_type_named(const struct stf_xfer *x, const struct stf_meta_unit *su,
			       uint32_t st, const struct stf_meta_unit **du)
{
	const struct stf_type_rec *S = T(su, st);
	char name[256];
	uint32_t dt;

	if (!*stf_meta_str(su, S->name) ||
	    (S->kind != STF_K_STRUCT && S->kind != STF_K_UNION && S->kind != STF_K_ENUM) ||
	    stf_meta_find_type(x->dst->meta, stf__type_str(su, st, name, sizeof name), du, &dt) < 0)
		return STF_NONE;
	return dt;
}

int stf__reloc_shared(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe)
{
	const struct stf_meta_unit *su = pe ? pe->unit : NULL, *du = pe ? pe->dunit : NULL;
	uint32_t st, dt;
	char what[256], a[256], b[256];

	*out = v;  /* the same memory, at the same address */
	if (!su || (st = strip(su, pe->type)) >= su->ntypes)
		return 0;
	dt = du ? strip(du, pe->dtype) : dst_type_named(x, su, st, &du);
	if (!du || dt >= du->ntypes ||
	    (T(su, st)->hash == T(du, dt)->hash && T(su, st)->size == T(du, dt)->size))
		return 0;
	stf__xfail(x, "%s: points into %s, which the process tree shares as it is (not "
		   "converted: processes of the old version may still use it), but %s "
		   "(%" PRIu64 " bytes) became %s (%" PRIu64 " bytes) in the new version; keep "
		   "the types of shared memory unchanged (put new data in memory of its own)",
		   stf__cur_path(x), stf__tree_shared_what(v, what, sizeof what),
		   stf__type_str(su, st, a, sizeof a), T(su, st)->size,
		   stf__type_str(du, dt, b, sizeof b), T(du, dt)->size);
	return -1;
}
