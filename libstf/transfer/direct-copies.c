/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * direct-copies.c - large pointer-free heap blocks read straight into their
 * new objects instead of being staged with the rest of the past state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "heads.h"
#include "remote.h"
#include "xfer.h"

/*
 * Large heap blocks of pointer-free types are not fetched with the rest
 * of the past version's state (STF_OBJF_DEFER): the plain copies among
 * them are read straight into their new objects by stf__flush_direct, which
 * saves staging them (page faults) and copying them a second time.  From
 * about 1 KiB on, that is cheaper than the extra iovec each costs.
 */
#define DIRECT_MIN 1024

int stf__mark_direct(struct stf_peer *src, char *err, size_t errlen)
{
	struct stf_arena *a = stf__arena_new();
	struct stf_layouts *ls = a ? stf__layouts_new(a) : NULL;

	if (!ls) {
		stf__arena_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < src->nobjs; i++) {
		struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_HEAP || !o->unit || o->size < DIRECT_MIN ||
		    (o->flags & (STF_OBJF_IXFER | STF_OBJF_PXFER | STF_OBJF_INTERNAL |
				 STF_OBJF_EXTERNAL | STF_OBJF_STREAM)))
			continue;
		const struct stf_layout *l = stf__layout(ls, o->unit, o->type);
		if (!l) {
			stf__arena_free(a);
			snprintf(err, errlen, "out of memory building the layout of a type");
			return -1;
		}
		if (l->size && !l->nptrs && o->size % l->size == 0)
			o->flags |= STF_OBJF_DEFER;
	}
	stf__arena_free(a);
	return 0;
}

/* A deferred object that stf__xfer_object copies whole (the unchanged-type,
 * pointer-free case): queued for stf__flush_direct.  0 if it is not one, or if
 * callbacks may look at the destination before the flush. */
int stf__direct_copy(struct stf_xfer *x, size_t i, int64_t j)
{
	const struct stf_obj *so = &x->src->objs[i], *dobj = &x->dst->objs[j];
	uint32_t se, de;
	uint64_t off;

	if (!x->dst->self || !x->pair[i].same || x->cb_type || x->cb_member || x->cb_object || !dobj->unit ||
	    so->size != dobj->size || dobj->kind != STF_OBJ_HEAP ||
	    stf__flex_tail(so->unit, strip(so->unit, so->type), &se, &off) ||
	    stf__flex_tail(dobj->unit, strip(dobj->unit, dobj->type), &de, &off))
		return 0;
	const struct stf_layout *l = stf__layout(x->layouts, so->unit, so->type);
	if (!l || l->nptrs || !l->size || so->size % l->size)
		return 0;
	x->pair[i].direct = 1;
	return 1;
}

/* The bytes of a deferred object stf__xfer_object transforms. */
const uint8_t *stf__fetch_deferred(struct stf_xfer *x, struct stf_obj *so)
{
	uint8_t *b = stf__arena_alloc(x->arena, so->size);
	if (!b) {
		stf__xfail(x, "out of memory reading %s", stf__cur_path(x));
		return NULL;
	}
	if (stf__peer_read(x->src, so->addr, b, so->size) < 0) {
		stf__xfail(x, "%s: cannot read its %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
		      stf__cur_path(x), so->size, so->addr, strerror(errno));
		return NULL;
	}
	so->bytes = b;
	return b;
}

/* Read the objects stf__direct_copy queued, IOV_MAX per system call. */
int stf__flush_direct(struct stf_xfer *x)
{
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	size_t i = 0, n = x->src->nobjs;

	while (i < n) {
		size_t k = 0, total = 0, first = i;
		for (; i < n && k < IOV_MAX; i++) {
			const struct stf_obj *so = &x->src->objs[i];
			if (!x->pair[i].direct)
				continue;
			liov[k].iov_base = x->img[x->pair[i].dst];
			riov[k].iov_base = (void *)(uintptr_t)so->addr;
			liov[k].iov_len = riov[k].iov_len = so->size;
			total += so->size;
			k++;
		}
		ssize_t r = k ? process_vm_readv(x->src->pid, liov, k, riov, k, 0) : 0;
		if (r >= 0 && (size_t)r == total)
			continue;
		/* name the object that could not be read */
		for (size_t q = first; q < i; q++) {
			const struct stf_obj *so = &x->src->objs[q];
			if (x->pair[q].direct &&
			    stf__peer_read(x->src, so->addr, x->img[x->pair[q].dst], so->size) < 0) {
				char on[256];
				stf__xfail(x, "%s: cannot read its %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
				      stf__obj_name(so, on, sizeof(on)), so->size, so->addr,
				      strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}
