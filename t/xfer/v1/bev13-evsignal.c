/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Watchers reached only as the argument of their signal events
 * (evsignal_new, which is event_new with EV_SIGNAL | EV_PERSIST), added
 * to the base; the program keeps only the events.  Version 2 grows
 * struct watcher past its malloc chunk. */
#include <signal.h>
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NWATCHERS 2

struct watcher {
	void *number; /* an integer */
	uint64_t caught;
	int signo;
};

static struct event_base *base;
static struct event *events[NWATCHERS];

static void on_signal(evutil_socket_t signo, short what, void *arg)
{
	struct watcher *w = arg;
	(void)signo, (void)what;
	w->caught++;
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (long i = 0; i < NWATCHERS; i++) {
		struct watcher *w = calloc(1, sizeof *w);
		w->number = (void *)(uintptr_t)(i + 1);
		w->signo = i ? SIGUSR2 : SIGUSR1;
		events[i] = evsignal_new(base, w->signo, on_signal, w);
		evsignal_add(events[i], NULL);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (((struct watcher *)event_get_callback_arg(events[0]))->signo != SIGUSR1)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
