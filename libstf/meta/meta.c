/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * meta.c - reader of the plugin metadata (see meta.h, stf-format.h):
 * loading, error messages and the read callbacks.  Validation is in
 * validate.c, the name index, queries and C spelling in names.c.
 *
 * Loading reads the stf_units section in one read and every blob in one
 * more each (inflating its deflated part, blob.c), resolves the units'
 * relative addresses, validates every unit, computes the types' hashes
 * (hash.c) and builds a name index.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blob.h"
#include "hash.h"
#include "meta-private.h"

/* Upper bounds on what we agree to copy: a corrupted address range must
 * produce an error, not an attempt to allocate terabytes. */
#define SECTION_MAX ((uint64_t)1 << 30)
#define BLOBS_MAX   ((uint64_t)1 << 32)

/* ------------------------------------------------------------------ */
/* Error reporting                                                      */

void meta_fail(struct ctx *c, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->u)
		snprintf(c->err, c->errlen, "unit %zu (%s): %s", c->unit_no,
			 stf_meta_str(c->u, c->u->blob->file), msg);
	else
		snprintf(c->err, c->errlen, "unit %zu: %s", c->unit_no, msg);
}

/* ------------------------------------------------------------------ */
/* Read callbacks                                                       */

static int read_vm(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	/* Large reads are one call; a short count means the range crossed an
	 * unmapped page, which the retry then reports as an error. */
	while (done < len) {
		struct iovec local = { (char *)buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EFAULT;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int stf_meta_read_self(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	/* Through the kernel rather than memcpy: a corrupted address then
	 * yields EFAULT instead of SIGSEGV. */
	return read_vm(getpid(), addr, buf, len);
}

int stf_meta_read_pid(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return read_vm(*(const pid_t *)ctx, addr, buf, len);
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */

static int read_checked(struct ctx *c, stf_meta_read_fn read, void *rctx,
			uint64_t addr, void *buf, size_t len, const char *what)
{
	if (read(rctx, addr, buf, len) == 0)
		return 0;
	meta_fail(c, "cannot read %s (%zu bytes at 0x%llx): %s", what, len,
	     (unsigned long long)addr, strerror(errno));
	return -1;
}

/* Unit u's blob, whole, in memory of its own; NULL (with the error told)
 * if it cannot be read or inflated.  *total counts the bytes so far. */
static struct stf_blob_hdr *read_blob(struct ctx *c, stf_meta_read_fn read, void *rctx,
				      const struct stf_meta_unit *u, uint64_t *total)
{
	size_t stored = u->unit->blob_size;
	struct stf_blob_hdr *whole = NULL;
	void *buf = malloc(stored);

	if (!buf) {
		meta_fail(c, "out of memory for a blob of %zu bytes", stored);
		return NULL;
	}
	if (read_checked(c, read, rctx, u->blob_addr, buf, stored, "the blob"))
		goto out;
	const struct stf_blob_hdr *h = buf;
	/* deflate shrinks at most 1032 times: a larger size is damage */
	if (h->size > (uint64_t)stored * 1032) {
		meta_fail(c, "blob size %u is out of range for %zu bytes stored", h->size, stored);
		goto out;
	}
	*total += h->size;
	if (*total > BLOBS_MAX) {
		meta_fail(c, "blobs exceed %llu bytes in total", (unsigned long long)BLOBS_MAX);
		goto out;
	}
	whole = malloc(h->size >= sizeof *h ? h->size : sizeof *h);
	if (!whole) {
		meta_fail(c, "out of memory for a blob of %u bytes", h->size);
		goto out;
	}
	char msg[256];
	if (stf_blob_expand(buf, stored, whole, NULL, NULL, msg, sizeof msg)) {
		meta_fail(c, "%s", msg);
		free(whole);
		whole = NULL;
	}
out:
	free(buf);
	return whole;
}

/* Every unit's object addresses, resolved from the unit headers' relative
 * ones; -1 with a message if out of memory. */
static int resolve_addrs(struct meta_private *p, uint64_t nobjects, char *err, size_t errlen)
{
	if (!nobjects)
		return 0;
	p->addrs = malloc(nobjects * sizeof *p->addrs);
	if (!p->addrs) {
		snprintf(err, errlen, "out of memory for %llu object addresses",
			 (unsigned long long)nobjects);
		return -1;
	}
	uint64_t *a = p->addrs;
	for (size_t i = 0; i < p->pub.nunits; i++) {
		struct stf_meta_unit *u = &p->pub.units[i];
		u->addrs = a;
		for (uint32_t k = 0; k < u->nobjects; k++) {
			int32_t rel = u->unit->addrs[k];
			a[k] = u->objects[k].flags & STF_OF_TLS ? (uint64_t)(int64_t)rel :
				stf_unit_resolve(u->addr + offsetof(struct stf_unit, addrs) +
						 k * sizeof rel, rel);
		}
		a += u->nobjects;
	}
	return 0;
}

struct stf_meta *stf_meta_load(stf_meta_read_fn read, void *rctx,
			       uint64_t units_start, uint64_t units_end,
			       char *err, size_t errlen)
{
	struct ctx c = { .err = err, .errlen = errlen };
	struct meta_private *p = calloc(1, sizeof *p);
	uint64_t len = units_end - units_start;
	uint64_t blobs_total = 0, nobjects_total = 0;
	size_t cap_units = 0, max_types = 0;
	uint8_t *colour = NULL;
	struct dfs_frame *stack = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (units_end < units_start || len > SECTION_MAX || len % 8) {
		snprintf(err, errlen,
			 "bad %s section range [0x%llx, 0x%llx): must be a multiple of 8 bytes below 1 GiB",
			 STF_UNITS_SECTION, (unsigned long long)units_start,
			 (unsigned long long)units_end);
		goto meta_fail;
	}
	if (len) {
		p->section = malloc(len);
		if (!p->section) {
			snprintf(err, errlen, "out of memory for %llu bytes of %s",
				 (unsigned long long)len, STF_UNITS_SECTION);
			goto meta_fail;
		}
		if (read(rctx, units_start, p->section, len)) {
			snprintf(err, errlen, "cannot read the %s section (%llu bytes at 0x%llx): %s",
				 STF_UNITS_SECTION, (unsigned long long)len,
				 (unsigned long long)units_start, strerror(errno));
			goto meta_fail;
		}
	}

	/* Pass 1: walk the unit headers. */
	for (uint64_t off = 0; off < len;) {
		const struct stf_unit *h = (const void *)((char *)p->section + off);
		struct stf_meta_unit *u;

		c.unit_no = p->pub.nunits;
		/* Tolerate zero padding a linker may insert between units. */
		if (*(const uint64_t *)h == 0) {
			off += 8;
			continue;
		}
		if (len - off < sizeof *h) {
			meta_fail(&c, "truncated unit header at section offset %llu (%llu bytes left)",
			     (unsigned long long)off, (unsigned long long)(len - off));
			goto meta_fail;
		}
		if (h->magic != STF_UNIT_MAGIC) {
			meta_fail(&c, "bad unit magic 0x%016llx at 0x%llx: not ttst metadata or corrupted",
			     (unsigned long long)h->magic,
			     (unsigned long long)(units_start + off));
			goto meta_fail;
		}
		if (h->version != STF_FORMAT_VERSION) {
			meta_fail(&c, "format version %llu, this reader supports %u: rebuild with the matching stf.so",
			     (unsigned long long)h->version, STF_FORMAT_VERSION);
			goto meta_fail;
		}
		if (h->nobjects > (len - off - sizeof *h) / sizeof h->addrs[0] ||
		    stf_unit_size(h->nobjects) > len - off) {
			meta_fail(&c, "%llu object addresses exceed the section (%llu bytes left)",
			     (unsigned long long)h->nobjects,
			     (unsigned long long)(len - off - sizeof *h));
			goto meta_fail;
		}
		if (h->blob_size < sizeof(struct stf_blob_hdr) || h->blob_size > UINT32_MAX) {
			meta_fail(&c, "blob size %llu is out of range", (unsigned long long)h->blob_size);
			goto meta_fail;
		}
		if (!h->blob) {
			meta_fail(&c, "the unit header names no blob");
			goto meta_fail;
		}
		nobjects_total += h->nobjects;
		if (p->pub.nunits == cap_units) {
			size_t ncap = cap_units ? 2 * cap_units : 16;
			void *n = realloc(p->pub.units, ncap * sizeof *p->pub.units);
			if (!n) {
				snprintf(err, errlen, "out of memory for %zu units", ncap);
				goto meta_fail;
			}
			p->pub.units = n;
			cap_units = ncap;
		}
		u = &p->pub.units[p->pub.nunits++];
		memset(u, 0, sizeof *u);
		u->addr = units_start + off;
		u->unit = h;
		u->blob_addr = stf_unit_resolve(u->addr + offsetof(struct stf_unit, blob), h->blob);
		off += stf_unit_size(h->nobjects);
	}

	/* Pass 2: copy every blob, whole, and validate it. */
	for (size_t i = 0; i < p->pub.nunits; i++) {
		struct stf_meta_unit *u = &p->pub.units[i];

		c.unit_no = i;
		c.u = NULL;
		if (!(u->blob = read_blob(&c, read, rctx, u, &blobs_total)) || !meta_blob_ok(&c, u))
			goto meta_fail;
		if (u->ntypes > max_types)
			max_types = u->ntypes;
	}
	if (resolve_addrs(p, nobjects_total, err, errlen))
		goto meta_fail;
	if (max_types) {
		colour = malloc(max_types);
		stack = malloc(max_types * sizeof *stack);
		if (!colour || !stack) {
			snprintf(err, errlen, "out of memory validating %zu types", max_types);
			goto meta_fail;
		}
	}
	for (size_t i = 0; i < p->pub.nunits; i++) {
		c.unit_no = i;
		c.u = &p->pub.units[i];
		if (!meta_types_ok(&c) || !meta_records_ok(&c) ||
		    !meta_acyclic(&c, false, colour, stack) ||
		    !meta_acyclic(&c, true, colour, stack))
			goto meta_fail;
		stf_meta_hash_types(&p->pub.units[i], colour);
	}
	free(colour);
	free(stack);
	colour = NULL;
	stack = NULL;
	if (!meta_build_index(p, &c))
		goto meta_fail;
	return &p->pub;
meta_fail:
	free(colour);
	free(stack);
	stf_meta_free(&p->pub);
	return NULL;
}

void stf_meta_free(struct stf_meta *m)
{
	struct meta_private *p = (struct meta_private *)m;

	if (!p)
		return;
	free(p->ix);
	for (size_t i = 0; i < p->pub.nunits; i++)
		free((void *)p->pub.units[i].blob);
	free(p->addrs);
	free(p->section);
	free(p->pub.units);
	free(p);
}

