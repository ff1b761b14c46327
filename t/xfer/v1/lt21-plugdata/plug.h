/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The plugin interface of v1/lt21-plugdata/core.c (see there). */
#ifndef LT21_PLUG_H
#define LT21_PLUG_H

struct plugin;

#define PLUGIN_DATA int id; \
		    int nconfig; \
		    void *cvlist; \
		    struct plugin *self

typedef struct {
	PLUGIN_DATA;
} plugin_data_base;

struct plugin {
	void *data;
	void *(*init)(void);
	void (*set_defaults)(void *p_d);
	void (*handle)(void *p_d);
	int (*check)(void *p_d);
};

#endif
