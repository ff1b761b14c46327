/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A master/worker server whose tree shares three kinds of memory, made in
 * its one-time initialization (t/update update-shm.sh): a shared anonymous
 * mapping, a SysV segment (shmget, shmat, then IPC_RMID as servers do so
 * that it goes with the last process) and POSIX shared memory (shm_open
 * of argv[2], mmap MAP_SHARED).  The master forks 2 workers at startup and
 * waits in sigsuspend; each request counts in all three.
 *
 * Protocol, one line per connection: any line gets "vN anon A sysv S posix
 * P shmid I" (the three counts after this request, the segment's id).
 * -DVERSION=2 changes nothing shared; -DCHANGE_ANON, -DCHANGE_SYSV and
 * -DCHANGE_POSIX add a member to the struct that lives in that memory.
 * -DNO_ANON keeps the "anon" count in the POSIX memory instead (a tree
 * that needs no privilege to be updated); -DUNLINK_POSIX unlinks the
 * POSIX name once mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stf.h"
#include "../listener.h"

#ifndef VERSION
#define VERSION 1
#endif

struct anon_counts {
	long requests;
#ifdef CHANGE_ANON
	long added;
#endif
};
struct sysv_counts {
	long requests;
#ifdef CHANGE_SYSV
	long added;
#endif
};
struct posix_counts {
	long requests;
#ifdef CHANGE_POSIX
	long added;
#endif
};

static struct anon_counts *anon;
static struct sysv_counts *sysv;
static struct posix_counts *posix;
static int shmid = -1, lfd = -1;
static pid_t workers[2];
static volatile sig_atomic_t got_term;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; }

static void worker(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		char buf[64], out[128];
		ssize_t n;

		stf_update_point();
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;  /* EINTR: to the update point */
		do
			n = read(c, buf, sizeof buf);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			int len = snprintf(out, sizeof out, "v%d anon %ld sysv %ld posix %ld shmid %d\n",
					   VERSION, __atomic_add_fetch(&anon->requests, 1, __ATOMIC_SEQ_CST),
					   __atomic_add_fetch(&sysv->requests, 1, __ATOMIC_SEQ_CST),
					   __atomic_add_fetch(&posix->requests, 1, __ATOMIC_SEQ_CST), shmid);
			if (write(c, out, (size_t)len) < 0)
				perror("write");
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	sigset_t block, none;

	if (argc < 3)
		return 2;
	if (!stf_is_updating()) {
		int fd;

		lfd = listen_at("shm", argv[1], SOCK_STREAM, 128);
#ifndef NO_ANON
		anon = mmap(NULL, sizeof *anon, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
#endif
		shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		sysv = shmid < 0 ? (void *)-1 : shmat(shmid, NULL, 0);
		if (shmid >= 0)
			shmctl(shmid, IPC_RMID, NULL);  /* gone with the last process */
		fd = shm_open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (anon == MAP_FAILED || sysv == (void *)-1 || fd < 0 || ftruncate(fd, 4096) < 0) {
			perror("shared memory");
			return 1;
		}
		posix = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (posix == MAP_FAILED)
			return 1;
#ifdef NO_ANON
		anon = (struct anon_counts *)((char *)posix + 2048);
#endif
#ifdef UNLINK_POSIX
		shm_unlink(argv[2]);
#endif
	}
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGCHLD, on_chld);
	signal(SIGTERM, on_term);
	for (int k = 0; k < 2; k++)
		if ((workers[k] = fork()) == 0)
			worker();
	sigemptyset(&none);
	for (;;) {
		stf_update_point();
		sigsuspend(&none);
		if (got_term) {
			for (int k = 0; k < 2; k++)
				kill(workers[k], SIGTERM);
			for (int k = 0; k < 2; k++)
				waitpid(workers[k], NULL, 0);
			shm_unlink(argv[2]);
			return 0;
		}
	}
}
