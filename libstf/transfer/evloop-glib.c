/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evloop-glib.c - the GLib dispatch a thread's update point interrupts.
 *
 * GLib marks the GSource it dispatches "in call" and, unless it may
 * recurse, "blocked": its descriptors leave the context's poll set until
 * its callback returns.  A thread of the old version reached its update
 * point inside such a callback (the update descriptor's watch, in the
 * main context or in a worker's own GMainContext); its counterpart in the
 * new version called that callback from main or from its start routine,
 * so the source, received at its address, stayed blocked for good: its
 * watch never fired again and the next update's quiescence timed out.  A
 * thread's record of the source it dispatches is GLib's per-thread data,
 * carried with the thread's key slots (tsd.c), so once the update has
 * committed every thread of the new version, where it resumes (update.c),
 * ends that dispatch: it clears both flags of the source
 * g_main_current_source() names for it, if that source is in call, and
 * sets the source's priority to itself, with which GLib puts its
 * descriptors back in the poll set.
 *
 * The flags word is private to GLib (struct _GSource in gmain.h names it,
 * gmain.c numbers its bits), so it is measured before the transfer on a
 * probe: libstf's own memory handed to GLib's read-only accessors, which
 * check only that the reference count is positive.  g_source_get_can_recurse
 * must read G_SOURCE_CAN_RECURSE, and g_source_is_destroyed
 * G_HOOK_FLAG_ACTIVE, from one int and nothing else; GLib's private
 * G_SOURCE_BLOCKED is the bit after G_SOURCE_CAN_RECURSE (gmain.c's enum)
 * and G_HOOK_FLAG_IN_CALL is ghook.h's.  No GSource is made for it: making
 * one allocates GLib's per-thread slice memory and may create a pthread
 * key, before the transfer carries the old version's keys.  If GLib's main
 * loop is in the process and the measurement disagrees, the update rolls
 * back naming it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "evloop.h"

/* ghook.h's, public */
#define HOOK_FLAG_ACTIVE (1u << 0)
#define HOOK_FLAG_IN_CALL (1u << 1)
#define HOOK_FLAG_USER_SHIFT 4
/* gmain.c's, after G_SOURCE_READY at the user shift */
#define SOURCE_CAN_RECURSE (1u << (HOOK_FLAG_USER_SHIFT + 1))
#define SOURCE_BLOCKED (1u << (HOOK_FLAG_USER_SHIFT + 2))

#define PROBE_INTS 64   /* 256 bytes; struct _GSource is 96 */

/* Looked up before the transfer: a failed dlsym allocates the error's
 * text, which after the commit would be one more object of every updated
 * process (t/update/update-tsd). */
static struct {
	void *(*current_source)(void);
	void (*set_priority)(void *, int);
	int (*get_priority)(void *);
	int (*get_can_recurse)(void *);
	int (*is_destroyed)(void *);
} glib;

static size_t flags_off;
static const char *disagreement; /* the measurement's, NULL if it agreed */

/* The int of the probe all accessors read the flags from, or -1. */
static int find_flags(int *probe)
{
	int found = -1;
	for (int k = 0; k < PROBE_INTS; k++) {
		for (int i = 0; i < PROBE_INTS; i++)
			probe[i] = HOOK_FLAG_ACTIVE; /* a positive reference count too */
		probe[k] |= SOURCE_CAN_RECURSE;
		if (glib.get_can_recurse(probe)) {
			if (found >= 0)
				return -1;
			found = k;
		}
	}
	return found;
}

static const char *measure(void)
{
	int probe[PROBE_INTS];
	int k = find_flags(probe);

	if (k < 0)
		return "g_source_get_can_recurse() reads no single int of it";
	for (int i = 0; i < PROBE_INTS; i++)
		probe[i] = HOOK_FLAG_ACTIVE;
	probe[k] = INT_MAX & ~(int)SOURCE_CAN_RECURSE;
	if (glib.get_can_recurse(probe))
		return "g_source_get_can_recurse() reads another bit than G_SOURCE_CAN_RECURSE";
	probe[k] = HOOK_FLAG_ACTIVE;
	if (glib.is_destroyed(probe))
		return "g_source_is_destroyed() reads the flags from another int";
	probe[k] = (int)SOURCE_CAN_RECURSE;
	if (!glib.is_destroyed(probe))
		return "g_source_is_destroyed() reads another bit than G_HOOK_FLAG_ACTIVE";
	flags_off = (size_t)k * sizeof(int);
	return NULL;
}

void stf__glib_measure(void)
{
	glib.current_source = (void *(*)(void))dlsym(RTLD_DEFAULT, "g_main_current_source");
	glib.set_priority = (void (*)(void *, int))dlsym(RTLD_DEFAULT, "g_source_set_priority");
	glib.get_priority = (int (*)(void *))dlsym(RTLD_DEFAULT, "g_source_get_priority");
	glib.get_can_recurse = (int (*)(void *))dlsym(RTLD_DEFAULT, "g_source_get_can_recurse");
	glib.is_destroyed = (int (*)(void *))dlsym(RTLD_DEFAULT, "g_source_is_destroyed");
	disagreement = NULL;
	if (!glib.current_source)
		return; /* no GLib main loop here */
	if (!glib.set_priority || !glib.get_priority || !glib.get_can_recurse || !glib.is_destroyed)
		disagreement = "its accessors are missing";
	else
		disagreement = measure();
	if (disagreement)
		glib.current_source = NULL; /* nothing is ended: the update rolls back */
}

int stf__glib_plan(struct stf_xfer *x)
{
	if (!disagreement)
		return 0;
	x->obj = NULL;
	stf__xfail(x, "GLib's struct GSource is not laid out as ttst reads it (%s): a thread "
		   "whose update point is inside a GLib dispatch could not end it after the "
		   "commit, and that source would never be dispatched again", disagreement);
	return -1;
}

void stf__evloop_resumed(void)
{
	uint8_t *source = glib.current_source ? glib.current_source() : NULL;
	uint32_t flags;

	if (!source)
		return;
	memcpy(&flags, source + flags_off, sizeof(flags));
	if (!(flags & HOOK_FLAG_IN_CALL))
		return; /* a source this thread dispatched before an earlier update */
	flags &= ~(HOOK_FLAG_IN_CALL | SOURCE_BLOCKED);
	memcpy(source + flags_off, &flags, sizeof(flags));
	glib.set_priority(source, glib.get_priority(source));
}
