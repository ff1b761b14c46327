/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of keyclash (see v1/keyclash.c): a key for a new purpose is
 * created before session_key. */
#include <pthread.h>
#include <stdlib.h>
#include "xt.h"

static pthread_key_t session_key, trace_key;

static void session_gone(void *p)
{
	free(p);
}

static void trace_gone(void *p)
{
	(void)p;
}

static void init(void)
{
	pthread_setspecific(session_key, malloc(16));
}

int main(void)
{
	pthread_key_create(&trace_key, trace_gone);
	pthread_key_create(&session_key, session_gone);
	XT_V2_RECEIVE(init);
	CHECK(pthread_getspecific(session_key) != NULL);
	XT_V2_RESULT();
}
