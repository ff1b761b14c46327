/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * remote.c - snapshot of a peer process's state (see remote.h).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* ------------------------------------------------------------------ */
/* Arena.                                                              */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	uint8_t data[];
};

struct stf_arena {
	struct arena_chunk *head;
};

struct stf_arena *stf__arena_new(void)
{
	struct stf_arena *a = stf__raw_malloc(sizeof(*a));
	if (a)
		a->head = NULL;
	return a;
}

void *stf__arena_alloc(struct stf_arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size = (size + 15) & ~(size_t)15;
	if (!c || c->used + size > c->size) {
		size_t csize = (size > (1u << 20) ? size : (1u << 20)) + 16;
		c = stf__raw_malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize; /* bytes of data[], alignment padding included */
		/* keep data 16-aligned */
		c->used = (16 - ((uintptr_t)c->data & 15)) & 15;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *stf__arena_strdup(struct stf_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = stf__arena_alloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void stf__arena_free(struct stf_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		stf__raw_free(c);
	}
	stf__raw_free(a);
}

/* ------------------------------------------------------------------ */
/* String map (open addressing, FNV-1a).                               */

uint64_t stf__hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int strmap_grow(struct stf_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	const char **keys = stf__raw_malloc(ncap * sizeof(*keys));
	uint64_t *vals = stf__raw_malloc(ncap * sizeof(*vals));
	if (!keys || !vals) {
		stf__raw_free(keys);
		stf__raw_free(vals);
		return -1;
	}
	memset(keys, 0, ncap * sizeof(*keys));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = stf__hash_str(m->keys[i]) & (ncap - 1);
		while (keys[j])
			j = (j + 1) & (ncap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	stf__raw_free(m->keys);
	stf__raw_free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return 0;
}

int stf__strmap_put(struct stf_strmap *m, const char *key, uint64_t val)
{
	if (2 * (m->n + 1) > m->cap && strmap_grow(m) < 0)
		return -1;
	size_t j = stf__hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			m->vals[j] = val;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->vals[j] = val;
	m->n++;
	return 0;
}

int stf__strmap_get(const struct stf_strmap *m, const char *key, uint64_t *val)
{
	if (!m->cap)
		return -1;
	size_t j = stf__hash_str(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			*val = m->vals[j];
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

void stf__strmap_free(struct stf_strmap *m)
{
	stf__raw_free(m->keys);
	stf__raw_free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* Memory access.                                                      */

static void fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int stf__peer_read(const struct stf_peer *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	if (!len)
		return 0;
	ssize_t n = process_vm_readv(p->pid, &l, 1, &r, 1, 0);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

/* glibc's FILE flags (libio.h, not installed): the ones that say how a
 * stream was opened and what its buffer holds. */
#define IO_MAGIC_MASK        0xFFFF0000u
#define IO_MAGIC             0xFBAD0000u
#define IO_UNBUFFERED        0x0002u
#define IO_NO_READS          0x0004u
#define IO_NO_WRITES         0x0008u
#define IO_IN_BACKUP         0x0100u
#define IO_LINE_BUF          0x0200u
#define IO_CURRENTLY_PUTTING 0x0800u
#define IO_IS_APPENDING      0x1000u

int stf__peer_stream(struct stf_peer *p, uint64_t addr, struct stf_stream *s)
{
	/* the peer's FILE and the function table after it (glibc's struct
	 * _IO_FILE_plus), read as bytes: their pointers are the peer's */
	struct {
		FILE f;
		uint64_t vtable;
	} fp;
	const FILE *f = &fp.f;
	uint32_t flags;

	memset(s, 0, sizeof(*s));
	if (stf__peer_read(p, addr, &fp, sizeof(fp)) < 0)
		return -1;
	flags = (uint32_t)f->_flags;
	if ((flags & IO_MAGIC_MASK) != IO_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	/* popen's, fmemopen's, fopencookie's streams have their own tables */
	s->file = fp.vtable && fp.vtable == stf__peer_symbol_addr(p, "libc.so.6", "_IO_file_jumps") &&
		  f->_fileno >= 0 &&
		  (flags & (IO_NO_READS | IO_NO_WRITES)) != (IO_NO_READS | IO_NO_WRITES);
	s->fd = f->_fileno;
	if (flags & IO_NO_READS)
		snprintf(s->mode, sizeof(s->mode), "%s", flags & IO_IS_APPENDING ? "a" : "w");
	else if (flags & IO_NO_WRITES)
		snprintf(s->mode, sizeof(s->mode), "r");
	else
		snprintf(s->mode, sizeof(s->mode), "%s", flags & IO_IS_APPENDING ? "a+" : "r+");
	s->buffering = flags & IO_UNBUFFERED ? _IONBF : flags & IO_LINE_BUF ? _IOLBF : _IOFBF;
	s->wide = f->_mode > 0;
	uint64_t rp = (uint64_t)(uintptr_t)f->_IO_read_ptr, re = (uint64_t)(uintptr_t)f->_IO_read_end;
	uint64_t wb = (uint64_t)(uintptr_t)f->_IO_write_base, wp = (uint64_t)(uintptr_t)f->_IO_write_ptr;
	/* pushed-back characters (ungetc) live in a backup area: unread too */
	if (rp < re)
		s->unread = re - rp;
	else if (flags & IO_IN_BACKUP)
		s->unread = 1;
	if ((flags & IO_CURRENTLY_PUTTING) && wp > wb) {
		s->pending = wp - wb;
		s->pending_addr = wb;
	}
	s->pending_hash = 0xcbf29ce484222325ULL;
	if (s->pending) {
		uint8_t *b = stf__raw_malloc(s->pending);
		if (!b)
			return -1;
		if (stf__peer_read(p, wb, b, s->pending) < 0) {
			stf__raw_free(b);
			return -1;
		}
		for (uint64_t i = 0; i < s->pending; i++)
			s->pending_hash = (s->pending_hash ^ b[i]) * 0x100000001b3ULL;
		stf__raw_free(b);
	}
	return 0;
}

int stf__is_file_type(const struct stf_meta_unit *u, uint32_t t)
{
	t = stf_meta_strip_typedefs(u, t);
	return t < u->ntypes && u->types[t].kind == STF_K_STRUCT &&
	       !strcmp(stf_meta_str(u, u->types[t].name), "_IO_FILE");
}

/* process_vm_writev of k iovec pairs holding total bytes. */
static int writev_all(const struct stf_peer *p, const struct iovec *liov,
		      const struct iovec *riov, size_t k, size_t total, char *err, size_t errlen)
{
	ssize_t r = process_vm_writev(p->pid, liov, k, riov, k, 0);
	if (r < 0 || (size_t)r != total) {
		fail(err, errlen, "writing %zu bytes into process %d at 0x%" PRIx64 " failed: %s",
		     total, (int)p->pid, (uint64_t)(uintptr_t)riov[0].iov_base,
		     r < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* The writes in the order given, one iovec each. */
static int write_each(const struct stf_peer *p, const struct stf_write *w, size_t n,
		      char *err, size_t errlen)
{
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	size_t i = 0;

	while (i < n) {
		size_t k = 0, total = 0;
		for (; i < n && k < IOV_MAX; i++) {
			if (!w[i].len)
				continue;
			liov[k].iov_base = (void *)w[i].buf;
			liov[k].iov_len = w[i].len;
			riov[k].iov_base = (void *)(uintptr_t)w[i].addr;
			riov[k].iov_len = w[i].len;
			total += w[i].len;
			k++;
		}
		if (k && writev_all(p, liov, riov, k, total, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * The kernel pins the remote pages of every iovec separately, which costs
 * far more than copying a small object: small writes a few bytes apart
 * (heap blocks separated by their headers) are merged into one span,
 * staged here with the bytes between them read from the peer first and
 * written back unchanged.  The peer does not run meanwhile (the reversed
 * version waits for the end of the transfer, every other thread of it is
 * parked), so those bytes cannot change under the write.  Writes of
 * WRITE_SMALL bytes or more are worth their own iovec.
 */
#define WRITE_GAP   64
#define WRITE_SMALL 1024
#define WRITE_STAGE (4u << 20) /* staged span bytes per system call */

struct write_batch {
	struct iovec liov[IOV_MAX], riov[IOV_MAX];
	struct iovec rread[IOV_MAX]; /* the merged spans, read first */
	struct {
		size_t first, end; /* ranges of the sorted index */
		size_t pos;        /* in stage */
	} m[IOV_MAX];
	uint8_t stage[WRITE_STAGE];
};

static int write_spans(const struct stf_peer *p, const struct stf_write *w,
		       const struct stf_index *ix, struct write_batch *b, char *err,
		       size_t errlen)
{
	struct iovec *liov = b->liov, *riov = b->riov, *rread = b->rread;
	uint8_t *stage = b->stage;
	const struct stf_range *rg = ix->ranges;
	size_t r = 0;

	while (r < ix->n) {
		size_t k = 0, nm = 0, used = 0, total = 0;
		while (r < ix->n && k < IOV_MAX) {
			uint64_t start = rg[r].start, end = start + rg[r].size;
			size_t e = r + 1;
			if (rg[r].size < WRITE_SMALL)
				while (e < ix->n && rg[e].size < WRITE_SMALL &&
				       rg[e].start <= end + WRITE_GAP &&
				       rg[e].start + rg[e].size - start <= WRITE_STAGE - used) {
					end = rg[e].start + rg[e].size;
					e++;
				}
			riov[k].iov_base = (void *)(uintptr_t)start;
			riov[k].iov_len = end - start;
			if (e == r + 1) {
				liov[k].iov_base = (void *)w[rg[r].value].buf;
			} else {
				liov[k].iov_base = stage + used;
				rread[nm] = riov[k];
				b->m[nm].first = r;
				b->m[nm].end = e;
				b->m[nm].pos = used;
				nm++;
				used += end - start;
			}
			liov[k].iov_len = end - start;
			total += end - start;
			k++;
			r = e;
		}
		if (nm) {
			struct iovec all = { stage, used };
			ssize_t got = process_vm_readv(p->pid, &all, 1, rread, nm, 0);
			if (got < 0 || (size_t)got != used) {
				fail(err, errlen, "reading %zu bytes of process %d around the objects "
				     "at 0x%" PRIx64 " before writing them failed: %s", used,
				     (int)p->pid, (uint64_t)(uintptr_t)rread[0].iov_base,
				     got < 0 ? strerror(errno) : "short read");
				return -1;
			}
			for (size_t t = 0; t < nm; t++) {
				uint64_t base = rg[b->m[t].first].start;
				for (size_t q = b->m[t].first; q < b->m[t].end; q++)
					memcpy(stage + b->m[t].pos + (rg[q].start - base),
					       w[rg[q].value].buf, rg[q].size);
			}
		}
		if (writev_all(p, liov, riov, k, total, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int stf__peer_write(const struct stf_peer *p, const struct stf_write *w, size_t n,
		    char *err, size_t errlen)
{
	struct stf_index ix = STF_INDEX_INIT;
	struct write_batch *b;
	int rc;

	if (p->self) {
		for (size_t i = 0; i < n; i++)
			memcpy((void *)(uintptr_t)w[i].addr, w[i].buf, w[i].len);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (w[i].len && stf__index_add(&ix, w[i].addr, w[i].len, i) < 0) {
			stf__index_free(&ix);
			return write_each(p, w, n, err, errlen);
		}
	b = stf__raw_malloc(sizeof(*b));
	/* overlapping writes keep their order (the later one wins) */
	if (!b || stf__index_sort(&ix, NULL, NULL) < 0)
		rc = write_each(p, w, n, err, errlen);
	else
		rc = write_spans(p, w, &ix, b, err, errlen);
	stf__raw_free(b);
	stf__index_free(&ix);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Catalog.                                                            */

size_t stf__peer_add(struct stf_peer *p, const struct stf_obj *o)
{
	if (p->nobjs == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 1024;
		struct stf_obj *n = stf__raw_realloc(p->objs, ncap * sizeof(*n));
		if (!n)
			return (size_t)-1;
		p->objs = n;
		p->cap = ncap;
	}
	p->objs[p->nobjs] = *o;
	return p->nobjs++;
}

void stf__peer_index(struct stf_peer *p)
{
	stf__index_reset(&p->index);
	stf__index_reserve(&p->index, p->nobjs);
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		/* functions are looked up by their entry point only */
		stf__index_add(&p->index, o->addr,
			       o->kind == STF_OBJ_FUNC && !o->size ? 1 : o->size, i);
	}
	/* Overlaps happen legitimately (merged string literals, aliases);
	 * the lookup then returns one of them. */
	stf__index_sort(&p->index, NULL, NULL);
}

const struct stf_obj *stf__peer_find(const struct stf_peer *p, uint64_t addr)
{
	const struct stf_range *r = stf__index_find(&p->index, addr, STF_INDEX_END);
	return r ? &p->objs[r->value] : NULL;
}

static const struct stf_meta_unit *unit_at(const struct stf_peer *p, uint64_t addr)
{
	for (size_t i = 0; i < p->meta->nunits; i++)
		if (p->meta->units[i].addr == addr)
			return &p->meta->units[i];
	return NULL;
}

/* IDs name a file by its base name: the statics and functions of two
 * files of one name in different directories (net/util.c, disk/util.c)
 * would be taken for one another.  String literals share IDs by content,
 * external objects by name, on purpose. */
static int id_collides(struct stf_peer *p, const struct stf_meta_unit *mu, uint32_t i,
		       char *err, size_t errlen)
{
	const struct stf_object_rec *r = &mu->objects[i];
	const struct stf_meta_unit *fu;
	uint32_t fi;

	if (r->kind == STF_O_STRING || (r->flags & STF_OF_EXTERN) ||
	    stf_meta_find_object(p->meta, stf_meta_str(mu, r->id), &fu, &fi) < 0 ||
	    (fu == mu && fi == i) || (fu->objects[fi].flags & STF_OF_EXTERN))
		return 0;
	const char *a = stf_meta_str(fu, fu->blob->path), *b = stf_meta_str(mu, mu->blob->path);
	if (!strcmp(a, b))
		return 0;
	fail(err, errlen, "%s: files %s and %s have one name: their statics and functions "
	     "would be taken for one another; rename one of the files",
	     stf_meta_str(mu, r->id), a, b);
	return 1;
}

static int add_statics(struct stf_peer *p, char *err, size_t errlen)
{
	for (size_t u = 0; u < p->meta->nunits; u++) {
		const struct stf_meta_unit *mu = &p->meta->units[u];
		for (uint32_t i = 0; i < mu->nobjects; i++) {
			const struct stf_object_rec *r = &mu->objects[i];
			struct stf_obj o = { 0 };
			if (r->flags & STF_OF_TLS) {
				/* Each thread has its own copy, at an address only
				 * that thread computes; none is transferred.  A
				 * writable one would come out silently reset to its
				 * initializer: refuse the update instead.  (Only
				 * the source process is checked: a thread-local
				 * variable new in the destination starts from its
				 * initializer, as in a fresh thread.) */
				if (!p->self && r->kind == STF_O_VAR &&
				    !(r->flags & STF_OF_READONLY)) {
					fail(err, errlen,
					     "%s: thread-local variable: its value in each thread cannot be transferred (not supported)",
					     stf_meta_str(mu, r->id));
					return -1;
				}
				continue;
			}
			o.addr = mu->unit->addrs[i];
			o.size = r->size;
			o.id = stf_meta_str(mu, r->id);
			if (id_collides(p, mu, i, err, errlen))
				return -1;
			o.unit = r->type < mu->ntypes ? mu : NULL;
			o.type = r->type;
			o.line = r->line;
			switch (r->kind) {
			case STF_O_VAR:
				o.kind = (r->flags & STF_OF_READONLY) ? STF_OBJ_CONST
								      : STF_OBJ_STATIC;
				break;
			case STF_O_FUNC:
				o.kind = STF_OBJ_FUNC;
				break;
			case STF_O_STRING:
				o.kind = STF_OBJ_STRING;
				break;
			default:
				continue;
			}
			if (r->flags & STF_OF_IXFER)
				o.flags |= STF_OBJF_IXFER;
			if (r->flags & STF_OF_PXFER)
				o.flags |= STF_OBJF_PXFER;
			if (!o.addr)
				continue;
			if (stf__peer_add(p, &o) == (size_t)-1) {
				fail(err, errlen, "out of memory cataloging statics");
				return -1;
			}
		}
	}
	return 0;
}

static int load_sites(struct stf_peer *p, char *err, size_t errlen)
{
	size_t n = p->root.nsites;
	struct stf_site_ref *refs;

	if (n > (1u << 24)) {
		fail(err, errlen, "process %d: implausible site count %zu", (int)p->pid, n);
		return -1;
	}
	refs = stf__raw_malloc((n ? n : 1) * sizeof(*refs));
	p->site_ids = stf__arena_alloc(p->arena, (n + 1) * sizeof(char *));
	p->site_unit = stf__arena_alloc(p->arena, (n + 1) * sizeof(void *));
	p->site_type = stf__arena_alloc(p->arena, (n + 1) * sizeof(uint32_t));
	if (!refs || !p->site_ids || !p->site_unit || !p->site_type) {
		stf__raw_free(refs);
		fail(err, errlen, "out of memory reading the site table");
		return -1;
	}
	if (stf__peer_read(p, p->root.sites, refs, n * sizeof(*refs)) < 0) {
		stf__raw_free(refs);
		fail(err, errlen, "process %d: cannot read its site table (%zu sites at 0x%"
		     PRIx64 "): %s", (int)p->pid, n, p->root.sites, strerror(errno));
		return -1;
	}
	p->nsites = n;
	for (size_t i = 0; i < n; i++) {
		const struct stf_site_ref *s = &refs[i];
		const struct stf_meta_unit *u;
		char buf[192];
		p->site_ids[i] = "";
		p->site_type[i] = STF_NONE;
		switch (s->kind) {
		case STF_SITE_PLUGIN:
			u = unit_at(p, s->unit);
			if (!u || s->index >= u->nsites)
				break;
			p->site_ids[i] = stf_meta_str(u, u->sites[s->index].id);
			p->site_unit[i] = u;
			p->site_type[i] = u->sites[s->index].type;
			break;
		case STF_SITE_EXTERNAL:
			snprintf(buf, sizeof(buf), "%.*s+0x%" PRIx64,
				 (int)sizeof(s->name), s->name, s->offset);
			p->site_ids[i] = stf__arena_strdup(p->arena, buf);
			break;
		case STF_SITE_USER:
			snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(s->name), s->name);
			p->site_ids[i] = stf__arena_strdup(p->arena, buf);
			snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(s->type_name),
				 s->type_name);
			if (buf[0]) {
				const struct stf_meta_unit *tu;
				uint32_t t;
				if (!stf_meta_find_type(p->meta, buf, &tu, &t)) {
					p->site_unit[i] = tu;
					p->site_type[i] = t;
				}
			}
			break;
		}
		if (s->kind == STF_SITE_EXTERNAL &&
		    !strncmp(s->name, "libstf.so", 9))
			p->site_type[i] = STF_NONE - 1; /* marks libstf-internal */
	}
	stf__raw_free(refs);
	return 0;
}

static int add_dynamic(struct stf_peer *p, char *err, size_t errlen)
{
	size_t nchunks = p->root.nchunks, high = p->root.slot_high;
	uint64_t *chunks;
	struct stf_slot *slots;

	if (!high)
		return 0;
	if (nchunks > (1u << 20) || high > nchunks * (uint64_t)STF_SLOTS_PER_CHUNK) {
		fail(err, errlen, "process %d: inconsistent slot table (%zu chunks, "
		     "high %zu)", (int)p->pid, nchunks, high);
		return -1;
	}
	chunks = stf__raw_malloc(nchunks * sizeof(*chunks));
	slots = stf__raw_malloc(STF_SLOTS_PER_CHUNK * sizeof(*slots));
	if (!chunks || !slots) {
		fail(err, errlen, "out of memory reading the slot table");
		goto fail;
	}
	if (stf__peer_read(p, p->root.slot_chunks, chunks, nchunks * sizeof(*chunks)) < 0) {
		fail(err, errlen, "process %d: cannot read its slot chunk table: %s",
		     (int)p->pid, strerror(errno));
		goto fail;
	}
	for (size_t c = 0; c * STF_SLOTS_PER_CHUNK < high; c++) {
		size_t n = high - c * STF_SLOTS_PER_CHUNK;
		if (n > STF_SLOTS_PER_CHUNK)
			n = STF_SLOTS_PER_CHUNK;
		if (!chunks[c])
			continue;
		if (stf__peer_read(p, chunks[c], slots, n * sizeof(*slots)) < 0) {
			fail(err, errlen, "process %d: cannot read slot chunk %zu: %s",
			     (int)p->pid, c, strerror(errno));
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			const struct stf_slot *s = &slots[i];
			struct stf_obj o = { 0 };
			/* objects registered with stf_register_object() live inside
			 * another object (a pool): that one carries their bytes */
			uint32_t kind = STF_SLOT_KIND(s->kind);
			if (kind == STF_SLOT_FREE || kind == STF_SLOT_USER || !s->addr)
				continue;
			o.addr = s->addr;
			o.size = s->size;
			o.dyn_id = s->id;
			o.site = s->site;
			o.kind = kind == STF_SLOT_HEAP ? STF_OBJ_HEAP :
				 kind == STF_SLOT_MMAP ? STF_OBJ_MMAP : STF_OBJ_USER;
			if (kind == STF_SLOT_HEAP)
				o.align_lg = (uint8_t)STF_SLOT_ALIGN(s->kind);
			if (s->site < p->nsites) {
				o.id = p->site_ids[s->site];
				if (p->site_type[s->site] == STF_NONE - 1) {
					o.flags |= STF_OBJF_INTERNAL;
					o.type = STF_NONE;
				} else {
					o.unit = p->site_unit[s->site];
					o.type = p->site_type[s->site];
				}
			} else {
				o.id = "";
				o.type = STF_NONE;
			}
			if (!o.unit || o.type >= o.unit->ntypes) { /* untyped */
				o.unit = NULL;
				o.type = STF_NONE;
			}
			if (!*o.id || (s->site < p->nsites && !p->site_unit[s->site] &&
				       strchr(o.id, '+')))
				o.flags |= STF_OBJF_EXTERNAL;
			if (stf__peer_add(p, &o) == (size_t)-1) {
				fail(err, errlen, "out of memory cataloging objects");
				goto fail;
			}
		}
	}
	stf__raw_free(chunks);
	stf__raw_free(slots);
	return 0;
fail:
	stf__raw_free(chunks);
	stf__raw_free(slots);
	return -1;
}

static int add_frame(struct stf_peer *p, const struct stf_parked_frame *f,
		     struct stf_strmap *seen, char *err, size_t errlen)
{
	const struct stf_meta_unit *u = unit_at(p, f->unit);
	const struct stf_frame_rec *fr;
	uint64_t addrs[256], occurrence = 0;
	char key[256];

	if (!f->unit)
		return 0; /* update point not rewritten by the plugin: no locals */
	if (!u || f->frame >= u->nframes) {
		fail(err, errlen, "process %d: parked frame refers to unknown unit 0x%"
		     PRIx64 " frame %u", (int)p->pid, f->unit, f->frame);
		return -1;
	}
	fr = &u->frames[f->frame];
	if (f->nlocals != fr->nlocals || f->nlocals > 256) {
		fail(err, errlen, "process %d: frame of %s has %u locals, metadata says %u",
		     (int)p->pid, stf_meta_str(u, fr->func), f->nlocals, fr->nlocals);
		return -1;
	}
	if (stf__peer_read(p, f->locals, addrs, f->nlocals * sizeof(uint64_t)) < 0) {
		fail(err, errlen, "process %d: cannot read the locals of %s: %s",
		     (int)p->pid, stf_meta_str(u, fr->func), strerror(errno));
		return -1;
	}
	/* Threads parked in the same function are paired in order.  A thread
	 * waiting on a condition variable (wait.h) pairs only with one that
	 * waits too: resuming a wait where the old version stood at an update
	 * point (or the reverse) would run the wrong code with the locals. */
	const char *func = stf_meta_str(u, fr->func);
	if (fr->nlocals >= 2 &&
	    strcmp(stf_meta_str(u, u->locals[fr->locals].name), STF_WAIT_COND_LOCAL) == 0) {
		snprintf(key, sizeof(key), "%s [wait]", func);
		func = stf__arena_strdup(p->arena, key);  /* kept by `seen` */
		if (!func) {
			fail(err, errlen, "out of memory cataloging locals");
			return -1;
		}
	}
	if (!stf__strmap_get(seen, func, &occurrence))
		occurrence++;
	stf__strmap_put(seen, func, occurrence);
	if (p->threads) {
		struct stf_peer_thread *t = &p->threads[p->nthreads++];
		t->func = func;
		t->occurrence = occurrence;
		t->start = f->start;
		t->tid = f->tid;
	}
	for (uint32_t i = 0; i < f->nlocals; i++) {
		const struct stf_local_rec *l = &u->locals[fr->locals + i];
		struct stf_obj o = { 0 };
		uint32_t t = stf_meta_strip_typedefs(u, l->type);
		if (occurrence)
			snprintf(key, sizeof(key), "%s/%s#%" PRIu64, func,
				 stf_meta_str(u, l->name), occurrence);
		else
			snprintf(key, sizeof(key), "%s/%s", func, stf_meta_str(u, l->name));
		o.addr = addrs[i];
		o.size = t < u->ntypes ? u->types[t].size : 0;
		o.id = stf__arena_strdup(p->arena, key);
		o.unit = l->type < u->ntypes ? u : NULL;
		o.type = l->type;
		o.kind = STF_OBJ_LOCAL;
		if (!o.addr || !o.id)
			continue;
		if (stf__peer_add(p, &o) == (size_t)-1) {
			fail(err, errlen, "out of memory cataloging locals");
			return -1;
		}
	}
	return 0;
}

static int add_frames(struct stf_peer *p, const struct stf_parked_frame *own,
		      char *err, size_t errlen)
{
	struct stf_strmap seen = { 0 };
	struct stf_parked_frame *frames;
	size_t n = p->root.nframes;
	int rc = 0;

	if (own) {
		rc = add_frame(p, own, &seen, err, errlen);
		stf__strmap_free(&seen);
		return rc;
	}
	if (!n || !p->root.frames)
		return 0;
	if (n > 4096) {
		fail(err, errlen, "process %d: implausible frame count %zu", (int)p->pid, n);
		return -1;
	}
	frames = stf__arena_alloc(p->arena, n * sizeof(*frames));
	p->threads = stf__arena_alloc(p->arena, n * sizeof(*p->threads));
	if (!frames || !p->threads ||
	    stf__peer_read(p, p->root.frames, frames, n * sizeof(*frames)) < 0) {
		fail(err, errlen, "process %d: cannot read its parked frames", (int)p->pid);
		return -1;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_frame(p, &frames[i], &seen, err, errlen);
	stf__strmap_free(&seen);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Shared libraries and ELF symbols.                                   */

struct elf_file {
	const char *path;
	const uint8_t *map;
	size_t size;
	uint64_t first_vaddr; /* page-aligned vaddr of the first PT_LOAD */
	const Elf64_Sym *syms[2];
	const char *strs[2];
	size_t nsyms[2], strsize[2];
	struct elf_file *next;
};

static struct elf_file *elf_files; /* cache for the life of the process */

static struct elf_file *elf_open(const char *path)
{
	struct elf_file *e;
	struct stat st;
	int fd;

	for (e = elf_files; e; e = e->next)
		if (!strcmp(e->path, path))
			return e->map ? e : NULL;
	e = stf__raw_malloc(sizeof(*e) + strlen(path) + 1);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	strcpy((char *)(e + 1), path);
	e->path = (const char *)(e + 1);
	e->next = elf_files;
	elf_files = e;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return NULL;
	}
	void *m = stf__raw_mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED || !m)
		return NULL;
	const Elf64_Ehdr *eh = m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > (uint64_t)st.st_size) {
		stf__raw_munmap(m, st.st_size);
		return NULL;
	}
	e->map = m;
	e->size = st.st_size;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(e->map + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			e->first_vaddr = ph[i].p_vaddr - ph[i].p_offset;
			break;
		}
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->map + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		int k = sh[i].sh_type == SHT_SYMTAB ? 0 : sh[i].sh_type == SHT_DYNSYM ? 1 : -1;
		if (k < 0 || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *ss = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > e->size ||
		    ss->sh_offset + ss->sh_size > e->size)
			continue;
		e->syms[k] = (const Elf64_Sym *)(e->map + sh[i].sh_offset);
		e->nsyms[k] = sh[i].sh_size / sizeof(Elf64_Sym);
		e->strs[k] = (const char *)(e->map + ss->sh_offset);
		e->strsize[k] = ss->sh_size;
	}
	return e;
}

void stf__peer_forget_files(void)
{
	while (elf_files) {
		struct elf_file *e = elf_files;
		elf_files = e->next;
		if (e->map)
			stf__raw_munmap((void *)e->map, e->size);
		stf__raw_free(e);
	}
}

static const char *elf_sym_name(const struct elf_file *e, int k, const Elf64_Sym *s)
{
	if (s->st_name >= e->strsize[k])
		return "";
	return e->strs[k] + s->st_name;
}

/* Symbol containing vaddr (link-time address). */
static const char *elf_find_addr(const struct elf_file *e, uint64_t vaddr, uint64_t *off)
{
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < e->nsyms[k]; i++) {
			const Elf64_Sym *s = &e->syms[k][i];
			int t = ELF64_ST_TYPE(s->st_info);
			if ((t != STT_OBJECT && t != STT_FUNC && t != STT_TLS &&
			     t != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF)
				continue;
			if (vaddr >= s->st_value &&
			    (vaddr - s->st_value < s->st_size ||
			     (vaddr == s->st_value))) {
				const char *n = elf_sym_name(e, k, s);
				if (!*n)
					continue;
				*off = vaddr - s->st_value;
				return n;
			}
		}
	return NULL;
}

static int elf_find_name(const struct elf_file *e, const char *name, uint64_t *vaddr)
{
	for (int k = 1; k >= 0; k--)
		for (size_t i = 0; i < e->nsyms[k]; i++) {
			const Elf64_Sym *s = &e->syms[k][i];
			if (s->st_shndx == SHN_UNDEF)
				continue;
			if (!strcmp(elf_sym_name(e, k, s), name)) {
				*vaddr = s->st_value;
				return 0;
			}
		}
	return -1;
}

static int load_maps(struct stf_peer *p)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (cap - len < 4096) {
			char *n = stf__raw_realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!n) {
				close(fd);
				stf__raw_free(buf);
				return -1;
			}
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += r;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[len] = 0;
	size_t nlines = 0;
	for (size_t i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	p->libs = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*p->libs));
	if (!p->libs) {
		stf__raw_free(buf);
		return -1;
	}
	/* anonymous mappings right after a file mapping: .bss tails */
	struct stf_range *anon = stf__arena_alloc(p->arena, (nlines + 1) * sizeof(*anon));
	size_t nanon = 0;
	uint64_t prev_file_end = 0;
	if (!anon) {
		stf__raw_free(buf);
		return -1;
	}
	/* first pass: record mappings; the bias comes from the offset-0 one */
	for (char *line = buf, *nl; *line; line = nl + 1) {
		unsigned long start, end, off;
		char perms[8];
		int pos = 0;
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &off,
			   &pos) < 4 || !pos)
			continue;
		if (!strcmp(line + pos, "[stack]")) {
			p->stack_start = start;
			p->stack_end = end;
		}
		if (!line[pos] && start == prev_file_end) {
			anon[nanon].start = start;
			anon[nanon].size = end - start;
			nanon++;
		}
		prev_file_end = line[pos] == '/' ? end : 0;
		if (line[pos] != '/')
			continue;
		if (p->self) {
			/* our own read-only copies of ELF files (elf_open) */
			int mine = 0;
			for (struct elf_file *e = elf_files; e && !mine; e = e->next)
				mine = (uint64_t)(uintptr_t)e->map == start;
			if (mine)
				continue;
		}
		struct stf_peer_lib *l = &p->libs[p->nlibs++];
		l->start = start;
		l->end = end;
		l->path = stf__arena_strdup(p->arena, line + pos);
		l->bias = off ? 0 : start; /* offset 0: the library's base */
	}
	stf__raw_free(buf);
	/* segments may sit at a different distance from their file offset
	 * (data after a gap): every mapping takes the bias of the base */
	uint64_t *base = stf__raw_malloc((p->nlibs + 1) * sizeof(*base));
	if (!base)
		return -1;
	for (size_t i = 0; i < p->nlibs; i++) {
		base[i] = 0;
		for (size_t k = 0; k < p->nlibs; k++)
			if (p->libs[k].bias && !strcmp(p->libs[k].path, p->libs[i].path)) {
				base[i] = p->libs[k].bias;
				break;
			}
	}
	for (size_t i = 0; i < p->nlibs; i++) {
		struct elf_file *e = base[i] ? elf_open(p->libs[i].path) : NULL;
		p->libs[i].bias = e ? base[i] - e->first_vaddr : 0;
		if (!e)
			p->libs[i].path = ""; /* no base or not ELF: unusable */
	}
	stf__raw_free(base);
	/* drop what has no base (deleted files and the like) */
	size_t n = 0;
	for (size_t i = 0; i < p->nlibs; i++)
		if (*p->libs[i].path)
			p->libs[n++] = p->libs[i];
	p->nlibs = n;
	/* the image: /proc/PID/maps is in address order, so are both lists */
	p->image = stf__arena_alloc(p->arena, (p->nlibs + nanon + 1) * sizeof(*p->image));
	if (!p->image)
		return -1;
	size_t a = 0;
	for (size_t i = 0; i < p->nlibs; i++) {
		for (; a < nanon && anon[a].start < p->libs[i].start; a++)
			;
		p->image[p->nimage].start = p->libs[i].start;
		p->image[p->nimage].size = p->libs[i].end - p->libs[i].start;
		p->image[p->nimage++].value = i;
		if (a < nanon && anon[a].start == p->libs[i].end) {
			p->image[p->nimage] = anon[a++];
			p->image[p->nimage++].value = i;
		}
	}
	return 0;
}

const struct stf_range *stf__peer_image_find(const struct stf_peer *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nimage;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct stf_range *r = &p->image[mid];
		if (addr < r->start)
			hi = mid;
		else if (addr - r->start >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Command line and environment.                                       */

/* Fields 48..51 of /proc/PID/stat: arg_start, arg_end, env_start, env_end. */
static int read_arg_areas(pid_t pid, uint64_t v[4])
{
	char path[64], buf[4096], *save = NULL;
	int field = 2, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *s = strrchr(buf, ')'); /* the command name may hold anything */
	if (!s)
		return -1;
	for (char *tok = strtok_r(s + 1, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field >= 48)
			v[field - 48] = strtoull(tok, NULL, 10);
		if (field == 51)
			return 0;
	}
	return -1;
}

/* Start address of every NUL-terminated string of an area. */
static size_t split_strings(struct stf_arena *a, const char *bytes, uint64_t start,
			    uint64_t len, uint64_t **out)
{
	size_t n = 0, k = 0;
	uint64_t from = 0;
	for (uint64_t i = 0; i < len; i++)
		n += !bytes[i];
	*out = stf__arena_alloc(a, (n + 2) * sizeof(**out));
	if (!*out)
		return 0;
	for (uint64_t i = 0; i < len; i++)
		if (!bytes[i]) {
			(*out)[k++] = start + from;
			from = i + 1;
		}
	if (from < len) /* an unterminated last string */
		(*out)[k++] = start + from;
	return k;
}

/* The argv and envp arrays lie below the strings (under the auxiliary
 * vector): argc, argv[0..argc-1] pointing into the argument area (in any
 * order: getopt permutes them), NULL, then envp up to a NULL. */
static void find_arg_arrays(struct stf_peer *p)
{
	struct stf_peer_args *a = &p->args;
	uint64_t hi = a->arg_start & ~7ULL;
	uint64_t span = (a->argc + a->envc + 2) * 8 + 65536;
	uint64_t lo = hi > span ? hi - span : 0;
	uint64_t *w;
	size_t nw;

	if (!p->stack_start || hi <= p->stack_start || hi > p->stack_end)
		return;
	if (lo < p->stack_start)
		lo = (p->stack_start + 7) & ~7ULL;
	nw = (hi - lo) / 8;
	w = stf__raw_malloc(nw * 8 + 8);
	if (!w)
		return;
	if (stf__peer_read(p, lo, w, nw * 8) < 0) {
		stf__raw_free(w);
		return;
	}
	for (size_t i = nw - (nw > a->argc + 1 ? a->argc + 1 : nw); i-- > 0;) {
		size_t k;
		if (w[i] != a->argc || i + a->argc + 2 > nw)
			continue;
		for (k = 0; k < a->argc; k++)
			if (w[i + 1 + k] < a->arg_start || w[i + 1 + k] >= a->arg_end)
				break;
		if (k < a->argc || w[i + 1 + a->argc])
			continue;
		a->argv = lo + (i + 1) * 8;
		size_t e = i + 2 + a->argc, n = 0;
		while (e + n < nw && w[e + n])
			n++;
		if (e + n < nw) {
			a->envp = lo + e * 8;
			a->envp_n = n;
			a->envp_vals = stf__arena_alloc(p->arena, (n + 1) * 8);
			if (a->envp_vals)
				memcpy(a->envp_vals, &w[e], n * 8);
			else
				a->envp = 0;
		}
		break;
	}
	stf__raw_free(w);
}

static int load_args(struct stf_peer *p)
{
	struct stf_peer_args *a = &p->args;
	uint64_t f[4] = { 0 };
	char *ab, *eb;

	if (a->state)
		return a->state > 0 ? 0 : -1;
	a->state = -1;
	/* zero when we may not see them */
	if (read_arg_areas(p->pid, f) < 0 || !f[0] || f[1] < f[0] || f[3] < f[2] ||
	    f[1] - f[0] > (1u << 24) || f[3] - f[2] > (1u << 24))
		return -1;
	ab = stf__arena_alloc(p->arena, f[1] - f[0] + 1);
	eb = stf__arena_alloc(p->arena, f[3] - f[2] + 1);
	if (!ab || !eb || stf__peer_read(p, f[0], ab, f[1] - f[0]) < 0 ||
	    stf__peer_read(p, f[2], eb, f[3] - f[2]) < 0)
		return -1;
	a->arg_start = f[0];
	a->arg_end = f[1];
	a->env_start = f[2];
	a->env_end = f[3];
	a->arg_bytes = ab;
	a->env_bytes = eb;
	a->argc = split_strings(p->arena, ab, f[0], f[1] - f[0], &a->arg_str);
	a->envc = split_strings(p->arena, eb, f[2], f[3] - f[2], &a->env_str);
	if (!a->arg_str || !a->env_str)
		return -1;
	find_arg_arrays(p);
	a->state = 1;
	return 0;
}

/* The string of strs[0..n) containing addr. */
static size_t string_at(const uint64_t *strs, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (strs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static const char *env_string(const struct stf_peer_args *a, uint64_t addr)
{
	return a->env_bytes + (addr - a->env_start);
}

int stf__peer_arg_ref(struct stf_peer *p, uint64_t addr, struct stf_arg_ref *ref)
{
	struct stf_peer_args *a = &p->args;

	memset(ref, 0, sizeof(*ref));
	if (load_args(p) < 0)
		return -1;
	if (addr >= a->arg_start && addr < a->arg_end && a->argc) {
		ref->kind = STF_ARG_STRING;
		ref->index = string_at(a->arg_str, a->argc, addr);
		ref->off = addr - a->arg_str[ref->index];
		return 0;
	}
	if (addr >= a->env_start && addr < a->env_end && a->envc) {
		size_t k = string_at(a->env_str, a->envc, addr);
		ref->kind = STF_ARG_ENV;
		ref->name = env_string(a, a->env_str[k]);
		ref->name_len = strcspn(ref->name, "=");
		ref->off = addr - a->env_str[k];
		return 0;
	}
	if (a->argv && addr >= a->argv && addr <= a->argv + 8 * a->argc &&
	    !((addr - a->argv) & 7)) {
		ref->kind = STF_ARG_ARGV;
		ref->index = (addr - a->argv) / 8;
		return 0;
	}
	if (a->envp && addr >= a->envp && addr <= a->envp + 8 * a->envp_n &&
	    !((addr - a->envp) & 7)) {
		size_t i = (addr - a->envp) / 8;
		ref->kind = STF_ARG_ENVP;
		ref->index = i;
		if (i == a->envp_n)
			return 0;
		uint64_t v = a->envp_vals[i];
		if (v >= a->env_start && v < a->env_end) {
			ref->name = env_string(a, a->env_str[string_at(a->env_str, a->envc, v)]);
			ref->name_len = strcspn(ref->name, "=");
			return 0;
		}
	}
	ref->kind = STF_ARG_NONE;
	return -1;
}

/* The environment string defining the variable, 0 if none. */
static uint64_t env_find(const struct stf_peer_args *a, const char *name, size_t len)
{
	for (size_t k = 0; k < a->envc; k++) {
		const char *s = env_string(a, a->env_str[k]);
		if (!strncmp(s, name, len) && s[len] == '=')
			return a->env_str[k];
	}
	return 0;
}

uint64_t stf__peer_arg_addr(struct stf_peer *p, const struct stf_arg_ref *ref)
{
	const struct stf_peer_args *a = &p->args;
	uint64_t s;

	if (load_args(p) < 0)
		return 0;
	switch (ref->kind) {
	case STF_ARG_STRING:
		if (ref->index >= a->argc)
			return 0;
		s = a->arg_str[ref->index];
		return ref->off <= strlen(a->arg_bytes + (s - a->arg_start)) ? s + ref->off : 0;
	case STF_ARG_ENV:
		s = env_find(a, ref->name, ref->name_len);
		return s && ref->off <= strlen(env_string(a, s)) ? s + ref->off : 0;
	case STF_ARG_ARGV:
		return a->argv && ref->index <= a->argc ? a->argv + 8 * ref->index : 0;
	case STF_ARG_ENVP:
		if (!a->envp)
			return 0;
		if (!ref->name)
			return a->envp + 8 * a->envp_n;
		s = env_find(a, ref->name, ref->name_len);
		for (size_t i = 0; s && i < a->envp_n; i++)
			if (a->envp_vals[i] == s)
				return a->envp + 8 * i;
		return 0;
	}
	return 0;
}

void stf__arg_ref_str(struct stf_peer *p, const struct stf_arg_ref *ref, char *buf,
		      size_t len)
{
	const struct stf_peer_args *a = &p->args;
	switch (ref->kind) {
	case STF_ARG_STRING:
		snprintf(buf, len, "argument %zu (\"%.100s\") at offset %" PRIu64, ref->index,
			 a->arg_bytes + (a->arg_str[ref->index] - a->arg_start), ref->off);
		break;
	case STF_ARG_ENV:
		snprintf(buf, len, "environment variable %.*s at offset %" PRIu64,
			 (int)(ref->name_len > 100 ? 100 : ref->name_len), ref->name, ref->off);
		break;
	case STF_ARG_ARGV:
		snprintf(buf, len, "argv[%zu]", ref->index);
		break;
	case STF_ARG_ENVP:
		if (ref->name)
			snprintf(buf, len, "the envp entry of %.*s",
				 (int)(ref->name_len > 100 ? 100 : ref->name_len), ref->name);
		else
			snprintf(buf, len, "the end of the envp array");
		break;
	default:
		snprintf(buf, len, "no argument");
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int stf__peer_lib_symbol(struct stf_peer *p, uint64_t addr, const char **lib,
			 const char **sym, uint64_t *off)
{
	for (size_t i = 0; i < p->nlibs; i++) {
		const struct stf_peer_lib *l = &p->libs[i];
		if (addr < l->start || addr >= l->end) {
			/* the anonymous .bss tail after the library's last file
			 * mapping (gmtime's struct tm, ...) is the library's too */
			const struct stf_range *r;
			if (addr < l->end || !(r = stf__peer_image_find(p, addr)) ||
			    r->value != i || r->start != l->end)
				continue;
		}
		struct elf_file *e = elf_open(l->path);
		if (!e)
			return -1;
		const char *n = elf_find_addr(e, addr - l->bias, off);
		*lib = base_name(l->path);
		*sym = n;
		if (!n) /* a local symbol of a stripped library (IFUNC targets) */
			*off = addr - l->bias;
		return 0;
	}
	return -1;
}

uint64_t stf__peer_lib_vaddr(struct stf_peer *p, const char *lib, uint64_t vaddr)
{
	for (size_t i = 0; i < p->nlibs; i++)
		if (!strcmp(base_name(p->libs[i].path), lib))
			return vaddr + p->libs[i].bias;
	return 0;
}

uint64_t stf__peer_symbol_addr(struct stf_peer *p, const char *lib, const char *sym)
{
	for (size_t i = 0; i < p->nlibs; i++) {
		const struct stf_peer_lib *l = &p->libs[i];
		if (lib ? strcmp(base_name(l->path), lib) : strcmp(l->path, p->exe))
			continue;
		struct elf_file *e = elf_open(l->path);
		uint64_t v;
		if (e && !elf_find_name(e, sym, &v))
			return v + l->bias;
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

int stf__peer_site_type(const struct stf_peer *p, const char *site_id,
			const struct stf_meta_unit **unit, uint32_t *type)
{
	uint32_t idx;
	if (stf_meta_find_site(p->meta, site_id, unit, &idx) < 0)
		return -1;
	*type = (*unit)->sites[idx].type;
	return 0;
}

int stf__peer_open(struct stf_peer *p, pid_t pid, uint64_t root_addr,
		   unsigned what, const struct stf_parked_frame *frame,
		   char *err, size_t errlen)
{
	char merr[256];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->self = pid == getpid();
	p->arena = stf__arena_new();
	if (!p->arena) {
		fail(err, errlen, "out of memory");
		return -1;
	}
	if (p->self) {
		stf__alloc_init();
		p->root = stf__root;
	} else if (stf__peer_read(p, root_addr, &p->root, sizeof(p->root)) < 0) {
		fail(err, errlen, "cannot read the libstf root of process %d at 0x%" PRIx64
		     ": %s (is it running libstf, and may this process read it?)",
		     (int)pid, root_addr, strerror(errno));
		return -1;
	}
	if (p->root.magic != STF_ROOT_MAGIC || p->root.version != STF_ROOT_VERSION) {
		fail(err, errlen, "process %d: no libstf root at 0x%" PRIx64
		     " (magic %#" PRIx64 ", version %" PRIu64 ", want %u)", (int)pid,
		     root_addr, p->root.magic, p->root.version, STF_ROOT_VERSION);
		return -1;
	}
	if (p->root.exe_path &&
	    stf__peer_read(p, p->root.exe_path, p->exe, sizeof(p->exe) - 1) < 0) {
		/* the path may sit near the end of a mapping: read it bytewise */
		size_t i;
		for (i = 0; i < sizeof(p->exe) - 1; i++)
			if (stf__peer_read(p, p->root.exe_path + i, &p->exe[i], 1) < 0 ||
			    !p->exe[i])
				break;
		p->exe[i] = 0;
	}
	p->exe[sizeof(p->exe) - 1] = 0;
	p->meta = stf_meta_load(p->self ? stf_meta_read_self : stf_meta_read_pid,
				&p->pid, p->root.units_start, p->root.units_end,
				merr, sizeof(merr));
	if (!p->meta) {
		fail(err, errlen, "process %d (%s): cannot load its metadata: %s",
		     (int)pid, p->exe, merr);
		return -1;
	}
	if (load_sites(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_STATICS) && add_statics(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_DYNAMIC) && add_dynamic(p, err, errlen) < 0)
		return -1;
	if ((what & STF_PEER_FRAMES) && add_frames(p, frame, err, errlen) < 0)
		return -1;
	load_maps(p);
	stf__peer_index(p);
	return 0;
}

/* Objects close to each other are read as one span (heap blocks are
 * separated by their headers only): far fewer iovecs, each of which costs
 * the kernel a page walk. */
#define SPAN_GAP 512

struct span {
	uint64_t start, end;
	size_t pos; /* in p->bytes */
};

static int read_spans(struct stf_peer *p, struct span *sp, size_t n)
{
	struct iovec riov[IOV_MAX], liov;
	size_t i = 0;
	while (i < n) {
		size_t k = 0, len = 0, first = i;
		for (; i < n && k < IOV_MAX; i++, k++) {
			riov[k].iov_base = (void *)(uintptr_t)sp[i].start;
			riov[k].iov_len = sp[i].end - sp[i].start;
			len += riov[k].iov_len;
		}
		liov.iov_base = p->bytes + sp[first].pos;
		liov.iov_len = len;
		ssize_t r = process_vm_readv(p->pid, &liov, 1, riov, k, 0);
		if (r < 0 || (size_t)r != len)
			return -1;
	}
	return 0;
}

int stf__peer_fetch(struct stf_peer *p, unsigned kinds, char *err, size_t errlen)
{
	struct span *sp;
	size_t nsp = 0, total = 0;

	if (p->self) {
		for (size_t i = 0; i < p->nobjs; i++)
			if (kinds & (1u << p->objs[i].kind))
				p->objs[i].bytes = (const uint8_t *)(uintptr_t)p->objs[i].addr;
		return 0;
	}
	sp = stf__raw_malloc((p->index.n + 1) * sizeof(*sp));
	if (!sp) {
		fail(err, errlen, "out of memory reading the state of process %d", (int)p->pid);
		return -1;
	}
	/* the index is in address order */
	for (size_t r = 0; r < p->index.n; r++) {
		const struct stf_obj *o = &p->objs[p->index.ranges[r].value];
		if (!(kinds & (1u << o->kind)) || !o->size || (o->flags & STF_OBJF_DEFER))
			continue;
		if (nsp && o->addr <= sp[nsp - 1].end + SPAN_GAP) {
			if (o->addr + o->size > sp[nsp - 1].end)
				sp[nsp - 1].end = o->addr + o->size;
			continue;
		}
		sp[nsp].start = o->addr;
		sp[nsp].end = o->addr + o->size;
		nsp++;
	}
	for (size_t k = 0; k < nsp; k++) {
		sp[k].pos = total;
		total += sp[k].end - sp[k].start;
	}
	p->bytes = stf__raw_malloc(total ? total : 1);
	if (!p->bytes) {
		stf__raw_free(sp);
		fail(err, errlen, "out of memory: %zu bytes for the state of process %d",
		     total, (int)p->pid);
		return -1;
	}
	p->bytes_len = total;
	if (read_spans(p, sp, nsp) < 0) {
		/* a gap crossed unmapped memory, or an object is unreadable:
		 * span by span, then object by object to name it */
		for (size_t k = 0; k < nsp; k++) {
			if (!read_spans(p, &sp[k], 1))
				continue;
			for (size_t r = 0; r < p->index.n; r++) {
				const struct stf_obj *o = &p->objs[p->index.ranges[r].value];
				if (!(kinds & (1u << o->kind)) || !o->size ||
				    (o->flags & STF_OBJF_DEFER) ||
				    o->addr < sp[k].start || o->addr >= sp[k].end)
					continue;
				if (stf__peer_read(p, o->addr, p->bytes + sp[k].pos +
						   (o->addr - sp[k].start), o->size) < 0) {
					fail(err, errlen, "process %d: cannot read object %s "
					     "(%" PRIu64 " bytes at 0x%" PRIx64 "): %s",
					     (int)p->pid, o->id, o->size, o->addr, strerror(errno));
					stf__raw_free(sp);
					return -1;
				}
			}
		}
	}
	/* point every object into its span */
	size_t k = 0;
	for (size_t r = 0; r < p->index.n; r++) {
		struct stf_obj *o = &p->objs[p->index.ranges[r].value];
		if (!(kinds & (1u << o->kind)) || (o->flags & STF_OBJF_DEFER))
			continue;
		if (!o->size) {
			o->bytes = p->bytes;
			continue;
		}
		while (k < nsp && o->addr >= sp[k].end)
			k++;
		while (k > 0 && o->addr < sp[k].start)
			k--;
		o->bytes = p->bytes + sp[k].pos + (o->addr - sp[k].start);
	}
	stf__raw_free(sp);
	return 0;
}

void stf__peer_close(struct stf_peer *p)
{
	if (p->meta)
		stf_meta_free(p->meta);
	stf__raw_free(p->objs);
	stf__raw_free(p->bytes);
	stf__index_free(&p->index);
	stf__arena_free(p->arena);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* Layouts.                                                            */

struct layout_slot {
	const struct stf_meta_unit *unit;
	uint32_t type;
	struct stf_layout *layout;
};

struct stf_layouts {
	struct stf_arena *arena;
	struct layout_slot *slots;
	size_t n, cap;
};

struct stf_layouts *stf__layouts_new(struct stf_arena *a)
{
	struct stf_layouts *c = stf__arena_alloc(a, sizeof(*c));
	if (c)
		c->arena = a;
	return c;
}

struct leaf_buf {
	struct stf_leaf *v;
	size_t n, cap;
	int oom;
};

static void leaf_push(struct leaf_buf *b, const struct stf_leaf *l)
{
	if (b->oom)
		return;
	/* merge adjacent plain bytes */
	if (l->kind == STF_LEAF_BYTES && b->n) {
		struct stf_leaf *p = &b->v[b->n - 1];
		if (p->kind == STF_LEAF_BYTES && p->off + p->size == l->off) {
			p->size += l->size;
			p->type = STF_NONE;
			return;
		}
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 16;
		struct stf_leaf *n = stf__raw_realloc(b->v, ncap * sizeof(*n));
		if (!n) {
			b->oom = 1;
			return;
		}
		b->v = n;
		b->cap = ncap;
	}
	b->v[b->n++] = *l;
}

static void layout_walk(struct leaf_buf *b, const struct stf_meta_unit *u,
			uint32_t type, uint64_t base, unsigned mflags, int depth)
{
	struct stf_leaf l = { 0 };
	const struct stf_type_rec *t;

	type = stf_meta_strip_typedefs(u, type);
	if (type >= u->ntypes || depth > 64)
		return;
	t = &u->types[type];
	l.off = base;
	l.size = t->size;
	l.unit = u;
	l.type = type;
	if ((mflags & STF_MF_IXFER) || (t->flags & STF_TF_OPAQUE)) {
		leaf_push(b, &l);
		return;
	}
	switch (t->kind) {
	case STF_K_POINTER:
		l.kind = STF_LEAF_PTR;
		l.type = t->target;
		leaf_push(b, &l);
		return;
	case STF_K_INT:
		if ((mflags & STF_MF_PXFER) && t->size == 8)
			l.kind = STF_LEAF_PXFER;
		leaf_push(b, &l);
		return;
	case STF_K_ARRAY: {
		uint32_t et = stf_meta_strip_typedefs(u, t->target);
		if (et >= u->ntypes)
			return;
		uint64_t esz = u->types[et].size;
		size_t before = b->n;
		if (!esz || !t->count)
			return; /* flexible: the object's trailing data, see xfer.c */
		layout_walk(b, u, et, base, mflags, depth + 1);
		/* plain-data elements merge into one leaf: repeat cheaply */
		if (b->n == before + 1 && b->v[before].kind == STF_LEAF_BYTES &&
		    b->v[before].off == base && b->v[before].size == esz) {
			b->v[before].size = esz * t->count;
			b->v[before].type = STF_NONE;
			return;
		}
		for (uint64_t i = 1; i < t->count && !b->oom; i++)
			layout_walk(b, u, et, base + i * esz, mflags, depth + 1);
		return;
	}
	case STF_K_STRUCT:
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			if (m->bit_size) {
				struct stf_leaf bl = { 0 };
				bl.off = base + m->offset;
				bl.kind = STF_LEAF_BITS;
				bl.bit_off = m->bit_offset;
				bl.bit_size = m->bit_size;
				bl.size = (m->bit_offset + m->bit_size + 7) / 8;
				bl.unit = u;
				bl.type = m->type;
				leaf_push(b, &bl);
				continue;
			}
			layout_walk(b, u, m->type, base + m->offset, m->flags, depth + 1);
		}
		return;
	case STF_K_UNION:
		/* annotated STF_PXFER where it is a member: a pointer or an
		 * integer, like an annotated integer */
		if ((mflags & STF_MF_PXFER) && t->size == 8) {
			l.kind = STF_LEAF_PXFER;
			leaf_push(b, &l);
			return;
		}
		/* a member of its own annotated STF_PXFER: that member's word
		 * is a pointer or an integer, the other bytes plain data */
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			uint32_t mt = stf_meta_strip_typedefs(u, m->type);
			if (!(m->flags & STF_MF_PXFER) || m->bit_size || mt >= u->ntypes ||
			    u->types[mt].size != 8 || (uint64_t)m->offset + 8 > t->size)
				continue;
			struct stf_leaf w = l;
			if (m->offset) {
				w.size = m->offset;
				w.type = STF_NONE;
				leaf_push(b, &w);
			}
			w.off = base + m->offset;
			w.size = 8;
			w.type = mt;
			w.kind = STF_LEAF_PXFER;
			leaf_push(b, &w);
			if ((uint64_t)m->offset + 8 < t->size) {
				w.off = base + m->offset + 8;
				w.size = t->size - m->offset - 8;
				w.type = STF_NONE;
				w.kind = STF_LEAF_BYTES;
				leaf_push(b, &w);
			}
			return;
		}
		if (t->flags & STF_TF_AMBIGUOUS)
			l.kind = STF_LEAF_AMBIG;
		leaf_push(b, &l);
		return;
	default:
		leaf_push(b, &l);
		return;
	}
}

const struct stf_layout *stf__layout(struct stf_layouts *c,
				     const struct stf_meta_unit *u, uint32_t type)
{
	size_t h;

	if (c->n * 2 + 2 > c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 256;
		struct layout_slot *ns = stf__arena_alloc(c->arena, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->slots[i].layout)
				continue;
			h = ((uintptr_t)c->slots[i].unit * 31 + c->slots[i].type) & (ncap - 1);
			while (ns[h].layout)
				h = (h + 1) & (ncap - 1);
			ns[h] = c->slots[i];
		}
		c->slots = ns;
		c->cap = ncap;
	}
	h = ((uintptr_t)u * 31 + type) & (c->cap - 1);
	while (c->slots[h].layout) {
		if (c->slots[h].unit == u && c->slots[h].type == type)
			return c->slots[h].layout;
		h = (h + 1) & (c->cap - 1);
	}
	struct leaf_buf b = { 0 };
	uint32_t st = stf_meta_strip_typedefs(u, type);
	layout_walk(&b, u, type, 0, 0, 0);
	struct stf_layout *l = stf__arena_alloc(c->arena, sizeof(*l));
	if (b.oom || !l) {
		stf__raw_free(b.v);
		return NULL;
	}
	l->leaves = stf__arena_alloc(c->arena, (b.n ? b.n : 1) * sizeof(*l->leaves));
	if (!l->leaves) {
		stf__raw_free(b.v);
		return NULL;
	}
	if (b.n)
		memcpy(l->leaves, b.v, b.n * sizeof(*b.v));
	stf__raw_free(b.v);
	l->n = b.n;
	l->size = st < u->ntypes ? u->types[st].size : 0;
	for (size_t i = 0; i < l->n; i++)
		l->nptrs += l->leaves[i].kind == STF_LEAF_PTR ||
			    l->leaves[i].kind == STF_LEAF_PXFER ||
			    l->leaves[i].kind == STF_LEAF_AMBIG;
	c->slots[h].unit = u;
	c->slots[h].type = type;
	c->slots[h].layout = l;
	c->n++;
	return l;
}

void stf__type_path(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
		    char *buf, size_t len, uint32_t *leaf_type)
{
	size_t pos = strlen(buf);

	for (int depth = 0; depth < 64; depth++) {
		type = stf_meta_strip_typedefs(u, type);
		*leaf_type = type;
		if (type >= u->ntypes)
			return;
		const struct stf_type_rec *t = &u->types[type];
		if (t->kind == STF_K_ARRAY) {
			uint32_t et = stf_meta_strip_typedefs(u, t->target);
			uint64_t esz = et < u->ntypes ? u->types[et].size : 0;
			if (!esz)
				return;
			pos += snprintf(buf + pos, pos < len ? len - pos : 0, "[%" PRIu64 "]",
					off / esz);
			off %= esz;
			type = et;
			continue;
		}
		/* which member of a union is meant is unknowable: stop there */
		if (t->kind != STF_K_STRUCT)
			return;
		const struct stf_member_rec *best = NULL;
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			uint32_t mt = stf_meta_strip_typedefs(u, m->type);
			uint64_t msz = mt < u->ntypes ? u->types[mt].size : 0;
			if ((uint64_t)m->offset <= off &&
			    (off - m->offset < msz || (m->bit_size && off - m->offset <
						       (m->bit_offset + m->bit_size + 7u) / 8) ||
			     (mt < u->ntypes && (u->types[mt].flags & STF_TF_FLEXIBLE)))) {
				best = m;
				break;
			}
		}
		if (!best)
			return;
		const char *name = stf_meta_str(u, best->name);
		if (*name && pos < len)
			pos += snprintf(buf + pos, len - pos, ".%s", name);
		off -= best->offset;
		type = best->type;
		if (best->bit_size)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* Types of untyped objects.                                           */

void stf__complete_type(const struct stf_meta *m, const struct stf_meta_unit **u,
			uint32_t *type)
{
	const struct stf_meta_unit *du;
	uint32_t t = stf_meta_strip_typedefs(*u, *type), dt;
	char name[256];

	if (t >= (*u)->ntypes)
		return;
	const struct stf_type_rec *r = &(*u)->types[t];
	if ((r->kind != STF_K_STRUCT && r->kind != STF_K_UNION) ||
	    !(r->flags & STF_TF_INCOMPLETE) || !r->name)
		return;
	snprintf(name, sizeof(name), "%s %s", r->kind == STF_K_STRUCT ? "struct" : "union",
		 stf_meta_str(*u, r->name));
	/* the lookup prefers a complete record of that name */
	if (stf_meta_find_type(m, name, &du, &dt) < 0)
		return;
	dt = stf_meta_strip_typedefs(du, dt);
	if (dt >= du->ntypes || du->types[dt].kind != r->kind ||
	    (du->types[dt].flags & STF_TF_INCOMPLETE))
		return;
	*u = du;
	*type = dt;
}

static int is_dyn(const struct stf_obj *o)
{
	return o->kind == STF_OBJ_HEAP || o->kind == STF_OBJ_MMAP || o->kind == STF_OBJ_USER;
}

static int useful_pointee(const struct stf_meta_unit *u, uint32_t t)
{
	t = stf_meta_strip_typedefs(u, t);
	if (t >= u->ntypes)
		return 0;
	const struct stf_type_rec *r = &u->types[t];
	if (!r->size || (r->flags & STF_TF_INCOMPLETE))
		return 0;
	switch (r->kind) {
	case STF_K_STRUCT:
	case STF_K_UNION:
	case STF_K_POINTER:
	case STF_K_FLOAT:
		return 1;
	case STF_K_INT:
		return !(r->flags & STF_TF_CHAR);
	default:
		return 0;
	}
}

int stf__peer_infer_types(struct stf_peer *p, struct stf_layouts *layouts, uint8_t *reached)
{
	/* Only untyped dynamic objects can be typed or reached, so pointers
	 * are looked up among them alone: an index usually of a handful of
	 * libc's blocks instead of every object of the peer (a lookup in that
	 * one costs several cache misses, and this runs for every pointer). */
	struct stf_index untyped = STF_INDEX_INIT;
	size_t *work, nwork = 0;

	if (reached)
		memset(reached, 0, p->nobjs);
	for (size_t i = 0; i < p->nobjs; i++)
		if (is_dyn(&p->objs[i]) && !p->objs[i].unit &&
		    !(p->objs[i].flags & STF_OBJF_INTERNAL) &&
		    stf__index_add(&untyped, p->objs[i].addr, p->objs[i].size, i) < 0) {
			stf__index_free(&untyped);
			return -1;
		}
	if (!untyped.n)
		return 0;
	stf__index_sort(&untyped, NULL, NULL);
	work = stf__raw_malloc((p->nobjs + 1) * sizeof(*work));
	if (!work) {
		stf__index_free(&untyped);
		return -1;
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->unit && o->bytes && !(o->flags & (STF_OBJF_INTERNAL | STF_OBJF_IXFER)) &&
		    (o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_LOCAL || is_dyn(o)))
			work[nwork++] = i;
	}
	while (nwork) {
		const struct stf_obj *o = &p->objs[work[--nwork]];
		const struct stf_layout *l = stf__layout(layouts, o->unit, o->type);
		if (!l) {
			stf__raw_free(work);
			stf__index_free(&untyped);
			return -1;
		}
		if (!l->nptrs || !l->size)
			continue;
		uint64_t count = (is_dyn(o) && o->size >= l->size) ? o->size / l->size : 1;
		for (uint64_t e = 0; e < count; e++)
			for (size_t k = 0; k < l->n; k++) {
				const struct stf_leaf *f = &l->leaves[k];
				uint64_t v;
				if (f->kind != STF_LEAF_PTR && f->kind != STF_LEAF_PXFER)
					continue;
				memcpy(&v, o->bytes + e * l->size + f->off, 8);
				const struct stf_range *r = v ? stf__index_find(&untyped, v, 0) : NULL;
				if (!r)
					continue;
				struct stf_obj *t = &p->objs[r->value];
				if (!is_dyn(t) || t->unit || (t->flags & STF_OBJF_INTERNAL))
					continue;
				if (reached)
					reached[r->value] = 1;
				if (f->kind != STF_LEAF_PTR || v != t->addr)
					continue;
				const struct stf_meta_unit *pu = f->unit;
				uint32_t pt = f->type;
				if ((t->flags & STF_OBJF_EXTERNAL) && pu && stf__is_file_type(pu, pt)) {
					/* libc's FILE (with its lock and wide data
					 * after it): re-created, never typed */
					t->flags |= STF_OBJF_STREAM;
					continue;
				}
				stf__complete_type(p->meta, &pu, &pt);
				if (!useful_pointee(pu, pt))
					continue;
				pt = stf_meta_strip_typedefs(pu, pt);
				if (t->size % pu->types[pt].size == 0) {
					t->unit = pu;
					t->type = pt;
					work[nwork++] = r->value;
				}
			}
	}
	stf__raw_free(work);
	stf__index_free(&untyped);
	return 0;
}
