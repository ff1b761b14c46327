/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * streams.c - stdio streams: a FILE libc allocated is re-created in the
 * destination on the same descriptor, with its mode, buffering and
 * pending output, not copied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio_ext.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "scratch.h"
#include "xfer.h"

/* ------------------------------------------------------------------ */
/* stdio streams: a FILE libc allocated is re-created, not copied.      */

/*
 * Re-create a stream of the other version in this process on the same
 * file descriptor (inherited), with its mode and buffering, and its
 * pending output put back into the buffer, not written: the file changes
 * only when the new owner flushes, after the commit; on a rollback this
 * process dies and the old version still holds the bytes.  NULL with a
 * message in err.  (A stream made before a failure is left open: closing
 * it would flush it, and the process is discarded anyway.)
 */
FILE *stf__stream_create(int fd, const char *mode, int buffering, const void *pending,
			   size_t n, char *err, size_t errlen)
{
	FILE *f = fdopen(fd, mode);
	if (!f) {
		snprintf(err, errlen, "cannot re-create the stdio stream on file descriptor "
			 "%d: fdopen(%d, \"%s\"): %s%s", fd, fd, mode, strerror(errno),
			 errno == EBADF ? " (not inherited by this version: was it opened "
			 "close-on-exec, fopen(path, \"...e\") or O_CLOEXEC?)" : "");
		return NULL;
	}
	/* full buffering allocates the buffer now, so its size is known
	 * before anything is put in it; other modes keep it */
	if (setvbuf(f, NULL, _IOFBF, 0) != 0 ||
	    (buffering != _IOFBF && setvbuf(f, NULL, buffering, 0) != 0)) {
		snprintf(err, errlen, "cannot set the buffering of the stdio stream "
			 "re-created on file descriptor %d", fd);
		return NULL;
	}
	if (!n)
		return f;
	if (buffering == _IONBF || n > __fbufsize(f)) {
		snprintf(err, errlen, "the %zu bytes of pending output of the stdio stream on "
			 "file descriptor %d do not fit in the re-created stream's buffer "
			 "(%zu bytes)", n, fd, buffering == _IONBF ? (size_t)0 : __fbufsize(f));
		return NULL;
	}
	/* all but the last byte, then the last: glibc's fwrite writes a
	 * whole buffer's worth directly to the file instead of buffering it */
	if (fwrite(pending, 1, n - 1, f) != n - 1 ||
	    fputc(((const unsigned char *)pending)[n - 1], f) == EOF || __fpending(f) != n) {
		snprintf(err, errlen, "the pending output of the stdio stream on file "
			 "descriptor %d could not be kept in the re-created stream's buffer "
			 "(%zu of %zu bytes there)", fd, __fpending(f), n);
		return NULL;
	}
	return f;
}

/* Is descriptor fd of process a the same open file as fd of process b
 * (inherited, not a number reused for something else)?  1 or 0. */
static int same_open_file(pid_t a, pid_t b, int fd)
{
	long r = syscall(SYS_kcmp, a, b, KCMP_FILE, fd, fd);
	if (r >= 0 || errno != ENOSYS)
		return r == 0;
	/* a kernel without kcmp: at least the same file */
	char pa[64], pb[64];
	struct stat sa, sb;
	snprintf(pa, sizeof(pa), "/proc/%d/fd/%d", (int)a, fd);
	snprintf(pb, sizeof(pb), "/proc/%d/fd/%d", (int)b, fd);
	return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Ask R to re-create a stream (M_STREAM); its address in *addr. */
static int remote_stream(struct stf_xfer *x, const struct stf_stream *st,
			 const uint8_t *pending, uint64_t *addr)
{
	uint8_t *buf = stf__scratch(SCRATCH_STREAM);
	int32_t fd = st->fd, buffering = st->buffering;
	uint32_t type, len;

	if (!buf) {
		stf__xfail(x, "no memory for a transfer message buffer");
		return -1;
	}
	if (12 + st->pending > MSG_MAX) {
		stf__xfail(x, "%s: the stdio stream on file descriptor %d holds %" PRIu64 " bytes "
		      "of pending output, more than the transfer connection carries at once "
		      "(%u); re-creating it is not implemented", stf__cur_path(x), st->fd,
		      st->pending, MSG_MAX - 12);
		return -1;
	}
	memcpy(buf, &fd, 4);
	memcpy(buf + 4, &buffering, 4);
	memcpy(buf + 8, st->mode, 4);
	if (st->pending)
		memcpy(buf + 12, pending, st->pending);
	if (stf__msg_send(x->conn, M_STREAM, buf, (uint32_t)(12 + st->pending)) < 0 ||
	    stf__msg_recv(x->conn, &type, buf, &len) < 0) {
		stf__xfail(x, "backward transfer: connection to the reversed version lost while "
		      "re-creating a stdio stream: %s", strerror(errno));
		return -1;
	}
	if (type == M_ERROR) {
		stf__xfail(x, "%s: reversed version: %.*s", stf__cur_path(x), (int)len, (const char *)buf);
		return -1;
	}
	if (type != M_ADDRS || len != 8) {
		stf__xfail(x, "backward transfer: malformed reply from the reversed version");
		return -1;
	}
	memcpy(addr, buf, 8);
	return 0;
}

/* The destination's stream for the source's stream object i, made on the
 * first pointer to it (the pairing keeps it: one stream however many
 * pointers). */
int64_t stf__stream_target(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	struct stf_stream st;
	char on[256], err[512];
	uint64_t addr = 0;

	p->dst = PAIR_NONE;
	stf__obj_name(o, on, sizeof(on));
	if (stf__peer_stream(x->src, o->addr, &st) < 0) {
		stf__xfail(x, "%s: points to %s, taken for a stdio stream (FILE *), but no "
		      "stdio stream is there (%s)", stf__cur_path(x), on, strerror(errno));
		return -1;
	}
	if (st.wide) {
		stf__xfail(x, "%s: points to a wide-oriented stdio stream (%s, file descriptor "
		      "%d); re-creating wide streams is not implemented", stf__cur_path(x), on,
		      st.fd);
		return -1;
	}
	if (!st.file) {
		stf__xfail(x, "%s: points to a stdio stream (%s) that is not on a file "
		      "descriptor of its own (popen, fmemopen, open_memstream or "
		      "fopencookie made it); re-creating such streams is not implemented",
		      stf__cur_path(x), on);
		return -1;
	}
	if (st.unread) {
		stf__xfail(x, "%s: points to a stdio stream (%s, file descriptor %d, mode \"%s\") "
		      "holding %" PRIu64 " bytes of buffered input not read yet: the new "
		      "version's stream cannot get them without moving the file offset the "
		      "old version shares, which a rollback would find moved; read the "
		      "input to the end of the buffer before the update point, or make the "
		      "stream unbuffered (setvbuf(f, NULL, _IONBF, 0))", stf__cur_path(x), on,
		      st.fd, st.mode, st.unread);
		return -1;
	}
	if (!same_open_file(x->src->pid, x->dst->pid, st.fd)) {
		stf__xfail(x, "%s: points to a stdio stream (%s) on file descriptor %d, which "
		      "the %s version did not inherit (was it opened close-on-exec, "
		      "fopen(path, \"...e\") or O_CLOEXEC?); re-creating the stream needs "
		      "the same open file", stf__cur_path(x), on, st.fd,
		      x->dir == STF_FORWARD ? "new" : "reversed");
		return -1;
	}
	uint8_t *pending = st.pending ? stf__arena_alloc(x->arena, st.pending) : NULL;
	if (st.pending && (!pending ||
			   stf__peer_read(x->src, st.pending_addr, pending, st.pending) < 0)) {
		stf__xfail(x, "%s: cannot read the %" PRIu64 " bytes of pending output of the "
		      "stdio stream %s (file descriptor %d)", stf__cur_path(x), st.pending, on, st.fd);
		return -1;
	}
	if (x->dst->self) {
		FILE *f = stf__stream_create(st.fd, st.mode, st.buffering, pending, st.pending,
					err, sizeof(err));
		if (!f) {
			stf__xfail(x, "%s: %s", stf__cur_path(x), err);
			return -1;
		}
		addr = (uint64_t)(uintptr_t)f;
	} else if (remote_stream(x, &st, pending, &addr) < 0) {
		return -1;
	}
	struct stf_obj d = *o;
	d.addr = addr;
	d.unit = NULL;
	d.bytes = NULL;
	int64_t j = stf__dst_add(x, &d);
	if (j < 0) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	p->dst = j;
	p->dst_addr = addr;
	p->same = 1; /* the same libc: a member of the FILE is where it was */
	return j;
}
