/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * root.h - the runtime state of libstf as seen from another process.
 *
 * INTERNAL.  This is the contract between the allocation tracker (alloc.c,
 * which maintains it) and the transfer engine (xfer.c / diff.c, which read
 * it out of another process with process_vm_readv).  Every process running
 * libstf has one `struct stf_root` (stf__root); its address is handed to
 * the peer processes of an update (environment STF_PAST=<pid>:<root addr>).
 * All fields are fixed-width so the layout is identical in every version of
 * libstf with the same STF_ROOT_VERSION.
 */
#ifndef STF_ROOT_H
#define STF_ROOT_H

#include <stdint.h>

#define STF_ROOT_MAGIC   0x544f4f5246545354ULL /* "TSTFROOT" */
#define STF_ROOT_VERSION 9U

/*
 * The heap (spans.c): a region reserved at startup, cut into 64 KiB units.
 * A span is one unit holding objects of one size class (SMALL), or a run
 * of units holding one large object (LARGE, followed by CONT units).  The
 * span table (struct stf_span, one entry per unit) and the objects'
 * metadata (struct stf_obj_meta, out of band: the objects' own bytes are
 * all the program's) are read by the transfer engine of another process.
 *
 * Object j of a SMALL span of unit u starts at heap_base + u * 64 KiB +
 * j * stf_small_stride(obj_size); its metadata is entry j of an array at
 * the end of the same unit (stf_small_meta: in the pages of the objects, so that a huge
 * page holds both and no page holds only a few entries).  It is live when
 * its id is not 0.  Spans of objects up to STF_COMPACT_MAX bytes have
 * 8-byte entries (struct stf_obj_meta8: the low half of the ID, the site
 * word with the size in it; the high half of their IDs is the span's
 * id_hi), the others 16-byte ones (struct stf_obj_meta): 16 bytes were
 * half a 32-byte object again, and with one form up to 128 bytes a
 * server's small objects of random sizes do not keep changing the form
 * the allocator writes (a branch mispredicted every other block).  A SMALL span whose obj_size is not a
 * multiple of 16 (STF_TRAILER_SIZE: blocks of 16 to 24 bytes) keeps each
 * object's compact entry right after the object, in the 8 bytes that
 * round it up to 16 (stf_small_stride): such a block takes 32 bytes, as
 * in glibc's chunk, where a 32-byte object and an entry apart took 40,
 * and a pointer just past its end still is no other object's start.
 * A block may cover several objects of a span whose entries are apart
 * from its objects (its size is larger than obj_size: STF_META_WIDE),
 * the entries of all but its first saying free; in a compact entry, whose
 * size field is too narrow, the block's size is the word of the next
 * entry (stf_meta8_expand).  A LARGE span's object starts obj_size
 * bytes into the span; its metadata is the first entry at heap_meta + u *
 * 64 KiB, and its full size (which may exceed 32 bits) the id of the
 * second.
 */
#define STF_SPAN_SHIFT 16
#define STF_SPAN_UNIT  (1ULL << STF_SPAN_SHIFT)

enum stf_span_kind {
	STF_SPAN_FREE = 0,
	STF_SPAN_SMALL = 1,
	STF_SPAN_LARGE = 2,
	STF_SPAN_CONT = 3,   /* a later unit of a LARGE span */
};

struct stf_span {
	uint32_t kind;     /* enum stf_span_kind */
	uint32_t obj_size; /* SMALL: bytes per object; LARGE: offset of the object */
	uint32_t nobj;     /* SMALL: objects carved so far (the rest never used) */
	union {
		uint32_t nunits; /* LARGE, FREE: units of the span; CONT: units
		                    back to its first */
		uint32_t id_hi;  /* SMALL with compact metadata: the high half
		                    of its objects' IDs */
	};
};

struct stf_obj_meta {
	uint64_t id;    /* dynamic ID: unique in the process lineage, preserved
	                   by state transfer; 0: the object is free */
	uint32_t site;  /* STF_META_SITE: global site number; flags below */
	uint32_t size;  /* requested size in bytes (LARGE: low 32 bits) */
};
#define STF_META_SITE(w)  ((w) & 0xffffffu)
#define STF_META_ALIGN(w) (((w) >> 24) & 0x3fu) /* log2 of memalign's alignment, 0: malloc's */
#define STF_META_SUBS     (1u << 31)   /* typed sub-objects were registered inside */
#define STF_META_WIDE     (1u << 30)   /* SMALL: a block over this object and the
                                          next ones, free (size: the block's) */

/* Compact metadata of a small object: the ID's low half (0: free; the
 * high half is the span's id_hi) and a word holding the site (18 bits),
 * the requested size (7 bits; 0 with STF_META_WIDE, the size then being
 * the next entry's word), log2 of memalign's alignment (3 bits, 0:
 * malloc's), STF_META_WIDE and STF_META_SUBS. */
#define STF_COMPACT_MAX 128u
struct stf_obj_meta8 {
	uint32_t id_lo;
	uint32_t word;
};
#define STF_META8_SITE(w)  ((w) & 0x3ffffu)
#define STF_META8_SIZE(w)  (((w) >> 18) & 0x7fu)
#define STF_META8_ALIGN(w) (((w) >> 25) & 0x7u)
#define STF_META8_WORD(site, size, align_log2, subs) \
	((site) | (uint32_t)(size) << 18 | (uint32_t)(align_log2) << 25 | (subs))

/* Bytes of metadata per object of a SMALL span of obj_size bytes. */
static inline uint32_t stf_small_meta_size(uint32_t obj_size)
{
	return obj_size <= STF_COMPACT_MAX ? sizeof(struct stf_obj_meta8) :
	       sizeof(struct stf_obj_meta);
}

/* The one object size of a SMALL span whose entries follow its objects. */
#define STF_TRAILER_SIZE 24u

/* Bytes from one object of a SMALL span of obj_size bytes to the next. */
static inline uint32_t stf_small_stride(uint32_t obj_size)
{
	return obj_size % 16 ? obj_size + (uint32_t)sizeof(struct stf_obj_meta8) : obj_size;
}

/* Bytes from one metadata entry of such a span to the next. */
static inline uint32_t stf_small_meta_stride(uint32_t obj_size)
{
	return obj_size % 16 ? stf_small_stride(obj_size) : stf_small_meta_size(obj_size);
}

/* The 16-byte form of a compact entry; next_word: the word of the entry
 * after it (a wide block's size; 0 when there is none). */
static inline struct stf_obj_meta stf_meta8_expand(struct stf_obj_meta8 e, uint32_t next_word,
						   uint32_t id_hi)
{
	struct stf_obj_meta m = { 0, 0, 0 };
	if (e.id_lo) {
		m.id = (uint64_t)id_hi << 32 | e.id_lo;
		m.site = STF_META8_SITE(e.word) | STF_META8_ALIGN(e.word) << 24 |
			 (e.word & (STF_META_SUBS | STF_META_WIDE));
		m.size = e.word & STF_META_WIDE ? next_word : STF_META8_SIZE(e.word);
	}
	return m;
}

/* Objects a SMALL span of obj_size bytes holds, and the address of its
 * first metadata entry (unit_start: the span's first byte): of an array
 * at the span's end, or right after the first object. */
static inline uint32_t stf_small_cap(uint32_t obj_size)
{
	return (uint32_t)(STF_SPAN_UNIT / (obj_size + stf_small_meta_size(obj_size)));
}

static inline uint64_t stf_small_meta(uint64_t unit_start, uint32_t obj_size)
{
	if (obj_size % 16)
		return unit_start + obj_size;
	return unit_start + STF_SPAN_UNIT - stf_small_cap(obj_size) * stf_small_meta_size(obj_size);
}

/*
 * Slot table: every live tracked object outside the span region (mmap
 * region, user registered object, placed heap block) has a slot.  The table is an array of nchunks chunk
 * pointers, each chunk holding STF_SLOTS_PER_CHUNK entries.  Chunks never
 * move once allocated.
 */
#define STF_SLOTS_PER_CHUNK 65536u

enum stf_slot_kind {
	STF_SLOT_FREE = 0,
	STF_SLOT_HEAP = 1, /* a heap block placed at a past version's address
	                      (stf__alloc_at), outside the span region */
	STF_SLOT_MMAP = 2, /* addr/size = the mapping */
	STF_SLOT_USER = 3, /* registered with stf_register_object() */
};

#define STF_SLOT_ALIGN_SHIFT 8
#define STF_SLOT_KIND(k)  ((k) & ((1u << STF_SLOT_ALIGN_SHIFT) - 1))
#define STF_SLOT_ALIGN(k) ((k) >> STF_SLOT_ALIGN_SHIFT) /* log2, 0: malloc's */

struct stf_slot {
	uint64_t addr;  /* start of the object (user pointer), 0 if free */
	uint64_t size;  /* bytes */
	uint64_t id;    /* dynamic ID */
	uint32_t site;  /* global site number */
	uint32_t kind;  /* enum stf_slot_kind; heap blocks of memalign & co.:
	                   plus log2(alignment) << STF_SLOT_ALIGN_SHIFT */
};

/*
 * Global site table: index = global site number (1-based; 0 is "unknown").
 * Sites of instrumented code point into the plugin metadata; external sites
 * (allocations by uninstrumented code such as libc's getline) are created
 * at run time, keyed by the caller's library and offset; user sites come
 * from stf_register_object().
 */
enum stf_site_kind {
	STF_SITE_UNKNOWN = 0,
	STF_SITE_PLUGIN = 1,   /* unit/index valid */
	STF_SITE_EXTERNAL = 2, /* lib/offset valid */
	STF_SITE_USER = 3,     /* name/type_name valid */
};

struct stf_site_ref {
	uint32_t kind;   /* enum stf_site_kind */
	uint32_t index;  /* PLUGIN: site index in the unit's site table */
	uint64_t unit;   /* PLUGIN: address of the struct stf_unit */
	uint64_t offset; /* EXTERNAL: caller's return address - library base */
	char name[96];   /* EXTERNAL: library path (basename); USER: site ID */
	char type_name[64]; /* USER: element type name */
};

/* A thread parked at an update point, published while quiesced. */
struct stf_parked_frame {
	uint64_t unit;        /* struct stf_unit of the update point, 0 if the
	                         call was not rewritten by the plugin */
	uint32_t frame;       /* frame index in that unit */
	uint32_t nlocals;
	uint64_t locals;      /* address of uint64_t[nlocals]: local addresses */
	uint64_t tid;
	uint64_t start;       /* start routine the thread was created with
	                         (pthread_create), 0 for the main thread and
	                         threads created behind libstf's back */
	uint64_t tp;          /* its thread pointer (%fs base): its copy of a
	                         thread-local variable is at tp + the offset in
	                         the metadata (stf-format.h, STF_OF_TLS) */
};

/*
 * A thread a library started that runs no program code (GLib's worker,
 * gmain), counted quiescent while blocked in the library: published with
 * the frames, so that the new version checks it did not run while its
 * process was read, and starts it again from its start routine at the
 * commit (runtime/lib-threads.c).
 */
struct stf_library_thread {
	uint64_t tid;
	uint64_t start;       /* its start routine (pthread_create) */
	uint64_t arg;         /* and the argument it was given */
	uint64_t nr;          /* the system call it is blocked in */
	uint64_t switches;    /* its context switches so far: it ran since
	                         if they changed */
	uint64_t sigblk;      /* its blocked signals (SigBlk) */
	uint64_t fds;         /* poll, ppoll: the struct pollfd[nfds] it */
	uint64_t nfds;        /* polls (0 for the other calls) */
	char name[16];        /* its name (comm) */
};

/*
 * A thread the program started with pthread_create (thread-records.c),
 * from its creation until it is joined, or ends detached: what the new
 * version needs to make the old version's pthread_t values name threads
 * of its own.  Its handle is its thread pointer (glibc: pthread_self() ==
 * the %fs base), as a parked frame's tp.
 */
struct stf_thread_rec {
	uint64_t next;        /* the next record, 0 at the end */
	uint64_t handle;      /* its pthread_t */
	uint64_t ret;         /* ENDED: what it returned (or pthread_exit's) */
	uint32_t flags;       /* STF_THREAD_* */
	uint32_t serial;      /* which record it is, if its memory is reused */
};
#define STF_THREAD_DETACHED 1u  /* never joined: nothing to rename */
#define STF_THREAD_ENDED    2u  /* returned, waiting for its join */

struct stf_root {
	uint64_t magic;        /* STF_ROOT_MAGIC */
	uint64_t version;      /* STF_ROOT_VERSION */
	uint64_t units_start;  /* the stf_units section of the executable */
	uint64_t units_end;
	uint64_t exe_path;     /* address of a NUL-terminated path */
	uint64_t sites;        /* struct stf_site_ref[nsites] */
	uint64_t nsites;       /* including entry 0 */
	uint64_t slot_chunks;  /* uint64_t[nchunks]: chunk addresses (0 = none) */
	uint64_t nchunks;
	uint64_t slot_high;    /* 1 + highest slot index ever used */
	uint64_t next_id;      /* next dynamic ID this process will hand out */
	uint64_t frames;       /* struct stf_parked_frame[nframes] */
	uint64_t nframes;
	uint64_t quiesced;     /* 1 while every thread is parked: the fields
	                          above are a consistent snapshot */
	uint64_t heap_base;    /* the span region (see struct stf_span) */
	uint64_t heap_meta;    /* its objects' metadata */
	uint64_t spans;        /* struct stf_span[heap_units] */
	uint64_t heap_units;   /* units carved from the region so far */
	uint64_t library_threads;  /* struct stf_library_thread[n], while
	                              quiesced */
	uint64_t nlibrary_threads;
	uint64_t threads;      /* the first struct stf_thread_rec, 0: none */
};

/* The process's own root (defined in alloc.c, exported for the engine). */
extern struct stf_root stf__root;

#endif /* STF_ROOT_H */
