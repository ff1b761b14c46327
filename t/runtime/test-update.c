/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of update points, roles and quiescence (libstf/update.c),
 * with real threads blocked in real system calls on real sockets.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "root.h"
#include "stf-format.h"
#include "stf.h"
#include "update.h"
#include "wait.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A worker runs an event loop of one kind; `rounds` counts iterations. */
enum kind { K_EPOLL, K_ACCEPT, K_POLL, K_SELECT, K_RECV, K_SLEEP, K_BUSY, K_PIPE_READ, K_EXCLUDED };
struct worker {
	enum kind kind;
	pthread_t thread;
	_Atomic pid_t tid;
	_Atomic long rounds;
	_Atomic int saw_eintr;
	bool loops;  /* its function holds an update point, as the plugin marks */
	int fds[2];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	char c;
	int ep = -1, lsn = -1;
	if (w->kind == K_EPOLL) {
		ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN };
		epoll_ctl(ep, EPOLL_CTL_ADD, w->fds[0], &ev);
	}
	if (w->kind == K_ACCEPT) {
		lsn = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		/* abstract address, unique per test process */
		snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "ttst-test-%d-%p", (int)getpid(), (void *)w);
		ck_assert_int_eq(bind(lsn, (struct sockaddr *)&sa, sizeof sa), 0);
		ck_assert_int_eq(listen(lsn, 4), 0);
	}
	if (w->loops)
		stf__looping_thread();  /* what the plugin inserts on entry */
	if (w->kind == K_EXCLUDED) {
		stf__quiesce_exclude_self();
		ssize_t r = read(w->fds[0], &c, 1);
		(void)r;
		return NULL;
	}
	for (;;) {
		stf_update_point();
		atomic_fetch_add(&w->rounds, 1);
		int r = 0;
		switch (w->kind) {
		case K_EPOLL: {
			struct epoll_event ev;
			r = epoll_wait(ep, &ev, 1, -1);
			break;
		}
		case K_ACCEPT:
			r = accept(lsn, NULL, NULL);
			break;
		case K_POLL: {
			struct pollfd p = { .fd = w->fds[0], .events = POLLIN };
			r = poll(&p, 1, -1);
			break;
		}
		case K_SELECT: {
			fd_set rs;
			FD_ZERO(&rs);
			FD_SET(w->fds[0], &rs);
			r = select(w->fds[0] + 1, &rs, NULL, NULL, NULL);
			break;
		}
		case K_RECV:
			r = (int)recv(w->fds[0], &c, 1, 0);
			break;
		case K_SLEEP: {
			struct timespec ts = { 100, 0 };
			r = nanosleep(&ts, NULL);
			break;
		}
		case K_BUSY:
			break;
		case K_PIPE_READ:
			r = (int)read(w->fds[0], &c, 1);
			break;
		case K_EXCLUDED:
			break;
		}
		if (r < 0 && errno == EINTR)
			atomic_store(&w->saw_eintr, 1);
	}
	return NULL;
}

static void start_thread(struct worker *w, enum kind k, bool loops)
{
	memset(w, 0, sizeof *w);
	w->kind = k;
	w->loops = loops;
	if (k == K_RECV)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, w->fds), 0);
	else
		ck_assert_int_eq(pipe(w->fds), 0);
	ck_assert_int_eq(pthread_create(&w->thread, NULL, work, w), 0);
	/* Wait until it is in its loop (or blocked for the excluded one). */
	while (!atomic_load(&w->tid) || (k != K_EXCLUDED && !atomic_load(&w->rounds)))
		sleep_ms(1);
	sleep_ms(20);  /* let it block */
}

static void start(struct worker *w, enum kind k)
{
	start_thread(w, k, true);
}

static bool parked(pid_t tid)
{
	const struct stf_parked_frame *f = (const void *)(uintptr_t)stf__root.frames;
	for (uint64_t i = 0; i < stf__root.nframes; i++)
		if (f[i].tid == (uint64_t)tid)
			return true;
	return false;
}

START_TEST(roles)
{
	ck_assert_int_eq(stf_role(), STF_ROLE_NORMAL);
	ck_assert_int_eq(stf_is_updating(), 0);
	ck_assert_int_eq(stf__update_pending, 0);
	stf__set_role(STF_ROLE_REVERSED);
	ck_assert_int_eq(stf_role(), STF_ROLE_REVERSED);
	ck_assert_int_ne(stf_is_updating(), 0);
	ck_assert_int_ne(stf__update_pending, 0);
	stf__set_role(STF_ROLE_NORMAL);
	ck_assert_int_eq(stf_is_updating(), 0);
	ck_assert_int_eq(stf__update_pending, 0);
	/* No update pending: an update point returns at once. */
	stf__update_point();
}
END_TEST

START_TEST(quiesce_blocked_threads)
{
	enum kind kinds[] = { K_EPOLL, K_ACCEPT, K_POLL, K_SELECT, K_RECV, K_SLEEP, K_BUSY };
	enum { N = sizeof kinds / sizeof kinds[0] };
	static struct worker w[N];
	for (int i = 0; i < N; i++)
		start(&w[i], kinds[i]);
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = now_ms();
		ck_assert_int_eq(stf__quiesce(5000), 0);
		uint64_t took = now_ms() - t0;
		ck_assert_msg(took < 1000, "quiescence took %llu ms", (unsigned long long)took);
		printf("quiescence of %d threads (round %d): %llu ms\n", N, round, (unsigned long long)took);
		ck_assert_uint_eq(stf__root.quiesced, 1);
		ck_assert_uint_eq(stf__root.nframes, N);
		for (int i = 0; i < N; i++)
			ck_assert_msg(parked(w[i].tid), "thread of kind %d not parked", (int)kinds[i]);
		const struct stf_parked_frame *f = (const void *)(uintptr_t)stf__root.frames;
		ck_assert_uint_eq(f[0].unit, 0);  /* not rewritten by the plugin */
		long busy = atomic_load(&w[N - 1].rounds);
		sleep_ms(30);
		ck_assert_int_eq(atomic_load(&w[N - 1].rounds), busy);  /* frozen */
		stf__resume();
		ck_assert_uint_eq(stf__root.quiesced, 0);
		ck_assert_int_eq(stf__update_pending, 0);
		while (atomic_load(&w[N - 1].rounds) == busy)
			sleep_ms(1);
		sleep_ms(20);
	}
	/* Every blocked loop was interrupted with EINTR at least once. */
	for (int i = 0; i < N - 1; i++)
		ck_assert_msg(atomic_load(&w[i].saw_eintr), "kind %d never saw EINTR", (int)kinds[i]);
}
END_TEST

START_TEST(quiesce_timeout_changes_nothing)
{
	static struct worker busy, reader;
	start(&busy, K_BUSY);
	start(&reader, K_PIPE_READ);  /* a pipe is no event-loop socket */
	uint64_t t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(stf__quiesce(150), -1);
	uint64_t took = now_ms() - t0;
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_ge(took, 150);
	ck_assert_uint_lt(took, 1500);
	ck_assert_uint_eq(stf__root.quiesced, 0);
	ck_assert_int_eq(stf__update_pending, 0);
	ck_assert_int_eq(atomic_load(&reader.saw_eintr), 0);  /* never interrupted */
	/* Both threads keep working. */
	long b = atomic_load(&busy.rounds), r = atomic_load(&reader.rounds);
	ck_assert_int_eq(write(reader.fds[1], "x", 1), 1);
	while (atomic_load(&busy.rounds) == b || atomic_load(&reader.rounds) == r)
		sleep_ms(1);
	/* And a later quiescence still works once the reader is out of the
	 * way (it parks when woken). */
	ck_assert_int_eq(write(reader.fds[1], "y", 1), 1);
}
END_TEST

/* A thread that never entered a function holding an update point is not
 * interrupted, even in a socket read: it would not come to an update
 * point, and the EINTR would reach a program that never asked for it. */
START_TEST(non_looping_thread_not_interrupted)
{
	static struct worker reader;
	start_thread(&reader, K_RECV, false);
	errno = 0;
	ck_assert_int_eq(stf__quiesce(150), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(atomic_load(&reader.saw_eintr), 0);
	/* It goes on reading undisturbed. */
	long r = atomic_load(&reader.rounds);
	ck_assert_int_eq(write(reader.fds[1], "x", 1), 1);
	while (atomic_load(&reader.rounds) == r)
		sleep_ms(1);
	ck_assert_int_eq(atomic_load(&reader.saw_eintr), 0);
}
END_TEST

START_TEST(excluded_thread_not_waited_for)
{
	static struct worker ctl, busy;
	start(&ctl, K_EXCLUDED);
	start(&busy, K_BUSY);
	ck_assert_int_eq(stf__quiesce(2000), 0);
	ck_assert_uint_eq(stf__root.nframes, 1);
	ck_assert(parked(busy.tid));
	ck_assert(!parked(ctl.tid));
	stf__resume();
}
END_TEST

/* A hand-built unit with one frame record of two locals, as the plugin
 * emits for a rewritten update point. */
struct test_unit {
	struct stf_unit u;
	struct {
		struct stf_blob_hdr h;
		struct stf_frame_rec fr;
	} blob;
};
static struct test_unit unit;
static _Atomic int frame_thread_ready;

static void *frame_thread(void *arg)
{
	(void)arg;
	long counter = 7;
	char name[8] = "loop";
	for (;;) {
		atomic_store(&frame_thread_ready, 1);
		if (stf__update_pending)
			stf__update_point_frame(&unit, 0, &counter, name);
		counter++;
		sleep_ms(1);
	}
	return NULL;
}

START_TEST(frames_published)
{
	unit.u.magic = STF_UNIT_MAGIC;
	unit.u.version = STF_FORMAT_VERSION;
	unit.u.blob = (int64_t)((uintptr_t)&unit.blob - (uintptr_t)&unit.u.blob);
	unit.u.blob_size = sizeof unit.blob;
	unit.blob.h.magic = STF_BLOB_MAGIC;
	unit.blob.h.version = STF_FORMAT_VERSION;
	unit.blob.h.size = sizeof unit.blob;
	unit.blob.h.stored = sizeof unit.blob;
	unit.blob.h.frames.off = offsetof(__typeof__(unit.blob), fr);
	unit.blob.h.frames.count = 1;
	unit.blob.fr.nlocals = 2;
	pthread_t t;
	pthread_create(&t, NULL, frame_thread, NULL);
	while (!atomic_load(&frame_thread_ready))
		sleep_ms(1);
	ck_assert_int_eq(stf__quiesce(2000), 0);
	ck_assert_uint_eq(stf__root.nframes, 1);
	const struct stf_parked_frame *f = (const void *)(uintptr_t)stf__root.frames;
	ck_assert_uint_eq(f->unit, (uintptr_t)&unit);
	ck_assert_uint_eq(f->frame, 0);
	ck_assert_uint_eq(f->nlocals, 2);
	const uint64_t *locals = (const uint64_t *)(uintptr_t)f->locals;
	ck_assert_int_ge(*(const long *)(uintptr_t)locals[0], 7);
	ck_assert_str_eq((const char *)(uintptr_t)locals[1], "loop");
	stf__resume();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("update");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, roles);
	tcase_add_test(tc, quiesce_blocked_threads);
	tcase_add_test(tc, quiesce_timeout_changes_nothing);
	tcase_add_test(tc, non_looping_thread_not_interrupted);
	tcase_add_test(tc, excluded_thread_not_waited_for);
	tcase_add_test(tc, frames_published);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
