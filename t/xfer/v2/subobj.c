/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/subobj.c (see there).  Objects handed out from inside larger blocks by STF_ALLOCATOR functions,
 * typed by their call sites (issue 8 item 3), and objects registered with
 * stf_register_object():
 *   sizehdr   a wrapper that puts the size in a 16-byte header in front
 *             of what it returns;
 *   pool      a pool carving objects of two types out of chunks of two
 *             sizes (small objects in 256-byte chunks, large ones in
 *             1 KB chunks), its chunks' addresses kept in a typed table;
 *   slab      a slab of 64-byte chunks handed out, freed (linked through
 *             their first word) and handed out again;
 *   register  a static arena whose objects the program registers itself.
 * Version 2 changes the types where they are (members reordered, an int
 * widened into its padding; the slab's item grows into its chunk). */
#include <malloc.h>

#include "xt.h"

/* ---- size headers ---- */
#define ZHDR 16
STF_ALLOCATOR void *zmalloc(size_t size);
void *zmalloc(size_t size)
{
	char *p = malloc(size + ZHDR);
	*(size_t *)p = size;
	return p + ZHDR;
}

/* Redis' zmalloc: an 8-byte size prefix */
STF_ALLOCATOR void *zmalloc8(size_t size);
void *zmalloc8(size_t size)
{
	char *p = malloc(size + 8);
	*(size_t *)p = size;
	return p + 8;
}

struct node {
	long value;          /* widened and moved first */
	struct node *next;
};

static struct node *list;

struct gnode {
	struct gnode *next;
	int value;
	long extra;          /* new: does not fit in front of the next header */
};

static struct gnode *glist;

/* ---- a pool with two chunk sizes ---- */
struct chunk {
	size_t used, size;   /* the header: no pointers */
};

static struct chunk *chunks[8];
static int nchunks;

STF_ALLOCATOR void *pool_alloc(size_t size);
void *pool_alloc(size_t size)
{
	size_t want = size > 64 ? 1024 : 256;
	size = (size + 15) & ~(size_t)15;
	for (int i = 0; i < nchunks; i++)
		if (chunks[i]->size == want && chunks[i]->size - chunks[i]->used >= size) {
			char *m = (char *)chunks[i] + chunks[i]->used;
			chunks[i]->used += size;
			return m;
		}
	struct chunk *c = malloc(want);
	c->size = want;
	c->used = sizeof(*c) + size;
	chunks[nchunks++] = c;
	return c + 1;
}

struct small {
	struct small *peer;
	long id;
};

struct large {
	int weight;
	struct small *owner;
	char name[80];
};

static struct small *smalls[12];
static struct large *larges[3];

/* grows in version 2 where its chunk has no room after it */
struct gsmall {
	int id;
	struct gsmall *peer;
	long extra;          /* new: no room after it in its chunk */
};

static struct gsmall *gsmalls[12];

/* a module's configuration, made by a function returning `void *` */
struct conf {
	long a;
	long added;          /* new, in the middle */
	long b;
};

static void *conf_create(long a, long b)
{
	struct conf *c = pool_alloc(sizeof(*c));
	c->a = a;
	c->b = b;
	return c;
}

static void *confs[3];

/* ---- an untyped block (an unannotated wrapper's) ---- */
static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *pins; /* reached through void * only */

/* ---- a slab with reuse ---- */
#define SLAB_CHUNK 64
struct item {
	struct item *next;   /* also the free-list link */
	long key;
	char tag[16];
	long version;        /* new: grows into the chunk */
};

static char *slab;
static int slab_used;
static void *slab_free_list;

STF_ALLOCATOR void *slab_alloc(void);
void *slab_alloc(void)
{
	if (slab_free_list) {
		void *p = slab_free_list;
		slab_free_list = *(void **)p;
		return p;
	}
	if (!slab)
		slab = calloc(16, SLAB_CHUNK);
	return slab + SLAB_CHUNK * slab_used++;
}

/* Not slab_alloc's partner by name (X_release would be, t/xfer/
 * gaps12-partners): ttst takes the slab for a pool whose items grow into
 * their chunks; with a known partner it would refuse the growth, since it
 * cannot tell the chunk size from the old sizeof (t/xfer/slabsize). */
static void slab_put(void *p)
{
	*(void **)p = slab_free_list;
	slab_free_list = p;
}

static struct item *items;

/* ---- objects registered by the program ---- */
struct conn {
	struct conn *next;
	int fd;
	short port;
};

static long arena[64];
static struct conn *conns;

static __attribute__((noinline)) void init(const char *what)
{
	if (!strcmp(what, "sizehdr-grow")) {
		for (int i = 0; i < 5; i++) {
			struct gnode *n = zmalloc(sizeof(*n));
			n->next = glist;
			n->value = 100 + i;
			glist = n;
		}
	} else if (!strcmp(what, "sizehdr")) {
		for (int i = 0; i < 5; i++) {
			struct node *n = zmalloc(sizeof(*n));
			n->next = list;
			n->value = 100 + i;
			list = n;
		}
	} else if (!strcmp(what, "pool")) {
		for (int i = 0; i < 12; i++) {
			struct small *s = pool_alloc(sizeof(*s));
			s->id = i;
			s->peer = i ? smalls[i - 1] : NULL;
			smalls[i] = s;
		}
		for (int i = 0; i < 3; i++) {
			struct large *l = pool_alloc(sizeof(*l));
			snprintf(l->name, sizeof(l->name), "large %d", i);
			l->owner = smalls[4 * i];
			l->weight = 1000 + i;
			larges[i] = l;
		}
	} else if (!strcmp(what, "sizehdr8-grow")) {
		for (int i = 0; i < 5; i++) {
			struct gnode *n = zmalloc8(sizeof(*n));
			n->next = glist;
			n->value = 100 + i;
			glist = n;
		}
	} else if (!strcmp(what, "sizehdr-pinned")) {
		for (int i = 0; i < 5; i++) {
			struct gnode *n = zmalloc(sizeof(*n));
			n->next = glist;
			n->value = 100 + i;
			glist = n;
		}
		void **w = xalloc(2 * sizeof(*w));
		w[0] = glist->next;   /* an untyped word into the third node */
		w[1] = NULL;
		pins = w;
	} else if (!strcmp(what, "pool-grow") || !strcmp(what, "pool-pinned")) {
		for (int i = 0; i < 12; i++) {
			struct gsmall *s = pool_alloc(sizeof(*s));
			s->id = i;
			s->peer = i ? gsmalls[i - 1] : NULL;
			gsmalls[i] = s;
		}
		if (!strcmp(what, "pool-pinned")) {
			void **w = xalloc(2 * sizeof(*w));
			w[0] = gsmalls[3];
			w[1] = NULL;
			pins = w;
		}
	} else if (!strcmp(what, "pool-conf")) {
		for (int i = 0; i < 3; i++)
			confs[i] = conf_create(10 + i, 20 + i);
	} else if (!strcmp(what, "slab")) {
		struct item *all[6];
		for (int i = 0; i < 6; i++) {
			all[i] = slab_alloc();
			all[i]->key = i;
			snprintf(all[i]->tag, sizeof(all[i]->tag), "first %d", i);
		}
		slab_put(all[1]);
		slab_put(all[4]);
		/* chunk 4 handed out again, as a new object */
		struct item *again = slab_alloc();
		again->key = 40;
		strcpy(again->tag, "again");
		for (int i = 0; i < 6; i++)
			if (i != 1 && i != 4) {
				all[i]->next = items;
				items = all[i];
			}
		again->next = items;
		items = again;
	} else if (!strcmp(what, "register")) {
		for (int i = 0; i < 4; i++) {
			struct conn *c = (struct conn *)((char *)arena + 32 * i + 8);
			stf_register_object(c, sizeof(*c), "struct conn", 1, "subobj.c:conn");
			c->fd = 10 + i;
			c->port = (short)(8000 + i);
			c->next = conns;
			conns = c;
		}
	}
}

static const char *what = "sizehdr";

static void init_default(void)
{
	init(what);
}

/* p lies in one of the pool's chunks of the given size */
static int in_chunk(const void *p, size_t size)
{
	for (int i = 0; i < nchunks; i++)
		if (chunks[i]->size == size && (const char *)p >= (const char *)(chunks[i] + 1) &&
		    (const char *)p < (const char *)chunks[i] + chunks[i]->used)
			return 1;
	return 0;
}

static void check_sizehdr(void)
{
	int n = 0;
	for (struct node *p = list; p; p = p->next, n++) {
		CHECK(p->value == 104 - n);
		CHECK(*(size_t *)((char *)p - ZHDR) == 16);   /* the header kept */
	}
	CHECK(n == 5);
}

/* Each object a size-prefixing wrapper handed out grew: its whole block
 * moved to a block of the new size, the size header saying the new size
 * (size-headers.c). */
static void check_sizehdr_grow(void)
{
	int n = 0;
	struct gnode *third = NULL;
	for (struct gnode *p = glist; p; p = p->next, n++) {
		CHECK(p->value == 104 - n && p->extra == 0);
		CHECK(*(size_t *)((char *)p - ZHDR) == sizeof(*p)); /* the new size */
		CHECK(malloc_usable_size((char *)p - ZHDR) >= ZHDR + sizeof(*p));
		if (n == 1)
			third = p;
	}
	CHECK(n == 5 && third);
	/* the program's own free(p - ZHDR) frees a moved block */
	glist->next = third->next;
	free((char *)third - ZHDR);
}

/* The same, an untyped word pointing at the third node: its block kept
 * its address, grown there (pinned-growth.c), its header saying the new
 * size; the others moved. */
static void check_sizehdr_pinned(void)
{
	int n = 0;
	struct gnode *third = NULL;
	for (struct gnode *p = glist; p; p = p->next, n++) {
		CHECK(p->value == 104 - n && p->extra == 0);
		CHECK(*(size_t *)((char *)p - ZHDR) == sizeof(*p));
		CHECK(malloc_usable_size((char *)p - ZHDR) >= ZHDR + sizeof(*p));
		if (n == 1)
			third = p;
	}
	CHECK(n == 5 && third && ((void **)pins)[0] == third && !((void **)pins)[1]);
	/* the program's own free(p - ZHDR) frees the block kept in place */
	glist->next = third->next;
	((void **)pins)[0] = NULL;
	free((char *)third - ZHDR);
}

/* The same with an 8-byte prefix (the objects 8 bytes off alignment). */
static void check_sizehdr8_grow(void)
{
	int n = 0;
	for (struct gnode *p = glist; p; p = p->next, n++) {
		CHECK(p->value == 104 - n && p->extra == 0);
		CHECK(*(size_t *)((char *)p - 8) == sizeof(*p)); /* the new size */
		CHECK(malloc_usable_size((char *)p - 8) >= 8 + sizeof(*p));
	}
	CHECK(n == 5);
	struct gnode *first = glist;
	glist = first->next;
	free((char *)first - 8);
}

/* Each pool object grew where its chunk has no room (the last one too:
 * what follows it is the pool's free space): it moved alone to a heap
 * block of its own. */
static void check_pool_grow(void)
{
	CHECK(nchunks == 1);
	for (int i = 0; i < 12; i++) {
		CHECK(gsmalls[i]->id == i && gsmalls[i]->extra == 0);
		CHECK(gsmalls[i]->peer == (i ? gsmalls[i - 1] : NULL));
		CHECK(!in_chunk(gsmalls[i], 256));
	}
	/* the pool goes on carving where it was, after the bytes they left */
	CHECK(chunks[0]->used == sizeof(struct chunk) + 12 * 16);
	struct small *s = pool_alloc(sizeof(*s));
	CHECK((char *)s == (char *)chunks[0] + sizeof(struct chunk) + 12 * 16);
}

/* Configurations returned as `void *` are typed by the local that kept
 * them: each grew in the middle and moved out of its chunk. */
static void check_pool_conf(void)
{
	for (int i = 0; i < 3; i++) {
		const struct conf *c = confs[i];
		CHECK(c->a == 10 + i && c->added == 0 && c->b == 20 + i);
	}
}

static void check_pool(void)
{
	CHECK(nchunks == 2);
	for (int i = 0; i < 12; i++) {
		CHECK(smalls[i]->id == i);
		CHECK(smalls[i]->peer == (i ? smalls[i - 1] : NULL));
		CHECK(in_chunk(smalls[i], 256));
	}
	for (int i = 0; i < 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "large %d", i);
		CHECK(!strcmp(larges[i]->name, want));
		CHECK(larges[i]->owner == smalls[4 * i]);
		CHECK(larges[i]->weight == 1000 + i);
		CHECK(in_chunk(larges[i], 1024));
	}
	/* the pool goes on carving where it was */
	struct small *s = pool_alloc(sizeof(*s));
	CHECK(in_chunk(s, 256) && s == smalls[11] + 1);
}

static void check_slab(void)
{
	static const long keys[] = { 40, 5, 3, 2, 0 };
	int n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		CHECK(n < 5 && it->key == keys[n]);
		CHECK(((char *)it - slab) % SLAB_CHUNK == 0);
		CHECK(it->version == 0);
		CHECK(!strncmp(it->tag, it->key == 40 ? "again" : "first", 5));
	}
	CHECK(n == 5);
	CHECK(slab_free_list == slab + SLAB_CHUNK && *(void **)slab_free_list == NULL);
	CHECK(slab_alloc() == slab + SLAB_CHUNK && slab_alloc() == slab + 6 * SLAB_CHUNK);
}

static void check_register(void)
{
	int n = 0;
	for (struct conn *c = conns; c; c = c->next, n++) {
		CHECK(c->fd == 13 - n && c->port == 8003 - n);
		CHECK((char *)c == (char *)arena + 32 * (3 - n) + 8);
	}
	CHECK(n == 4);
	/* the update registered them here: the program can forget them */
	struct conn *c = conns;
	CHECK(stf_register_object(c, sizeof(*c), "struct conn", 1, "subobj.c:conn") == -1);
	CHECK(stf_unregister_object(c) == 0);
	CHECK(stf_unregister_object(c) == -1);
	CHECK(stf_register_object(c, sizeof(*c), "struct conn", 1, "subobj.c:conn") == 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		what = argv[1];
	XT_V2_RECEIVE(init_default);
	if (!strcmp(what, "sizehdr"))
		check_sizehdr();
	else if (!strcmp(what, "pool"))
		check_pool();
	else if (!strcmp(what, "sizehdr-grow"))
		check_sizehdr_grow();
	else if (!strcmp(what, "sizehdr8-grow"))
		check_sizehdr8_grow();
	else if (!strcmp(what, "sizehdr-pinned"))
		check_sizehdr_pinned();
	else if (!strcmp(what, "pool-grow"))
		check_pool_grow();
	else if (!strcmp(what, "pool-conf"))
		check_pool_conf();
	else if (!strcmp(what, "slab"))
		check_slab();
	else if (!strcmp(what, "register"))
		check_register();
	XT_V2_RESULT();
}
