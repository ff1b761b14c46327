/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * redis18-scattered: a line server whose heap is linked in an order
 * unrelated to the one it was allocated in, as a real server's traffic
 * leaves it (Redis's dictionaries link entries by hash; a key's string,
 * its entry and its value are made at different moments): NODES nodes
 * allocated in a row, then their strings in the opposite order, and the
 * nodes linked into one list in a shuffled order, so that the list is
 * NODES links deep and no link points near its holder.  At every start
 * the startup also leaks two blocks that point to each other and that
 * nothing else names: the forward transfer of the old version drops
 * them (transfer/unreached.c), and carries every node and string.
 * One request per connection:
 *   check   the list walked: "COUNT SUM TEXTS" (TEXTS: how many nodes'
 *           strings spell their number)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

#define NODES 20000

struct node {
	struct node *next;
	void *text;        /* a string of its number */
	long number;
};

struct pair {
	struct pair *other;
	long filler;
};

static struct node *head;

static int make_state(void)
{
	static struct node *nodes[NODES];
	static size_t order[NODES];
	unsigned seed = 18;
	for (size_t i = 0; i < NODES; i++) {
		if (!(nodes[i] = malloc(sizeof(struct node))))
			return -1;
		nodes[i]->number = (long)i;
		order[i] = i;
	}
	for (size_t i = NODES; i-- > 0;) {
		if (!(nodes[i]->text = malloc(24)))
			return -1;
		snprintf(nodes[i]->text, 24, "n%zu", i);
	}
	for (size_t i = NODES; i > 1; i--) {
		seed = seed * 1103515245u + 12345u;
		size_t j = (seed >> 8) % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t k = 0; k < NODES; k++) {
		nodes[order[k]]->next = head;
		head = nodes[order[k]];
	}
	memset(nodes, 0, sizeof(nodes)); /* the list alone names them */
	return 0;
}

/* Two blocks naming each other, and nothing else naming them. */
static __attribute__((noinline)) int leak_cycle(void)
{
	struct pair *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	if (!a || !b)
		return -1;
	a->other = b;
	b->other = a;
	a->filler = b->filler = 0;
	return 0;
}

static void handle(int fd)
{
	char buf[256], out[512], want[24];

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	if (!strncmp(buf, "check", 5)) {
		long count = 0, sum = 0, texts = 0;
		for (const struct node *n = head; n; n = n->next) {
			snprintf(want, sizeof want, "n%ld", n->number);
			count++;
			sum += n->number;
			texts += !strcmp(n->text, want);
		}
		snprintf(out, sizeof out, "%ld %ld %ld\n", count, sum, texts);
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

int main(int argc, char **argv)
{
	static int lfd = -1;

	if (argc < 2) {
		fprintf(stderr, "usage: redis18-scattered SOCKET\n");
		return 2;
	}
	if (leak_cycle() < 0)
		return 1;
	if (!stf_is_updating()) {
		if (make_state() < 0) {
			perror("redis18-scattered: state");
			return 1;
		}
		lfd = listen_at("redis18-scattered", argv[1], SOCK_STREAM, 16);
	}
	for (;;) {
		stf_update_point();
		int c = accept_next("redis18-scattered", lfd);
		if (c < 0)
			continue;
		handle(c);
		close(c);
	}
}
