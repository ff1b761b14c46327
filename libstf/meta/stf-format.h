/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stf-format.h - the metadata format written by the stf.so GCC plugin.
 *
 * Shared by the plugin (producer), libstf (runtime consumer, in-process and
 * across processes) and stf-meta (offline consumer through libelf).  Plain
 * C, no dependencies, so the C++ plugin can include it too.
 *
 * Every instrumented translation unit emits exactly one `struct stf_unit`
 * into the allocatable, read-only section STF_UNITS_SECTION.  The linker
 * concatenates them; every unit is a multiple of 8 bytes long and 8-byte
 * aligned, so a reader walks the section unit by unit using
 * stf_unit_size().  The unit header holds no absolute address: the blob,
 * the site id array and every object are given by their distance from the
 * field naming them, which the linker computes, so a position-independent
 * executable needs no dynamic relocation for its metadata.  Everything else
 * lives in the unit's *blob*, a position-independent byte string made of a
 * header, fixed-size record tables and a string table.  All integers are
 * little-endian (x86-64 native).
 *
 * The blob is stored in two parts.  Its first `stored` bytes are kept as
 * they are: the header and what a running program reads on its own paths
 * (the update-point frames at every update point, the allocation sites'
 * IDs at startup).  The rest - sites, types, members, static objects,
 * locals and the other strings - follows as one raw deflate stream
 * (RFC 1951), inflated only by readers that need it (the state transfer,
 * stf-meta, stf_lookup), to exactly size - stored bytes.  Offsets in the
 * header are offsets into the inflated blob, which is the stored part
 * followed by the inflated one; stored == size means nothing is deflated.
 *
 * Indexes are unit-local: a type index points into the same unit's type
 * table.  Index STF_NONE means "no such thing".  String references are byte
 * offsets into the unit's string table; offset 0 is the empty string.
 *
 * Compatibility: readers reject a unit whose magic or major version differs.
 * Adding trailing fields to a record, or changing how a field is encoded
 * (format 6: the use records' index moved to bits 20-31), requires bumping
 * STF_FORMAT_VERSION.
 */
#ifndef STF_FORMAT_H
#define STF_FORMAT_H

#include <stdint.h>

#define STF_UNITS_SECTION  "stf_units"
#define STF_UNIT_MAGIC     0x31544e5546545354ULL /* "TSTFUNT1" */
#define STF_BLOB_MAGIC     0x42465453U           /* "STFB" */
#define STF_FORMAT_VERSION 6U
#define STF_NONE           0xffffffffU

/*
 * Thread-local "pending allocation site" cell.  Instrumented code stores the
 * address of the site's runtime id cell (stf_unit.site_ids[i]) here right
 * before calling an allocator; libstf's allocator consumes and clears it.
 * The plugin emits a weak definition in every unit so a program built with
 * the plugin links and runs without libstf.
 */
#define STF_ALLOC_SITE_VAR "stf__alloc_site"

/* Called by rewritten update points: stf__update_point_frame(unit, frame, &local...) */
#define STF_UPDATE_POINT_FN       "stf__update_point"
#define STF_UPDATE_POINT_FRAME_FN "stf__update_point_frame"
/* Called on entry to every function holding an update point: its thread
 * loops to update points, so quiescence may interrupt its blocking calls. */
#define STF_LOOPING_THREAD_FN     "stf__looping_thread"

/* Called by rewritten condition-variable waits (libstf/runtime/wait.h):
 * stf__wait_point(unit, frame, cond, mutex, clock, abstime, &local...).
 * The frame record of such a wait point starts with two locals of these
 * names - not C identifiers - describing the wait's own cond and mutex
 * arguments, which are relocated like the program's locals. */
#define STF_WAIT_POINT_FN     "stf__wait_point"
#define STF_WAIT_COND_LOCAL   "(cond)"
#define STF_WAIT_MUTEX_LOCAL  "(mutex)"
/* The clock argument: what the rewritten call was. */
#define STF_WAIT_UNTIMED (-1) /* pthread_cond_wait */
#define STF_WAIT_TIMED   (-2) /* pthread_cond_timedwait: the cond's own clock */
                              /* >= 0: pthread_cond_clockwait with that clock */

/* ------------------------------------------------------------------ */
/* The unit header, in section STF_UNITS_SECTION (read-only data).      */

struct stf_unit {
	uint64_t magic;     /* STF_UNIT_MAGIC */
	uint64_t version;   /* STF_FORMAT_VERSION */
	int64_t  blob;      /* address of the blob (struct stf_blob_hdr) minus
	                       the address of this field */
	uint64_t blob_size; /* bytes stored (see the blob's stored and size) */
	int64_t  site_ids;  /* address of uint32_t[nsites], zero-initialized,
	                       writable (libstf stores global site numbers),
	                       minus the address of this field; 0 if no sites */
	uint64_t nobjects;  /* number of entries in addrs[] (== blob objects.count) */
	int32_t  addrs[];   /* object i (functions: entry point): its address
	                       minus the address of addrs[i], 0 if unknown;
	                       STF_OF_TLS objects: see there */
};

/* Bytes of a unit with nobjects objects, padded to 8. */
static inline uint64_t stf_unit_size(uint64_t nobjects)
{
	return (sizeof(struct stf_unit) + nobjects * sizeof(int32_t) + 7) & ~(uint64_t)7;
}

/* The address a self-relative field holding rel denotes, the field being
 * at field_addr; 0 stays 0 (nothing). */
static inline uint64_t stf_unit_resolve(uint64_t field_addr, int64_t rel)
{
	return rel ? field_addr + (uint64_t)rel : 0;
}

/* The same for a unit mapped in the calling process. */
static inline const void *stf_unit_blob(const struct stf_unit *u)
{
	return (const char *)&u->blob + u->blob;
}

static inline uint32_t *stf_unit_site_ids(const struct stf_unit *u)
{
	return u->site_ids ? (uint32_t *)((uintptr_t)&u->site_ids + (uint64_t)u->site_ids) : 0;
}

/* Address of non-TLS object i of a unit mapped in the calling process, 0
 * if unknown. */
static inline uint64_t stf_unit_addr(const struct stf_unit *u, uint64_t i)
{
	return stf_unit_resolve((uint64_t)(uintptr_t)&u->addrs[i], u->addrs[i]);
}

/* ------------------------------------------------------------------ */
/* The blob (read-only, position independent).                         */

struct stf_table {
	uint32_t off;   /* byte offset from the start of the blob */
	uint32_t count; /* number of records (strtab: number of bytes) */
};

struct stf_blob_hdr {
	uint32_t magic;    /* STF_BLOB_MAGIC */
	uint32_t version;  /* STF_FORMAT_VERSION */
	uint32_t size;     /* total blob size in bytes */
	uint32_t flags;    /* STF_BF_* */
	uint32_t file;     /* str: basename of the main source file ("kvd.c") */
	uint32_t path;     /* str: source file as given to the compiler */
	uint32_t producer; /* str: compiler identification and options summary */
	uint32_t stored;   /* bytes stored as they are (the rest is deflated) */
	/* In the blob, frames and site_ids come first, then the string table
	 * (the sites' IDs first), then the other tables: what a running
	 * program reads is stored as it is. */
	struct stf_table types;   /* struct stf_type_rec[] */
	struct stf_table members; /* struct stf_member_rec[] */
	struct stf_table objects; /* struct stf_object_rec[] */
	struct stf_table sites;   /* struct stf_site_rec[] */
	struct stf_table frames;  /* struct stf_frame_rec[] */
	struct stf_table locals;  /* struct stf_local_rec[] */
	struct stf_table strtab;  /* NUL-terminated strings; count = bytes */
	struct stf_table site_ids; /* uint32_t[sites.count]: str, sites[i].id */
	struct stf_table uses;    /* struct stf_use_rec[] (version 3) */
};

#define STF_BF_OPTIMIZED 0x1u /* compiled with optimization (-O1 and above) */
#define STF_BF_PIC       0x2u /* compiled with -fPIC/-fPIE */

/* --- types --- */

enum stf_type_kind {
	STF_K_VOID = 1,
	STF_K_INT,      /* integer types, including char and _Bool (see flags) */
	STF_K_FLOAT,    /* float, double, long double */
	STF_K_ENUM,     /* members = enumerators; target = underlying int type */
	STF_K_POINTER,  /* target = pointee */
	STF_K_ARRAY,    /* target = element; count = length (0 if flexible/unknown) */
	STF_K_STRUCT,   /* members = fields */
	STF_K_UNION,    /* members = fields */
	STF_K_FUNCTION, /* target = return type; members = parameters (name may be 0) */
	STF_K_TYPEDEF,  /* name = typedef name; target = aliased type */
	STF_K_COMPLEX,  /* _Complex; target = component type */
	STF_K_VECTOR,   /* GCC vector types; target = element type */
};

/* type flags */
#define STF_TF_SIGNED     0x01u /* INT/ENUM: signed */
#define STF_TF_BOOL       0x02u /* INT: _Bool */
#define STF_TF_CHAR       0x04u /* INT: char, signed char, unsigned char */
#define STF_TF_FLEXIBLE   0x08u /* ARRAY: flexible array member ([] or [0]) */
#define STF_TF_INCOMPLETE 0x10u /* STRUCT/UNION/ARRAY: declared, never completed */
#define STF_TF_VARIADIC   0x20u /* FUNCTION */
#define STF_TF_OPAQUE     0x40u /* STF_OPAQUE: copy bytes, never look inside */
#define STF_TF_AMBIGUOUS  0x80u /* UNION: holds a pointer, not annotated */
#define STF_TF_FUNCTIONS  0x100u /* UNION: every member is a pointer to a
                                   function (all at offset 0, all 8 bytes):
                                   the value is one function pointer, never
                                   ambiguous */
#define STF_TF_SYSTEM     0x200u /* STRUCT/UNION: declared by a system header
                                   (a library's type: <event2/event_struct.h>) */

struct stf_type_rec {
	uint32_t name;     /* str: tag ("entry" for struct entry), typedef
	                      name, or primitive name ("unsigned int"); 0 = anonymous */
	uint8_t  kind;     /* enum stf_type_kind */
	uint8_t  quals;    /* STF_Q_*: qualifiers of this use (const, volatile) */
	uint16_t flags;    /* STF_TF_* */
	uint32_t target;   /* type index or STF_NONE (see kinds) */
	uint32_t align;    /* bytes */
	uint64_t size;     /* bytes; 0 if incomplete or flexible */
	uint64_t count;    /* ARRAY: number of elements; VECTOR: lanes */
	uint32_t members;  /* index of the first member record */
	uint32_t nmembers; /* number of member records */
	uint64_t hash;     /* 0 in the blob; readers compute it (meta/hash.h):
	                      equal for structurally equal types, in any unit
	                      and any version (names included, qualifiers
	                      excluded) */
};

#define STF_Q_CONST    0x1u
#define STF_Q_VOLATILE 0x2u

#define STF_MF_IXFER 0x1u /* STF_IXFER on the member: copy bytes, no pointer transfer */
#define STF_MF_PXFER 0x2u /* STF_PXFER on the member: integer holding a pointer */

struct stf_member_rec {
	uint32_t name;       /* str: member name, 0 for an anonymous struct/union
	                        member; enumerator name for enums */
	uint32_t type;       /* type index (STF_NONE for enumerators) */
	int64_t  offset;     /* STRUCT/UNION: byte offset of the member (for
	                        bitfields: floor(bitpos / 8));
	                        ENUM: the enumerator's value */
	uint16_t bit_offset; /* bitfield: bitpos - 8 * offset (0..7), else 0 */
	uint16_t bit_size;   /* bitfield width in bits; 0 = not a bitfield */
	uint32_t flags;      /* STF_MF_* */
};

/* --- static objects --- */

enum stf_object_kind {
	STF_O_VAR = 1, /* global, file-static or function-local static variable */
	STF_O_FUNC,    /* function whose address is taken */
	STF_O_STRING,  /* string literal */
};

#define STF_OF_EXTERN   0x01u /* external linkage */
#define STF_OF_LOCAL    0x02u /* function-local static (func is set) */
#define STF_OF_READONLY 0x04u /* const / in read-only memory */
#define STF_OF_TLS      0x08u /* thread-local: addrs[] is the offset from the
				 thread pointer itself (negative), 0 if
				 unknown (a shared library) */
#define STF_OF_IXFER    0x10u /* STF_IXFER on the object */
#define STF_OF_PXFER    0x20u /* STF_PXFER on the object */

struct stf_object_rec {
	uint32_t id;    /* str: version-agnostic static ID:
	                   "table"                 external variable or function
	                   "kvd.c:table"           file-static variable or function
	                   "kvd.c:handle/count"    function-local static
	                   "str:<16 hex digits>"   string literal (content hash) */
	uint32_t name;  /* str: source name ("count"); for a string literal
	                   where it is in its scope (func), 0 if unknown:
	                   "=<member path>"  in the static initializer of the
	                       object whose static ID is func ("=[3].name",
	                       "=" for the whole initializer)
	                   "#<n>"  the n-th literal (from 0, in basic-block
	                       order) whose address the code of function func
	                       may let escape into the state; literals only
	                       passed to functions that keep no pointer to
	                       them (printf, strcmp...) have no record at all
	                   The literal's place, by which it is paired across
	                   versions before its content, is
	                   "init:<func><member path>" or
	                   "code:<file>:<func>#<n>" (stf_meta_literal_place) */
	uint32_t func;  /* str: enclosing function for function-local statics;
	                   a string literal's scope (see name) */
	uint32_t type;  /* type index; for a string literal the type of its
	                   characters (char, or wchar_t... for wide ones):
	                   the literal is an array of size / that size */
	uint8_t  kind;  /* enum stf_object_kind */
	uint8_t  flags; /* STF_OF_* */
	uint16_t reserved;
	uint32_t line;  /* source line of the declaration */
	uint64_t size;  /* bytes (string literals: including the NUL) */
};

/* --- allocation sites --- */

#define STF_SF_ZEROED   0x01u /* calloc-like: memory is zeroed */
#define STF_SF_REALLOC  0x02u /* realloc-like: resizes an existing block */
#define STF_SF_MMAP     0x04u /* mmap: a mapping, not a heap block */
#define STF_SF_STRING   0x08u /* strdup/strndup: char array */
#define STF_SF_WRAPPER  0x10u /* call to an STF_ALLOCATOR function */
#define STF_SF_INLINED  0x20u /* call came from an inlined allocator wrapper */
#define STF_SF_CONSTCNT 0x40u /* count is a compile-time constant */
#define STF_SF_AUTOWRAP 0x80u /* wrapper found without STF_ALLOCATOR (malloc
                                 attribute, or returns only fresh blocks) */
#define STF_SF_SLOT     0x100u /* STF_ALLOCATOR without a size argument: the
                                  allocator picks the size of what it hands
                                  out (a slab's slot) */
#define STF_SF_GIVEN_BACK 0x200u /* STF_ALLOCATOR taking a size whose
                                  objects are given back one by one (its
                                  deallocator by name is in the unit): a
                                  size-class allocator, not a pool */
#define STF_SF_SLAB_STATIC 0x400u /* a slot allocator's call passing, as its
                                  slab, a value read from a static
                                  (slab_alloc(server_cache),
                                  slab_alloc(srv.cache), slab_alloc(
                                  g->pools[2])): `slab` and `slab_path`
                                  say where, which names the slab of a
                                  site never called before an update */
#define STF_SF_SIZE_HEADER 0x800u /* a block an STF_ALLOCATOR hands out the
                                  rest of after a prefix the plugin
                                  understood (gcc-plugin/size-header.cc):
                                  the prefix fields describe it */
#define STF_SF_UNDECLARED_PREFIX 0x1000u /* a block its function, not
                                  declared STF_ALLOCATOR, hands out the
                                  rest of after `prefix` bytes (obj_new's
                                  `return h + 1`): the site's type, if any,
                                  is its prefix's, what lies past it has
                                  none the transfer knows */
#define STF_SF_UNKNOWN_CALLERS 0x2000u /* an STF_ALLOCATOR's call in a
                                  found wrapper returning what it hands
                                  out (obj_new returning xmalloc's
                                  result) that callers may call without
                                  knowing it (other units, pointers): the
                                  objects they get keep this site, of no
                                  type they chose (the ones of callers
                                  that know it are registered again with
                                  their sites) */
/* The cache argument of a slot allocator's call as the plugin's code
 * passes it to stf__slot_arg (libstf/runtime/slots.h): XORed with this,
 * so that the copy the caller keeps across the allocator's call (in a
 * callee-saved register or a stack slot, dead after it) is no pointer to
 * the new version's startup slab for the conservative sweep of what that
 * startup allocated. */
#define STF_SLOT_ARG_MASK 0xa5a5a5a5a5a5a5a5ULL

struct stf_site_rec {
	uint32_t id;        /* str: version-agnostic site ID:
	                       "<file>:<caller>/<dest>#<ordinal>", e.g.
	                       "kvd.c:put/struct entry.key#0", "kvd.c:main/tbl#1" */
	uint32_t func;      /* str: caller function (the user of a wrapper) */
	uint32_t allocator; /* str: called function ("malloc", "xmalloc") */
	uint32_t dest;      /* str: destination: variable name, "struct T.member",
	                       "return" or "" if unknown */
	uint32_t type;      /* element type index, STF_NONE if unknown (void *) */
	uint32_t ordinal;   /* n-th site with the same caller and dest */
	uint32_t line;
	uint32_t flags;     /* STF_SF_* */
	uint64_t count;     /* element count if constant (STF_SF_CONSTCNT),
	                       else 0 */
	/* STF_SF_SIZE_HEADER or STF_SF_UNDECLARED_PREFIX (else 0): the
	 * block's prefix, up to the object the function returns.  With
	 * STF_SF_SIZE_HEADER (else 0) it holds the object's size plus size_add in
	 * size_width bytes (4 or 8; 0: no size) at size_at (negative) from the
	 * object, and the allocator adds the size to the static counter (str,
	 * its ID; 0: none): an update that resizes the object rewrites both. */
	uint32_t prefix;
	int32_t  size_at;
	uint32_t size_width;
	uint32_t counter;
	int64_t  size_add;
	uint32_t slab;      /* str: STF_SF_SLAB_STATIC: the ID of the static
	                       the slab argument is read from; else 0 */
	uint32_t slab_path; /* str: STF_SF_SLAB_STATIC: how, as byte offsets
	                       separated by commas ("8", "0,16"): add the
	                       first to the static's address and load a
	                       pointer there, add the next to that pointer
	                       and load again, and so on; the last load is
	                       the slab */
};

/* --- update points (locals of the function holding the update point) --- */

struct stf_frame_rec {
	uint32_t func;    /* str: function containing the update point */
	uint32_t locals;  /* index of the first local record */
	uint32_t nlocals; /* number of locals passed, in argument order */
	uint32_t line;
};

struct stf_local_rec {
	uint32_t name; /* str: local variable name */
	uint32_t type; /* type index */
};

/* --- what `void *` members hold --- */

/* The value of member `member` of struct `type`, a `void *`, is used by
 * the unit's code as a pointer to struct `used` (loaded into a `used *`,
 * dereferenced as one, or a `used *` stored into it): one record per
 * (struct, member, path, used type).  The path says through what the code
 * reached the struct holding the member, when it says it: member `via` of
 * struct `via_type` (a pointer to it, `z->entries->elts`, or the struct
 * embedded there, `z->entries.elts`), or the static variable named `via`
 * (`zones->elts`).  nginx's ngx_array_t holds zones behind one path and
 * entries behind another: the element type is per path. */
#define STF_USE_VIA_MEMBER 0x1u /* reached through member via of via_type */
#define STF_USE_VIA_VAR    0x2u /* reached through the static variable via */
#define STF_USE_VIA        (STF_USE_VIA_MEMBER | STF_USE_VIA_VAR)
/* Not a use but the element size of the array behind `member`: the code
 * indexes the member's value by the integer member `via` of the same
 * struct (`(char *)a->elts + a->size * i`); `used` is `type`, `via_type`
 * STF_NONE.  The transfer updates that member when the element type's
 * size changes. */
#define STF_USE_STRIDE     0x4u
/* The use is of one element of `member`, an array of `void *` (user-data
 * slots `void *ud[N]`, a different type behind each): the element whose
 * index is STF_USE_INDEX(flags), named by a constant in the code.  A
 * record of such a member without it is a use of every element. */
#define STF_USE_ELEMENT    0x8u
/* Uses joined across units by a function's name (a container's accessor
 * defined in one unit, its results used in others): the function named
 * `via` returns the value of `member` of struct `type` (`used` is `type`;
 * STF_USE_ELEMENT may name the element) ... */
#define STF_USE_RETURNED   0x10u
/* ... and a result of the function named `member` is used as struct
 * `used` (`type` is `used`, `via` none). */
#define STF_USE_RESULT     0x20u
/* Callbacks joined across units by a function's name: the value of
 * `member` of struct `type` (`used` is `type`; STF_USE_ELEMENT may name
 * the element) is passed as parameter number `via_type` of the function
 * named `via`, defined in another unit (`timer_add(ms, on_tick, c->ctx)`
 * with on_tick elsewhere, or a callee of a registration call) ... */
#define STF_USE_PASSED     0x40u
/* ... and parameter number STF_USE_INDEX(flags) of the function named
 * `member`, a `void *`, is used as struct `used` (`type` is `used`, `via`
 * none): what the callback casts its argument to. */
#define STF_USE_PARAM      0x80u
/* Not a member's use: the unit's code reads a `void *` value as a pointer
 * to struct `used` (`struct conn *c = arg`; `type` is `used`, `member`
 * and `via` none).  The evidence that an untyped block of that struct's
 * size may be one (transfer/sized-blocks.c). */
#define STF_USE_CAST       0x100u
/* Not a member's use: the results of the allocation site whose ID is
 * `member`, of no type where they are kept (`void *ctx = malloc(n)`), are
 * used as struct `used` (`type` is `used`), or, with STF_USE_PASSED,
 * passed as parameter number `via_type` of the function named `via`,
 * defined in another unit or a library's user data setter (`type` and
 * `used` STF_NONE; joined to its STF_USE_PARAM records).  The plugin
 * types such a site itself when its unit says all: one type and no
 * function of another unit. */
#define STF_USE_SITE       0x200u
/* With STF_USE_PASSED, of a value given to a library's user data setter
 * (`via`, `event_new`) along with callbacks of other units: the setter's
 * records (what the getter's results are used as, all the values given
 * to it) count only when the other records of the value give no type
 * (when its callbacks do not use it). */
#define STF_USE_FALLBACK   0x400u
/* A member's use in the function named `via`, by the code of which the
 * struct holding the member was reached through a parameter (a command
 * table's handler `cmd_get(struct command *cmd)` reading `cmd->priv`):
 * also a use without a path; a struct holding function pointers to that
 * function (the table's row, `.fn = cmd_get`) tells by it which of the
 * member's types its block is.  STF_USE_ELEMENT may name the element. */
#define STF_USE_IN_FN      0x800u
/* Not a use: integer member `member` of struct `type` is the offset of a
 * member inside another struct, kept as a number (uthash's `hho`): the
 * code adds it to a pointer to struct `used` (STF_NONE: a `void *`), or,
 * with STF_USE_OFFSET_SUB, subtracts it from one (`(char *)hhp -
 * tbl->hho`).  The transfer converts the number from the member's old
 * offset to its new one (transfer/member-offsets.c).  `via_type`
 * STF_NONE, `via` none. */
#define STF_USE_OFFSET     0x10000u
#define STF_USE_OFFSET_SUB 0x20000u
/* Not a member's use: objects whose address the code keeps as an integer
 * (a hash of it stored, a slot chosen by it: `(uintptr_t)c * K % n`), so
 * that they keep their address in the new version (libstf/transfer/
 * addr-keys.c).  Alone: the address of a struct `used` (`type` is `used`),
 * kept so by the function named `via`.  With STF_USE_ADDR_PARAM:
 * parameter number STF_USE_INDEX(flags) of the function named `member`,
 * a pointer to no struct, is kept so (`type` and `used` STF_NONE), joined
 * by the name with the STF_USE_ADDR_ARG records of the callers in other
 * units: a pointer to struct `used` (`type` is `used`), or of no type
 * known (STF_NONE), is passed as that parameter by the function named
 * `via`.  With STF_USE_ADDR_ANY: a pointer of no type known is kept so
 * by the function named `via` (`type`, `used` STF_NONE): the targets of
 * every `void *` keep their address.  STF_USE_ADDR_ORDER (not with
 * STF_USE_ADDR_ARG): the addresses are not hashed but compared, ordering a
 * container (a tree, a sorted array: `a < b` in a comparator). */
#define STF_USE_ADDR_KEY   0x1000u
#define STF_USE_ADDR_PARAM 0x2000u
#define STF_USE_ADDR_ARG   0x4000u
#define STF_USE_ADDR_ANY   0x8000u
#define STF_USE_ADDR_ORDER 0x40000u
/* Not a member's use: the bytes of the static whose ID is `member` (str),
 * whose type (`type` and `used`, STF_NONE if none) holds pointers, are
 * read through a char pointer by the function named `via` and mixed into
 * what it computes (a hash: dnsmasq's hash_bucket() over `typestr`): the
 * update rolls back when they differ in the new version
 * (libstf/transfer/byte-reads.c).  `via_type` STF_NONE. */
#define STF_USE_BYTES_READ 0x80000u
#define STF_USE_INDEX_SHIFT 20
#define STF_USE_INDEX(flags) ((flags) >> STF_USE_INDEX_SHIFT)
#define STF_USE_INDEX_MAX  0xfffu
#define STF_USE_KIND_MASK  ((1u << STF_USE_INDEX_SHIFT) - 1)

struct stf_use_rec {
	uint32_t type;     /* type index of the struct holding the member */
	uint32_t member;   /* str: member name */
	uint32_t used;     /* type index of the struct its value points to */
	uint32_t flags;    /* STF_USE_VIA_*: 0 when the path is not known;
			      STF_USE_STRIDE; STF_USE_OFFSET; STF_USE_ELEMENT and the
			      element's index in bits 20-31 */
	uint32_t via_type; /* VIA_MEMBER: type index of the struct; else STF_NONE */
	uint32_t via;      /* str: VIA_MEMBER: member name; VIA_VAR: variable name */
};

#endif /* STF_FORMAT_H */
