/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forward.c - the forward transfer, P -> F: F reads the past version's
 * metadata and state (metadata.c), pairs, transforms and relocates into its
 * own objects, and plans the epoll relocation applied at commit.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "apr-pools.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "evloop.h"
#include "lib-restart.h"
#include "untyped.h"
#include "fault.h"
#include "remote.h"
#include "xfer.h"

/* epoll data words (see epoll.h): pointers into the past version's
 * objects move with them; descriptors and numbers stay. */
static int epoll_relocate(void *ctx, uint64_t data, uint64_t *out, char *err, size_t errlen)
{
	struct stf_xfer *x = ctx;

	if (!data || stf__not_a_pointer(data) || !stf__peer_find(x->src, data))
		return 1;
	if (stf__xfer_relocate(x, data, out) < 0) {
		snprintf(err, errlen, "%s", x->rep->error);
		return -1;
	}
	return 0;
}

int stf__xfer_forward(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep)
{
	struct stf_peer src, dst;
	struct stf_xfer x;
	double t0 = stf__now(), t1;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	stf__sub_end_moves_reset();
	stf__evloop_measure();
	stf__user_data_measure();
	stf__apr_measure();
	stf__profile_mark(NULL);
	int opened = stf__peer_open(&src, past_pid, past_root,
				    STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES, NULL,
				    rep->error, sizeof(rep->error)) == 0;
	char what[64];
	snprintf(what, sizeof(what), "forward: catalog the past, %u part%s", src.heap_parts,
		 src.heap_parts == 1 ? "" : "s");
	stf__profile_mark(what);
	opened = opened && stf__mark_direct(&src, rep->error, sizeof(rep->error)) == 0 &&
		 stf__peer_fetch(&src, SRC_KINDS, rep->error, sizeof(rep->error)) == 0;
	stf__profile_mark("forward: read the past");
	opened = opened && stf__peer_open(&dst, getpid(), 0,
					  STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES,
					  stf__xfer_own_frame(), rep->error,
					  sizeof(rep->error)) == 0;
	stf__profile_mark("forward: catalog itself");
	/* P's threads speak F's labels: a thread parked in the callback
	 * there is the one parked at the top of its loop here */
	if (!opened || stf__threads_pair(&dst, &src, STF_FORWARD, rep->error,
					 sizeof(rep->error)) < 0) {
		stf__peer_close(&src);
		stf__peer_close(&dst);
		return -1;
	}
	stf__index_reset(&stf__own_startup);
	stf__index_reset(&stf__fwd_mappings);
	stf__index_reset(&stf__fwd_mapping_from);
	stf__index_reset(&stf__fwd_new_elems);
	for (size_t k = 0; k < dst.nobjs; k++)
		if (stf__is_dynamic(&dst.objs[k]) && !(dst.objs[k].flags & STF_OBJF_INTERNAL))
			stf__index_add(&stf__own_startup, dst.objs[k].addr, dst.objs[k].size,
				       dst.objs[k].dyn_id);
	stf__index_sort(&stf__own_startup, NULL, NULL);
	size_t nstartup = dst.nobjs;
	t1 = stf__now();
	rep->seconds_metadata = t1 - t0;
	int ok = stf__xfer_init(&x, STF_FORWARD, &src, &dst, rep) == 0 && stf__schedule(&x) == 0;
	stf__profile_mark("forward: pair and allocate");
	if (ok)
		stf__note_overwritten_fds(&x);
	ok = ok && stf__transform_all(&x) == 0 && stf__claim_pthread_keys(&x) == 0;
	stf__profile_mark("forward: transform");
	if (ok && stf__carry_environ(&x) == 0 && stf__evloop_plan(&x) == 0 &&
	    stf__lib_threads_plan(&x) == 0 &&
	    stf__apply_protect(x.protect, x.nprotect, rep->error, sizeof(rep->error)) == 0 &&
	    stf__epoll_plan(epoll_relocate, &x, &rep->epoll, rep->error,
			    sizeof(rep->error)) == 0) {
		/* an updated process is as updatable as a fresh one: what the
		 * startup allocated and the transfer replaced goes */
		if (stf__free_startup(&x, nstartup) == 0)
			rc = 0;
		else
			snprintf(rep->error, sizeof(rep->error), "out of memory sweeping the new "
				 "version's startup objects");
	}
	stf__profile_mark("forward: free startup objects");
	stf__index_sort(&stf__fwd_mappings, NULL, NULL);
	stf__index_sort(&stf__fwd_mapping_from, NULL, NULL);
	stf__index_sort(&stf__fwd_new_elems, NULL, NULL);
	rep->seconds_transfer = stf__now() - t1;
	stf__xfer_fini(&x);
	stf__peer_close(&src);
	stf__peer_close(&dst);
	stf__profile_mark("forward: clean up");
	return rc;
}
