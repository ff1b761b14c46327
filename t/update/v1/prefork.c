/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A pre-forked master/worker server written the usual way (t/update
 * update-tree.sh): the master binds and creates a shared anonymous mapping
 * in its one-time initialization, forks NWORKERS workers at startup, keeps
 * their pids in a table, reaps and restarts them from a sigsuspend loop
 * and stops them on SIGTERM.  The workers share the listening socket; each
 * keeps a private count and sum of the numbers it was sent (heap), the
 * whole tree counts requests in the shared mapping and the numbers served
 * in a scoreboard file (argv[2]) mapped MAP_SHARED by the master; each
 * worker also counts what it served in a shared anonymous mapping and in
 * a SysV segment (removed once attached) of its own, made after its fork.  -DVERSION=2 changes
 * the type of the master's and the workers' state (int -> long long, a
 * member added);
 * -DCRASH_WORKER=K makes worker K of a new version crash in its startup;
 * -DNWORKERS=N forks another number of workers; -DSLOW_RESTART makes a
 * restarted worker's startup take a second (a slow worker init);
 * -DINT_TABLE keeps the master's table in plain ints, not pid_t;
 * -DACCEPT_MUTEX makes the workers take turns at accept() under a robust
 * process-shared mutex in the shared mapping (Apache's accept mutex; a
 * worker killed holding it hands it on).
 *
 * Protocol, one line per connection: "N" adds N to the worker's sum;
 * "pids" returns the master's table (the shared mapping's copy of it,
 * which the master refreshes on every loop).  Every reply names the
 * version, the worker and the shared totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#ifndef NWORKERS
#define NWORKERS 3
#endif

struct shared {
	long requests;            /* by every worker of every version */
	long restarts;            /* workers the master restarted */
	pid_t table[NWORKERS];    /* the master's table, for "pids" */
	pid_t master;
	long started;             /* the master's count, for "pids" */
	pthread_mutex_t accept_lock; /* -DACCEPT_MUTEX */
};

#if VERSION == 2
struct mstate {
	long long started;       /* workers the master started */
	int version_seen;
};

struct wstate {
	long long served;
	long long sum;
	int version_seen;
};
#else
struct mstate {
	int started;
};

struct wstate {
	int served;
	int sum;
};
#endif

struct board {
	long served;              /* numbers served by every worker */
};

static struct shared *shm;
static struct board *board;      /* the scoreboard file, MAP_SHARED */
static long *own;                /* a worker's own shared mapping */
static long *seg;                /* ... and its own SysV segment */
static int lfd = -1;
#ifdef INT_TABLE
static int workers[NWORKERS];    /* the master's table, plain ints */
#else
static pid_t workers[NWORKERS];  /* the master's table */
#endif
static struct mstate *ms;        /* the master's own state */
static struct wstate *ws;        /* a worker's own state */
static int my_number = -1;       /* a worker's index */
static volatile sig_atomic_t got_chld, got_term;
static int restarting;           /* the master restarts a worker */

static void on_chld(int sig) { (void)sig; got_chld = 1; }
static void on_term(int sig) { (void)sig; got_term = 1; }

static void serve(int c)
{
	char buf[64], out[96 + 12 * NWORKERS];
	ssize_t n;
	long total;

	do  /* a signal (the quiescence's kick too) interrupts the read */
		n = read(c, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return;
	buf[n] = '\0';
	total = __atomic_add_fetch(&shm->requests, 1, __ATOMIC_SEQ_CST);
	if (strncmp(buf, "pids", 4) == 0) {
		n = snprintf(out, sizeof out, "v%d master %d workers", VERSION, (int)shm->master);
		for (int k = 0; k < NWORKERS; k++)
			n += snprintf(out + n, sizeof out - (size_t)n, " %d", (int)shm->table[k]);
		snprintf(out + n, sizeof out - (size_t)n, " restarts %ld started %ld\n", shm->restarts,
			 shm->started);
	} else {
		ws->served++;
		ws->sum += atol(buf);
		++*own;
		++*seg;
		snprintf(out, sizeof out, "v%d worker %d pid %d served %lld sum %lld requests %ld "
			 "own %ld board %ld seg %ld\n", VERSION, my_number, (int)getpid(),
			 (long long)ws->served, (long long)ws->sum, total, *own,
			 __atomic_add_fetch(&board->served, 1, __ATOMIC_SEQ_CST), *seg);
	}
	if (write(c, out, strlen(out)) < 0)
		return;
}

static void worker(int k)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	my_number = k;
	ws = calloc(1, sizeof *ws);
	if (!stf_is_updating()) {  /* the new version's has the old one's */
		own = mmap(NULL, sizeof *own, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		seg = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
		if (own == MAP_FAILED || seg == (void *)-1)
			abort();
		shmctl(id, IPC_RMID, NULL);  /* gone with its last process */
	}
#ifdef SLOW_RESTART
	if (restarting)
		sleep(1);  /* (an update's quiescence may cut it short) */
#endif
#ifdef CRASH_WORKER
	/* a new version whose worker CRASH_WORKER dies in its startup */
	if (k == CRASH_WORKER && stf_is_updating())
		abort();
#endif
	for (;;) {
		stf_update_point();
#ifdef ACCEPT_MUTEX
		if (pthread_mutex_lock(&shm->accept_lock) == EOWNERDEAD)
			pthread_mutex_consistent(&shm->accept_lock);
#endif
		int c = accept(lfd, NULL, NULL);
#ifdef ACCEPT_MUTEX
		pthread_mutex_unlock(&shm->accept_lock);
#endif
		if (c < 0)
			continue;  /* EINTR: to the update point */
		serve(c);
		close(c);
	}
}

static pid_t start_worker(int k)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(k);
	ms->started++;
	return pid;
}

int main(int argc, char **argv)
{
	sigset_t block, none;

	if (argc < 3)
		return 2;
	if (!stf_is_updating()) {
		lfd = listen_at("prefork", argv[1], SOCK_STREAM, 128);
		shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (shm == MAP_FAILED || fd < 0 || ftruncate(fd, 4096) < 0)
			return 1;
		pthread_mutexattr_t shared_attr;
		pthread_mutexattr_init(&shared_attr);
		pthread_mutexattr_setpshared(&shared_attr, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&shared_attr, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&shm->accept_lock, &shared_attr);
		board = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (board == MAP_FAILED)
			return 1;
	}
	ms = calloc(1, sizeof *ms);  /* (the transfer replaces the new version's) */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGCHLD, on_chld);
	signal(SIGTERM, on_term);
	for (int k = 0; k < NWORKERS; k++)
		workers[k] = start_worker(k);
	sigemptyset(&none);
	for (;;) {
		stf_update_point();
		shm->master = getpid();
		shm->started = (long)ms->started;
		memcpy(shm->table, workers, sizeof workers);
		sigsuspend(&none);
		if (got_term) {
			for (int k = 0; k < NWORKERS; k++)
				kill(workers[k], SIGTERM);
			for (int k = 0; k < NWORKERS; k++)
				waitpid(workers[k], NULL, 0);
			return 0;
		}
		if (got_chld) {
			pid_t pid;

			got_chld = 0;
			while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
				for (int k = 0; k < NWORKERS; k++)
					if (workers[k] == pid) {
						restarting = 1;
						workers[k] = start_worker(k);
						shm->restarts++;
					}
		}
	}
}
