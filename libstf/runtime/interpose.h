/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * interpose.h - libstf's own definitions of C library functions
 * (bind, unlink, pthread_create, syscall) call the C library's.
 *
 * INTERNAL.  libstf is loaded before the C library, so the program's and
 * its libraries' calls of these functions come to libstf first; the C
 * library's function is the next definition of the name.
 */
#ifndef STF_INTERPOSE_H
#define STF_INTERPOSE_H

#include <stdint.h>

/* The next definition of name after libstf's, looked up on the first call
 * and kept in *cache; NULL if there is none. */
void *stf__next_fn(void *_Atomic *cache, const char *name);

/* The next definition of name, as a pointer of function type `type`. */
#define STF_NEXT_FN(type, name)                                                  \
	({                                                                       \
		static void *_Atomic cache_;                                     \
		(type)(uintptr_t)stf__next_fn(&cache_, name);                    \
	})

#endif /* STF_INTERPOSE_H */
