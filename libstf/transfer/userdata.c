/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userdata.c - the words of a library's blocks that hold the user data
 * the program gave it (bufferevent_setcb's cbarg, event_new's arg, ...).
 *
 * A library's block is untyped and kept at its address (untyped.c), and
 * a word of it pointing into a typed object pins that object: nothing
 * says what the word means, so it must keep meaning the same address.
 * The user data slot is the exception: the library stores there the
 * value the program passed and hands it back unchanged (to the callback,
 * to bufferevent_getcb), never doing arithmetic on it.  Pointing at the
 * start of a typed object (an element's), it is relocated like a typed
 * pointer, and the object can move: a client struct that grows past its
 * malloc chunk in the new version, next to its bufferevent.
 *
 * The library's structs are private (no header gives their layout), so
 * the slots are measured in F, before the forward transfer allocates
 * anything, on scratch objects of the loaded library
 * (userdata-libevent.c): the block a constructor allocates (its site and
 * size) and the one word of it equal to a marker given as user data.
 * The backward transfer runs in F too, on the same library.  A word of
 * a block of that site and size at that offset is the user data; every
 * other word still pins, as does the user data pointing to a sub-object
 * (stf__user_data_ref).
 */
#include <stdio.h>
#include <string.h>

#include "apr-pools.h"
#include "engine.h"
#include "glib-arrays.h"
#include "stf.h"
#include "untyped.h"
#include "userdata.h"

/* Where one library constructor's blocks keep the user data. */
struct user_data_slot {
	char site[160];	  /* the blocks' site ID ("libevent-2.1.so.7+0x1bd91") */
	uint64_t size;	  /* their size */
	uint64_t off;	  /* the user data word's offset */
	const char *ctor; /* the constructor measured ("event_base_once") */
};

enum { MAX_SLOTS = 16 };

static struct user_data_slot slots[MAX_SLOTS];
static int nslots;

void stf__user_data_reset(void)
{
	memset(slots, 0, sizeof(slots));
	nslots = 0;
}

/* The heap block starting at p, in info; -1 if p starts none. */
static int block_at(const void *p, struct stf_object_info *info)
{
	return p && stf_lookup(p, info) == 0 && info->base == p && info->id && *info->id ? 0 : -1;
}

/* The offset of the one word of the block (info) equal to marker; -1 if
 * none or several. */
static int64_t marker_offset(const struct stf_object_info *info, const void *marker)
{
	int64_t at = -1;
	for (uint64_t off = 0; off + sizeof(void *) <= info->size; off += sizeof(void *)) {
		const void *w;
		memcpy(&w, (const char *)info->base + off, sizeof(w));
		if (w != marker)
			continue;
		if (at >= 0)
			return -1;
		at = (int64_t)off;
	}
	return at;
}

int stf__user_data_slot(const void *block, const void *marker, const char *ctor)
{
	struct stf_object_info info;
	int64_t off;
	if (nslots == MAX_SLOTS || block_at(block, &info) < 0 ||
	    (off = marker_offset(&info, marker)) < 0)
		return -1;
	struct user_data_slot *s = &slots[nslots++];
	snprintf(s->site, sizeof(s->site), "%s", info.id);
	s->size = info.size;
	s->off = (uint64_t)off;
	s->ctor = ctor;
	return 0;
}

const void *stf__user_data_held(const void *anchor, const void *marker)
{
	struct stf_object_info info, held;
	if (block_at(anchor, &info) < 0)
		return NULL;
	for (uint64_t off = 0; off + sizeof(void *) <= info.size; off += sizeof(void *)) {
		const void *w;
		memcpy(&w, (const char *)anchor + off, sizeof(w));
		if (w != anchor && block_at(w, &held) == 0 && marker_offset(&held, marker) >= 0)
			return w;
	}
	return NULL;
}

void stf__user_data_settle(void)
{
	char clash[MAX_SLOTS] = { 0 };
	for (int i = 0; i < nslots; i++)
		for (int k = 0; k < nslots; k++)
			if (strcmp(slots[i].ctor, slots[k].ctor) && slots[i].size == slots[k].size &&
			    slots[i].off != slots[k].off && !strcmp(slots[i].site, slots[k].site))
				clash[i] = 1;
	int kept = 0;
	for (int i = 0; i < nslots; i++)
		if (!clash[i])
			slots[kept++] = slots[i];
	nslots = kept;
}

int stf__user_data_ref(const struct stf_xfer *x, size_t holder, uint64_t off,
		       const struct stf_obj *t, uint64_t v)
{
	const struct stf_obj *o = &x->src->objs[holder];
	/* the user data of APR's live cleanups and hash entries, whose
	 * pool's own positions pin no sub-object (apr-pools.c) */
	if (stf__apr_word(x, o, off) == STF_APR_USER)
		return t->unit && v - t->addr < t->size && !stf__elem_off(t, v - t->addr);
	/* a sub-object an STF_ALLOCATOR handed out stays pinned in its
	 * block: one that grows leaves its place, which the pool's own
	 * pointers to that place do not follow */
	if (!t->unit || t->container || v - t->addr >= t->size || stf__elem_off(t, v - t->addr) ||
	    o->unit || !(o->flags & STF_OBJF_EXTERNAL) || o->kind != STF_OBJ_HEAP)
		return 0;
	/* a GArray's pointer to its typed block of elements, which GLib
	 * reads through it as it is */
	if (stf__garray_data_word(x->src, o->addr + off, v))
		return 1;
	for (int k = 0; k < nslots; k++)
		if (slots[k].off == off && slots[k].size == o->size && !strcmp(slots[k].site, o->id))
			return 1;
	return 0;
}
