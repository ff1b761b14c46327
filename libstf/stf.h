/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stf.h - public API of libstf, the ttst runtime.  See stf.h(3).
 *
 * A program marks the top of its event loop with stf_update_point() and
 * guards one-time initialization with `if (!stf_is_updating())`.  The rest
 * of the state (globals, statics, heap, the locals of the function holding
 * the update point) is transferred automatically by ttst; annotations and
 * callbacks below cover what cannot be automatic.
 *
 * Everything here is safe to use in a program built without the stf.so
 * plugin or run outside ttstd: annotations vanish and the runtime stays
 * inert apart from allocation tracking.
 */
#ifndef STF_H
#define STF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API is exported by libstf.so, which is built with hidden visibility
 * by default, and imported by programs that may be too. */
#pragma GCC visibility push(default)

/* ---------------------------------------------------------------- */
/* Annotations.  The stf.so plugin predefines __STF_PLUGIN__ and
 * registers the attributes; without it the macros compile away.       */

#if defined(__STF_PLUGIN__)
/* Copy the bytes of this object/member/type; never transfer pointers in it. */
# define STF_IXFER     __attribute__((stf_ixfer))
/* This integer holds a pointer: relocate it like one. */
# define STF_PXFER     __attribute__((stf_pxfer))
/* This function returns freshly allocated memory (like malloc); calls to it
 * are allocation sites attributed to its caller. */
# define STF_ALLOCATOR __attribute__((stf_allocator))
/* This function gives back to its slab or pool an object an STF_ALLOCATOR
 * function handed out (`void slab_free(struct slab *, void *obj)`): each
 * call ends the object's registration, so a freed object is not carried
 * as live.  The object is the function's first `void *` parameter, else
 * its last pointer parameter; STF_DEALLOCATOR_ARG(N) names parameter N
 * (from 1).  Not needed for the partner of an STF_ALLOCATOR by name
 * (slab_alloc's slab_free, block_get's block_put): see stf.h(3). */
# define STF_DEALLOCATOR __attribute__((stf_deallocator))
# define STF_DEALLOCATOR_ARG(n) __attribute__((stf_deallocator(n)))
/* Never look inside this type; its objects are copied byte for byte. */
# define STF_OPAQUE    __attribute__((stf_opaque))
/* On a static holding pointers whose bytes the code mixes into what it
 * computes (a hash over `(const unsigned char *)table`): the program
 * rebuilds what it computed from them in an stf_on_commit() callback, so
 * the update need not roll back when they differ in the new version. */
# define STF_BYTES_REBUILT __attribute__((stf_bytes_rebuilt))
#else
# define STF_IXFER
# define STF_PXFER
# define STF_ALLOCATOR
# define STF_DEALLOCATOR
# define STF_DEALLOCATOR_ARG(n)
# define STF_OPAQUE
# define STF_BYTES_REBUILT
#endif

/* ---------------------------------------------------------------- */
/* Update points.                                                     */

/* Non-zero while an update is requested, and in a supervised process until
 * its first update point (which ends its startup: see ttst(7), "Process
 * trees"); one load on the fast path.  Not an API: to know whether an
 * update is requested, use stf_update_fd(). */
extern volatile int stf__update_pending;
void stf__update_point(void);

/*
 * Place at the top of each event loop (and in each long-running thread).
 * When an update is pending the calling thread parks here until the update
 * commits (in the new version it returns there) or rolls back (it returns
 * here).  The plugin rewrites the slow-path call so the locals of the
 * enclosing function in scope at this point are transferred too.  In
 * instrumented code pthread_cond_wait, pthread_cond_timedwait and
 * pthread_cond_clockwait are update points as well (see stf.h(3)).
 */
#define stf_update_point()                                      \
	do {                                                    \
		if (__builtin_expect(stf__update_pending, 0))   \
			stf__update_point();                    \
	} while (0)

/*
 * For a program whose loop is run by a library (libevent, libev): a
 * descriptor that is readable while an update is pending and the process
 * should go to its update point, and not readable otherwise.  Register it
 * with the loop (libevent: event_new(base, stf_update_fd(), EV_READ |
 * EV_PERSIST, cb, NULL)) and call stf_update_point() from the callback, so
 * the update does not wait for the loop's next timer.  The same descriptor
 * in every version of the program (the new version inherits it; do not
 * close it); -1 with errno if none can be created.
 */
int stf_update_fd(void);

/* Non-zero while this process runs as the future or reversed version of an
 * update, from its start until the state transfer is over.  Skip one-time
 * initialization (creating state, loading data) when it is set; binding
 * sockets needs no guard (bind() gets the inherited socket: ttst(7)). */
int stf_is_updating(void);

/* Role of this process in the current update. */
enum stf_role {
	STF_ROLE_NORMAL = 0,   /* not part of an update (or after commit) */
	STF_ROLE_FUTURE = 1,   /* F: new version receiving the state */
	STF_ROLE_REVERSED = 2, /* R: fresh old version used for validation */
};
enum stf_role stf_role(void);

/* ---------------------------------------------------------------- */
/* Allocators.                                                        */

/*
 * Register a user (pool/arena) allocator's objects: `ptr` of `size` bytes,
 * holding `count` elements of the type named `type` (e.g. "struct conn"),
 * identified across versions by `site_id`.  Unregister before reuse.
 */
int stf_register_object(void *ptr, size_t size, const char *type,
			size_t count, const char *site_id);
int stf_unregister_object(void *ptr);

/* ---------------------------------------------------------------- */
/* State transfer callbacks.  Registered in the new version (they run in
 * the future version F, which performs both the forward transfer P -> F
 * and the backward transfer F -> R), never in the running version.      */

enum stf_direction {
	STF_FORWARD = 1,  /* old version -> new version (P -> F) */
	STF_BACKWARD = 2, /* new version -> old version (F -> R) */
	STF_BOTH = 3,
};

/* Callback results. */
#define STF_CB_DONE     0 /* the callback wrote the destination itself */
#define STF_CB_DEFAULT  1 /* run the automatic transfer for this value */
#define STF_CB_ERROR  (-1) /* abort the transfer (call stf_xfer_fail first) */

struct stf_xfer; /* the running transfer (opaque) */

/* A value taking part in the transfer. */
struct stf_value {
	const char *path; /* object ID and member path: "kvd.c:table[3].key" */
	const char *type; /* type name in its own version: "struct entry" */
	void *addr;       /* source: read-only local copy of the bytes;
	                     destination: where to write (in this process or a
	                     staging buffer for the reversed version) */
	size_t size;      /* bytes */
};

typedef int (*stf_value_cb)(struct stf_xfer *x, const struct stf_value *src,
			    struct stf_value *dst, void *arg);
typedef int (*stf_init_cb)(struct stf_xfer *x, struct stf_value *dst, void *arg);
typedef int (*stf_transformer_cb)(struct stf_xfer *x, void *arg);

/* Per object (by static ID, e.g. "kvd.c:table"), per type ("struct entry")
 * and per member ("struct entry", "key"). */
int stf_on_object(const char *object_id, unsigned directions, stf_value_cb cb, void *arg);
int stf_on_type(const char *type_name, unsigned directions, stf_value_cb cb, void *arg);
int stf_on_member(const char *type_name, const char *member, unsigned directions,
		  stf_value_cb cb, void *arg);

/* Renames, from the old version's name to the new one's.  Used forward
 * as given and backward inverted. */
enum stf_rename_kind {
	STF_RENAME_OBJECT = 1,
	STF_RENAME_TYPE,
	STF_RENAME_MEMBER,
	STF_RENAME_ENUMERATOR,  /* "CS_NAMED" -> "CS_REGISTERED": enum values
	                           travel by enumerator name */
};
int stf_rename(enum stf_rename_kind kind, const char *old_name, const char *new_name);
/* For STF_RENAME_MEMBER, names are "struct entry.oldname" -> "newname".
 * Allocation sites follow the renames of what they store to; a site of a
 * renamed function is renamed with STF_RENAME_OBJECT ("kvd.c:load/buf#0"
 * -> "kvd.c:read_conf/buf#0"). */

/* Initialization of objects that exist only in the destination version. */
int stf_on_new_object(const char *object_id, unsigned directions, stf_init_cb cb, void *arg);

/* Semantic transformation, run after the automatic transfer completed. */
int stf_on_transfer_done(unsigned directions, stf_transformer_cb cb, void *arg);

/*
 * After-commit hook: fn(arg) runs in the new version once its update has
 * committed, on the thread that handed over at its update point, before
 * the program's other threads resume and before stf_update_point returns;
 * stf_is_updating() is 0 by then.  For derived state the transfer does
 * not carry well (lookup tables, lists, caches to rebuild from the
 * transferred state).  What it allocates is the new version's own state:
 * the update is over, nothing of it is pushed into the reversed version.
 * Register at startup, in every version that has hooks (they run after
 * each update that commits into this version, never after a rollback and
 * never in a fresh start).  Hooks run in registration order; keep them
 * short: the commit is reported once they return.  0, or -1 with errno
 * EINVAL (fn NULL) or ENOSPC (more than 16 hooks).
 */
int stf_on_commit(void (*fn)(void *arg), void *arg);

/* Helpers for callbacks. */
enum stf_direction stf_xfer_direction(const struct stf_xfer *x);
/* Read `len` bytes at a source-process address. */
int stf_xfer_read(struct stf_xfer *x, uint64_t src_addr, void *buf, size_t len);
/* Translate a source-process pointer to the destination address of the same
 * (object, member path, element, byte). */
int stf_xfer_pointer(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr);
/* Destination address of a static object by ID, 0 if absent. */
uint64_t stf_xfer_object(struct stf_xfer *x, const char *object_id);
/* Abort the transfer with a message (printf-style). */
void stf_xfer_fail(struct stf_xfer *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- */
/* Introspection.                                                     */

/* The object an address points into (static or dynamic). */
struct stf_object_info {
	const char *id;      /* static ID, or site ID for dynamic objects */
	const char *type;    /* element type name, NULL if unknown */
	uint64_t dyn_id;     /* dynamic ID (0 for static objects) */
	void *base;          /* start of the object */
	size_t size;         /* bytes */
	size_t count;        /* elements */
	size_t offset;       /* offset of the queried address */
};
int stf_lookup(const void *addr, struct stf_object_info *info);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* STF_H */
