/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Modules loaded with dlopen() whose handles the program keeps for dlsym()
 * and dlclose(), as lighttpd keeps each module's in `struct plugin.lib`:
 * a handle is the dynamic linker's link map.  One handle is in a heap
 * struct that grows in version 2, one in a static.  The update gives each
 * the new process's own handle for the same library (the one its startup
 * got: dlopen(RTLD_NOLOAD) answers it), dlsym() on it answers the new
 * process's addresses, and dlclose() on it works.  Before dl21 this rolled
 * back ("link map of the dynamic linker ... a dlopen() handle"); before
 * lt21 it committed with a copy of the old process's link map.
 * With the argument "skip", the new version does not load the second
 * module: the update must roll back naming it (lt21-dlhandle-gone).
 */
#include <dlfcn.h>
#include "xt.h"

#define FIRST "libevent-2.1.so.7"
#define SECOND "libevent_extra-2.1.so.7"

struct module {
	const char *name;
	void *lib;
	const char *(*version)(void);
#if defined(V2) && !defined(SAME)
	long calls;               /* new (not with -DSAME: lt21-dlhandle-same) */
#endif
};

static struct module *mods;
static void *second;             /* a handle in a static */

/* at every start, like lighttpd's plugins_load(): the new version's
 * startup loads the libraries too */
static void *load(const char *name)
{
	void *lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
	return lib;
}

static __attribute__((noinline)) void init(void *lib, void *lib2)
{
	mods = calloc(1, sizeof(*mods));
	mods->name = "libevent";
	mods->lib = lib;
	mods->version = (const char *(*)(void))(uintptr_t)dlsym(lib, "event_get_version");
	second = lib2;
}

static __attribute__((noinline)) void check(void)
{
	CHECK(mods->lib && mods->version && mods->version()[0] == '2');
	CHECK(dlsym(mods->lib, "event_get_version") == (void *)(uintptr_t)mods->version);
	CHECK(second && dlsym(second, "evhttp_new") != NULL);
	/* the process's own handles, not copies of another process's */
	void *own = dlopen(FIRST, RTLD_NOW | RTLD_NOLOAD);
	CHECK(own == mods->lib);
	CHECK(own && dlclose(own) == 0);
	own = dlopen(SECOND, RTLD_NOW | RTLD_NOLOAD);
	CHECK(own == second);
	CHECK(own && dlclose(own) == 0);
}

int main(int argc, char **argv)
{
	void *lib = load(FIRST), *lib2 = NULL;
	if (argc < 2 || strcmp(argv[1], "skip"))
		lib2 = load(SECOND);
	if (!stf_is_updating())
		init(lib, lib2);
#ifdef V2
	else
		stf_update_point();
	check();
	/* dlclose() on a handle the update gave: it closes the reference the
	 * startup took; the one of this dlopen() keeps the library loaded */
	void *again = load(SECOND);
	CHECK(dlclose(second) == 0);
	second = again;
	check();
	XT_V2_RESULT();
#else
	for (;;) {
		stf_update_point();
		usleep(2000);
		check();
	}
#endif
}
