/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Module b of v1/lt21-plugdata/core.c: another private struct of its
 * own size behind the same `void *`, unchanged in version 2. */
#include <stdlib.h>
#include "plug.h"

typedef struct {
	PLUGIN_DATA;
	long *counter;
	double ratio;
	char *label;
} plugin_data;

static void *mod_b_init(void)
{
	return calloc(1, sizeof(plugin_data));
}

static void mod_b_set_defaults(void *p_d)
{
	plugin_data *p = p_d;
	p->counter = calloc(4, sizeof(long));
	p->label = malloc(8);
	p->label[0] = 'b';
	p->label[1] = 0;
	p->ratio = 0.5;
}

static void mod_b_handle(void *p_d)
{
	plugin_data *p = p_d;
	p->counter[2]++;
}

static int mod_b_check(void *p_d)
{
	plugin_data *p = p_d;
	return p->counter && p->counter[2] > 0 && p->label[0] == 'b' && p->ratio == 0.5;
}

void mod_b_plugin_init(struct plugin *p)
{
	p->init = mod_b_init;
	p->set_defaults = mod_b_set_defaults;
	p->handle = mod_b_handle;
	p->check = mod_b_check;
}
