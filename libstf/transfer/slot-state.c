/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot-state.c - what the differencing must not compare when a slab is
 * rebuilt (transfer/slots.c): the allocator state of both versions' slabs
 * (their dynamic IDs, and the reversed version's static slabs), and the
 * reversed version's side of the rebuild: finding its own slab
 * (M_SLAB_FIND) and allocating from it (M_SLOTS).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "remote.h"
#include "scratch.h"
#include "slots.h"
#include "subobjects.h"
#include "xfer.h"
#include "../runtime/slots.h"

/* Dynamic IDs of allocator state: in F, the past version's (sent to R);
 * in R, those and its own new chunks (sorted, for stf__slot_state). */
static uint64_t *state_ids;
static size_t nstate, state_cap;
/* In R: its static slabs (their addresses), not compared either. */
static uint64_t static_slabs[STF_SLOT_GROUPS_MAX];
static size_t nstatic_slabs;
/* In R: its slabs that are members of statics (address, bytes), not
 * compared either. */
static uint64_t member_slabs[STF_SLOT_GROUPS_MAX], member_slab_len[STF_SLOT_GROUPS_MAX];
static size_t nmember_slabs;

int stf__slot_state_add(uint64_t id)
{
	for (size_t k = 0; k < nstate; k++)
		if (state_ids[k] == id)
			return 0;
	if (nstate == state_cap) {
		size_t ncap = state_cap ? 2 * state_cap : 64;
		uint64_t *n = stf__raw_realloc(state_ids, ncap * sizeof(*n));
		if (!n)
			return -1;
		state_ids = n;
		state_cap = ncap;
	}
	state_ids[nstate++] = id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int stf__slot_state(const struct stf_obj *o)
{
	if (o->kind == STF_OBJ_STATIC) {
		for (size_t k = 0; k < nstatic_slabs; k++)
			if (static_slabs[k] == o->addr)
				return 1;
		return 0;
	}
	if (!o->dyn_id || !nstate)
		return 0;
	return bsearch(&o->dyn_id, state_ids, nstate, sizeof(*state_ids), cmp_u64) != NULL;
}

uint8_t *stf__slot_state_masked(const struct stf_obj *ro, const uint8_t *bytes)
{
	uint8_t *copy = NULL;
	if ((ro->kind != STF_OBJ_STATIC && ro->kind != STF_OBJ_HEAP) || !bytes)
		return NULL;
	for (size_t k = 0; k < nmember_slabs; k++) {
		uint64_t at = member_slabs[k], len = member_slab_len[k];
		if (at < ro->addr || at + len > ro->addr + ro->size)
			continue;
		if (!copy) {
			if (!(copy = stf__raw_malloc(ro->size)))
				return NULL; /* compared whole: a difference, no commit */
			memcpy(copy, bytes, ro->size);
		}
		memset(copy + (at - ro->addr), 0, len);
	}
	return copy;
}

void stf__slot_state_clear(void)
{
	nstate = 0;
}

size_t stf__slot_state_ids(const uint64_t **ids)
{
	*ids = state_ids;
	return nstate;
}

/* The heap blocks of one site of the reversed version, for
 * serve_slab_find. */
#define FIND_MAX 1024
struct find_slab {
	uint32_t site, n;
	uint64_t addr[FIND_MAX], id[FIND_MAX];
};

static int find_slab_block(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct find_slab *f = ctx;
	struct stf_block_info blk;
	(void)size;
	if (STF_SLOT_KIND(kind) != STF_SLOT_HEAP ||
	    !stf__heap_block((void *)(uintptr_t)addr, &blk) || blk.start != addr ||
	    blk.site != f->site)
		return 0;
	if (f->n == FIND_MAX)
		return 1;
	f->addr[f->n] = addr;
	f->id[f->n++] = blk.id;
	return 0;
}

int stf__serve_slab_find(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen)
{
	char site[512];
	static struct find_slab f;
	uint32_t rank;
	uint64_t found = 0;
	if (len < 4 || len - 4 >= sizeof(site)) {
		snprintf(err, errlen, "malformed slab request from the future version");
		goto fail;
	}
	memcpy(&rank, p, 4);
	memcpy(site, p + 4, len - 4);
	site[len - 4] = 0;
	f.site = stf__site_by_id(site);
	f.n = 0;
	if (f.site && stf__objects_each(find_slab_block, &f) == 0)
		for (uint32_t k = 0; k < f.n && !found; k++) {
			uint32_t before = 0;
			for (uint32_t m = 0; m < f.n; m++)
				before += f.id[m] < f.id[k];
			if (before == rank)
				found = f.addr[k];
		}
	if (!found) {
		snprintf(err, errlen, "the reversed version's startup made no slab of %.200s "
			 "(create the slab at every start, also when stf_is_updating())", site);
		goto fail;
	}
	return stf__msg_send(conn, M_ADDRS, &found, 8);
fail:
	stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
	return -1;
}

int stf__serve_slots(int conn, const uint8_t *p, uint32_t len,
		     int (*served)(uint64_t addr, uint64_t size), char *err, size_t errlen)
{
	uint64_t *addrs = stf__scratch(SCRATCH_SERVE_SLOTS);
	uint64_t fn, arg, id, member_len, member_at, sized, last_chunk = 0;
	uint32_t nids, n;
	size_t pos = 56;
	char site[512];

	if (!addrs)
		goto oom;
	if (len < 56)
		goto bad;
	memcpy(&fn, p, 8);
	memcpy(&arg, p + 8, 8);
	memcpy(&id, p + 16, 8);
	memcpy(&nids, p + 24, 4);
	memcpy(&n, p + 28, 4);
	memcpy(&member_len, p + 32, 8);
	memcpy(&member_at, p + 40, 8);
	memcpy(&sized, p + 48, 8);
	if ((len - 56) / 8 < nids || n > MSG_MAX / 36)
		goto bad;
	for (uint32_t k = 0; k < nids; k++, pos += 8) {
		uint64_t v;
		memcpy(&v, p + pos, 8);
		if (stf__slot_state_add(v) < 0)
			goto oom;
	}
	if (member_len && nmember_slabs < STF_SLOT_GROUPS_MAX) {
		size_t k = 0;
		while (k < nmember_slabs && member_slabs[k] != member_at)
			k++;
		if (k == nmember_slabs) {
			member_slabs[nmember_slabs] = member_at;
			member_slab_len[nmember_slabs++] = member_len;
		}
	} else if (!id && !sized && nstatic_slabs < STF_SLOT_GROUPS_MAX) {
		size_t k = 0;
		while (k < nstatic_slabs && static_slabs[k] != arg)
			k++;
		if (k == nstatic_slabs)
			static_slabs[nstatic_slabs++] = arg;
	}
	if (id) {
		/* the slab, or the heap object it is a member of (whose value,
		 * written by the transfer, is compared but for the slab): the
		 * old one's identity */
		struct stf_block_info blk;
		uint64_t at = !member_len ? arg : stf__heap_block((void *)(uintptr_t)member_at, &blk) ?
			      blk.start : 0;
		if (stf__heap_set_id((void *)(uintptr_t)at, id) != 1 ||
		    (!member_len && stf__slot_state_add(id) < 0) ||
		    (member_len && served(blk.start, blk.size) < 0)) {
			snprintf(err, errlen, "the reversed version's slab at 0x%" PRIx64 " cannot "
				 "take the old slab's identity", arg);
			goto fail;
		}
	}
	void *(*alloc)(void *, void *) = (void *(*)(void *, void *))(uintptr_t)fn;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t size, oid, request, class;
		uint32_t sl;
		if (len - pos < 36)
			goto bad;
		memcpy(&size, p + pos, 8);
		memcpy(&oid, p + pos + 8, 8);
		memcpy(&request, p + pos + 16, 8);
		memcpy(&class, p + pos + 24, 8);
		memcpy(&sl, p + pos + 32, 4);
		if (sl >= sizeof(site) || len - pos - 36 < sl)
			goto bad;
		memcpy(site, p + pos + 36, sl);
		site[sl] = 0;
		pos += 36 + sl;
		uint32_t sitenum = stf__site_by_id(site);
		if (!sitenum) {
			snprintf(err, errlen, "allocation site %.200s unknown in the reversed version",
				 site);
			goto fail;
		}
		/* (a size-class allocator: the size asked for, and the class
		 * if it takes it) */
		void *obj = alloc((void *)(uintptr_t)(sized ? request : arg), (void *)(uintptr_t)class);
		struct stf_block_info blk;
		if (!obj) {
			snprintf(err, errlen, "the reversed version's slab allocator returned NULL "
				 "for %.200s", site);
			goto fail;
		}
		memset(obj, 0, size);
		if (stf__sub_register((uint64_t)(uintptr_t)obj, size, sitenum, oid) < 0)
			goto oom;
		/* its chunk: allocator state, in scope of the differencing
		 * (which compares the objects in it) but not compared */
		if (stf__heap_block(obj, &blk) && blk.start != last_chunk) {
			last_chunk = blk.start;
			if (stf__slot_state_add(blk.id) < 0 || served(blk.start, blk.size) < 0)
				goto oom;
		}
		addrs[k] = (uint64_t)(uintptr_t)obj;
	}
	if (pos != len)
		goto bad;
	qsort(state_ids, nstate, sizeof(*state_ids), cmp_u64);
	return stf__msg_send(conn, M_ADDRS, addrs, n * 8);
bad:
	snprintf(err, errlen, "malformed slab request from the future version");
	goto fail;
oom:
	snprintf(err, errlen, "out of memory allocating from the reversed version's slab");
fail:
	stf__msg_send(conn, M_ERROR, err, (uint32_t)strlen(err));
	return -1;
}
