/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * backward.c - the backward transfer, F -> R: F transfers its state back
 * to the old types and pushes it into the reversed version R with
 * process_vm_writev; R allocates on F's request (reversed.c).
 */
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "scratch.h"
#include "xfer.h"

static int send_done(int conn, int status, const char *error)
{
	char buf[600];
	uint32_t st = (uint32_t)status, type, len;
	uint8_t *reply = stf__scratch(SCRATCH_DONE_REPLY);
	size_t n = strlen(error);
	if (!reply)
		return -1;
	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	memcpy(buf, &st, 4);
	memcpy(buf + 4, error, n);
	if (stf__msg_send(conn, M_DONE, buf, (uint32_t)(4 + n)) < 0 ||
	    stf__msg_recv(conn, &type, reply, &len) < 0 || type != M_OK)
		return -1;
	return 0;
}

static int write_remote(struct stf_xfer *x)
{
	uint8_t *buf = stf__scratch(SCRATCH_WRITE_REMOTE);
	struct stf_peer *dst = x->dst;
	size_t pos = 0;
	uint32_t type, len;

	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	/* validation mode: R zeroes the statics and locals first */
	for (size_t j = 0; j <= dst->nobjs; j++) {
		const struct stf_obj *d = j < dst->nobjs ? &dst->objs[j] : NULL;
		if (d && (!x->img[j] || stf__is_dynamic(d)))
			continue;
		if (!d || pos + 16 > MSG_MAX) {
			if (pos && (stf__msg_send(x->conn, M_ZERO, buf, (uint32_t)pos) < 0 ||
				    stf__msg_recv(x->conn, &type, buf, &len) < 0 || type != M_OK)) {
				stf__xfail(x, "backward transfer: the reversed version did not zero "
				      "its objects");
				return -1;
			}
			pos = 0;
			if (!d)
				break;
		}
		memcpy(buf + pos, &d->addr, 8);
		memcpy(buf + pos + 8, &d->size, 8);
		pos += 16;
	}
	/* straight from the images: a list of the writes would be fresh
	 * memory, 24 bytes per object */
	int rc = stf__peer_write(dst, x->img, dst->objs, dst->nobjs, x->rep->error,
				 sizeof(x->rep->error));
	if (rc < 0)
		x->failed = 1;
	return rc;
}

int stf__xfer_backward(int conn, pid_t rev_pid, uint64_t rev_root,
		       struct stf_xfer_report *rep)
{
	struct stf_peer src, dst;
	struct stf_parked_frame rframe;
	struct stf_xfer x;
	uint8_t *buf = stf__scratch(SCRATCH_BACKWARD);
	uint32_t type, len;
	double t0 = stf__now(), t1;
	int rc = -1, have_frame = 0;

	memset(rep, 0, sizeof(*rep));
	if (!buf) {
		snprintf(rep->error, sizeof(rep->error), "backward transfer: no memory for a "
			 "transfer message buffer");
		return -1;
	}
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memset(&x, 0, sizeof(x));
	if (stf__msg_send(conn, M_FRAME_REQ, NULL, 0) < 0 || stf__msg_recv(conn, &type, buf, &len) < 0 ||
	    type != M_FRAME || (len != 0 && len != sizeof(rframe))) {
		snprintf(rep->error, sizeof(rep->error), "backward transfer: no answer from "
			 "the reversed version (pid %d) on the transfer connection",
			 (int)rev_pid);
		return -1;
	}
	if (len) {
		memcpy(&rframe, buf, sizeof(rframe));
		have_frame = rframe.unit != 0;
	}
	stf__profile_mark(NULL);
	int opened = stf__peer_open(&src, getpid(), 0,
				    STF_PEER_STATICS | STF_PEER_DYNAMIC | STF_PEER_FRAMES,
				    stf__xfer_own_frame(), rep->error, sizeof(rep->error)) == 0 &&
		     stf__peer_fetch(&src, SRC_KINDS, rep->error, sizeof(rep->error)) == 0;
	stf__profile_mark("backward: catalog itself");
	opened = opened && stf__peer_open(&dst, rev_pid, rev_root,
					  STF_PEER_STATICS | STF_PEER_FRAMES,
					  have_frame ? &rframe : NULL, rep->error,
					  sizeof(rep->error)) == 0;
	stf__profile_mark("backward: catalog the reversed");
	/* F's threads speak R's labels: a thread parked in a function the
	 * new version renamed (rename19's worker, serve here) is the one
	 * parked under the old name there */
	opened = opened && stf__threads_pair(&dst, &src, STF_BACKWARD, rep->error,
					     sizeof(rep->error)) == 0;
	if (!opened) {
		send_done(conn, 1, rep->error);
		stf__peer_close(&src);
		stf__peer_close(&dst);
		return -1;
	}
	/* (the catalog is by address: each lookup starts where the last ended) */
	const struct stf_range *near = NULL;
	for (size_t k = 0; k < src.nobjs; k++) {
		struct stf_obj *o = &src.objs[k];
		const struct stf_range *r = stf__is_dynamic(o) ?
			stf__index_find_near(&stf__own_startup, o->addr, 0, &near) : NULL;
		if (r && r->start == o->addr && r->value == o->dyn_id)
			o->flags |= STF_OBJF_OWN;
	}
	t1 = stf__now();
	rep->seconds_metadata = t1 - t0;
	if (stf__xfer_init(&x, STF_BACKWARD, &src, &dst, rep) == 0) {
		x.conn = conn;
		int ok = stf__schedule(&x) == 0;
		stf__profile_mark("backward: pair and allocate");
		ok = ok && stf__transform_all(&x) == 0;
		/* every pointer is relocated: the writes' index takes the
		 * pages of our catalog's (fresh ones cost ~2 ns a byte) */
		stf__index_free(&src.index);
		stf__profile_mark("backward: transform");
		if (ok && write_remote(&x) == 0)
			rc = 0;
		stf__profile_mark("backward: write");
	}
	if (send_done(conn, rc, rc ? rep->error : "") < 0 && rc == 0) {
		snprintf(rep->error, sizeof(rep->error), "backward transfer: the reversed "
			 "version did not acknowledge the end of the transfer");
		rc = -1;
	}
	rep->seconds_transfer = stf__now() - t1;
	stf__xfer_fini(&x);
	stf__peer_close(&src);
	stf__peer_close(&dst);
	stf__peer_forget_files(); /* the last transfer of this process */
	stf__bulk_trim();
	stf__index_trim();
	stf__profile_mark("backward: done, clean up");
	return rc;
}
