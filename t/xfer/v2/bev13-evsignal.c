/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-evsignal.c: struct watcher gains members (24 -> 48
 * bytes); a signal raised in the new version reaches its callback with
 * the moved watcher. */
#include <signal.h>
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NWATCHERS 2

struct watcher {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	uint64_t caught;
	int signo;
};

static struct event_base *base;
static struct event *events[NWATCHERS];
static struct watcher *woken[NWATCHERS];

static void on_signal(evutil_socket_t signo, short what, void *arg)
{
	struct watcher *w = arg;
	(void)what;
	w->caught++;
	woken[signo == SIGUSR2] = w;
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
	XT_V2_RECEIVE(init);
	raise(SIGUSR1);
	raise(SIGUSR2);
	for (int round = 0; round < 50 && (!woken[0] || !woken[1]); round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	for (long i = 0; i < NWATCHERS; i++) {
		struct watcher *w = woken[i];
		struct stf_object_info info;
		CHECK(w && w == event_get_callback_arg(events[i]));
		CHECK(w && stf_lookup(w, &info) == 0 && info.size >= sizeof(*w));
		if (!w)
			continue;
		CHECK(w->number == (void *)(uintptr_t)(i + 1) && w->signo == (i ? SIGUSR2 : SIGUSR1));
		CHECK(w->caught == 1 && w->polled == 0 && w->name[0] == 0);
	}
	XT_V2_RESULT();
}
