/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * counter, version 1: a tiny line server on a UNIX socket, the program
 * t/update updates.  One request per connection:
 *   add K V   store V under K (a heap list)        -> "ok"
 *   fill N    store N more items                    -> "ok"
 *   get K     the value stored under K              -> V or "none"
 *   sum       sum of the values, items, requests    -> "S N R"
 *   version   this program's version                -> "1"
 * State: a linked list of heap items, globals, a function-local static and
 * the locals of the event loop (listening descriptor, request count), which
 * are transferred with the frame of its update point.  Built with
 * -DEXIT_IN_UPDATE it exits during startup (status 3, saying why on
 * stderr) when started as the new version of an update, with -DABORT_AS_REVERSED it aborts when started as the
 * reversed version, with -DSLOW_REVERSED_START it starts a second later
 * then; with -DCLOSE_ALL_FDS=HOW it closes every descriptor but
 * its listener once listening (HOW: 1 close() in a loop, 2 close_range,
 * 3 closefrom, 4 the raw close system call) and makes a connected socket
 * pair, whose first end takes the lowest free number ("pending" tells how
 * many bytes arrived at the other end); with -DCLOSE_AT_EVERY_START it
 * closes every descriptor but 0-2 at every start, before listening (in
 * update mode too, as dnsmasq does); with
 * -DZERO_IS_NONE it never answers a connection accepted as descriptor 0
 * (as servers that keep 0 for "no connection"); with -DCLOEXEC_LISTENER
 * its listening socket is close-on-exec (as sshd's); with
 * -DDROP_PRIVILEGES it becomes user nobody once
 * listening, like a daemon started as root; with -DSTUCK_THREAD it runs a
 * thread that never reaches
 * an update point, so it can never be quiesced; with -DON_COMMIT an
 * after-commit hook (stf_on_commit) rebuilds derived state, an index of
 * the keys in a heap array, and counts the commits ("derived" answers
 * "INDEXED COMMITS UPDATING-IN-HOOK"); with -DSTARTUP_DEFAULTS its
 * startup, in every start, makes a default item the head of the list (the
 * transfer replaces the list, and so orphans the new version's default).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

#ifndef VERSION
#define VERSION 1
#endif

struct item {
	int key;
	int value;
	struct item *next;
};

static struct item *items;
static int nitems;
char last_cmd[16];

#ifdef CLOSE_AT_EVERY_START
#include <dirent.h>
#endif
#ifdef CLOSE_ALL_FDS
#include <sys/syscall.h>
static int pair_end = -1;  /* the other end of the socket taking number 0 */
#if CLOSE_ALL_FDS == 4
#define CLOSE_ONE(fd) syscall(SYS_close, (fd))
#else
#define CLOSE_ONE(fd) close(fd)
#endif
#endif

#ifdef ON_COMMIT
static int *key_index;            /* derived from items: rebuilt at commit */
static int nindexed, commits, hook_saw_updating = -1;

static void rebuild_index(void *arg)
{
	(void)arg;
	free(key_index);
	key_index = malloc((size_t)(nitems + 1) * sizeof *key_index);
	nindexed = 0;
	for (struct item *it = items; it; it = it->next)
		key_index[nindexed++] = it->key;
	commits++;
	hook_saw_updating = stf_is_updating();
}
#endif

static int requests(void)
{
	static int count;
	return ++count;
}

static void handle(int c, int *nreq)
{
	char buf[256], out[256];
	int k, v;

	if (read_request(c, buf, sizeof buf) <= 0)
		return;
	*nreq = requests();
	snprintf(last_cmd, sizeof last_cmd, "%.15s", buf);
	if (sscanf(buf, "add %d %d", &k, &v) == 2) {
		struct item *it = malloc(sizeof *it);
		it->key = k;
		it->value = v;
		it->next = items;
		items = it;
		nitems++;
		snprintf(out, sizeof out, "ok\n");
	} else if (sscanf(buf, "fill %d", &k) == 1) {
		for (int i = 0; i < k; i++) {
			struct item *it = malloc(sizeof *it);
			it->key = 1000000 + i;
			it->value = i;
			it->next = items;
			items = it;
			nitems++;
		}
		snprintf(out, sizeof out, "ok\n");
	} else if (sscanf(buf, "get %d", &k) == 1) {
		struct item *it = items;
		while (it && it->key != k)
			it = it->next;
		if (it)
			snprintf(out, sizeof out, "%d\n", it->value);
		else
			snprintf(out, sizeof out, "none\n");
	} else if (strncmp(buf, "sum", 3) == 0) {
		long s = 0;
		for (struct item *it = items; it; it = it->next)
			s += it->value;
		snprintf(out, sizeof out, "%ld %d %d\n", s, nitems, *nreq);
#ifdef CLOSE_ALL_FDS
	} else if (strncmp(buf, "pending", 7) == 0) {
		char junk[512];
		ssize_t got = recv(pair_end, junk, sizeof junk, MSG_DONTWAIT | MSG_PEEK);
		snprintf(out, sizeof out, "%zd\n", got < 0 ? (ssize_t)0 : got);
#endif
#ifdef ON_COMMIT
	} else if (strncmp(buf, "derived", 7) == 0) {
		snprintf(out, sizeof out, "%d %d %d\n", nindexed, commits, hook_saw_updating);
#endif
	} else if (strncmp(buf, "version", 7) == 0) {
		snprintf(out, sizeof out, "%d\n", VERSION);
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(c, out);
}

#ifdef STUCK_THREAD
static void *stuck(void *arg)
{
	for (;;)
		pause();
	return arg;
}
#endif

#ifdef IDLE_WORKER
/* A worker waiting on a semaphore for jobs that never come: blocked in a
 * futex wait, which quiescence does not interrupt (a condition variable
 * would be a wait point). */
#include <semaphore.h>
static sem_t jobs;

static void *idle_worker(void *arg)
{
	for (;;) {
		stf_update_point();
		while (sem_wait(&jobs) < 0 && errno == EINTR)
			;
	}
	return arg;
}
#endif

/* The event loop; its locals (lfd, nreq) are transferred with the frame
 * of its update point. */
static int serve(int lfd)
{
	int nreq = 0;

	for (;;) {
		stf_update_point();
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("counter: accept");
			return 1;
		}
#ifdef ZERO_IS_NONE
		/* as servers keeping "no connection" as 0 do: never answered */
		if (c == 0)
			continue;
#endif
		handle(c, &nreq);
		close(c);
	}
}

int main(int argc, char **argv)
{
	int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: counter SOCKET\n");
		return 2;
	}
#ifdef EXIT_IN_UPDATE
	if (stf_is_updating()) {
		fprintf(stderr, "counter: cannot start as a new version: no config\n");
		exit(3);
	}
#endif
#ifdef ABORT_AS_REVERSED
	if (stf_role() == STF_ROLE_REVERSED)
		abort();
#endif
#ifdef SLOW_REVERSED_START
	if (stf_role() == STF_ROLE_REVERSED)
		sleep(1);
#endif
#ifdef STARTUP_DEFAULTS
	items = malloc(sizeof *items);
	items->key = -1;
	items->value = 0;
	items->next = NULL;
	nitems = 1;
#endif
#ifdef ON_COMMIT
	if (stf_on_commit(rebuild_index, NULL) < 0) {
		perror("counter: stf_on_commit");
		return 1;
	}
#endif
#ifdef CLOSE_AT_EVERY_START
	/* as dnsmasq, in every start (also the new version's, which runs in
	 * update mode): every descriptor but 0-2, listed in /proc/self/fd */
	DIR *dir = opendir("/proc/self/fd");
	for (struct dirent *e; dir && (e = readdir(dir));)
		if (atoi(e->d_name) > 2 && atoi(e->d_name) != dirfd(dir))
			close(atoi(e->d_name));
	if (dir)
		closedir(dir);
#endif
	if (!stf_is_updating()) {
#ifdef CLOEXEC_LISTENER
		lfd = listen_at("counter", argv[1], SOCK_STREAM | SOCK_CLOEXEC, 16); /* as sshd does */
#else
		lfd = listen_at("counter", argv[1], SOCK_STREAM, 16);
#endif
#ifdef CLOSE_ALL_FDS
		/* as classic daemons do: every descriptor but the listener
		 * (and the output, kept for the test's logs), libstf's control
		 * connection included; a connected socket then takes the
		 * lowest free number, where libstf must never write */
		for (int fd = 0; fd < 3; fd++)
			if (fd != lfd && fd != 1 && fd != 2)
				close(fd);
#if CLOSE_ALL_FDS == 2
		close_range(3, (unsigned)lfd - 1, 0);
		close_range((unsigned)lfd + 1, ~0U, 0);
#elif CLOSE_ALL_FDS == 3
		for (int fd = 3; fd < lfd; fd++)
			close(fd);
		closefrom(lfd + 1);
#else
		for (int fd = 3; fd < 1024; fd++)
			if (fd != lfd)
				CLOSE_ONE(fd);
#endif
		int pair[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
			perror("counter: socketpair");
			return 1;
		}
		pair_end = pair[1];
#endif
#ifdef DROP_PRIVILEGES
		/* as daemons do once their socket is bound: for good, and
		 * so no longer dumpable */
		chmod(argv[1], 0666);
		if (setgid(65534) < 0 || setuid(65534) < 0) {
			perror("counter: dropping privileges");
			return 1;
		}
#endif
	}
#ifdef STUCK_THREAD
	pthread_t th;
	pthread_create(&th, NULL, stuck, NULL);
#endif
#ifdef IDLE_WORKER
	pthread_t wth;
	sem_init(&jobs, 0, 0);
	pthread_create(&wth, NULL, idle_worker, NULL);
#endif
	return serve(lfd);
}
