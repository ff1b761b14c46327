/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evloop.c - the state of an event library's loop that the update point
 * interrupts.
 *
 * A program whose loop is run by libevent reaches its update point inside
 * event_base_loop() (a timer's or stf_update_fd()'s callback), so the
 * event_base it keeps (an untyped block of libevent, transferred at its
 * address by untyped.c) says "a loop is running on me".  The new version
 * calls the callback from main and then event_base_dispatch() on that base,
 * which libevent refuses as a reentrant invocation: its loop would end at
 * once.  At commit, the new version clears that flag in every base it
 * received; the reversed version and the differencing see the base as the
 * old version has it.
 *
 * libevent's struct event_base is private (no header gives its layout), so
 * the flag's offset is measured on a scratch base of the loaded libevent:
 * the only int that is 0 before event_base_loop(), 1 inside a callback and
 * 0 again after it.  A base received is reset only if it has the scratch
 * base's size and the flag set.
 *
 * GLib's dispatch, which the update point interrupts too, is
 * evloop-glib.c's.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "alloc.h"
#include "engine.h"
#include "evloop.h"

#define MAX_BASES 16

static uint64_t running_bases[MAX_BASES];
static size_t nrunning;
static size_t running_off;

struct probe {
	const uint8_t *base;
	size_t size;
	uint8_t *inside;
};

static void probe_cb(int fd, short what, void *arg)
{
	struct probe *p = arg;
	(void)fd, (void)what;
	memcpy(p->inside, p->base, p->size);
}

/* The offset of libevent's running_loop in its struct event_base and that
 * struct's size; 0, or -1 if libevent is not loaded or the flag is not
 * found (one candidate exactly). */
static int measure(size_t *off, size_t *size)
{
	void *(*base_new)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "event_base_new");
	int (*once)(void *, int, short, void (*)(int, short, void *), void *,
		    const struct timeval *) =
		(int (*)(void *, int, short, void (*)(int, short, void *), void *,
			 const struct timeval *))dlsym(RTLD_DEFAULT, "event_base_once");
	int (*loop)(void *, int) = (int (*)(void *, int))dlsym(RTLD_DEFAULT, "event_base_loop");
	void (*base_free)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "event_base_free");
	const struct timeval now = { 0, 0 };
	int found = 0;

	if (!base_new || !once || !loop || !base_free)
		return -1;
	uint8_t *b = base_new();
	if (!b)
		return -1;
	struct probe p = { b, malloc_usable_size(b), NULL };
	uint8_t *before = stf__raw_malloc(p.size * 3);
	if (!before) {
		base_free(b);
		return -1;
	}
	p.inside = before + p.size;
	memcpy(before, b, p.size);
	if (once(b, -1, 0x01 /* EV_TIMEOUT */, probe_cb, &p, &now) == 0 &&
	    loop(b, 0x01 /* EVLOOP_ONCE */) == 0) {
		uint8_t *after = before + 2 * p.size;
		memcpy(after, b, p.size);
		for (size_t k = 0; k + sizeof(int) <= p.size; k += sizeof(int)) {
			int x, y, z;
			memcpy(&x, before + k, sizeof(int));
			memcpy(&y, p.inside + k, sizeof(int));
			memcpy(&z, after + k, sizeof(int));
			if (!x && y == 1 && !z) {
				*off = k;
				found++;
			}
		}
	}
	*size = p.size;
	base_free(b);
	stf__raw_free(before);
	return found == 1 ? 0 : -1;
}

static int measured;       /* 1: running_off and base_size known, -1: not */
static size_t base_size;

void stf__evloop_measure(void)
{
	measured = measure(&running_off, &base_size) == 0 ? 1 : -1;
	stf__glib_measure();
}

int stf__evloop_plan(struct stf_xfer *x)
{
	nrunning = 0;
	if (stf__glib_plan(x) < 0)
		return -1;
	if (measured < 0)
		return 0; /* no libevent here that we can read */
	for (size_t i = 0; i < x->src->nobjs; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		int running;
		if (!x->pair[i].placed || strncmp(o->id, "libevent", 8) || !o->bytes)
			continue;
		if (o->size != base_size || running_off + sizeof(int) > o->size)
			continue;
		memcpy(&running, o->bytes + running_off, sizeof(int));
		if (running != 1)
			continue;
		if (nrunning == MAX_BASES) {
			stf__xfail(x, "more than %d libevent bases inside their loop", MAX_BASES);
			return -1;
		}
		running_bases[nrunning++] = o->addr;
	}
	return 0;
}

void stf__evloop_commit(void)
{
	for (size_t i = 0; i < nrunning; i++)
		memset((void *)(uintptr_t)(running_bases[i] + running_off), 0, sizeof(int));
	nrunning = 0;
}
