/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userdata-libevent.c - where the loaded libevent keeps the user data
 * the program gives it, measured on scratch objects (see userdata.c):
 * event_new's argument (evtimer_new and evsignal_new are event_new),
 * bufferevent_setcb's on the blocks of bufferevent_socket_new,
 * bufferevent_pair_new and bufferevent_filter_new (and the filter's
 * context), evconnlistener_new's, event_base_once's, evbuffer_add_cb's,
 * evhttp_set_gencb's, evhttp_set_bevcb's and evhttp_set_cb's.  Each function is looked up
 * by name: one the program does not have (no libevent, or only its
 * core) is not measured, and its words keep pinning.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/time.h>

#include "untyped.h"
#include "userdata.h"

#define SYM(type, name) ((type)dlsym(RTLD_DEFAULT, name))

typedef void (*event_cb)(int, short, void *);
typedef void *(*bev_new_fn)(void *, int, int);
typedef void (*bev_setcb_fn)(void *, void *, void *, void *, void *);
typedef void (*free_fn)(void *);

/* Addresses nothing else holds: the user data given to the scratch
 * objects (two or three where one block keeps several). */
static const char marker, context_marker, third_marker;

static void ignore_event(int fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

static void measure_event(void *base)
{
	void *(*ev_new)(void *, int, short, event_cb, void *) =
		SYM(void *(*)(void *, int, short, event_cb, void *), "event_new");
	free_fn ev_free = SYM(free_fn, "event_free");
	void *ev = ev_new && ev_free ? ev_new(base, -1, 0, ignore_event, (void *)&marker) : NULL;
	if (!ev)
		return;
	stf__user_data_slot(ev, &marker, "event_new");
	ev_free(ev);
}

/* A bufferevent's callback argument (bufferevent_setcb); its block is
 * freed when the base is (bufferevents are finalized by the loop). */
static void measure_setcb(void *bev, const char *ctor)
{
	bev_setcb_fn setcb = SYM(bev_setcb_fn, "bufferevent_setcb");
	if (!setcb)
		return;
	setcb(bev, NULL, NULL, NULL, (void *)&marker);
	stf__user_data_slot(bev, &marker, ctor);
}

static void measure_bufferevents(void *base)
{
	bev_new_fn bev_new = SYM(bev_new_fn, "bufferevent_socket_new");
	free_fn bev_free = SYM(free_fn, "bufferevent_free");
	int (*pair_new)(void *, int, void *[2]) =
		SYM(int (*)(void *, int, void *[2]), "bufferevent_pair_new");
	void *(*filter_new)(void *, void *, void *, int, free_fn, void *) =
		SYM(void *(*)(void *, void *, void *, int, free_fn, void *),
		    "bufferevent_filter_new");
	void *pair[2];
	if (!bev_new || !bev_free)
		return;
	void *bev = bev_new(base, -1, 0);
	if (!bev)
		return;
	measure_setcb(bev, "bufferevent_socket_new");
	if (filter_new) {
		/* no filter functions: the scratch filter passes no data */
		void *filtered = filter_new(bev, NULL, NULL, 0, NULL, (void *)&context_marker);
		if (filtered) {
			stf__user_data_slot(filtered, &context_marker, "bufferevent_filter_new");
			measure_setcb(filtered, "bufferevent_filter_new");
			bev_free(filtered);
		}
	}
	bev_free(bev);
	if (pair_new && pair_new(base, 0, pair) == 0) {
		measure_setcb(pair[0], "bufferevent_pair_new");
		bev_free(pair[0]);
		bev_free(pair[1]);
	}
}

/* The listener, disabled, on no socket: it listens on nothing. */
static void measure_listener(void *base)
{
	void *(*lev_new)(void *, void *, void *, unsigned, int, int) =
		SYM(void *(*)(void *, void *, void *, unsigned, int, int), "evconnlistener_new");
	free_fn lev_free = SYM(free_fn, "evconnlistener_free");
	const unsigned disabled = 1u << 5; /* LEV_OPT_DISABLED */
	void *lev = lev_new && lev_free ? lev_new(base, NULL, (void *)&marker, disabled, 0, -1) : NULL;
	if (!lev)
		return;
	stf__user_data_slot(lev, &marker, "evconnlistener_new");
	lev_free(lev);
}

/* The one-shot's block is found in the base's list of them; the base
 * frees it. */
static void measure_once(void *base)
{
	int (*once)(void *, int, short, event_cb, void *, const struct timeval *) =
		SYM(int (*)(void *, int, short, event_cb, void *, const struct timeval *),
		    "event_base_once");
	const struct timeval hour = { 3600, 0 };
	const short timeout = 0x01; /* EV_TIMEOUT */
	if (once && once(base, -1, timeout, ignore_event, (void *)&marker, &hour) == 0)
		stf__user_data_slot(stf__user_data_held(base, &marker), &marker, "event_base_once");
}

static void measure_evbuffer_cb(void)
{
	void *(*buf_new)(void) = SYM(void *(*)(void), "evbuffer_new");
	free_fn buf_free = SYM(free_fn, "evbuffer_free");
	void *(*add_cb)(void *, void *, void *) =
		SYM(void *(*)(void *, void *, void *), "evbuffer_add_cb");
	void *buf = buf_new && buf_free && add_cb ? buf_new() : NULL;
	if (!buf)
		return;
	stf__user_data_slot(add_cb(buf, (void *)ignore_event, (void *)&marker), &marker,
			    "evbuffer_add_cb");
	buf_free(buf);
}

/* evhttp's generic callback argument and its bufferevent callback's
 * (evhttp_set_bevcb: the program makes the connections' bufferevents),
 * both in the evhttp block, and a path's (in the entry evhttp_set_cb
 * allocates and keeps in the evhttp's list of them).  The evhttp block's
 * two slots are evhttp_new's: one block holds both. */
static void measure_evhttp(void *base)
{
	void *(*http_new)(void *) = SYM(void *(*)(void *), "evhttp_new");
	free_fn http_free = SYM(free_fn, "evhttp_free");
	void (*set_gencb)(void *, void *, void *) =
		SYM(void (*)(void *, void *, void *), "evhttp_set_gencb");
	void (*set_bevcb)(void *, void *, void *) =
		SYM(void (*)(void *, void *, void *), "evhttp_set_bevcb");
	int (*set_cb)(void *, const char *, void *, void *) =
		SYM(int (*)(void *, const char *, void *, void *), "evhttp_set_cb");
	void *http = http_new && http_free && set_gencb && set_cb ? http_new(base) : NULL;
	if (!http)
		return;
	set_gencb(http, (void *)ignore_event, (void *)&marker);
	stf__user_data_slot(http, &marker, "evhttp_new");
	if (set_bevcb) {
		set_bevcb(http, (void *)ignore_event, (void *)&third_marker);
		stf__user_data_slot(http, &third_marker, "evhttp_new");
	}
	if (set_cb(http, "/", (void *)ignore_event, (void *)&context_marker) == 0)
		stf__user_data_slot(stf__user_data_held(http, &context_marker), &context_marker,
				    "evhttp_set_cb");
	http_free(http);
}

void stf__user_data_measure(void)
{
	void *(*base_new)(void) = SYM(void *(*)(void), "event_base_new");
	free_fn base_free = SYM(free_fn, "event_base_free");

	stf__user_data_reset();
	void *base = base_new && base_free ? base_new() : NULL;
	if (!base)
		return; /* no libevent here */
	measure_event(base);
	measure_bufferevents(base);
	measure_listener(base);
	measure_once(base);
	measure_evbuffer_cb();
	measure_evhttp(base);
	base_free(base);
	stf__user_data_settle();
}
