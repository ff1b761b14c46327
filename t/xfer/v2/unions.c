/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of unions.c: the same state; the numbers arrive unchanged and
 * the recursive mutex still works as one. */
#include <pthread.h>
#include "xt.h"

union handle {
	void *ptr;
	long fd;
};

static union handle handles[3];
static pthread_mutex_t lock;

static __attribute__((noinline)) void init(void)
{
	pthread_mutexattr_t a;

	for (long i = 0; i < 3; i++)
		handles[i].fd = 10 + i;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&lock, &a);
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (long i = 0; i < 3; i++)
		CHECK(handles[i].fd == 10 + i);
	/* recursive: locking twice must not deadlock */
	CHECK(pthread_mutex_lock(&lock) == 0);
	CHECK(pthread_mutex_trylock(&lock) == 0);
	CHECK(pthread_mutex_unlock(&lock) == 0);
	CHECK(pthread_mutex_unlock(&lock) == 0);
	XT_V2_RESULT();
}
