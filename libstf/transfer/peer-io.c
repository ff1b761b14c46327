/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * peer-io.c - reading and writing a peer's memory (see remote.h):
 * process_vm_readv/writev in batches, batched and staged writes, and a
 * peer's stdio streams read through glibc's FILE layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "remote.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* ------------------------------------------------------------------ */
/* Memory access.                                                      */

int stf__peer_read(const struct stf_peer *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	if (!len)
		return 0;
	ssize_t n = process_vm_readv(p->pid, &l, 1, &r, 1, 0);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

/* glibc's FILE flags (libio.h, not installed): the ones that say how a
 * stream was opened and what its buffer holds. */
#define IO_MAGIC_MASK        0xFFFF0000u
#define IO_MAGIC             0xFBAD0000u
#define IO_UNBUFFERED        0x0002u
#define IO_NO_READS          0x0004u
#define IO_NO_WRITES         0x0008u
#define IO_IN_BACKUP         0x0100u
#define IO_LINE_BUF          0x0200u
#define IO_CURRENTLY_PUTTING 0x0800u
#define IO_IS_APPENDING      0x1000u

int stf__peer_stream(struct stf_peer *p, uint64_t addr, struct stf_stream *s)
{
	/* the peer's FILE and the function table after it (glibc's struct
	 * _IO_FILE_plus), read as bytes: their pointers are the peer's */
	struct {
		FILE f;
		uint64_t vtable;
	} fp;
	const FILE *f = &fp.f;
	uint32_t flags;

	memset(s, 0, sizeof(*s));
	if (stf__peer_read(p, addr, &fp, sizeof(fp)) < 0)
		return -1;
	flags = (uint32_t)f->_flags;
	if ((flags & IO_MAGIC_MASK) != IO_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	/* popen's, fmemopen's, fopencookie's streams have their own tables */
	s->file = fp.vtable && fp.vtable == stf__peer_symbol_addr(p, "libc.so.6", "_IO_file_jumps") &&
		  f->_fileno >= 0 &&
		  (flags & (IO_NO_READS | IO_NO_WRITES)) != (IO_NO_READS | IO_NO_WRITES);
	s->fd = f->_fileno;
	if (flags & IO_NO_READS)
		snprintf(s->mode, sizeof(s->mode), "%s", flags & IO_IS_APPENDING ? "a" : "w");
	else if (flags & IO_NO_WRITES)
		snprintf(s->mode, sizeof(s->mode), "r");
	else
		snprintf(s->mode, sizeof(s->mode), "%s", flags & IO_IS_APPENDING ? "a+" : "r+");
	s->buffering = flags & IO_UNBUFFERED ? _IONBF : flags & IO_LINE_BUF ? _IOLBF : _IOFBF;
	s->wide = f->_mode > 0;
	uint64_t rp = (uint64_t)(uintptr_t)f->_IO_read_ptr, re = (uint64_t)(uintptr_t)f->_IO_read_end;
	uint64_t wb = (uint64_t)(uintptr_t)f->_IO_write_base, wp = (uint64_t)(uintptr_t)f->_IO_write_ptr;
	/* pushed-back characters (ungetc) live in a backup area: unread too */
	if (rp < re)
		s->unread = re - rp;
	else if (flags & IO_IN_BACKUP)
		s->unread = 1;
	if ((flags & IO_CURRENTLY_PUTTING) && wp > wb) {
		s->pending = wp - wb;
		s->pending_addr = wb;
	}
	s->pending_hash = 0xcbf29ce484222325ULL;
	if (s->pending) {
		uint8_t *b = stf__raw_malloc(s->pending);
		if (!b)
			return -1;
		if (stf__peer_read(p, wb, b, s->pending) < 0) {
			stf__raw_free(b);
			return -1;
		}
		for (uint64_t i = 0; i < s->pending; i++)
			s->pending_hash = (s->pending_hash ^ b[i]) * 0x100000001b3ULL;
		stf__raw_free(b);
	}
	return 0;
}

int stf__is_file_type(const struct stf_meta_unit *u, uint32_t t)
{
	t = stf_meta_strip_typedefs(u, t);
	return t < u->ntypes && u->types[t].kind == STF_K_STRUCT &&
	       !strcmp(stf_meta_str(u, u->types[t].name), "_IO_FILE");
}

/* process_vm_writev of k iovec pairs holding total bytes. */
static int writev_all(const struct stf_peer *p, const struct iovec *liov,
		      const struct iovec *riov, size_t k, size_t total, char *err, size_t errlen)
{
	ssize_t r = process_vm_writev(p->pid, liov, k, riov, k, 0);
	if (r < 0 || (size_t)r != total) {
		stf__fail(err, errlen, "writing %zu bytes into process %d at 0x%" PRIx64 " failed: %s",
		     total, (int)p->pid, (uint64_t)(uintptr_t)riov[0].iov_base,
		     r < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* The writes in the order given, one iovec each. */
static int write_each(const struct stf_peer *p, uint8_t *const *bufs,
		      const struct stf_obj *objs, size_t n, char *err, size_t errlen)
{
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	size_t i = 0;

	while (i < n) {
		size_t k = 0, total = 0;
		for (; i < n && k < IOV_MAX; i++) {
			if (!bufs[i] || !objs[i].size)
				continue;
			liov[k].iov_base = bufs[i];
			liov[k].iov_len = objs[i].size;
			riov[k].iov_base = (void *)(uintptr_t)objs[i].addr;
			riov[k].iov_len = objs[i].size;
			total += objs[i].size;
			k++;
		}
		if (k && writev_all(p, liov, riov, k, total, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * The kernel pins the remote pages of every iovec separately, which costs
 * far more than copying a small object: small writes a few bytes apart
 * (heap blocks separated by their headers) are merged into one span,
 * staged here with the bytes between them read from the peer first and
 * written back unchanged.  The peer does not run meanwhile (the reversed
 * version waits for the end of the transfer, every other thread of it is
 * parked), so those bytes cannot change under the write.  Writes of
 * WRITE_SMALL bytes or more are worth their own iovec.
 */
#define WRITE_GAP   64
#define WRITE_SMALL 1024
#define WRITE_STAGE (4u << 20) /* staged span bytes per system call */

struct write_batch {
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	struct iovec rread[IOV_MAX]; /* the merged spans, read first */
	struct {
		size_t first, end; /* ranges of the sorted index */
		size_t pos;        /* in stage */
	} m[IOV_MAX];
	uint8_t stage[WRITE_STAGE];
};

static int write_spans(const struct stf_peer *p, uint8_t *const *bufs,
		       const struct stf_index *ix, struct write_batch *b, char *err,
		       size_t errlen)
{
	struct iovec *liov = b->liov, *riov = b->riov, *rread = b->rread;
	uint8_t *stage = b->stage;
	const struct stf_range *rg = ix->ranges;
	size_t r = 0;

	while (r < ix->n) {
		size_t k = 0, nm = 0, used = 0, total = 0;
		while (r < ix->n && k < IOV_MAX) {
			uint64_t start = rg[r].start, end = start + rg[r].size;
			size_t e = r + 1;
			if (rg[r].size < WRITE_SMALL)
				while (e < ix->n && rg[e].size < WRITE_SMALL &&
				       rg[e].start <= end + WRITE_GAP &&
				       rg[e].start + rg[e].size - start <= WRITE_STAGE - used) {
					end = rg[e].start + rg[e].size;
					e++;
				}
			riov[k].iov_base = (void *)(uintptr_t)start;
			riov[k].iov_len = end - start;
			if (e == r + 1) {
				liov[k].iov_base = bufs[rg[r].value];
			} else {
				liov[k].iov_base = stage + used;
				rread[nm] = riov[k];
				b->m[nm].first = r;
				b->m[nm].end = e;
				b->m[nm].pos = used;
				nm++;
				used += end - start;
			}
			liov[k].iov_len = end - start;
			total += end - start;
			k++;
			r = e;
		}
		if (nm) {
			struct iovec all = { stage, used };
			ssize_t got = process_vm_readv(p->pid, &all, 1, rread, nm, 0);
			if (got < 0 || (size_t)got != used) {
				stf__fail(err, errlen, "reading %zu bytes of process %d around the objects "
				     "at 0x%" PRIx64 " before writing them failed: %s", used,
				     (int)p->pid, (uint64_t)(uintptr_t)rread[0].iov_base,
				     got < 0 ? strerror(errno) : "short read");
				return -1;
			}
			for (size_t t = 0; t < nm; t++) {
				uint64_t base = rg[b->m[t].first].start;
				for (size_t q = b->m[t].first; q < b->m[t].end; q++)
					memcpy(stage + b->m[t].pos + (rg[q].start - base),
					       bufs[rg[q].value], rg[q].size);
			}
		}
		if (writev_all(p, liov, riov, k, total, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The sorted writes cut in parts written at once (parallel.c): the
 * ranges do not overlap, so the order between parts does not matter; the
 * first failing part (in address order) names the failure. */
#define WRITE_PARTS_MAX 8

struct write_parts {
	const struct stf_peer *p;
	uint8_t *const *bufs;
	const struct stf_index *ix;
	struct write_batch *b[WRITE_PARTS_MAX];
	int rc[WRITE_PARTS_MAX];
	char err[WRITE_PARTS_MAX][512];
};

static void write_part(void *arg, unsigned k, size_t lo, size_t hi)
{
	struct write_parts *wp = arg;
	struct stf_index part = *wp->ix;
	part.ranges += lo;
	part.n = hi - lo;
	wp->rc[k] = write_spans(wp->p, wp->bufs, &part, wp->b[k], wp->err[k], sizeof(wp->err[k]));
}

static int write_in_parts(const struct stf_peer *p, uint8_t *const *bufs,
			  const struct stf_index *ix, char *err, size_t errlen)
{
	struct write_parts *wp = stf__raw_malloc(sizeof(*wp));
	unsigned parts = stf__parallel_parts(ix->n, 16384), k;
	int rc = -1;

	if (parts > WRITE_PARTS_MAX)
		parts = WRITE_PARTS_MAX;
	if (!wp) {
		stf__fail(err, errlen, "out of memory writing into process %d", (int)p->pid);
		return -1;
	}
	wp->p = p;
	wp->bufs = bufs;
	wp->ix = ix;
	/* bulk: the staging buffers are megabytes, pages the transfer's
	 * freed arrays have touched already */
	unsigned nb = 0;
	while (nb < parts && (wp->b[nb] = stf__bulk_alloc(sizeof(*wp->b[nb]))))
		nb++;
	if (nb == parts) {
		stf__parallel(ix->n, parts, write_part, wp);
		for (rc = 0, k = 0; k < parts && !rc; k++)
			if ((rc = wp->rc[k]) < 0)
				stf__fail(err, errlen, "%s", wp->err[k]);
	} else {
		stf__fail(err, errlen, "out of memory writing into process %d", (int)p->pid);
	}
	while (nb-- > 0)
		stf__bulk_free(wp->b[nb]);
	stf__raw_free(wp);
	return rc;
}

int stf__peer_write(const struct stf_peer *p, uint8_t *const *bufs,
		    const struct stf_obj *objs, size_t n, char *err, size_t errlen)
{
	struct stf_index ix = STF_INDEX_INIT;
	int rc;

	if (p->self) {
		for (size_t i = 0; i < n; i++)
			if (bufs[i])
				memcpy((void *)(uintptr_t)objs[i].addr, bufs[i], objs[i].size);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (bufs[i] && objs[i].size &&
		    stf__index_add(&ix, objs[i].addr, objs[i].size, i) < 0) {
			stf__index_free(&ix);
			return write_each(p, bufs, objs, n, err, errlen);
		}
	/* overlapping writes keep their order (the later one wins) */
	if (stf__index_sort(&ix, NULL, NULL) < 0)
		rc = write_each(p, bufs, objs, n, err, errlen);
	else
		rc = write_in_parts(p, bufs, &ix, err, errlen);
	stf__index_free(&ix);
	return rc;
}
