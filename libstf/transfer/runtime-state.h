/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtime-state.h - what the C runtime holds that the sweep of the new
 * startup's descriptors (startup.c) must tell apart from the program's
 * state (runtime-state.c).
 */
#ifndef STF_TRANSFER_RUNTIME_STATE_H
#define STF_TRANSFER_RUNTIME_STATE_H

#include <stdint.h>

/* On the calling thread's stack, where the C runtime's own frames above
 * the program's begin (main's caller: __libc_start_call_main), above
 * `from`; 0 if the unwinder finds none. */
uint64_t stf__runtime_frames_start(uint64_t from);

/* Each descriptor a stdio stream of this process reads or writes. */
void stf__stream_fds_each(void (*fn)(void *ctx, int fd), void *ctx);

#endif
