/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pthread key both versions' startups create with the same number for
 * different uses: version 1 keeps per-thread sessions behind its first
 * key; version 2's startup first creates a key for a new purpose (another
 * destructor), so the number version 1's key has (transferred in
 * session_key) is that new key's in the new process.  The update must
 * roll back naming the key (libstf/transfer/tsd.c), not let the two
 * purposes share one key. */
#include <pthread.h>
#include <stdlib.h>
#include "xt.h"

static pthread_key_t session_key;

static void session_gone(void *p)
{
	free(p);
}

static void init(void)
{
	pthread_setspecific(session_key, malloc(16));
}

int main(void)
{
	pthread_key_create(&session_key, session_gone);
	init();
	XT_V1_LOOP();
}
