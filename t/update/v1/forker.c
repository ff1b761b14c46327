/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program with a thread that forks all the time (t/update
 * update-forkquiesce.sh): the main thread loops through its update point,
 * the other forks a child that exits at once, in a loop without an update
 * point, so that a quiescence never completes and sweeps the threads
 * while one of them is inside fork().
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stf.h"

static long forks;

static void *forker(void *arg)
{
	(void)arg;
	for (;;) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, NULL, 0) == pid)
			forks++;
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, forker, NULL) != 0)
		return 1;
	for (;;) {
		stf_update_point();
		usleep(1000);
	}
}
