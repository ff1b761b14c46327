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
 * The new version parks the same way, inside event_base_loop() on a base
 * its startup made, when its update point is such a callback too
 * (memcached's 6-line recipe).  After the commit libevent goes on down
 * that base's active queue: each event queued behind the update's is
 * removed from it and its callback called.  An event there that lies in
 * memory the transfer overwrote with the old version's bytes (a startup
 * block an old object went into in place, inplace.c; a static) is no
 * longer the one queued: its flags and links are the old version's
 * (memcached's listening connection, readable under load: "not on queue
 * 8", and exit).  So the events on the active queues of this process's
 * bases inside their loop are noted before the forward transfer: such a
 * startup block keeps its own bytes (it is no old object's place), and a
 * static holding one refuses the update.  The queues' offset in struct
 * event_base is measured on a scratch base with one active event.
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
#include "remote.h"
#include "stf.h"

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

/* struct event_base's activequeues (an array of TAILQ heads, one per
 * priority, its int count after it), 0 if not measured; the first word
 * of an event (struct event_callback) is its link in that queue. */
static size_t queues_off;

static void ignore_event(int fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* The one word of a scratch base that points to the start of a block
 * whose first word (the first queue's head) is the only event made
 * active, with 1 (the queues made by default) after it. */
static size_t measure_queues(void)
{
	void *(*base_new)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "event_base_new");
	void (*base_free)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "event_base_free");
	void *(*ev_new)(void *, int, short, void (*)(int, short, void *), void *) =
		(void *(*)(void *, int, short, void (*)(int, short, void *), void *))dlsym(
			RTLD_DEFAULT, "event_new");
	void (*ev_active)(void *, int, short) =
		(void (*)(void *, int, short))dlsym(RTLD_DEFAULT, "event_active");
	void (*ev_free)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "event_free");
	size_t off = 0, found = 0;

	if (!base_new || !base_free || !ev_new || !ev_active || !ev_free)
		return 0;
	uint8_t *b = base_new();
	void *ev = b ? ev_new(b, -1, 0, ignore_event, NULL) : NULL;
	if (ev) {
		ev_active(ev, 0x01 /* EV_TIMEOUT */, 1);
		size_t size = malloc_usable_size(b);
		for (size_t k = 0; k + 8 + sizeof(int) <= size; k += 8) {
			void *w;
			int n;
			struct stf_object_info info;
			memcpy(&w, b + k, sizeof(w));
			memcpy(&n, b + k + 8, sizeof(n));
			if (w && n == 1 && stf_lookup(w, &info) == 0 && info.base == w &&
			    info.size >= 2 * sizeof(void *) && *(void **)w == ev) {
				off = k;
				found++;
			}
		}
		ev_free(ev);
	}
	if (b)
		base_free(b);
	return found == 1 ? off : 0;
}

void stf__evloop_measure(void)
{
	measured = measure(&running_off, &base_size) == 0 ? 1 : -1;
	queues_off = measured > 0 ? measure_queues() : 0;
	stf__glib_measure();
}

/* The events queued on this process's bases inside their loop. */
#define MAX_QUEUED 4096
#define MAX_QUEUES 256
static uint64_t queued[MAX_QUEUED];
static size_t nqueued;
static int queued_unknown; /* a base inside its loop whose queues were not read */

/* The events on one base's active queues. */
static void note_queued(uint64_t b)
{
	uint64_t q;
	int n;
	memcpy(&q, (const void *)(uintptr_t)(b + queues_off), sizeof(q));
	memcpy(&n, (const void *)(uintptr_t)(b + queues_off + 8), sizeof(n));
	if (!q || n < 1 || n > MAX_QUEUES) {
		queued_unknown = 1;
		return;
	}
	for (int k = 0; k < n; k++) {
		uint64_t ev = *(const uint64_t *)(uintptr_t)(q + 16 * (uint64_t)k);
		for (; ev; ev = *(const uint64_t *)(uintptr_t)ev) {
			if (nqueued == MAX_QUEUED) {
				queued_unknown = 1;
				return;
			}
			queued[nqueued++] = ev;
		}
	}
}

void stf__evloop_queued_load(const struct stf_peer *self)
{
	nqueued = 0;
	queued_unknown = 0;
	if (measured < 0)
		return;
	for (size_t i = 0; i < self->nobjs; i++) {
		const struct stf_obj *o = &self->objs[i];
		int running;
		if (o->kind != STF_OBJ_HEAP || o->size != base_size || strncmp(o->id, "libevent", 8))
			continue;
		memcpy(&running, (const void *)(uintptr_t)(o->addr + running_off), sizeof(running));
		if (running != 1)
			continue;
		if (!queues_off)
			queued_unknown = 1;
		else
			note_queued(o->addr);
	}
}

int stf__evloop_queued_in(uint64_t addr, uint64_t size)
{
	if (queued_unknown)
		return 1;
	for (size_t k = 0; k < nqueued; k++)
		if (queued[k] - addr < size)
			return 1;
	return 0;
}

/* A static of the new version that received the old one's bytes and
 * holds a queued event, or queues not read: the update is refused. */
static int queued_in_statics(struct stf_xfer *x)
{
	char name[256];
	if (queued_unknown) {
		stf__xfail(x, "the new version parked inside libevent's loop on a base whose "
			   "active queues could not be read (more than %d events, or a libevent "
			   "whose struct event_base was not measured): the events libevent "
			   "would go on down after the commit are unknown; call "
			   "stf_update_point() before event_base_loop() too, so that the new "
			   "version parks outside the loop", MAX_QUEUED);
		return -1;
	}
	for (size_t i = 0; i < x->src->nobjs; i++) {
		const struct stf_obj *o = &x->src->objs[i];
		if (o->kind != STF_OBJ_STATIC || x->pair[i].dst < 0)
			continue;
		const struct stf_obj *d = &x->dst->objs[x->pair[i].dst];
		for (size_t k = 0; k < nqueued; k++) {
			if (queued[k] - d->addr >= d->size)
				continue;
			stf__xfail(x, "%s: the new version parked inside libevent's loop on a base "
				   "of its startup whose active queue holds the event at offset %"
				   PRIu64 " of it, which the transfer overwrote with the old "
				   "version's (libevent would go on down that queue after the "
				   "commit); call stf_update_point() before event_base_loop() too, "
				   "so that the new version parks outside the loop",
				   stf__obj_name(d, name, sizeof(name)), queued[k] - d->addr);
			return -1;
		}
	}
	return 0;
}

int stf__evloop_plan(struct stf_xfer *x)
{
	nrunning = 0;
	if (stf__glib_plan(x) < 0 || queued_in_statics(x) < 0)
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
