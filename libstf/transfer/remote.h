/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * remote.h - snapshot of a peer process's state for the transfer engine.
 *
 * INTERNAL.  A peer is the past version P, the reversed version R or the
 * calling process itself.  Opening a peer reads its stf_root, loads its
 * metadata, its site table and its slot table (process_vm_readv in bulk),
 * and catalogs every object - statics, live tracked objects, update-point
 * locals - in an address index.  Object bytes are fetched on request, in
 * batches of IOV_MAX iovecs per system call; for the calling process they
 * are used in place.  Memory comes from libstf's raw allocator, so none of
 * it is part of the program's state.
 */
#ifndef STF_REMOTE_H
#define STF_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "index.h"
#include "meta.h"
#include "root.h"
#include "stf.h"  /* enum stf_direction */

enum stf_obj_kind {
	STF_OBJ_STATIC = 1, /* writable static variable */
	STF_OBJ_CONST,      /* read-only static variable */
	STF_OBJ_FUNC,       /* address-taken function */
	STF_OBJ_STRING,     /* string literal */
	STF_OBJ_HEAP,       /* tracked heap block */
	STF_OBJ_MMAP,       /* tracked mapping */
	STF_OBJ_USER,       /* stf_register_object() */
	STF_OBJ_LOCAL,      /* local of a parked update-point frame */
};

/* Object flags. */
#define STF_OBJF_IXFER    0x01u /* copy bytes only */
#define STF_OBJF_PXFER    0x02u /* the object is an integer holding a pointer */
#define STF_OBJF_INTERNAL 0x04u /* libstf's own allocation: never state */
#define STF_OBJF_EXTERNAL 0x08u /* allocated by uninstrumented code */
#define STF_OBJF_OWN      0x10u /* the future version's own startup object */
#define STF_OBJF_STREAM   0x20u /* a stdio stream libc allocated, the target
				   of a typed FILE pointer: re-created, not
				   copied (see struct stf_stream) */
#define STF_OBJF_DEFER    0x40u /* not fetched by stf__peer_fetch: the
				   transfer reads it itself, straight into
				   the destination when it can */
#define STF_OBJF_CONTAINER 0x80u /* holds typed sub-objects (objects an
				   STF_ALLOCATOR function handed out from
				   it, stf_register_object()): its own bytes
				   are untyped, its sub-objects are typed in
				   place */

struct stf_obj {
	uint64_t addr;
	uint64_t size;
	uint64_t dyn_id;          /* dynamic ID, 0 for statics and locals */
	const char *id;           /* static ID, site ID or "func/local#n" */
	const struct stf_meta_unit *unit; /* unit of `type`, NULL if untyped */
	uint32_t type;            /* element type (statics, locals: the type) */
	uint32_t site;            /* global site number in the peer; a string
	                             literal's record in `unit` (its place) */
	uint8_t kind;             /* enum stf_obj_kind */
	uint8_t flags;            /* STF_OBJF_* */
	uint8_t align_lg;         /* heap: log2 of memalign's alignment, 0: malloc's */
	uint8_t inferred;         /* typed by stf__peer_infer_types (its site gave
	                             no type): a guess from a pointer to its start */
	uint32_t container;       /* a sub-object: 1 + index of the object it
				     lies in; 0 for other objects */
	const uint8_t *bytes;     /* the object's bytes, once fetched */
};
/* Why 64 bytes and no more: each transfer catalogs a million of them in
 * memory touched for the first time, which costs ~2 ns per byte on the
 * machines we run on; what few objects have (a container's sub-objects)
 * lives in side tables (struct stf_peer_subs). */
_Static_assert(sizeof(struct stf_obj) <= 64, "struct stf_obj grew past 64 bytes");

/* A container's sub-objects: objs[first .. first + n), by address. */
struct stf_peer_subs {
	uint32_t container; /* its object number */
	uint32_t first, n;
};

struct stf_peer_lib {
	uint64_t start, end;  /* one executable-or-data mapping of the library */
	uint64_t bias;        /* load bias of the library */
	uint64_t dev, ino;    /* the file mapped (same file: same place) */
	const char *path;
};

/* The process's command line and environment as exec laid them out on
 * main's stack: the strings and the argv and envp arrays.  Programs keep
 * pointers into them (`docroot = argv[1]`, getenv() results). */
struct stf_peer_args {
	int state;                    /* 0 not loaded, 1 loaded, -1 unavailable */
	uint64_t arg_start, arg_end;  /* argument strings */
	uint64_t env_start, env_end;  /* environment strings */
	uint64_t argv, envp;          /* the arrays, 0 if not found */
	size_t argc, envc;            /* strings in each area */
	size_t envp_n;                /* entries of the envp array (before NULL) */
	size_t argv_n;                /* entries of the argv array (its argc) */
	int rewritten;                /* the areas hold a process title now
	                                 (setproctitle): see STF_ARG_AREA */
	uint64_t *arg_str, *env_str;  /* start address of each string */
	const char *arg_bytes, *env_bytes; /* the areas' contents */
	uint64_t *envp_vals;          /* the envp array's entries */
};

enum stf_arg_kind {
	STF_ARG_NONE = 0,
	STF_ARG_STRING, /* into argument string `index` */
	STF_ARG_ENV,    /* into environment string of variable `name` */
	STF_ARG_ARGV,   /* argv array entry `index` (index == argc: its NULL) */
	STF_ARG_ENVP,   /* envp array entry of variable `name` (NULL name: its end) */
	STF_ARG_AREA,   /* `off` bytes into the areas (from the first argument):
	                   the past version rewrote them for its process title,
	                   so strings no longer name places (args.c) */
};

/* An address in the command line or environment, independent of where
 * the process's stack is. */
struct stf_arg_ref {
	int kind;          /* enum stf_arg_kind */
	size_t index;
	const char *name;  /* variable name, not NUL-terminated (name_len) */
	size_t name_len;
	uint64_t off;      /* bytes into the string */
};

/* A thread parked at an update point (STF_PEER_FRAMES), in the order the
 * peer published them (thread creation order). */
struct stf_peer_thread {
	const char *func;     /* the frame's label: function of the point,
	                         "func [wait]" for a wait point */
	uint64_t occurrence;  /* how many threads parked in func before it */
	uint64_t start;       /* its start routine, 0 if unknown */
	uint64_t tid;
	const char *label;    /* "func" or "func#n": its locals' and
	                         thread-local objects' suffix */
	uint64_t tp;          /* its thread pointer: its pthread_t */
};

/* A parked thread's copies of the thread-local variables (tls.c): every
 * parked thread, also one whose update point has no locals. */
struct stf_peer_tls {
	const char *label;    /* "func" or "func#n", as its locals' IDs */
	uint64_t tp;          /* its thread pointer */
};

struct stf_peer {
	pid_t pid;
	int self;                    /* the calling process (bytes in place) */
	struct stf_root root;
	struct stf_meta *meta;
	char exe[4096];
	size_t nsites;
	const char **site_ids;       /* site ID string per global site number */
	const struct stf_meta_unit **site_unit; /* element type per site */
	uint32_t *site_type;
	struct stf_obj *objs;
	size_t nobjs, cap;
	unsigned heap_parts;         /* its heap was cataloged in (parallel.c) */
	struct stf_peer_subs *subs;  /* per container, by object number */
	size_t nsubs, subs_cap;
	struct stf_peer_thread *threads; /* arena memory */
	size_t nthreads;
	struct stf_peer_tls *tls;    /* arena memory, one per parked thread */
	size_t ntls;
	struct stf_index index;      /* value = object number */
	struct stf_peer_lib *libs;   /* file-backed mappings, from /proc/PID/maps */
	size_t nlibs;
	uint64_t stack_start, stack_end; /* the main thread's stack */
	/* the loaded image: every mapping of the executable and its shared
	 * libraries (with the anonymous .bss tail right after one), sorted */
	struct stf_range *image;     /* value = index into libs */
	size_t nimage;
	/* mappings of files that are no ELF image (a locale's data, gconv's
	 * module cache: the C library maps them for the program), in address
	 * order; no object of the catalog covers them */
	struct stf_peer_lib *data_files;
	struct stf_range *data_ranges; /* the same, value = index into data_files */
	size_t ndata_files;
	uint8_t *bytes;              /* one buffer holding every fetched object */
	size_t bytes_len;
	struct stf_arena *arena;
	struct stf_peer_args args;   /* loaded on first use */
	/* GLib's GArrays the program's typed pointers reach, by address
	 * (glib-arrays.c; arena memory) */
	struct stf_garray *garrays;
	size_t ngarrays;
};

/* In a loop over p's objects in catalog order, at object i (of those
 * below end): the lookups in p's index of the words of the object
 * STF_PREFETCH_AHEAD further prefetched, the buckets of those of the one
 * twice as far (index.h; on the bench's redis case the untyped plan's and
 * the transform's CPU fell by a fifth). */
#define STF_PREFETCH_AHEAD 4
static inline void stf__peer_prefetch_ahead(const struct stf_peer *p, size_t i, size_t end)
{
	size_t near = i + STF_PREFETCH_AHEAD, far = near + STF_PREFETCH_AHEAD;
	if (near < end)
		stf__index_prefetch(&p->index, p->objs[near].bytes, p->objs[near].size,
				    STF_PREFETCH_RANGES);
	if (far < end)
		stf__index_prefetch(&p->index, p->objs[far].bytes, p->objs[far].size,
				    STF_PREFETCH_BUCKETS);
}

/* What stf__peer_open catalogs. */
#define STF_PEER_STATICS  0x1u
#define STF_PEER_DYNAMIC  0x2u
#define STF_PEER_FRAMES   0x4u

/*
 * Open pid's state (pid == getpid(): the calling process, root address
 * ignored: stf__root).  Returns 0, or -1 with a message in err naming what
 * failed.  `frame`, if not NULL, replaces the peer's published frames
 * (the calling process's own update point).
 */
int stf__peer_open(struct stf_peer *p, pid_t pid, uint64_t root_addr,
		   unsigned what, const struct stf_parked_frame *frame,
		   char *err, size_t errlen);
/* Fetch the bytes of every object with kind in the mask (1 << kind),
 * except those marked STF_OBJF_DEFER (their bytes stay NULL). */
int stf__peer_fetch(struct stf_peer *p, unsigned kinds, char *err, size_t errlen);
void stf__peer_close(struct stf_peer *p);

/* tls.c: catalog each parked thread's copy of every thread-local
 * variable as a static named "<static ID>@<thread label>" (-1 with err
 * when a writable one cannot be located). */
int stf__add_tls(struct stf_peer *p, char *err, size_t errlen);
/* tsd.c: catalog each parked thread's slots of the pthread keys
 * (pthread_setspecific) as untyped statics "pthread key K@<thread label>",
 * carried in place like a library's data (after the library data: -1
 * with err when a slot cannot be read or a key beyond the first 32 holds
 * a value). */
int stf__add_tsd(struct stf_peer *p, char *err, size_t errlen);

/* libraries.c: catalog the writable data (.data, .bss; not what RELRO
 * protects) of each shared library that is neither the C/C++ runtime nor
 * libstf nor instrumented, as an untyped static named "<file>" +
 * STF_LIB_DATA_SUFFIX, after the index is built (it is not indexed:
 * pointers into it keep being relocated to the same place of the same
 * file).  The transfer carries it like an untyped block kept at its place
 * (untyped.c): a library whose state lives in its own statics (libev's
 * default loop) reaches the new version with that state. */
#define STF_LIB_DATA_SUFFIX " (library data)"
int stf__add_lib_data(struct stf_peer *p, char *err, size_t errlen);
/* Is the file one of the C/C++ runtime's libraries (libc, the dynamic
 * linker, libgcc_s, libstdc++...: by the symbol versions it defines)? */
int stf__lib_is_runtime(const char *path);
/* The library data object starting at addr, NULL if none. */
const struct stf_obj *stf__peer_lib_data_at(const struct stf_peer *p, uint64_t addr);
static inline int stf__is_lib_data(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_STATIC && !o->unit && (o->flags & STF_OBJF_EXTERNAL);
}

/* A sub-object of no type yet (an STF_ALLOCATOR call's result stored in
 * a `void *`): bytes of its container, not indexed, not transferred, not
 * compared, until stf__peer_infer_types types it by the use of the member
 * pointing to it (and indexes it). */
static inline int stf__untyped_sub(const struct stf_obj *o)
{
	return o->container && !o->unit;
}

/* Add an object to the catalog (not to the index); its number. */
size_t stf__peer_add(struct stf_peer *p, const struct stf_obj *o);
/* Room for n objects in all (stf__peer_add then does not grow): 0 or -1. */
int stf__peer_reserve(struct stf_peer *p, size_t n);
/* Sort the index after objects were added. */
void stf__peer_index(struct stf_peer *p);
/* Record that container c's sub-objects are objs[first .. first + n)
 * (containers in increasing order): 0, or -1 when out of memory. */
int stf__peer_set_subs(struct stf_peer *p, size_t c, size_t first, size_t n);
/* The sub-objects of o (an object of p flagged STF_OBJF_CONTAINER): the
 * first one, *n of them (0: none, the result is then NULL). */
const struct stf_obj *stf__peer_subs(const struct stf_peer *p, const struct stf_obj *o,
				     uint32_t *n);

/* index-pages.c: room for n ranges in ix, advised to use huge pages and
 * populated (an index of a million ranges in 4 KiB pages costs 6,000
 * faults, and as much again when the pages are first written).  0, or
 * -1 when out of memory. */
int stf__peer_index_reserve(struct stf_index *ix, size_t n);
/* The memory of the next index of n ranges, populated now (while the
 * process waits) and kept by the index code for it. */
void stf__peer_index_prepare(size_t n);

/* Object containing addr (one past the end allowed), NULL if none. */
const struct stf_obj *stf__peer_find(const struct stf_peer *p, uint64_t addr);
/* The same, first near the last object found (see stf__index_find_near). */
const struct stf_obj *stf__peer_find_near(const struct stf_peer *p, uint64_t addr,
					  const struct stf_range **hint);

/* thread-pairs.c.  For each parked thread of `moved`, the index of the
 * same thread among `fixed`'s (the main thread, or the n-th started with
 * the same routine, moved's names renamed in direction moved_dir), -1 if
 * none.  0, or -1 when out of memory. */
int stf__threads_partners(const struct stf_peer *fixed, const struct stf_peer *moved,
			  enum stf_direction moved_dir, int64_t *partner);
/* Rename moved's thread-local, thread-specific and local objects to the
 * labels of their threads' partners in fixed (locals only where both
 * parked in the same function, else to labels nothing pairs with).  0,
 * or -1 with err set. */
int stf__threads_pair(const struct stf_peer *fixed, struct stf_peer *moved,
		      enum stf_direction moved_dir, char *err, size_t errlen);

/* Element type of a site in the peer's metadata, by site ID. */
int stf__peer_site_type(const struct stf_peer *p, const char *site_id,
			const struct stf_meta_unit **unit, uint32_t *type);

/* Shared-library symbol containing addr: library basename and symbol
 * name and offset into the symbol; 0 or -1.  Without a symbol (stripped
 * library), *sym is NULL and *off the link-time address. */
int stf__peer_lib_symbol(struct stf_peer *p, uint64_t addr, const char **lib,
			 const char **sym, uint64_t *off);
/* Address of a symbol of a library (by basename) or, lib == NULL, of the
 * executable, in the peer; 0 if not found. */
uint64_t stf__peer_symbol_addr(struct stf_peer *p, const char *lib,
			       const char *sym);
/* The image mapping containing addr (value: the library in libs), NULL
 * if addr is not in the executable or a shared library. */
const struct stf_range *stf__peer_image_find(const struct stf_peer *p, uint64_t addr);
/* The mapping of a file that is no ELF image (data_files) holding addr,
 * NULL if none. */
const struct stf_peer_lib *stf__peer_data_file(const struct stf_peer *p, uint64_t addr);
/* Whether p maps f's file (of another peer) at the same address. */
int stf__peer_maps_file(const struct stf_peer *p, const struct stf_peer_lib *f);
/* The len bytes p's loaded files gave addr before the program ran (a
 * static's initializer, zero in .bss): 0, or -1 if addr is not in the
 * image of a file p maps. */
int stf__peer_initial_bytes(const struct stf_peer *p, uint64_t addr, void *buf, size_t len);
/* Where addr is in the peer's command line or environment: 0, or -1
 * (ref->kind STF_ARG_NONE) if it is not there or the layout is unknown. */
int stf__peer_arg_ref(struct stf_peer *p, uint64_t addr, struct stf_arg_ref *ref);
/* The address of ref in the peer; 0 if the peer has no such argument,
 * variable or array entry, or the offset is past the string's NUL.  */
uint64_t stf__peer_arg_addr(struct stf_peer *p, const struct stf_arg_ref *ref);
/* ref in words: "argument 1 (\"/srv/www\") at offset 3" */
void stf__arg_ref_str(struct stf_peer *p, const struct stf_arg_ref *ref, char *buf,
		      size_t len);
/* Do two references (of two peers) name the same place?  By argument
 * index, variable name, offset - never by the strings' text. */
int stf__arg_ref_same(const struct stf_arg_ref *a, const struct stf_arg_ref *b);
/* Load the peer's command line and environment now (a past version that
 * rewrote them for its title makes every later reference positional). */
void stf__peer_args_load(struct stf_peer *p);
/* The value of the peer's C runtime `environ`, 0 if unknown. */
uint64_t stf__peer_environ(struct stf_peer *p);
/* unreached.c: mark in unreached[] (one byte per object) the peer's heap
 * blocks of the program's sites that no other object of its catalog, nor
 * its `environ`, nor (with_epoll) this process's epoll registrations
 * reach, directly or through each other: the number marked, -1 without
 * memory. */
long stf__peer_unreached(struct stf_peer *p, int with_epoll, uint8_t *unreached);
/* The same (without epoll) for the objects among[] marks only, the others
 * left 0: when no word of another object nor `environ` points into one
 * of them (a few blocks that did not come back), all the candidates
 * among them, without a walk of the whole state. */
long stf__peer_unreached_among(struct stf_peer *p, const uint8_t *among, uint8_t *unreached);
/* Address addr of src's image (a library, the executable) at the same
 * place of the same file (device and inode) in dst; 0 if dst does not map
 * that file. */
uint64_t stf__peer_same_place(const struct stf_peer *src, const struct stf_peer *dst,
			      uint64_t addr);
/* Does addr lie inside a shared library's code of p where none of the
 * library's functions begins (its unwind table says where they begin)?
 * No pointer a program keeps points there: a value that does is a number
 * whose high bytes were left over from an address. */
int stf__peer_inside_lib_code(const struct stf_peer *p, uint64_t addr);
/* Run-time address of a library's link-time address; 0 if not loaded. */
uint64_t stf__peer_lib_vaddr(struct stf_peer *p, const char *lib, uint64_t vaddr);

/* Release the ELF files the symbol lookups keep open (after the last
 * transfer of this process). */
void stf__peer_forget_files(void);

/*
 * A stdio stream of a peer, read from glibc's FILE fields: what re-creates
 * it in another process on the same (inherited) file descriptor.
 */
struct stf_stream {
	int fd;
	int buffering;         /* _IOFBF, _IOLBF or _IONBF */
	char mode[4];          /* fdopen's mode: "r", "w", "a", "r+" or "a+" */
	uint64_t unread;       /* buffered input not consumed yet */
	uint64_t pending;      /* buffered output not written yet ... */
	uint64_t pending_addr; /* ... at this address of the peer */
	uint64_t pending_hash; /* FNV-1a of those bytes (diff) */
	int wide;              /* wide-oriented (fwide > 0) */
	int file;              /* a stream on a file descriptor (fopen, fdopen),
	                          not popen, fmemopen, open_memstream... */
};
/* Read the stream at addr of the peer: 0, or -1 (errno) if its FILE
 * cannot be read or does not hold glibc's stream magic. */
int stf__peer_stream(struct stf_peer *p, uint64_t addr, struct stf_stream *s);
/* Is (u, t) (typedefs followed) glibc's struct _IO_FILE (FILE)? */
int stf__is_file_type(const struct stf_meta_unit *u, uint32_t t);

/* Bulk memory access of a peer. */
int stf__peer_read(const struct stf_peer *p, uint64_t addr, void *buf, size_t len);
/* Scatter writes: for each of the n objects with a buffer, bufs[j] into
 * objs[j] (its size at its address); of two that overlap, the later
 * one's bytes win. */
int stf__peer_write(const struct stf_peer *p, uint8_t *const *bufs,
		    const struct stf_obj *objs, size_t n, char *err, size_t errlen);

/* Arena of the engine: raw memory released all at once. */
struct stf_arena;
struct stf_arena *stf__arena_new(void);
void *stf__arena_alloc(struct stf_arena *a, size_t size); /* zeroed, 16-aligned */
char *stf__arena_strdup(struct stf_arena *a, const char *s);
void stf__arena_free(struct stf_arena *a);

/* String -> uint64 hash map (keys are not copied). */
struct stf_strmap {
	const char **keys;
	uint64_t *vals;
	size_t n, cap;
};
int stf__strmap_put(struct stf_strmap *m, const char *key, uint64_t val);
int stf__strmap_get(const struct stf_strmap *m, const char *key, uint64_t *val);
void stf__strmap_free(struct stf_strmap *m);
uint64_t stf__hash_str(const char *s);

/* ------------------------------------------------------------------ */
/* Layout of a type: the leaves the engine and the differ look at.      */

enum stf_leaf_kind {
	STF_LEAF_BYTES = 0, /* plain data, compared/copied as bytes */
	STF_LEAF_PTR,       /* data or function pointer: relocated */
	STF_LEAF_PXFER,     /* integer holding a pointer (STF_PXFER) */
	STF_LEAF_AMBIG,     /* ambiguous union holding a pointer: must be zero */
	STF_LEAF_BITS,      /* bitfield: bits [bit_off, bit_off+bit_size) */
};

struct stf_leaf {
	uint64_t off;
	uint64_t size;    /* bytes (BITS: bytes spanned) */
	uint8_t kind;
	uint8_t bit_off;
	uint16_t bit_size;
	uint32_t type;    /* PTR: pointee type; others: leaf type (STF_NONE if merged) */
	const struct stf_meta_unit *unit;
	/* a `void *` member of a struct (PTR): that struct's type and 1 + the
	 * member's record in unit, for the types its value is used as
	 * (stf_use_rec); 0 for other leaves */
	uint32_t owner, member;
	/* an element of such a member that is an array of `void *`: 1 + its
	 * index (use records may name one element); else 0 */
	uint32_t element;
	/* BYTES: 8-byte integers whose words may be addresses: their heap
	 * targets keep their address (untyped-plan.c, plan_addr_word).
	 * STF_ADDR_TAGGED: of an address type (uintptr_t, intptr_t), maybe
	 * tagged in their low bits; STF_ADDR_EXACT: other word-sized integers
	 * (size_t, long), addresses only as they are */
	uint8_t addr_words;
};

#define STF_ADDR_TAGGED 1
#define STF_ADDR_EXACT 2

struct stf_layout {
	struct stf_leaf *leaves;
	size_t n;
	uint64_t size;
	size_t nptrs;     /* PTR + PXFER + AMBIG leaves */
	size_t nambig;    /* AMBIG leaves */
	size_t nvoids;    /* leaves of `void *` members (member set) */
	size_t naddr;     /* BYTES leaves with addr_words */
};

struct stf_layouts; /* cache, keyed by (unit, type) */
struct stf_layouts *stf__layouts_new(struct stf_arena *a);
/* Layout of a type (typedefs followed); NULL only when out of memory. */
/* A union whose members are all data pointers at its start (a request or
 * the database it resolved): one pointer, whichever member stored it,
 * relocated by its target like an STF_PXFER value, never ambiguous. */
int stf__union_of_pointers(const struct stf_meta_unit *u, uint32_t type);
const struct stf_layout *stf__layout(struct stf_layouts *c,
				     const struct stf_meta_unit *u, uint32_t type);
/* The layout of (u, type) if c made it already, else NULL; writes
 * nothing: threads may ask it of one cache at once (plan-lookups.c). */
const struct stf_layout *stf__layout_made(const struct stf_layouts *c,
					  const struct stf_meta_unit *u, uint32_t type);

/*
 * Untyped dynamic objects (allocation sites of unknown type, blocks of
 * uninstrumented code) take the type of the typed pointers pointing to
 * their start, transitively; reached[i] (if not NULL) is set for every
 * untyped object some typed pointer points into.  The bytes of the typed
 * objects must have been fetched.  0, or -1 when out of memory.
 */
int stf__peer_infer_types(struct stf_peer *p, struct stf_layouts *layouts, uint8_t *reached);
/* How the struct holding a `void *` member was reached (the path of the
 * plugin's stf_use_rec): member `name` of the struct of structural hash
 * `hash`, or the static variable `name` (hash 0); name NULL: not known. */
struct stf_use_path {
	uint64_t hash;
	const char *name;
};
/* The block a `void *` member's value points to, as far as it tells the
 * member's struct types apart: its size, and the functions the struct
 * holding the member points to (a command table's row, `.fn = cmd_get`,
 * whose code uses the member as one of them). */
#define STF_ROW_FNS 8
struct stf_use_block {
	uint64_t size;
	const char *fns[STF_ROW_FNS];
	size_t nfns;
};
/* How a block of size bytes can be of type t (infer-types.c): not; one
 * (its size, or a struct ending in a flexible array member and its
 * elements, `malloc(sizeof(*e) + len)`); whole elements of it; one struct
 * and a slack shorter than another (`malloc(sizeof(*e) + n)`). */
enum stf_block_fit { STF_FIT_NONE, STF_FIT_ONE, STF_FIT_ELEMENTS, STF_FIT_SLACK };
enum stf_block_fit stf__block_fit(const struct stf_meta_unit *u, uint32_t t, uint64_t size);
/* A block o, larger than the struct (*u, *t) the code reading it gives,
 * of no type at its site: the one struct of its site's unit of o's size
 * that begins with that struct (a module's private struct behind the
 * head all modules share, lighttpd's plugin_data) in *u, *t, 1; else 0
 * (derived-structs.c). */
int stf__derived_struct(const struct stf_peer *p, const struct stf_obj *o,
			const struct stf_meta_unit **u, uint32_t *t);
/* The struct types the program uses the value of leaf f's `void *` member
 * as, for the struct holding it reached through path (NULL: any path)
 * (member-uses.c): 0, 1 (the one in *tu, *t) or 2 for several.  Of
 * several, the one block b (if not NULL) is gives 1: the one the
 * functions of its row use the member as, else the only one among those
 * it can be by its size (stf__block_fit: that size, whole elements of
 * it or past the start of its flexible array member; it and a slack when
 * none of those fits, and not whole elements of another); never a guess
 * between two. */
unsigned stf__member_uses(const struct stf_meta *m, const struct stf_leaf *f,
			  const struct stf_use_path *path, const struct stf_use_block *b,
			  const struct stf_meta_unit **tu, uint32_t *t);
/* The struct types the results of the allocation site of ID id, of no
 * type, are used as (STF_USE_SITE records, joined across units by the
 * names of the functions they are passed to) (member-uses.c): 0, 1 (the
 * one in *tu, *t) or 2 for several. */
unsigned stf__site_uses(const struct stf_meta *m, const char *id,
			const struct stf_meta_unit **tu, uint32_t *t);
/* Per object of p (typed objects' bytes fetched): the path through which
 * the typed pointers to its start reach it (a member of a struct, a static
 * pointer variable).  *paths NULL when no use record of the metadata has a
 * path (raw memory, stf__bulk_free it otherwise).  0, or -1 out of memory. */
int stf__use_paths(struct stf_peer *p, struct stf_layouts *layouts,
		   struct stf_use_path **paths);
/* The pointer leaves of the elements of a typed object of the program (a
 * static, a local, or a dynamic object as an array of its type; not
 * libstf's own, nor STF_IXFER), element by element, each leaf whose kind
 * is in kinds (1u << STF_LEAF_*) with its value: e and k say where the
 * last one returned is (member-uses.c). */
struct stf_ptr_walk {
	const struct stf_obj *o;
	const struct stf_layout *l;
	uint64_t count, e; /* elements; the current one */
	size_t k;          /* the current leaf of l */
	unsigned kinds;
	/* the last object's type and layout: the next object is usually of
	 * the same type, which saves the lookup (zero the walk before the
	 * first object) */
	const struct stf_meta_unit *last_unit;
	uint32_t last_type;
	const struct stf_layout *last_layout;
};
/* 1: walk o; 0: nothing to walk in o; -1: out of memory. */
int stf__ptr_walk_start(struct stf_ptr_walk *w, struct stf_layouts *layouts,
			const struct stf_obj *o, unsigned kinds);
/* The next leaf and its value; 0 after the last. */
int stf__ptr_walk_next(struct stf_ptr_walk *w, const struct stf_leaf **f, uint64_t *v);
/* Block b of leaf f's `void *` member (value at the leaf w is at): size
 * bytes, and the functions of the struct holding the member. */
void stf__use_block(struct stf_peer *p, const struct stf_ptr_walk *w, const struct stf_leaf *f,
		    uint64_t size, struct stf_use_block *b);
/* The path typed pointer leaf f of an element of o (count elements)
 * gives the struct it points to: the member holding it, or o's name for
 * a static pointer variable; no name when the code does not name the
 * place (member-uses.c). */
struct stf_use_path stf__pointer_path(const struct stf_obj *o, const struct stf_leaf *f,
				      uint64_t count);
/* The path of the struct holding leaf f's `void *` member, the leaf at
 * offset off of an element of typed object i: the object's own path when
 * it is that struct (or its static variable's name), else the member of
 * the object's type that embeds it. */
void stf__leaf_path(const struct stf_use_path *paths, const struct stf_peer *p, size_t i,
		    uint64_t off, const struct stf_leaf *f, struct stf_use_path *path);

/* An incomplete struct or union (declared, never completed in its unit:
 * `struct hash *` where only hash.c defines struct hash) resolved by its
 * tag to a complete definition in any unit of the same program; every
 * other type (typedefs followed) is left as it is. */
void stf__complete_type(const struct stf_meta *m, const struct stf_meta_unit **u,
			uint32_t *type);

/* The member path of byte `off` inside a value of type (u, type): appended
 * to buf (".key", "[3].next"); sets *leaf_type to the innermost type. */
void stf__type_path(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
		    char *buf, size_t len, uint32_t *leaf_type);

/* ------------------------------------------------------------------ */
/* Shared by xfer.c and diff.c.                                         */

double stf__now(void);
/* bulk.c: memory for the engine's large arrays, populated up front (a page
 * faulted in one by one costs far more than its contents); NULL when out
 * of memory.  Not interchangeable with stf__raw_malloc's blocks. */
void *stf__bulk_alloc(size_t size);
void *stf__bulk_realloc(void *p, size_t size);
/* At least size bytes; *usable: all the block holds (a mapping kept for
 * reuse is taken whole). */
void *stf__bulk_alloc_most(size_t size, size_t *usable);
/* Bytes the block p can grow to without moving (stf__bulk_realloc up to
 * them keeps it in place). */
size_t stf__bulk_room(const void *p);
/* Grow p (NULL: a new block) to size bytes only if it can stay in place
 * or move into a mapping kept for reuse: touched pages, no fresh ones.
 * The block holds the whole mapping then (stf__bulk_room: a caller may
 * fill it all, and stf__bulk_realloc moves all of it).  NULL, p
 * unchanged, otherwise. */
void *stf__bulk_realloc_kept(void *p, size_t size);
void stf__bulk_free(void *p);
/* Touch a mapping of size bytes now and keep it for the next large array
 * (unless one as large is kept already): a process waiting for its part
 * of the pause (R, during the forward transfer) takes the fresh pages'
 * cost out of it. */
void stf__bulk_prepare(size_t size);
/* Give back the mappings stf__bulk_free kept for reuse: at the end of the
 * process's last transfer (F after backward, R after diff). */
void stf__bulk_trim(void);
/* Populate n bytes of fresh pages at p in one go; the bytes populated so
 * far by the process (fresh pages cost far more than their contents). */
void stf__bulk_populate(void *p, size_t n);
uint64_t stf__bulk_fresh(void);
/* parallel.c: a loop over n objects cut into contiguous parts run by
 * threads at once, one per core at most (part 0 first, on the calling
 * thread; the others as threads come free): fn(ctx, part, lo, hi) for
 * each part k covering [lo, hi).  Parts share only what they read; each
 * keeps what it writes apart for the caller to merge in part order (a
 * result independent of the number of parts and of the thread running
 * each). */
#define PARTS_MAX 64
typedef void stf_part_fn(void *ctx, unsigned part, size_t lo, size_t hi);
void stf__parallel(size_t n, unsigned parts, stf_part_fn *fn, void *ctx);
/* How many parts a loop over n objects is cut into: one per online core
 * (STF_XFER_THREADS in the environment overrides), each of at least
 * min_per_part objects, at least 1. */
unsigned stf__parallel_parts(size_t n, size_t min_per_part);
/* A loop over objs[0, n) whose objects cost unevenly (a heap's
 * dictionary entries, whose unions are classified, next to strings that
 * are copied; 1 MiB slab pages classified word by word next to small
 * objects): cut into several parts per core (at most PARTS_MAX), each
 * costing about as much, an object counting 1 plus its size / 128, and
 * a part at least min_cost; part k is [bounds[k], bounds[k + 1]).  The
 * number of parts, for stf__parallel_cut, whose threads take them in
 * turn as they finish one: a costly stretch leaves no core idle. */
unsigned stf__parallel_pieces(const struct stf_obj *objs, size_t n, size_t min_cost,
			      size_t bounds[static PARTS_MAX + 1]);
void stf__parallel_cut(const size_t *bounds, unsigned parts, stf_part_fn *fn, void *ctx);
/* STF_XFER_PROFILE=1 in the environment: each call prints to stderr the
 * wall and CPU time since the previous one of this thread, labelled with
 * what (the phases' steps, to find what a transfer's time goes to). */
void stf__profile_mark(const char *what);
/* v can never be a user-space pointer: below the lowest mappable address
 * (max(vm.mmap_min_addr, 4096)) or in the kernel half.  Such values in
 * pointer-typed places are integers ((void *)(long)i, (void *)-1):
 * transferred and compared as they are. */
uint64_t stf__lowest_mappable(void);
extern uint64_t stf__lowest_mapped; /* 0 until stf__lowest_mappable ran */
#define STF_ADDRESS_END 0x0000800000000000ULL /* the kernel half's start */
static inline uint64_t stf__lowest_address(void)
{
	uint64_t lowest = __atomic_load_n(&stf__lowest_mapped, __ATOMIC_RELAXED);
	if (__builtin_expect(!lowest, 0))
		lowest = stf__lowest_mappable();
	return lowest;
}
/* inline: the transfer asks it of every pointer-typed word */
static inline int stf__not_a_pointer(uint64_t v)
{
	return v < stf__lowest_address() || v >= STF_ADDRESS_END;
}
/* The frame set with stf__xfer_set_frame, NULL if none. */
const struct stf_parked_frame *stf__xfer_own_frame(void);
/* In the reversed version: what the backward transfer wrote (sorted
 * address ranges: statics and locals zeroed and written, dynamic objects
 * allocated on request), the scope of stf__diff. */
struct stf_served {
	struct stf_range *ranges;
	size_t n, cap;
};
const struct stf_served *stf__xfer_served(void);
/* In the reversed version, before the backward transfer: it will write
 * about n objects (room made and touched in advance). */
void stf__xfer_serve_expect(size_t n);

/* Shared by the files of the peer: metadata.c, subattach.c, peer-io.c,
 * libraries.c, args.c (and arena.c, layout.c, untyped.c for the
 * declarations above). */
void stf__fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int stf__load_maps(struct stf_peer *p);
/* subattach.c: the sub-objects `subs` (slots of kind STF_SLOT_USER) made
 * objects inside the catalog objects holding them; 0, or -1 with err. */
int stf__peer_attach_subs(struct stf_peer *p, const struct stf_slot *subs, size_t nsubs,
			  char *err, size_t errlen);

/* member-tail.c: a struct whose last member holds bytes (a char array,
 * or a union with one) that run past the struct's end; such structs are
 * handled up to this size.  stf__tail_member: 1 when struct t ends in
 * such a member, its offset and size in *off and *msize.
 * stf__tail_object: heap or registered object o is one of them (from the
 * member's offset on, unless whole structs, see there).  stf__tail_dst_size:
 * the destination size of so when both are so, else UINT64_MAX.
 * stf__xfer_member_tail converts so (of that shape) into dobj. */
#define STF_HACK_MAX 4096
int stf__tail_member(const struct stf_meta_unit *u, uint32_t t, uint64_t *off, uint64_t *msize);
int stf__tail_object(const struct stf_obj *o, uint64_t *off, uint64_t *msize);
uint64_t stf__tail_dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt);
int stf__xfer_member_tail(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
			  const struct stf_obj *dobj, uint8_t *d);

/* variants.c: a heap block shorter than the struct it is typed with,
 * allocated as a struct of its exact size sharing that one's first
 * members (see there).  stf__variant_dst_size: its destination size, or
 * UINT64_MAX when it is none; stf__variant_type: 1 with its struct in *v
 * when it is one; stf__xfer_variant: 1 when so is none, else converted
 * (0) or failed (-1, reported). */
uint64_t stf__variant_dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt);
int stf__variant_type(const struct stf_obj *o, uint32_t *v);
int stf__xfer_variant(struct stf_xfer *x, const struct stf_obj *so, const uint8_t *s,
		      const struct stf_obj *dobj, uint8_t *d);
/* How many leading members struct v of unit vu shares with struct t of
 * unit tu (same names, offsets and types), for variants and for the
 * structs derived from a head (derived-structs.c). */
uint32_t stf__shared_prefix(const struct stf_meta_unit *vu, uint32_t v,
			    const struct stf_meta_unit *tu, uint32_t t);

#endif /* STF_REMOTE_H */
