/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A thread GLib starts that runs no program code: g_unix_signal_add makes
 * GLib start its worker thread, gmain, which polls GLib's private worker
 * context for ever with every signal blocked and never reaches an update
 * point.  GLib's handler of SIGUSR1 only wakes gmain, which wakes the
 * main context, whose dispatch calls the program's callback.  Version 2,
 * started by the update, makes no such source: after the commit it must
 * have a gmain again (the old one started again on the carried worker
 * context), and a SIGUSR1 must reach the callback the old version
 * registered, with its counter.  With OWN_GMAIN (gmain19-own), version
 * 2's startup starts its own gmain in update mode too: that thread would
 * run on on GLib's state the transfer replaces, and the update rolls back
 * naming it.
 */
#include <dirent.h>
#include <glib.h>
#include <glib-unix.h>
#include <signal.h>
#include "xt.h"

struct counter {
	int id;
	int hits;
};

static struct counter *usr1;
static guint usr1_source;

static gboolean on_usr1(gpointer data)
{
	struct counter *c = data;
	c->hits++;
	return G_SOURCE_CONTINUE;
}

/* Raise SIGUSR1 and run the main context until the callback counted it
 * (at most 5 s): 1 if it did. */
static int signal_reaches_callback(void)
{
	int was = usr1->hits;
	raise(SIGUSR1);
	for (int i = 0; i < 500 && usr1->hits == was; i++) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		usleep(10000);
	}
	return usr1->hits == was + 1;
}

static void init(void)
{
	usr1 = calloc(1, sizeof(*usr1));
	usr1->id = 19;
	usr1_source = g_unix_signal_add(SIGUSR1, on_usr1, usr1);
	if (!signal_reaches_callback())
		exit(1);
}

#ifdef V2
static int threads_named(const char *name)
{
	char path[300], comm[64];
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, name))
			n++;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
#ifdef OWN_GMAIN
	/* a startup that starts gmain in update mode too (gmain19-own) */
	g_unix_signal_add(SIGUSR2, on_usr1, NULL);
#endif
	XT_V2_RECEIVE(init);
	CHECK(usr1 && usr1->id == 19 && usr1->hits == 1 && usr1_source);
	CHECK(threads_named("gmain\n") == 1);
	CHECK(usr1 && signal_reaches_callback());
	CHECK(usr1 && signal_reaches_callback());
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	XT_V1_LOOP();
}
#endif
