/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A module loaded with dlopen() whose handle the program keeps for
 * dlclose() at exit, as lighttpd keeps each module's in `struct
 * plugin.lib`: the handle is the dynamic linker's link map, a block of
 * ld.so's with its scope lists and names in more of its blocks.  Kept at
 * its address it would be a copy of the old process's link map beside the
 * new process's own (dlsym on it answers with the old process's
 * addresses): the update must roll back naming the handle and the fix.
 * Before lt21 it committed so; lighttpd's update to another build rolled
 * back naming an address in the old executable.
 */
#include <dlfcn.h>
#include "xt.h"

struct module {
	const char *name;
	void *lib;
	const char *(*version)(void);
#ifdef V2
	long calls;               /* new */
#endif
};

static struct module *mods;

/* at every start, like lighttpd's plugins_load(): the new version's
 * startup loads the library too */
static void *load(void)
{
	void *lib = dlopen("libevent-2.1.so.7", RTLD_NOW | RTLD_GLOBAL);
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
	return lib;
}

static __attribute__((noinline)) void init(void *lib)
{
	mods = calloc(1, sizeof(*mods));
	mods->name = "libevent";
	mods->lib = lib;
	mods->version = (const char *(*)(void))(uintptr_t)dlsym(lib, "event_get_version");
}

static __attribute__((noinline)) void check(void)
{
	CHECK(mods->lib && mods->version && mods->version()[0] == '2');
	CHECK(dlsym(mods->lib, "event_get_version") == (void *)(uintptr_t)mods->version);
}

int main(void)
{
	void *lib = load();
	if (!stf_is_updating())
		init(lib);
#ifdef V2
	else
		stf_update_point();
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
