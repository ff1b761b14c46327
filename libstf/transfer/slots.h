/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slots.h - INTERNAL to transfer/: objects of a slot allocator whose type
 * grew are handed slots of the destination's own slab (see slots.c).
 */
#ifndef STF_TRANSFER_SLOTS_H
#define STF_TRANSFER_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "remote.h"

struct stf_xfer;

/* Slabs rebuilt in one transfer, at most. */
#define STF_SLOT_GROUPS_MAX 64
/* Classes of a size-class allocator's array, at most (bits of a group's
 * masks: slot-classes.c). */
#define STF_SLOT_CLASSES_MAX 64

/* A slab rebuilt in this transfer (slots.c plans them, slot-place.c
 * gives their objects slots). */
struct stf_slot_group {
	const char *site;  /* the source's site ID */
	size_t cache;      /* the source's object of the cache */
	int64_t dcache;    /* the destination's slab (a startup object) */
	uint32_t rank;     /* its rank among its site's heap objects */
	uint64_t fn;       /* the destination's allocator */
	uint64_t darg;     /* the allocator's argument: the destination's
	                      slab, or the integer choosing it */
	int integer;       /* darg is that integer (obj_alloc(KIND_CONN)) */
	int sized;         /* the allocator takes a size choosing the class
	                      (xalloc(size), slot-classes.c): each object's
	                      slot is allocated with its destination size, not
	                      darg; the slab is static `cache`, an array of
	                      classes of len bytes (dlen in the destination) */
	uint64_t off, len; /* the source's slab: `off` bytes into object
	                      `cache`; len 0: the whole object, else a member
	                      of a static of len bytes (slab_alloc(&srv.conns),
	                      caches[kind]) */
	uint64_t dslab;    /* that member: its destination address */
	uint8_t *kept;     /* and its destination bytes after its slots were
	                      allocated */
	uint64_t classes;  /* sized: the elements holding the objects (bit k:
	                      element k), left behind */
	uint64_t placed;   /* and those the destination's allocator handed
	                      their slots out of */
	uint64_t dlen;
	int by_class;      /* sized: the allocator takes the class too
	                      (slabs_alloc(size, id)): the index of the first
	                      destination class whose slot size, the member
	                      `slot_off` of `slot_bytes` bytes, holds it */
	uint64_t slot_off, slot_bytes;
	uint8_t *startup;  /* sized: the destination's array before, of */
	uint64_t startup_size; /* bytes */
	const char *class_member; /* by_class: the objects' member holding
	                      their class (memcached's slabs_clsid), set to
	                      the class of each one's new slot; NULL if none */
};

/* The slabs rebuilt in this transfer (into *g); their number. */
size_t stf__slot_groups(struct stf_slot_group **g);

/* Forward, for the backward transfer: rebuilt group g (its site in the
 * destination's name, the destination's slab, the allocator's argument,
 * its rank and allocator). */
void stf__slot_keep(struct stf_xfer *x, const struct stf_slot_group *g);

/* The destination's type (*du, *dt) and size of source sub-object o; 0
 * if it has none (its type is gone: subobjects.c reports it). */
uint64_t stf__slot_dst_size(struct stf_xfer *x, const struct stf_obj *o,
			    const struct stf_meta_unit **du, uint32_t *dt);

/* slot-members.c: group g's slab is a member of a static, g->len bytes
 * at g->off into source object g->cache: the destination's place of it
 * (g->dcache, g->dslab), which its startup must have set.  1, or 0 (why
 * in `why`). */
int stf__slot_member_of_static(struct stf_xfer *x, struct stf_slot_group *g, char *why,
				size_t whylen);

/* The same for a slab whose address the allocator takes (source function
 * f, NULL if not known; g->off set): its size is what f's first
 * parameter points to, the allocator's argument the destination's
 * address of it. */
int stf__slot_member_slab(struct stf_xfer *x, struct stf_slot_group *g,
			  const struct stf_obj *f, char *why, size_t whylen);

/* The element of static o holding byte `off` (*start, *len): of an
 * array, the element; else the whole static. */
void stf__slot_element_at(const struct stf_obj *o, uint64_t off, uint64_t *start,
			  uint64_t *len);

/* Whether source block t holds objects of site `site`. */
int stf__slot_chunk_of_site(const struct stf_peer *src, const struct stf_obj *t, const char *site);

/* Forward: the slab of slot site `site` whose allocator takes an integer
 * choosing it (called there with `value` only), or a size choosing its
 * class (g->sized set by the caller): the one static element
 * holding the old slab's pointers into the chunks of the site's
 * objects.  1 (g set), or 0 (why). */
int stf__slot_chosen_slab(struct stf_xfer *x, const char *site, uint64_t value,
			  struct stf_slot_group *g, char *why, size_t whylen);

/* Forward (in F), for the backward transfer: a rebuilt site in F's
 * name, F's slab of it (the integer choosing it, if), its rank and F's
 * allocator (slots.c keeps them, stf__slot_keep). */
struct stf_slot_kept {
	char site[256];
	uint64_t cache, fn, value;
	uint8_t integer, sized;
	uint32_t rank;
};

struct stf_slot_args;

/* slot-pair.c: the past version's table of slot allocator arguments
 * (runtime/slots.h) into *t: 0, or -1 when it cannot be read (another
 * build of libstf). */
int stf__slot_read_table(struct stf_xfer *x, struct stf_slot_args *t);

/* The source object of a recorded cache argument: a heap object or a
 * static that is the slab, or that the slab is a member of; NULL if none
 * (freed since, or inside an object handed out by an allocator). */
const struct stf_obj *stf__slot_cache_object(const struct stf_peer *src, uint64_t cache);

/* Forward: the group of slot site `site` from the recorded calls t (NULL:
 * not readable); 1 if it can be rebuilt, 0 if not (why). */
int stf__slot_group_forward(struct stf_xfer *x, const struct stf_slot_args *t, const char *site,
			    struct stf_slot_group *g, char *why, size_t whylen);

/* Forward: the group of slot site `site` whose slab is source address
 * `cache` (a recorded argument, or the value of the static the site
 * passes), allocator fn (0 if not known: by name); 1, or 0 (why). */
int stf__slot_group_of_cache(struct stf_xfer *x, const char *site, uint64_t cache, uint64_t fn,
			     struct stf_slot_group *g, char *why, size_t whylen);

/* Backward: the group of rebuilt site `site` (F's name) from what the
 * forward transfer kept; 1, or 0 (why). */
int stf__slot_group_backward(struct stf_xfer *x, const struct stf_slot_kept *kept,
			     const char *site, struct stf_slot_group *g, char *why,
			     size_t whylen);

/* Before the untyped plan: decide which slot sites are rebuilt (their
 * sub-objects SUB_SLOT, their slab paired with the destination's own,
 * their chunks not carried).  0, or -1 (problem reported). */
int stf__plan_slots(struct stf_xfer *x);

/* Why the slab of slot site `site` could not be given the new size in
 * this transfer (for the rollback's message); NULL if it was not tried. */
const char *stf__slot_refusal(const char *site);

/* Source object o (index i, in the block of index c) of an allocator
 * taking a size does not fit its place in the destination (dsize bytes):
 * when the allocator takes its objects back one by one (a size-class
 * allocator, STF_SF_GIVEN_BACK), it cannot move out to a heap block of
 * its own, which the program would give back to the allocator: the
 * transfer fails naming it, and -1; else 0. */
int stf__given_back_cannot_move(struct stf_xfer *x, size_t i, size_t c, uint64_t dsize);

/* The type of allocator `name`'s function object in p (unit u's first,
 * any unit's if u is NULL), in unit *fu; NULL if no function object
 * by that name is listed (defined in a file of its own). */
const struct stf_type_rec *stf__slot_allocator_type(const struct stf_peer *p,
						    const struct stf_meta_unit *u, const char *name,
						    const struct stf_meta_unit **fu);

/* slot-classes.c: the group of site `site` of a size-class allocator
 * (named `alloc`, STF_SF_GIVEN_BACK) whose objects grow out of their
 * class: its slab the static array of classes, the classes its objects
 * are in.  1, or 0 (why). */
int stf__slot_group_sized(struct stf_xfer *x, const char *site, const char *alloc,
			  struct stf_slot_group *g, char *why, size_t whylen);

/* Source byte ranges of group g's slab that are the old allocator's
 * state: call with *k 0, then again while it returns 1 (*off, *len): a
 * sized group's classes, else its member (the whole object: len 0). */
int stf__slot_range(const struct stf_slot_group *g, unsigned *k, uint64_t *off, uint64_t *len);

/* The size a sized group's allocator is asked for source object o of
 * dsize bytes in the destination (type du, dt): a program counts a tail
 * after its struct from sizeof (memcached's sizeof(item) + nkey + 1 +
 * nbytes) or from the tail's offset (dsize), and frees the object into
 * the class of that count: the larger, so that the class it frees into
 * never has larger slots than the object's own. */
uint64_t stf__slot_request(const struct stf_obj *o, uint64_t dsize,
			   const struct stf_meta_unit *du, uint32_t dt);

/* Sized group g: the allocator's second argument for an object of `size`
 * bytes in the destination (its class), 0 if it takes one. */
uint64_t stf__slot_class_arg(const struct stf_slot_group *g, uint64_t size);

/* Before the slots of sized group g are allocated: a copy of the
 * destination's static of its classes (in x's arena); NULL (reported). */
uint8_t *stf__slot_class_before(struct stf_xfer *x, const struct stf_slot_group *g);

/* After: the classes the allocation changed (g->placed) keep the
 * destination's state, g->kept the static's bytes now.  0, or -1
 * (reported: the source's same class has state of its own). */
int stf__slot_class_placed(struct stf_xfer *x, struct stf_slot_group *g, const uint8_t *before);

/* After the transform: each object of a by_class group that keeps its
 * class in a member (g->class_member) gets the class of its slot there
 * (in x->img). */
void stf__slot_set_classes(struct stf_xfer *x);

/* slot-place.c, after the other allocations: allocate the SUB_SLOT objects from the
 * destination's slab and register them there.  0, or -1. */
int stf__place_slots(struct stf_xfer *x);

/* The reversed version's side of M_SLOTS: allocate from its own slab,
 * record the slab's state as not compared, and what it wrote
 * (served(addr, size)) for the differencing.  Replies itself; 0 or -1. */
int stf__serve_slots(int conn, const uint8_t *p, uint32_t len,
		     int (*served)(uint64_t addr, uint64_t size), char *err, size_t errlen);

/* The reversed version's side of M_SLAB_FIND: its own slab.  0 or -1. */
int stf__serve_slab_find(int conn, const uint8_t *p, uint32_t len, char *err, size_t errlen);

/* slot-place.c, after the transform: a slab that is a member of a
 * static keeps the destination's bytes (its own allocator state), the
 * rest of the static the transferred values. */
void stf__slot_keep_caches(struct stf_xfer *x);

/* Whether source object i is a chunk of an old slab left behind (not
 * carried): a pointer into it that is not into one of its objects is a
 * dead link of the old allocator (a free list's), kept as the number it
 * is (the new and reversed versions never map that address). */
int stf__slot_chunk_left(const struct stf_xfer *x, size_t i);

/* Whether source object o is a sub-object handed out by a slab (a slot
 * allocator, or one taking its objects back one by one): one object per
 * slot, never an array, so an address right past its end is the next
 * slot (a slot given back when no object starts there: a stale pointer
 * that must keep pointing nowhere), not one past the object. */
int stf__slab_object(const struct stf_peer *p, const struct stf_obj *o);

/* slot-state.c: the dynamic IDs of rebuilt slabs' allocator state (in F,
 * the past version's caches and chunks, sent to R; in R, those and its
 * own new chunks).  Add one (0, or -1 without memory); forget them all
 * (a new forward transfer); the list. */
int stf__slot_state_add(uint64_t id);
void stf__slot_state_clear(void);
size_t stf__slot_state_ids(const uint64_t **ids);

/* Whether o is allocator state of a rebuilt slab (the cache, its chunks):
 * the differencing does not compare it. */
int stf__slot_state(const struct stf_obj *o);

/* In R, for the differencing of static or heap object ro with the
 * past's same object: when a rebuilt slab is a member of ro (its
 * allocator state, not compared), a copy of `bytes` (ro's, or the
 * past's, of ro->size bytes)
 * with that member zero (the caller frees it with stf__raw_free); else
 * NULL. */
uint8_t *stf__slot_state_masked(const struct stf_obj *ro, const uint8_t *bytes);

#endif /* STF_TRANSFER_SLOTS_H */
