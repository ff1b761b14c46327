/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoll.h - epoll registrations whose data word points to state.
 *
 * INTERNAL.  Event-loop programs store a pointer to their connection
 * object in epoll_event.data; the kernel keeps that word for them, out of
 * reach of the state transfer.  The future version plans the relocation of
 * those words during the forward transfer and applies it at commit: the
 * epoll instance is shared with the past version (inherited descriptor),
 * which must find its registrations untouched if the update rolls back.
 */
#ifndef STF_EPOLL_H
#define STF_EPOLL_H

#include <stddef.h>
#include <stdint.h>

/* Relocate a data word: 0 and *out set when it pointed into the past
 * version's state, 1 when it is not a pointer to state (an fd, a number:
 * left alone), -1 when it cannot be relocated (message in err). */
typedef int (*stf_epoll_relocate_fn)(void *ctx, uint64_t data, uint64_t *out,
				     char *err, size_t errlen);

/* F, after the forward transfer: scan this process's epoll instances and
 * plan the new data words.  0 on success (possibly nothing to do). */
int stf__epoll_plan(stf_epoll_relocate_fn relocate, void *ctx, uint64_t *planned,
		    char *err, size_t errlen);
/* Call fn with the data word of every registration of every epoll
 * instance of this process (pointers the kernel holds for the program). */
void stf__epoll_data_each(void (*fn)(void *ctx, uint64_t data), void *ctx);
/* F, at commit: rewrite the planned registrations (EPOLL_CTL_MOD). */
void stf__epoll_commit(void);

#endif /* STF_EPOLL_H */
