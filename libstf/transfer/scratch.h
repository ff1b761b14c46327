/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scratch.h - the transfer's per-thread message buffers, mapped on first
 * use.
 *
 * They used to be `static __thread` arrays: glibc gives every thread of
 * every instrumented program a copy of libstf's static TLS and zeroes it,
 * so ~0.8 MiB of buffers that only the thread running a transfer step
 * uses were touched in each program thread.  Now a thread holds one
 * pointer; the buffers of a thread are one mapping made when it first
 * asks, whose pages are touched only as the buffers are used, and which
 * stf__scratch_release() returns after a transfer step.
 */
#ifndef STF_SCRATCH_H
#define STF_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

/* One buffer per use, as each had its own array: a function's buffer may
 * be live while it calls another one's (stf__msg_send inside a loop
 * filling a request, a reply read while requests are queued). */
enum stf_scratch_use {
	SCRATCH_MSG_SEND,        /* wire.c: header + payload of a message */
	SCRATCH_MSG_RECV,        /* wire.c: a datagram read whole */
	SCRATCH_ALLOC_REPLY,     /* pairing.c: R's addresses of allocated objects */
	SCRATCH_ALLOC_REQUEST,   /* pairing.c: allocation requests to R */
	SCRATCH_SUB_REGISTER,    /* subobjects.c: sub-objects for R to register */
	SCRATCH_SERVE_ALLOC,     /* reversed.c: addresses R allocated */
	SCRATCH_SERVE,           /* reversed.c: F's requests */
	SCRATCH_STREAM,          /* streams.c: a stdio stream for R */
	SCRATCH_SLAB_FIND,       /* slots.c: R's slab of a site */
	SCRATCH_SLAB_PLACE,      /* slots.c: slab objects for R to allocate */
	SCRATCH_SERVE_SLOTS,     /* slots.c: addresses R's slab handed out */
	SCRATCH_DONE_REPLY,      /* backward.c: R's answer to M_DONE */
	SCRATCH_WRITE_REMOTE,    /* backward.c: writes and zeroing for R */
	SCRATCH_BACKWARD,        /* backward.c: the backward step's messages */
	SCRATCH_USES
};

/* Every buffer holds this many bytes: a message header and MSG_MAX bytes
 * of payload, with room to spare. */
#define SCRATCH_BYTES (65536u + 4096u)

/* The calling thread's buffer for `use` (SCRATCH_BYTES bytes, 64-byte
 * aligned); NULL with errno ENOMEM if it cannot be mapped.  Not for
 * signal handlers (the first call maps). */
void *stf__scratch(enum stf_scratch_use use);

/* Unmap the calling thread's buffers (none of them may be in use); the
 * next stf__scratch maps them again. */
void stf__scratch_release(void);

#endif /* STF_SCRATCH_H */
