/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * commit.c - the last phase of an update, in the future version F once
 * ttstd has decided to commit (ctl.c's cmd_commit drives it).
 *
 * Until the commit F shares with the past version P what the kernel holds
 * for both (epoll registrations, descriptors, signal dispositions), and P
 * must find it untouched if the update rolls back.  Only here does F make
 * it its own: it re-points the epoll registrations at its objects, clears
 * the "loop running" state of a library loop it received, installs the
 * signal handlers by function, releases the stderr capture, and gives back
 * the transfer's memory and the reserved ranges of P's heap it did not
 * use.  Then the program's after-commit hooks (stf_on_commit) run, on the
 * program's thread, before the other threads resume.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "alloc.h"
#include "commit.h"
#include "ctl.h"
#include "epoll.h"
#include "evloop.h"
#include "fds.h"
#include "signals.h"
#include "stf.h"
#include "tree.h"
#include "xfer.h"

#define EXPORT __attribute__((visibility("default")))

/* stf_on_commit's hooks (stf.h), run in registration order. */
#define MAX_COMMIT_HOOKS 16
static struct {
	void (*fn)(void *);
	void *arg;
} commit_hooks[MAX_COMMIT_HOOKS];
static size_t ncommit_hooks;
static pthread_mutex_t commit_hooks_lock = PTHREAD_MUTEX_INITIALIZER;

EXPORT int stf_on_commit(void (*fn)(void *arg), void *arg)
{
	int rc = 0;

	if (!fn) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&commit_hooks_lock);
	if (ncommit_hooks == MAX_COMMIT_HOOKS) {
		errno = ENOSPC;
		rc = -1;
	} else {
		commit_hooks[ncommit_hooks].fn = fn;
		commit_hooks[ncommit_hooks].arg = arg;
		ncommit_hooks++;
	}
	pthread_mutex_unlock(&commit_hooks_lock);
	return rc;
}

void stf__commit_run_hooks(void)
{
	pthread_mutex_lock(&commit_hooks_lock);
	size_t n = ncommit_hooks;
	pthread_mutex_unlock(&commit_hooks_lock);
	for (size_t i = 0; i < n; i++)
		commit_hooks[i].fn(commit_hooks[i].arg);
}

bool stf__commit_have_hooks(void)
{
	pthread_mutex_lock(&commit_hooks_lock);
	bool any = ncommit_hooks != 0;
	pthread_mutex_unlock(&commit_hooks_lock);
	return any;
}

void stf__commit_apply(void)
{
	/* Only now: the past version shares the epoll instances and keeps
	 * them as they were if the update rolls back. */
	stf__epoll_commit();
	stf__evloop_commit();
	/* P's dispositions are its master's: a worker keeps those its
	 * startup set (tree.h) */
	if (!stf__tree_parent())
		stf__signals_commit();
	stf__stderr_release();
	/* the transfer's working memory, freed, goes back to the system */
	malloc_trim(0);
	stf__avoid_release_unused();
}
