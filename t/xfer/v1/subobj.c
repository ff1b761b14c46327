/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Objects handed out from inside larger blocks by STF_ALLOCATOR functions,
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
	struct node *next;
	int value;
};

static struct node *list;

struct gnode {
	struct gnode *next;
	int value;
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
	int id;
	struct small *peer;
};

struct large {
	char name[80];
	struct small *owner;
	int weight;
};

static struct small *smalls[12];
static struct large *larges[3];

/* grows in version 2 where its chunk has no room after it */
struct gsmall {
	int id;
	struct gsmall *peer;
};

static struct gsmall *gsmalls[12];

/* a module's configuration, made by a function returning `void *` */
struct conf {
	long a;
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
	int fd;
	struct conn *next;
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

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "sizehdr");
	XT_V1_LOOP();
}
