/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Module a of v1/lt21-plugdata/core.c: its private struct begins with
 * PLUGIN_DATA and points to its configuration; version 2 adds a member. */
#include <stdlib.h>
#include <string.h>
#include "plug.h"

typedef struct {
	const char *name;
	long hits;
} plugin_config;

typedef struct {
	PLUGIN_DATA;
	plugin_config *defaults;
	plugin_config *conf;
#ifdef V2
	long requests;            /* new */
#endif
} plugin_data;

static void *mod_a_init(void)
{
	return calloc(1, sizeof(plugin_data));
}

static void mod_a_set_defaults(void *p_d)
{
	plugin_data *p = p_d;
	p->defaults = calloc(1, sizeof(plugin_config));
	p->defaults->name = "index.html";
}

static void mod_a_handle(void *p_d)
{
	plugin_data *p = p_d;
	p->conf = p->defaults;
	p->conf->hits++;
#ifdef V2
	p->requests++;
#endif
}

static int mod_a_check(void *p_d)
{
	plugin_data *p = p_d;
	return p->defaults && p->conf == p->defaults && p->defaults->hits > 0 &&
	       !strcmp(p->defaults->name, "index.html");
}

void mod_a_plugin_init(struct plugin *p)
{
	p->init = mod_a_init;
	p->set_defaults = mod_a_set_defaults;
	p->handle = mod_a_handle;
	p->check = mod_a_check;
}
