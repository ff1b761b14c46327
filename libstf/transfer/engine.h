/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine.h - INTERNAL to transfer/: the state of a running transfer and the
 * functions the engine's files share.  The engine's interface to the
 * control thread is xfer.h; its interface to callbacks is callbacks.h.
 */
#ifndef STF_ENGINE_H
#define STF_ENGINE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "callbacks.h"
#include "fault.h"
#include "remote.h"
#include "xfer.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* ------------------------------------------------------------------ */
/* The running transfer.                                               */

#define PAIR_UNRESOLVED (-2)
#define PAIR_NONE       (-1)

struct pairing {
	int64_t dst;       /* destination object, PAIR_* */
	uint64_t dst_addr; /* its address */
	uint8_t same;      /* same layout: offsets map to themselves */
	uint8_t scheduled; /* its value is transferred */
	uint8_t needed;    /* untyped external object reached by a pointer */
	uint8_t direct;    /* read straight into the destination (stf__flush_direct) */
	uint8_t placed;    /* an untyped block kept at its address (untyped.c) */
	uint8_t pinned;    /* a typed heap object an untyped word points into
	                      (1) or whose address the program keeps as an
	                      integer (STF_PIN_KEY, addr-keys.c): kept at its
	                      address with its new type */
	uint8_t moved;     /* a sub-object not converted in place: SUB_* */
	uint8_t bytes_words; /* a block typed as bytes holding addresses:
	                        its words are classified (bytes.c) */
	uint8_t carved;    /* a block typed by inference as one struct whose
	                      flexible array holds addresses: objects the
	                      program carved out of it (flex-pages.c) */
	uint8_t resized_here; /* a wrapper's block whose sub-object's size
	                         changes, kept at its address with its new
	                         size (x->resize): an untyped word points
	                         into them (stf__plan_subs) */
};

#define STF_PIN_KEY 2

/* How a typed sub-object whose size changes leaves its place
 * (subobjects.c, stf__plan_subs). */
#define SUB_ALONE 1      /* into a fresh heap block of its own */
#define SUB_WITH_BLOCK 2 /* with its whole containing block (a wrapper's) */
#define SUB_SLOT 3       /* into a slot of the destination's own slab (slots.c) */

/* One step of the member path of the value being transferred: member
 * `name`, or element `index` when name is NULL. */
struct path_step {
	const char *name;
	uint64_t index;
};
#define STF_PATH_STEPS 96

struct member_map; /* transform.c */
struct apr_words; /* apr-pools.c */

/* Where the first untyped word pointing into an object lies, by source
 * object number (stf__pin_note).  Few objects are pinned: a hash table
 * instead of two arrays of an entry per object, which took 16 MB of
 * fresh memory and 2,000 page faults per direction at 10^6 objects. */
struct pin_origin {
	size_t obj1;  /* object number + 1, 0: free slot */
	size_t from;  /* the block holding the word */
	uint64_t at;  /* the word's offset in it */
};
struct pin_table {
	struct pin_origin *slots;
	size_t cap, n;   /* cap: a power of two, or 0 */
	int oom;         /* a note could not be kept (the transfer fails) */
};

struct stf_xfer {
	enum stf_direction dir;
	struct stf_peer *src, *dst;
	struct stf_xfer_report *rep;
	struct stf_arena *arena;
	struct stf_layouts *layouts;
	struct pairing *pair;      /* per source object */
	uint8_t *unreached;        /* forward: per source object, a heap block
	                              nothing carried reaches (unreached.c):
	                              dropped; NULL backward */
	uint8_t **img;             /* per destination object */
	size_t img_cap;
	struct stf_strmap dst_ids; /* ID -> destination object (statics, locals) */
	int conn;                  /* backward: the reversed version */
	/* path of the value being transferred, built only when needed:
	 * object, element of a dynamic array, member path */
	const struct stf_obj *obj;
	const char *obj_label;     /* when obj is NULL */
	uint64_t elem;             /* UINT64_MAX: none */
	/* member path below the element, as steps formatted only when a
	 * message needs it (stf__cur_path): formatting each member of
	 * every object cost more than transforming it */
	struct path_step path[STF_PATH_STEPS];
	size_t plen;               /* steps pushed (those past the array
	                              are counted, not kept) */
	/* innermost leaf of a fast copy, for error paths */
	const struct stf_meta_unit *leaf_unit;
	uint32_t leaf_type;
	uint64_t leaf_off;
	int leaf_active;
	int failed;                /* the object being transferred failed */
	int trial;                 /* trying conversions: failures are no problems */
	uint32_t problems;         /* problems found so far (the transfer fails) */
	int strict;                /* values that point nowhere are problems */
	int keep_new;              /* forward: the static being transferred keeps
	                              the new version's values where the old
	                              version has none */
	/* the destination object's bytes before the transfer: pointers into
	 * main's stack outside the command line and environment (which are
	 * relocated, see stf__reloc_arg) keep the destination's own value */
	const uint8_t *keep_orig;
	const uint8_t *keep_base;
	uint64_t keep_len;
	int cb_type, cb_member, cb_object, renames;
	enum stf_fault fault;
	int fault_done;
	int64_t fault_alt;         /* wrong target for corrupt-pointer */
	uint64_t fault_point;      /* eligible values to pass before the fault */
	uint64_t fault_seen;       /* eligible pointers passed so far */
	const struct stf_range *last; /* last pointer target: lists and trees
	                                 point near each other */
	/* forward: mappings created writable, to get their protection once
	 * filled (start = address, value = PROT_*) */
	struct stf_range *protect;
	size_t nprotect;
	/* pinned objects (and containers an untyped word points into): the
	 * block and offset of the first word pointing into each */
	struct pin_table pins;
	/* a part of the parallel transform (stf__transform_all): what only
	 * the serial loop may do (resolve a pairing, look up a symbol,
	 * allocate) defers the object to it (stf__part_defer) */
	int in_part;
	int deferred;
	/* per pair of struct types: the source member of each destination
	 * member and the plan of the transform (member-plan.c) */
	struct member_map **member_maps;
	/* where pointers into objects of changed types land, per key
	 * (relocate.c) */
	struct reloc_memo *reloc_memo;
	/* forward: descriptor numbers the statics and locals paired held
	 * before the transfer wrote over them (startup.c) */
	uint8_t *overwritten_fds;
	/* per source object, NULL if none: the new size of a containing
	 * block that moves whole with its grown sub-object (SUB_WITH_BLOCK),
	 * 0 for the others */
	uint64_t *resize;
	/* the objects whose address the program keeps as an integer
	 * (addr-keys.c); NULL: none */
	struct stf_addr_keys *keys;
	/* the words of the source's APR nodes that are APR's own positions
	 * or the program's user data (apr-pools.c); NULL: none */
	struct apr_words *apr;
};

/* In a part of the parallel transform: leave the object being
 * transferred to the serial loop after the parts (-1). */
static inline int stf__part_defer(struct stf_xfer *x)
{
	x->deferred = 1;
	return -1;
}

/* stf_meta_strip_typedefs, inline: the transfer strips a type several
 * times per object and member (a call each was ~7% of its instructions) */
static inline uint32_t strip(const struct stf_meta_unit *u, uint32_t t)
{
	while (t < u->ntypes && u->types[t].kind == STF_K_TYPEDEF)
		t = u->types[t].target;
	return t;
}

static inline const struct stf_type_rec *T(const struct stf_meta_unit *u, uint32_t t)
{
	return &u->types[t];
}

/* The type a pointer points to; unit NULL: unknown. */
struct pointee {
	const struct stf_meta_unit *unit;
	uint32_t type;
	/* the destination pointer's pointee type when it differs (a pointer
	 * whose declared type changed); dunit NULL otherwise */
	const struct stf_meta_unit *dunit;
	uint32_t dtype;
};

/* member-plan.c: what transforming struct st into struct dt does, once
 * per pair of types.  Steps: */
enum member_step_kind {
	STF_STEP_COPY,    /* len bytes as they are (no pointers, same types) */
	STF_STEP_SAME,    /* same type with pointers: copied, pointers fixed up */
	STF_STEP_POINTER, /* a pointer whose pointee type changed: relocated */
	STF_STEP_SCALAR,  /* stype converted to dtype (scalars.c) */
	STF_STEP_MEMBER,  /* anything else: the general walk for member */
};

struct member_step {
	enum member_step_kind kind;
	uint32_t member;                /* destination member index */
	uint64_t soff, doff, len;
	const char *name;               /* the destination member's (path) */
	const struct stf_layout *layout; /* STF_STEP_SAME's */
	struct pointee pe;              /* STF_STEP_POINTER's */
	uint32_t stype, dtype;          /* stripped; SAME, SCALAR */
};

struct member_map {
	const struct stf_meta_unit *su, *du;
	uint32_t st, dt;
	const struct stf_member_rec **sm; /* per destination member, NULL: none */
	uint64_t *sabs;                   /* its offset in the source struct */
	const struct member_step *steps;
	size_t nsteps;
};

/* NULL only when out of memory */
const struct member_map *stf__member_map(struct stf_xfer *x, const struct stf_meta_unit *su,
					 uint32_t st, const struct stf_meta_unit *du,
					 uint32_t dt);
int stf__renamed_type(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		      const struct stf_meta_unit *du, uint32_t dt);

/* ------------------------------------------------------------------ */
/* Messages between F (backward transfer) and R (serve).  Each message  */
/* is a header and at most MSG_MAX payload bytes, sent in one write: a  */
/* SOCK_SEQPACKET socket keeps the boundaries, a stream is re-framed.   */

enum msg_type {
	M_FRAME_REQ = 1, /* F -> R: which frame are you parked in? */
	M_FRAME,         /* R -> F: struct stf_parked_frame */
	M_ALLOC,         /* F -> R: [u64 size, u64 id, u32 len, site[len]]... */
	M_ADDRS,         /* R -> F: u64 address per requested object */
	M_ZERO,          /* F -> R: [u64 addr, u64 size]...: zero and record */
	M_OK,            /* R -> F */
	M_DONE,          /* F -> R: u32 status (0 ok), error text */
	M_ERROR,         /* R -> F: error text */
	M_MMAP_AT,       /* F -> R: [u64 addr, u64 size, u64 own, u64 id, u32 prot,
	                    u32 must, u32 len, site[len]]...: create mappings at the
	                    old version's addresses (own: the bytes reserved for
	                    each there; anywhere if taken and not `must`),
	                    writable until M_DONE, reply M_ADDRS */
	M_STREAM,        /* F -> R: i32 fd, i32 buffering, char mode[4], pending
	                    output...: re-create a stdio stream, reply M_ADDRS (one) */
	M_SUB,           /* F -> R: [u64 addr, u64 size, u64 id, u32 slen, u32 tlen,
	                    site[slen], type[tlen]]...: register sub-objects, reply M_OK */
	M_PLACE,         /* F -> R: [u64 addr, u64 size, u64 id, u32 len, site[len]]...:
	                    heap blocks at given addresses, reply M_ADDRS */
	M_SLOTS,         /* F -> R: u64 allocator, u64 cache, u64 cache ID, u32 nids,
	                    u32 n, u64 state IDs[nids], then n times [u64 size, u64 id,
	                    u32 len, site[len]]: objects from R's own slab (slots.c),
	                    reply M_ADDRS */
	M_SLAB_FIND,     /* F -> R: u32 rank, site ID: R's rank-th heap block of that
	                    site (its slab), reply M_ADDRS (one) */
};

#define MSG_MAX 65536u

struct msg_hdr {
	uint32_t type;
	uint32_t len;
};

/* ------------------------------------------------------------------ */
/* Pairing and allocation.                                             */

struct alloc_req {
	size_t src;            /* source object */
	uint64_t size, id;
	const char *site;
	const struct stf_meta_unit *unit;
	uint32_t type;
	int prot;              /* a mapping's protection; -1: a heap block */
	uint64_t at;           /* a heap block placed at this address (a mapping:
	                          where it would keep its address); 0: anywhere */
	uint64_t own;          /* a mapping: the bytes at `at` reserved for it */
	uint8_t align_lg;      /* a heap block's alignment (memalign & co.) */
};

#define SRC_KINDS ((1u << STF_OBJ_STATIC) | (1u << STF_OBJ_LOCAL) | (1u << STF_OBJ_HEAP) | \
		   (1u << STF_OBJ_MMAP) | (1u << STF_OBJ_USER))

/* xfer.c */
const char *stf__cur_path(struct stf_xfer *x);
int64_t stf__dst_add(struct stf_xfer *x, const struct stf_obj *o);
/* Room for n destination objects (and their images) in all: 0 or -1. */
int stf__dst_reserve(struct stf_xfer *x, size_t n);
extern struct stf_index stf__fwd_mappings;
extern struct stf_index stf__fwd_mapping_from;
extern struct stf_index stf__fwd_new_elems;
/* An object the program allocated (heap, mapping, registered object). */
static inline int stf__is_dynamic(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP || o->kind == STF_OBJ_USER;
}
/* The destination's ID of an allocation site (its renames applied). */
const char *stf__site_dst_id(struct stf_xfer *x, const char *id);
/* subobjects.c: place the source's sub-objects in their containers'
 * destinations and register them there; serve the reversed version's
 * M_SUB (0, or -1 with err set). */
int stf__place_subs(struct stf_xfer *x);
/* Before allocation: decide which sub-objects leave their place (their
 * new size does not fit there): pair[].moved, resize[]. */
int stf__plan_subs(struct stf_xfer *x);
/* size-headers.c: whether the size header of source block c, a wrapper's
 * block whose object i moves with it to dsize bytes, is understood (0;
 * else -1, failed); after the transform, rewrite the headers of the
 * blocks that moved and add the difference to their wrappers' counters
 * (0, or -1 failed). */
int stf__size_header_known(struct stf_xfer *x, size_t i, size_t c, uint64_t dsize);
/* Whether the wrapper of source block c keeps the size of its object i
 * in a header the plugin understood (1; else 0: nothing is said). */
int stf__size_header_said(const struct stf_peer *src, size_t i, size_t c);
int stf__size_headers_follow(struct stf_xfer *x);
int stf__serve_subs(const uint8_t *p, uint32_t len, char *err, size_t errlen);
/* subobjects.c: v is the start of container range r, right at the end
 * of a sub-object converted where it is to another size (a pool's last
 * object grown into the pool's free bytes): the pool's cursor, its next
 * free byte, which moves with the object's end (*out), so the next
 * object carved does not overlap it, and back.  Not a slab's slot (the
 * next slot: stf__slab_object).  1 if so. */
int stf__sub_end_moves(struct stf_xfer *x, const struct stf_range *r, uint64_t *out);
/* subobjects.c: forget the cursors an earlier forward transfer moved
 * (each forward transfer starts with it). */
void stf__sub_end_moves_reset(void);

/* subobjects.c: where the room of sub-object o (source index i) of
 * container co ends (an offset in co): at the next sub-object; a slab's
 * slot (stf__slab_object) at its chunk's end, the chunk the greatest
 * common divisor of the distances between its block's slots (live ones,
 * and given-back ones a free-list link shows), when not past the next
 * sub-object.  Otherwise after the last one, what follows is the
 * allocator's free space as often as the object's own slack: the room
 * ends one stride further when the sub-objects are evenly spaced, else at
 * the object's end rounded up to 16 bytes (a pool carving objects one
 * after the other), never past the container's end. */
uint64_t stf__sub_room_end(const struct stf_peer *src, size_t i, const struct stf_obj *co);

/* Backward: a pointer into the bytes sub-object i grew over in place,
 * past its old type's end (dobj): the same offset, its container's bytes
 * again.  1 if so (*out set). */
int stf__past_shrunk_sub(struct stf_xfer *x, size_t i, const struct stf_obj *dobj,
			 uint64_t off, uint64_t *out);
extern struct stf_index stf__own_startup;
/* The member path: push a member (name must live as long as the
 * transfer: metadata strings) or an element; each returns the mark to
 * cut back to. */
void stf__path_cut(struct stf_xfer *x, size_t mark);
size_t stf__path_member(struct stf_xfer *x, const char *name);
size_t stf__path_index(struct stf_xfer *x, uint64_t index);
int stf__transform_all(struct stf_xfer *x);
const char *stf__type_str(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len);
/* The destination's type named like type t of unit u (renamed by the
 * transfer's rename rules; an anonymous struct, union or enum by the
 * typedef naming it): 0 with *du, *dt, or -1. */
int stf__dst_type_named(const struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
			const struct stf_meta_unit **du, uint32_t *dt);
void stf__xfail(struct stf_xfer *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void stf__xfer_fini(struct stf_xfer *x);
int stf__xfer_init(struct stf_xfer *x, enum stf_direction dir, struct stf_peer *src,
		     struct stf_peer *dst, struct stf_xfer_report *rep);
int stf__xfer_object(struct stf_xfer *x, size_t i, int64_t j);

/* offsets.c */
int stf__is_flexible(const struct stf_meta_unit *u, uint32_t t);
const char *stf__member_dst_name(struct stf_xfer *x, const struct stf_meta_unit *su,
				   uint32_t st, const char *name);
const struct stf_member_rec *stf__member_named(const struct stf_meta_unit *u, uint32_t st,
						 const char *name, uint64_t *abs);
const struct stf_member_rec *stf__src_member_for(struct stf_xfer *x,
						   const struct stf_meta_unit *su, uint32_t st,
						   const char *dname, uint64_t *abs);
/* Offset off of source object so mapped into its counterpart dobj: 0
 * with *doff, -1 (failed) when it has no place there. */
int stf__map_obj_off(struct stf_xfer *x, const struct stf_obj *so,
		     const struct stf_obj *dobj, uint64_t off, uint64_t *doff,
		     const struct pointee *pe);
int stf__end_of_previous(struct stf_xfer *x, const struct stf_range *r,
			 const struct pointee *pe);

/* args.c: forward, this process's `environ` set to the counterpart of
 * the past version's when that points into the program's objects: 0, or
 * -1 (failed). */
int stf__carry_environ(struct stf_xfer *x);

/* relocate.c */
const char *stf__obj_name(const struct stf_obj *o, char *buf, size_t len);
/* Pair source object i (a static, constant, function or string literal
 * not paired yet) with the destination's object of its ID: 1, or 0 when
 * there is none (left unresolved).  Pointers resolve the others lazily. */
int stf__pair_by_id(struct stf_xfer *x, size_t i);
int stf__reloc(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe);
int stf__reloc_arg(struct stf_xfer *x, uint64_t v, uint64_t *out);
int64_t stf__stream_target(struct stf_xfer *x, size_t i);

/* scalars.c */
int stf__convert_scalar(struct stf_xfer *x,
			const struct stf_meta_unit *su, uint32_t st, const uint8_t *s,
			const struct stf_member_rec *sbits,
			const struct stf_meta_unit *du, uint32_t dt, uint8_t *d,
			const struct stf_member_rec *dbits);

/* initial.c: 1 when static `so`, an integer the source never moved from
 * its initializer, keeps the destination's own value (in d) because the
 * destination's initializer differs; 0 to transfer it as usual. */
int stf__keep_changed_initial(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
			      const struct stf_obj *dobj, uint8_t *d);

/* transform.c */
int stf__all_zero(const uint8_t *p, size_t n);
uint64_t stf__dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt);
int stf__flex_tail(const struct stf_meta_unit *u, uint32_t t, uint32_t *elem, uint64_t *off);
int stf__reloc_into(struct stf_xfer *x, const uint8_t *s, uint8_t *d, const struct pointee *pe);
int stf__run_value_cb(struct stf_xfer *x, const struct stf_cb *cb,
			const struct stf_meta_unit *su, uint32_t st, const uint8_t *s, size_t ssize,
			const struct stf_meta_unit *du, uint32_t dt, uint8_t *d, size_t dsize);
int stf__xform(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st0,
		 const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt0,
		 uint8_t *d, int depth);

/* tagged.c: whether a pointer off (1-7) bytes into a value of type (u, t)
 * is the value's address with tag bits set, so that it follows the
 * value's start (its first scalar is wider than off and no byte). */
int stf__tag_on_start(const struct stf_meta_unit *u, uint32_t t, uint64_t off);
/* A pointer of type pe off (1-7) bytes into so, mapped to doff: -1
 * (reported) when so starts with text that moves and pe is no pointer
 * into text (a `void *`: a cursor or a tagged address?). */
int stf__tag_ambiguous(struct stf_xfer *x, const struct stf_obj *so, uint64_t off,
		       uint64_t doff, const struct pointee *pe);

/* tsd.c, forward: the pthread keys the past version created (glibc's
 * table of keys: sequence number, destructor) are created in this
 * process with the same numbers, sequences and relocated destructors, so
 * the carried key slots and the statics holding key numbers stay valid
 * (a key a library creates lazily, GLib's GPrivate, was not in use in the
 * new version: setspecific failed with EINVAL after the commit); -1 with
 * the problems reported (a key both versions use with other
 * destructors). */
int stf__claim_pthread_keys(struct stf_xfer *x);

/* untyped.c */
/* Whether struct or union pt of unit u (named) has another layout in the
 * destination; its name in tn. */
int stf__struct_changes(const struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t pt,
			char *tn, size_t tnlen);
/* Does a value of structural hash `hash` (0: any struct or union) start
 * at off in (u, t)?  depth 0 from outside. */
int stf__hash_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off, uint64_t hash,
		 int depth);
int stf__check_raw(struct stf_xfer *x, const struct stf_obj *o);
int stf__check_raw_tail(struct stf_xfer *x, const struct stf_obj *o, uint64_t from);
/* xfer.c: the same, deferring the object in a part of the parallel
 * transform (the tables it looks in are shared). */
int stf__check_tail(struct stf_xfer *x, const struct stf_obj *so, uint64_t from);
/* The first word of o's bytes [from, to) holding an address of the
 * source's image or of one of its objects: 1 with *at, *val and what
 * (the target, for messages) set, else 0. */
int stf__find_raw_pointer(struct stf_xfer *x, const struct stf_obj *o, uint64_t from,
			  uint64_t to, uint64_t *at, uint64_t *val, char *what, size_t len);
/* A typed struct pointer into a heap block its site typed as numbers:
 * -1 (the update fails) when the struct holds pointers or changed (typed
 * as bytes: when it changed). */
int stf__check_numeric_host(struct stf_xfer *x, const struct pointee *pe,
			    const struct stf_obj *so, uint64_t off);
int stf__direct_copy(struct stf_xfer *x, size_t i, int64_t j);
const uint8_t *stf__fetch_deferred(struct stf_xfer *x, struct stf_obj *so);
int stf__flush_direct(struct stf_xfer *x);
/* Note that a word at offset `at` of source object `from` points into
 * source object `obj` (pairing.c): the first note of an object is kept. */
void stf__pin_note(struct stf_xfer *x, size_t obj, size_t from, uint64_t at);
/* 1 and the first note's block and offset (either may be NULL) if obj
 * has one, else 0. */
int stf__pin_origin(const struct stf_xfer *x, size_t obj, size_t *from, uint64_t *at);
int stf__mark_direct(struct stf_peer *src, char *err, size_t errlen);
int stf__plan_untyped(struct stf_xfer *x);
/* addr-keys.c: the objects whose address the program keeps as an integer
 * (a hash of it, a slot chosen by it) are pinned (STF_PIN_KEY), the
 * untyped blocks among them pushed on work; a static of such a type
 * refuses the update forward.  0, or -1 (problem reported). */
int stf__plan_addr_keys(struct stf_xfer *x, size_t *work, size_t *nwork);
/* byte-reads.c: forward, after the transfer: a static whose bytes the
 * code reads through a char pointer (STF_USE_BYTES_READ) differs in the
 * new version (its pointers moved): 0, or -1 (problem reported). */
int stf__check_byte_reads(struct stf_xfer *x);
/* Pinned object i (STF_PIN_KEY) cannot keep its address with new_size
 * bytes (why_not: "a block of that size cannot be created there"): -1,
 * reported once per type. */
int stf__addr_key_moves(struct stf_xfer *x, size_t i, uint64_t new_size, const char *why_not);
/* Why source object i, whose address is a key (STF_PIN_KEY), keeps it
 * ("f() keeps the address of every struct T as an integer (...)", or
 * "orders every ..." for a container ordered by address), and the fix
 * ("rehash what f() made in an stf_on_commit() callback, or ..."; fix
 * may be NULL). */
void stf__addr_key_why(struct stf_xfer *x, size_t i, char *why, size_t wlen, char *fix,
		       size_t flen);
/* pinned-growth.c: pinned source object i takes new_size bytes in the
 * destination.  0: it fits the granules of its block; 1: it grows past
 * them over blocks that move (its block of the new size is placed at its
 * address); -1 (problem reported): another object that keeps its address
 * too holds bytes it grows over. */
int stf__pinned_growth(struct stf_xfer *x, size_t i, uint64_t new_size);
/* Refuses (-1, reported) untyped blocks behind a `void *` member used as
 * a struct type that changed between the versions (member-uses.c). */
int stf__check_member_uses(struct stf_xfer *x);
/* Whether struct t of unit u has another layout in dst, or none (its name
 * "struct NAME" in buf). */
int stf__struct_changed(const struct stf_meta_unit *u, uint32_t t, const struct stf_meta *dst,
			char *buf, size_t len);
/* Untyped blocks of a program site that are probably a struct whose
 * layout changes (sized-blocks.c): -1, the transfer failed, if one is. */
int stf__check_sized_blocks(struct stf_xfer *x);
/* Blocks a function not declared STF_ALLOCATOR hands out past a prefix
 * (STF_SF_UNDECLARED_PREFIX sites, prefix-wrappers.c) with room for a
 * struct whose layout changes: -1, the transfer failed, if there is one. */
int stf__check_prefix_wrappers(struct stf_xfer *x);
/* Members holding the element size of the array behind a `void *` member
 * (STF_USE_STRIDE) get the new size of a converted array's elements, in
 * the destination's images; -1 (problem reported) when one does not hold
 * the old size. */
int stf__fix_strides(struct stf_xfer *x);
/* Integer members the code adds to or subtracts from pointers
 * (STF_USE_OFFSET: uthash's `hho`, the offset of the handle in the
 * element) get the new offset of the member they measure, in the
 * destination's images; -1 (problem reported) when the elements reached
 * disagree or do not say (member-offsets.c). */
int stf__fix_offsets(struct stf_xfer *x);
int stf__xfer_placed(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d);
/* The words of source object i in [from, to) classified like an untyped
 * block's into its image d, which holds their bytes already (untyped.c). */
int stf__classify_words(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d,
			uint64_t from, uint64_t to);
/* The n bytes of an ambiguous union at s classified the same way into d.
 * Safe in a part of the parallel transform: a word with no holder and no
 * address of its own records nothing shared (no end word, no user data);
 * it reads the source's and destination's indexes and the pairings the
 * schedule made, and a lookup only the serial loop may do defers the
 * object (stf__reloc). */
int stf__conservative_words(struct stf_xfer *x, const uint8_t *s, uint8_t *d, uint64_t n);
/* Planning: mark what the word v at offset `at` of source object `from`
 * needs (an untyped block to place, pushed on work; a typed object to
 * pin). */
void stf__plan_word(struct stf_xfer *x, uint64_t v, size_t from, uint64_t at, size_t *work,
		    size_t *nwork);
/* The record whose leading uint64_t is key among n records of `stride`
 * bytes (NULL if none), sorted first unless *sorted (then set). */
void *stf__sorted_find(void *base, size_t n, size_t stride, int *sorted, uint64_t key);

/* bytes.c: blocks typed as bytes that hold addresses.  Planning (from
 * stf__plan_untyped): such a block and the heap objects its words point
 * into keep their address (pair[].bytes_words, pinned); 0, or -1
 * (problem reported).  Transform: the block's bytes, its words to
 * functions and statics relocated. */
int stf__plan_bytes(struct stf_xfer *x, size_t *work, size_t *nwork);
int stf__xfer_bytes(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d);

/* flex-pages.c: blocks the program carves into objects itself, typed by
 * inference as one struct whose flexible array covers the others.
 * Planning (from stf__plan_untyped): such a block whose flexible array
 * holds addresses keeps its address (pair[].carved, pinned), and what
 * those words point into is planned like an untyped block's.
 * Scheduling: -1 (reported) if its struct changes in the destination
 * (destination object d).  Transform: its first struct converted, the
 * flexible array's words classified.  Relocation of a pointer of type pe
 * to offset off of so, whose type changes: -1 (reported) if it points to
 * another struct inside the flexible array of such a block (carved or
 * not, a block typed by inference). */
void stf__plan_carved(struct stf_xfer *x, size_t *work, size_t *nwork);
int stf__carved_changes(struct stf_xfer *x, size_t i, const struct stf_obj *d);
int stf__xfer_carved(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d);
int stf__carved_interior(struct stf_xfer *x, const struct pointee *pe, const struct stf_obj *so,
			 uint64_t off);
/* Relocation of a pointer of type pe to offset off of so (any change of
 * so's type): -1 (reported) if it points to a struct that changes in the
 * destination, inside an array of bytes of so's struct (an arena's `char
 * mem[]` the program carves objects out of by hand). */
int stf__carved_bytes(struct stf_xfer *x, const struct pointee *pe, const struct stf_obj *so,
		      uint64_t off);


/* wire.c */
int stf__msg_recv(int fd, uint32_t *type, void *buf, uint32_t *len);
int stf__msg_send(int fd, uint32_t type, const void *p, uint32_t len);

/* mappings.c */
int stf__add_protect(struct stf_xfer *x, uint64_t addr, uint64_t size, int prot);
int stf__apply_protect(const struct stf_range *r, size_t n, char *err, size_t errlen);
int stf__mapping_prot(pid_t pid, uint64_t addr, uint64_t size);
uint64_t stf__old_mapping_size(const struct stf_obj *o, const struct stf_meta_unit *du,
				 uint32_t dt, uint64_t size);
/* Where source mapping o keeps its address in the destination: its own
 * forward, the old version's backward (stf__fwd_mapping_from); *own: the
 * size of the old version's mapping there, which the destination
 * reserved for it (STF_AVOID). */
uint64_t stf__mapping_home(const struct stf_xfer *x, const struct stf_obj *o, uint64_t *own);
/* Forward: create mapping request q (site: its number here) at its
 * address, or anywhere if that is taken and no untyped word holds it
 * (pinned); its address, or 0 (problem reported). */
uint64_t stf__map_at(struct stf_xfer *x, const struct alloc_req *q, uint32_t site);
/* What this process maps in [start, end), from /proc/self/maps, into
 * buf: "0x...-0x... rw-p /path" of the first mapping met. */
const char *stf__occupant(uint64_t start, uint64_t end, char *buf, size_t len);
/* A pointer v into memory the process tree shares (runtime/tree.h): kept,
 * if the type it points to (pe) is the same in both versions. */
int stf__reloc_shared(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe);
/* reloc-container.c: v, a pointer to a struct where no object is or where
 * no struct of its type is in the object of range r (stf__not_its_struct:
 * the struct overruns the object, or the object's type has none there), is
 * container_of a struct member at a head (a finished list walk's cursor):
 * 0 relocated through the head, -1 failed, 1 it is not. */
int stf__not_its_struct(struct stf_xfer *x, const struct stf_range *r, uint64_t v,
			const struct pointee *pe);
int stf__reloc_container(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe);
/* Whether stf__reloc_container may find a head through a pointer of
 * type pe: 0 when the struct has no struct member past its start, and
 * the answer, 1, is the same for every address. */
int stf__container_heads(const struct pointee *pe);
/* relocate.c: does a struct/union of this kind and tag start at off of o? */
int stf__obj_named_at(const struct stf_obj *o, uint64_t off, uint8_t kind, const char *tag);

/* pairing.c */
int stf__schedule(struct stf_xfer *x);
/* unreceived.c: forward, into this process: note the statics and locals
 * of this process no source object was scheduled into (0, -1 out of
 * memory); backward: is id one of them (its own, left out)? */
int stf__unreceived_note(const struct stf_xfer *x);
int stf__unreceived(const char *id);

/* startup.c: note the descriptor numbers the new version's statics and
 * locals hold before the transfer overwrites them (after stf__schedule,
 * before stf__transform_all); then free the new version's startup
 * objects (dst->objs[0..n)) that nothing reaches after the forward
 * transfer, and close the descriptors only they and the overwritten
 * memory named */
void stf__note_overwritten_fds(struct stf_xfer *x);
int stf__free_startup(struct stf_xfer *x, size_t nstartup);

/* streams.c */
FILE *stf__stream_create(int fd, const char *mode, int buffering, const void *pending,
			   size_t n, char *err, size_t errlen);

#endif /* STF_ENGINE_H */
