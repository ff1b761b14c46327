/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userdata.c - the words of a library's blocks that hold the user data
 * the program gave it (bufferevent_setcb's cbarg, event_new's arg).
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
 * libevent's structs are private (no header gives their layout), so the
 * slots are measured in F, before the forward transfer allocates
 * anything, on scratch objects of the loaded libevent: the block a
 * constructor allocates (its site and size) and the one word of it equal
 * to the marker given to the setter.  The backward transfer runs in F
 * too, on the same library.  A word of a block of that site and size at
 * that offset is the user data; every other word still pins, as does
 * the user data pointing to a sub-object (stf__user_data_ref).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "stf.h"
#include "untyped.h"

/* The slot of one library constructor's blocks. */
struct user_data_slot {
	char site[160]; /* the blocks' site ID ("libevent-2.1.so.7+0x1bd91") */
	uint64_t size;  /* their size */
	uint64_t off;   /* the user data word's offset */
};

enum { SLOT_BUFFEREVENT, SLOT_EVENT, NSLOTS };

static struct user_data_slot slots[NSLOTS];
static int nmeasured; /* slots[0, nmeasured) hold a slot (sites nonempty) */

static void ignore_event(int fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* Where the block at `block` keeps `marker`: one word exactly; 0, or -1. */
static int find_marker(const void *block, const void *marker, struct user_data_slot *s)
{
	struct stf_object_info info;
	int found = 0;
	if (!block || stf_lookup(block, &info) < 0 || info.base != block || !info.id ||
	    !*info.id)
		return -1;
	for (uint64_t off = 0; off + sizeof(void *) <= info.size; off += sizeof(void *)) {
		const void *w;
		memcpy(&w, (const char *)block + off, sizeof(w));
		if (w == marker) {
			s->off = off;
			found++;
		}
	}
	if (found != 1)
		return -1;
	snprintf(s->site, sizeof(s->site), "%s", info.id);
	s->size = info.size;
	return 0;
}

#define SYM(type, name) ((type)dlsym(RTLD_DEFAULT, name))

void stf__user_data_measure(void)
{
	void *(*base_new)(void) = SYM(void *(*)(void), "event_base_new");
	void (*base_free)(void *) = SYM(void (*)(void *), "event_base_free");
	void *(*ev_new)(void *, int, short, void (*)(int, short, void *), void *) =
		SYM(void *(*)(void *, int, short, void (*)(int, short, void *), void *),
		    "event_new");
	void (*ev_free)(void *) = SYM(void (*)(void *), "event_free");
	void *(*bev_new)(void *, int, int) = SYM(void *(*)(void *, int, int),
						"bufferevent_socket_new");
	void (*bev_setcb)(void *, void *, void *, void *, void *) =
		SYM(void (*)(void *, void *, void *, void *, void *), "bufferevent_setcb");
	void (*bev_free)(void *) = SYM(void (*)(void *), "bufferevent_free");
	static const char marker; /* an address nothing else holds */

	memset(slots, 0, sizeof(slots));
	nmeasured = 0;
	if (!base_new || !base_free || !ev_new || !ev_free)
		return; /* no libevent here */
	void *base = base_new();
	if (!base)
		return;
	void *ev = ev_new(base, -1, 0, ignore_event, (void *)&marker);
	if (find_marker(ev, &marker, &slots[SLOT_EVENT]) < 0)
		slots[SLOT_EVENT].site[0] = 0;
	if (ev)
		ev_free(ev);
	void *bev = bev_new && bev_setcb && bev_free ? bev_new(base, -1, 0) : NULL;
	if (bev) {
		bev_setcb(bev, NULL, NULL, NULL, (void *)&marker);
		if (find_marker(bev, &marker, &slots[SLOT_BUFFEREVENT]) < 0)
			slots[SLOT_BUFFEREVENT].site[0] = 0;
		bev_free(bev); /* finalized by event_base_free */
	}
	base_free(base);
	nmeasured = NSLOTS;
}

int stf__user_data_ref(const struct stf_xfer *x, size_t holder, uint64_t off,
		       const struct stf_obj *t, uint64_t v)
{
	const struct stf_obj *o = &x->src->objs[holder];
	/* a sub-object an STF_ALLOCATOR handed out stays pinned in its
	 * block: one that grows leaves its place, which the pool's own
	 * pointers to that place do not follow */
	if (!t->unit || t->container || v - t->addr >= t->size || stf__elem_off(t, v - t->addr) ||
	    o->unit || !(o->flags & STF_OBJF_EXTERNAL) || o->kind != STF_OBJ_HEAP)
		return 0;
	for (int k = 0; k < nmeasured; k++)
		if (slots[k].site[0] && slots[k].off == off && slots[k].size == o->size &&
		    !strcmp(slots[k].site, o->id))
			return 1;
	return 0;
}
