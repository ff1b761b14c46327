/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unions with a pointer member and no annotation that hold no pointer
 * value: a number in the union of a descriptor and a pointer, and a used
 * (locked and unlocked) recursive pthread_mutex_t, whose kind word is not
 * zero.  Nothing in them can be a stale pointer: they travel as they are. */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
