/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A server with plugins, as lighttpd 1.4 has them: each module's init
 * function returns its own private struct as a `void *` (`return
 * calloc(1, sizeof(plugin_data))`, a site of no type), the core keeps it
 * in `struct plugin.data` and reads only its head through the shared
 * `plugin_data_base` (the members every module's struct begins with, one
 * macro); the module's handlers get it back as their `void *` parameter
 * through function pointers the module stored in another unit.  The core's
 * unit says the block is a plugin_data_base, 24 bytes, but each block is a
 * module's larger struct, whose pointers (to its configuration) lie past
 * those 24 bytes.  Version 2 (built with -DV2) adds a member to module
 * a's struct.  Before lt21 the update rolled back ("the 16 bytes after
 * its last whole struct <anonymous> are copied as raw bytes").
 */
#include "xt.h"
#include "plug.h"

void mod_a_plugin_init(struct plugin *p);
void mod_b_plugin_init(struct plugin *p);

static struct plugin plugins[2];

static __attribute__((noinline)) void run(void)
{
	for (int i = 0; i < 2; i++)
		plugins[i].handle(plugins[i].data);
}

static __attribute__((noinline)) void init(void)
{
	mod_a_plugin_init(&plugins[0]);
	mod_b_plugin_init(&plugins[1]);
	for (int i = 0; i < 2; i++) {
		struct plugin *p = &plugins[i];
		p->data = p->init();
		((plugin_data_base *)p->data)->id = i + 1;
		((plugin_data_base *)p->data)->self = p;
		p->set_defaults(p->data);
	}
	run();
}

static __attribute__((noinline)) void check(void)
{
	for (int i = 0; i < 2; i++) {
		plugin_data_base *pd = plugins[i].data;
		CHECK(pd->id == i + 1);
		CHECK(pd->self == &plugins[i]);
		CHECK(plugins[i].check(pd));
	}
}

int main(void)
{
#ifndef V2
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		run();
		usleep(2000);
	}
#else
	XT_V2_RECEIVE(init);
	check();
	run();
	check();
	XT_V2_RESULT();
#endif
}
