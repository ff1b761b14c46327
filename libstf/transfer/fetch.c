/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fetch.c - reading a cataloged peer's object bytes in bulk (see remote.h,
 * stf__peer_fetch): objects close together are read in spans, one remote
 * range per system call, cut in parts across the cores; the buffer holds
 * only the runs of bytes objects need, the gaps between them (block
 * headers, free blocks) go to a sink.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Objects close to each other are read as one span (heap blocks of one
 * size class lie side by side): one remote range per system call, where
 * an iovec per object would cost the kernel a page walk each. */
#define SPAN_GAP 512
/* A span no longer than this: the read is cut in parts (parallel.c). */
#define SPAN_MAX ((uint64_t)4 << 20)
/* What lies between the objects of a span (block headers, free blocks,
 * the rest of a size class) goes to a sink, not into the buffer: each
 * fresh byte of the buffer costs ~2 ns to touch on the machines we run
 * on.  Gaps of any length: at 10^6 blocks of 24-48 bytes (8-byte
 * headers between them) the buffer shrinks from 40 to 32 MB and the
 * extra iovecs cost less than the pages. */
#define PIECE_GAP 0

struct span {
	uint64_t start, end;
	size_t pos;            /* in p->bytes */
	size_t r_first, r_end; /* its entries of the index */
	int whole;             /* read whole, gaps and all: an object starts
	                          before the run of bytes it falls in */
};

/* An object of index entry r whose bytes the fetch reads, NULL if none. */
static const struct stf_obj *fetched(const struct stf_peer *p, size_t r, unsigned kinds)
{
	const struct stf_obj *o = &p->objs[p->index.ranges[r].value];
	if (!(kinds & (1u << o->kind)) || !o->size || (o->flags & STF_OBJF_DEFER))
		return NULL;
	return o;
}

/* The container of o whose bytes are fetched with it, NULL if none. */
static struct stf_obj *fetched_container(const struct stf_peer *p, const struct stf_obj *o,
					 unsigned kinds)
{
	struct stf_obj *co = o->container ? &p->objs[o->container - 1] : NULL;
	if (!co || !(kinds & (1u << co->kind)) || (co->flags & STF_OBJF_DEFER))
		return NULL;
	return co;
}

/* The next run of bytes of span s that objects need, from entry *r on,
 * as [*a, *b); *r is left at the first entry after it.  A container's
 * sub-objects need the whole container (its own bytes lie between
 * them).  1, 0 at the span's end, -1 if an object starts before the run
 * it falls in (the span is read whole). */
static int next_piece(const struct stf_peer *p, const struct span *s, unsigned kinds,
		      size_t *r, uint64_t *a, uint64_t *b)
{
	int open = 0;
	for (; *r < s->r_end; (*r)++) {
		const struct stf_obj *o = fetched(p, *r, kinds);
		if (!o)
			continue;
		const struct stf_obj *co = fetched_container(p, o, kinds);
		uint64_t oa = o->addr, ob = o->addr + o->size;
		if (co && co->addr < oa)
			oa = co->addr;
		if (co && co->addr + co->size > ob)
			ob = co->addr + co->size;
		if (!open) {
			*a = oa;
			*b = ob;
			open = 1;
			continue;
		}
		if (oa > *b + PIECE_GAP)
			break;
		if (oa < *a)
			return -1;
		if (ob > *b)
			*b = ob;
	}
	return open;
}

/* Point the objects of entries [r0, r1) into their run of bytes, which
 * starts at address a and at `at` in the buffer. */
static void point_into(struct stf_peer *p, unsigned kinds, size_t r0, size_t r1, uint64_t a,
		       uint8_t *at)
{
	for (size_t r = r0; r < r1; r++) {
		struct stf_obj *o = &p->objs[p->index.ranges[r].value];
		if (!fetched(p, r, kinds))
			continue;
		o->bytes = at + (o->addr - a);
		struct stf_obj *co = fetched_container(p, o, kinds);
		if (co)
			co->bytes = at + (co->addr - a);
	}
}

/* A read of runs of a span: iovecs into the buffer, and into the sink
 * for the gaps; the remote side is one range. */
struct span_read {
	struct stf_peer *p;
	struct iovec iov[IOV_MAX];
	size_t n;
	uint64_t start, cur; /* remote range queued */
	int failed;
};

static uint8_t gap_sink[4096]; /* written by the kernel only, never read */

static void sr_flush(struct span_read *sr)
{
	if (!sr->n)
		return;
	/* after a failed read, no more: the span is read again piece by
	 * piece (stf__peer_fetch), but its objects are still pointed */
	if (!sr->failed) {
		struct iovec remote = { (void *)(uintptr_t)sr->start, sr->cur - sr->start };
		ssize_t r = process_vm_readv(sr->p->pid, sr->iov, sr->n, &remote, 1, 0);
		if (r < 0 || (uint64_t)r != remote.iov_len)
			sr->failed = 1;
	}
	sr->n = 0;
	sr->start = sr->cur;
}

static void sr_add(struct span_read *sr, void *to, uint64_t len)
{
	if (sr->n == IOV_MAX)
		sr_flush(sr);
	sr->iov[sr->n].iov_base = to;
	sr->iov[sr->n].iov_len = len;
	sr->n++;
	sr->cur += len;
}

static int read_span(struct stf_peer *p, const struct span *s, unsigned kinds)
{
	struct span_read *sr = stf__raw_malloc(sizeof(*sr));
	if (!sr)
		return -1;
	sr->p = p;
	sr->n = 0;
	sr->start = sr->cur = s->start;
	sr->failed = 0;
	if (s->whole) {
		point_into(p, kinds, s->r_first, s->r_end, s->start, p->bytes + s->pos);
		sr_add(sr, p->bytes + s->pos, s->end - s->start);
	} else {
		size_t r = s->r_first, pos = s->pos;
		uint64_t a, b;
		for (size_t r0 = r, first = 1;
		     next_piece(p, s, kinds, &r, &a, &b) > 0; r0 = r, first = 0) {
			if (first) /* a container can start before the span */
				sr->start = sr->cur = a;
			point_into(p, kinds, r0, r, a, p->bytes + pos);
			while (sr->cur < a) {
				uint64_t k = a - sr->cur;
				sr_add(sr, gap_sink, k < sizeof(gap_sink) ? k : sizeof(gap_sink));
			}
			sr_add(sr, p->bytes + pos, b - a);
			pos += b - a;
		}
	}
	sr_flush(sr);
	int rc = sr->failed ? -1 : 0;
	stf__raw_free(sr);
	return rc;
}

struct read_parts {
	struct stf_peer *p;
	struct span *sp;
	unsigned kinds;
	int failed; /* some part could not read everything */
};

static void read_part(void *arg, unsigned part, size_t lo, size_t hi)
{
	struct read_parts *rp = arg;
	(void)part;
	for (size_t k = lo; k < hi; k++)
		if (read_span(rp->p, &rp->sp[k], rp->kinds) < 0)
			__atomic_store_n(&rp->failed, 1, __ATOMIC_RELAXED);
}

int stf__peer_fetch(struct stf_peer *p, unsigned kinds, char *err, size_t errlen)
{
	struct span *sp = NULL;
	size_t nsp = 0, cap = 0, total = 0;

	if (p->self) {
		for (size_t i = 0; i < p->nobjs; i++)
			if (kinds & (1u << p->objs[i].kind))
				p->objs[i].bytes = (const uint8_t *)(uintptr_t)p->objs[i].addr;
		return 0;
	}
	/* the index is in address order; the ranges of one container (its
	 * sub-objects and the bytes between them) stay in one span, so that
	 * the container's own bytes are there too, also when its sub-objects
	 * cover it whole (a full slab chunk: no range of its own) */
	uint32_t last_container = 0;
	for (size_t r = 0; r < p->index.n; r++) {
		uint64_t value = p->index.ranges[r].value;
		const struct stf_obj *o = fetched(p, r, kinds);
		if (!o)
			continue;
		uint32_t container = o->container ? o->container :
				     (o->flags & STF_OBJF_CONTAINER) ? (uint32_t)value + 1 : 0;
		int same = container && container == last_container;
		last_container = container;
		if (nsp && (same || (o->addr <= sp[nsp - 1].end + SPAN_GAP &&
				     o->addr + o->size - sp[nsp - 1].start <= SPAN_MAX))) {
			if (o->addr + o->size > sp[nsp - 1].end)
				sp[nsp - 1].end = o->addr + o->size;
			continue;
		}
		if (nsp == cap) {
			/* spans are few (a heap's size classes, the image):
			 * an array of one per object would be fresh pages */
			cap = cap ? 2 * cap : 256;
			struct span *n = stf__raw_realloc(sp, cap * sizeof(*sp));
			if (!n) {
				stf__raw_free(sp);
				stf__fail(err, errlen, "out of memory reading the state of "
				     "process %d", (int)p->pid);
				return -1;
			}
			sp = n;
		}
		if (nsp)
			sp[nsp - 1].r_end = r;
		sp[nsp].start = o->addr;
		sp[nsp].end = o->addr + o->size;
		sp[nsp].r_first = r;
		sp[nsp].whole = 0;
		nsp++;
	}
	if (nsp)
		sp[nsp - 1].r_end = p->index.n;
	/* the buffer holds the runs of bytes the objects need */
	for (size_t k = 0; k < nsp; k++) {
		size_t r = sp[k].r_first, len = 0;
		uint64_t a, b;
		int more;
		while ((more = next_piece(p, &sp[k], kinds, &r, &a, &b)) > 0)
			len += b - a;
		if (more < 0) {
			sp[k].whole = 1;
			len = sp[k].end - sp[k].start;
		}
		sp[k].pos = total;
		total += len;
	}
	p->bytes = stf__bulk_alloc(total ? total : 1);
	if (!p->bytes) {
		stf__raw_free(sp);
		stf__fail(err, errlen, "out of memory: %zu bytes for the state of process %d",
		     total, (int)p->pid);
		return -1;
	}
	p->bytes_len = total;
	/* point every object into its run */
	for (size_t r = 0; r < p->index.n; r++) {
		struct stf_obj *o = &p->objs[p->index.ranges[r].value];
		if ((kinds & (1u << o->kind)) && !(o->flags & STF_OBJF_DEFER) && !o->size)
			o->bytes = p->bytes;
	}
	/* the kernel copies on each thread at once (and faults the fresh
	 * pages in); each span's reader points its objects into their runs
	 * as it queues them (a pass of its own was a second walk of the
	 * catalog in index order, on one thread) */
	struct read_parts rp = { p, sp, kinds, 0 };
	stf__parallel(nsp, stf__parallel_parts(nsp, 4), read_part, &rp);
	if (rp.failed) {
		/* a gap crossed unmapped memory, or an object is unreadable:
		 * span by span, then object by object to name it */
		for (size_t k = 0; k < nsp; k++) {
			if (!read_span(p, &sp[k], kinds))
				continue;
			for (size_t r = sp[k].r_first; r < sp[k].r_end; r++) {
				const struct stf_obj *o = fetched(p, r, kinds);
				if (!o)
					continue;
				if (stf__peer_read(p, o->addr, (void *)(uintptr_t)o->bytes,
						   o->size) < 0) {
					stf__fail(err, errlen, "process %d: cannot read object %s "
					     "(%" PRIu64 " bytes at 0x%" PRIx64 "): %s",
					     (int)p->pid, o->id, o->size, o->addr, strerror(errno));
					stf__raw_free(sp);
					return -1;
				}
			}
		}
	}
	stf__raw_free(sp);
	return 0;
}
