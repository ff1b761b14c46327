/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program with a large state: argv[1] list nodes on the heap.  A
 * second thread serves "requests" that take 400 ms: when an update is
 * requested it finishes the one under way before it reaches its update
 * point, so the program is paused only from then on.  When the file
 * argv[2] exists the sum of the nodes' values is written to argv[3];
 * argv[3] is written once the state is built, too.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>

struct node {
	struct node *next;
	long value;
};

static struct node *head;

static void report(const char *path)
{
	long sum = 0;
	for (struct node *n = head; n; n = n->next)
		sum += n->value;
	FILE *out = fopen(path, "w");
	if (out) {
		fprintf(out, "%ld\n", sum);
		fclose(out);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		/* A request under way when the update is asked for.  The
		 * thread waits for the update to be asked rather than polling
		 * and then reaching its point: preempted between the two, it
		 * would park before starting the request the test times. */
		struct pollfd asked = { .fd = stf_update_fd(), .events = POLLIN };
		if (poll(&asked, 1, -1) == 1 && !stf_is_updating()) {
			double until = now() + 0.4;
			while (now() < until)
				;
		}
		stf_update_point();
		usleep(1000);
	}
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc != 4)
		return 2;
	if (!stf_is_updating()) {
		long n = atol(argv[1]);
		for (long i = 0; i < n; i++) {
			struct node *nd = malloc(sizeof(*nd));
			nd->value = i;
			nd->next = head;
			head = nd;
		}
		pthread_create(&th, NULL, server, NULL);
		report(argv[3]);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[2], F_OK) == 0) {
			report(argv[3]);
			unlink(argv[2]);
		}
		usleep(2000);
	}
}
