/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rebind.h - the new version's startup binds the sockets it inherited.
 *
 * INTERNAL.  F and R inherit every descriptor of P, its listening sockets
 * among them; their startup, run unguarded, creates its sockets again and
 * binds them to the same addresses, which fails (EADDRINUSE) while P holds
 * them.  During the startup (stf__in_startup) libstf's bind() gives such a
 * socket the inherited one instead (dup2 onto the program's descriptor),
 * and its unlink() leaves the path of an inherited UNIX socket in place.
 * P's descriptors are never touched; the state transferred names P's
 * numbers, the rebound ones are the startup's.
 */
#ifndef STF_REBIND_H
#define STF_REBIND_H

#include <stdbool.h>

/* F, R at start: remember the inherited sockets a startup may bind again
 * (listening stream sockets, bound datagram sockets). */
void stf__rebind_note(void);

/* F, R: is fd a descriptor the startup's bind() made a duplicate of an
 * inherited socket?  Closing it closes no socket (P's number holds it);
 * transfer/startup-fds.c closes it unless the memory kept names it. */
bool stf__rebind_dup(int fd);

/* Is there one? */
bool stf__rebind_any_dup(void);

#endif /* STF_REBIND_H */
