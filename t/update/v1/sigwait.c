/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program whose loops wait for signals, as master processes do: main in
 * sigsuspend, one thread in sigwaitinfo, one in pause, one in waitpid for
 * a child that does not end before the test does (the new version, not
 * its parent, gets ECHILD and waits a little; the child dies with the old
 * version).  Quiescence must interrupt each wait (none
 * would end by itself).  SIGUSR1 counts hits; when the file argv[1]
 * exists the count is written to argv[2].
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stf.h>

static volatile sig_atomic_t hits;
static pid_t child;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static void *sigwait_loop(void *arg)
{
	sigset_t set;
	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		stf_update_point();
		sigwaitinfo(&set, NULL);
	}
}

static void *pause_loop(void *arg)
{
	(void)arg;
	for (;;) {
		stf_update_point();
		pause();
	}
}

static void *waitpid_loop(void *arg)
{
	(void)arg;
	for (;;) {
		stf_update_point();
		if (waitpid(child, NULL, 0) < 0)
			usleep(100000);
	}
}

int main(int argc, char **argv)
{
	sigset_t block, none;
	pthread_t th;

	if (argc != 3)
		return 2;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	if (!stf_is_updating()) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);  /* gone with the test */
			execlp("sleep", "sleep", "60", (char *)NULL);
			_exit(127);
		}
		pthread_create(&th, NULL, sigwait_loop, NULL);
		pthread_create(&th, NULL, pause_loop, NULL);
		pthread_create(&th, NULL, waitpid_loop, NULL);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			FILE *out = fopen(argv[2], "w");
			if (out) {
				fprintf(out, "%d\n", (int)hits);
				fclose(out);
			}
			unlink(argv[1]);
		}
		sigsuspend(&none);
	}
}
