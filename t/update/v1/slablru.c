/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slablru: memcached's item store in small, a line server on a UNIX socket.
 * page_alloc() (memcached's memory_allocate) hands out untyped pages that
 * the program carves into items itself (no STF_ALLOCATOR), linked in an
 * LRU list whose links live in the pages: the transfer types a page whose
 * first item a typed pointer holds as one struct item, the other items
 * bytes of its flexible data[].  "set K" stores item K at the list's head
 * (on the current generation's page), "get K" finds it and bumps it to the
 * head, "walk" walks the list from the tail by prev (memcached's LRU
 * maintainer) and checks next both ways: "N SUM", or "broken".  After
 * chained updates the list links pages of every generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#include "../listener.h"

#define PAGE 4096
#define CHUNK 64
#define PER_PAGE (PAGE / CHUNK)
#define MAX_PAGES 256

struct item {
	struct item *next, *prev;
	long key, value;
	union {
		unsigned long cas;
		char end;
	} data[];
};

static struct item *head, *tail;
static void *pages[MAX_PAGES]; /* memcached's slab_list */
static int npages, used = PER_PAGE;

static void *page_alloc(size_t size)
{
	void *ret = malloc(size);
	return ret;
}

static struct item *item_alloc(void)
{
	if (used == PER_PAGE) {
		if (npages == MAX_PAGES)
			return NULL;
		pages[npages++] = page_alloc(PAGE);
		used = 0;
	}
	return (struct item *)((char *)pages[npages - 1] + CHUNK * used++);
}

static void unlink_item(struct item *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		tail = it->prev;
}

static void link_head(struct item *it)
{
	it->prev = NULL;
	it->next = head;
	if (head)
		head->prev = it;
	else
		tail = it;
	head = it;
}

static struct item *find(long k)
{
	struct item *it = head;
	while (it && it->key != k)
		it = it->next;
	return it;
}

static void handle(int c)
{
	char buf[128], out[64];
	ssize_t n = read(c, buf, sizeof buf - 1);
	long k;

	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "set %ld", &k) == 1) {
		struct item *it = item_alloc();
		if (it) {
			it->key = k;
			it->value = k;
			link_head(it);
		}
		snprintf(out, sizeof out, it ? "ok\n" : "full\n");
	} else if (sscanf(buf, "get %ld", &k) == 1) {
		struct item *it = find(k);
		if (it) {
			unlink_item(it);
			link_head(it);
			snprintf(out, sizeof out, "%ld\n", it->value);
		} else {
			snprintf(out, sizeof out, "none\n");
		}
	} else if (strncmp(buf, "walk", 4) == 0) {
		long count = 0, sum = 0;
		struct item *it, *after = NULL;
		for (it = tail; it && it->next == after && count <= PER_PAGE * MAX_PAGES;
		     after = it, it = it->prev)
			count++, sum += it->value;
		if (it || after != head)
			snprintf(out, sizeof out, "broken\n");
		else
			snprintf(out, sizeof out, "%ld %ld\n", count, sum);
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	if (write(c, out, strlen(out)) < 0)
		perror("slablru: write");
}

int main(int argc, char **argv)
{
	int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: slablru SOCKET\n");
		return 2;
	}
	if (!stf_is_updating())
		lfd = listen_at("slablru", argv[1], SOCK_STREAM, 16);
	for (;;) {
		stf_update_point();
		int c = accept_next("slablru", lfd);
		if (c < 0)
			continue;
		handle(c);
		close(c);
	}
}
