/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-buffers.c - the timed patterns of malloc-bench (malloc-bench.c)
 * that a server's buffers and tables make, past the small objects: input
 * and output buffers grown by realloc as data arrives, strings grown by
 * doubling and trimmed, tables calloc'd at a larger size each time
 * they fill, read buffers trimmed to the message they got, zeroed tables
 * of one job, and strings grown into the room malloc_usable_size says
 * they have.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "malloc-bench.h"

/* bufgrow: 32 buffers, each grown by realloc 4-64 KiB at a time (a read
 * appended) from 4 KiB up to a bound of 64 KiB-1 MiB, the new bytes
 * written, then freed and started again; ns per realloc. */
#define GROW_BUFFERS 32
#define GROW_OPS 200000L

double bufgrow(unsigned id)
{
	unsigned seed = id * 2654435761u + 41;
	char *buf[GROW_BUFFERS] = { 0 };
	size_t len[GROW_BUFFERS] = { 0 }, bound[GROW_BUFFERS] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < GROW_OPS; i++) {
		unsigned k = next_rand(&seed) % GROW_BUFFERS;
		if (len[k] >= bound[k]) {
			free(buf[k]);
			buf[k] = NULL;
			len[k] = 0;
			bound[k] = (size_t)65536 << next_rand(&seed) % 5;
		}
		size_t add = len[k] ? 4096 + next_rand(&seed) % 61441 : 4096;
		char *grown = realloc(buf[k], len[k] + add);
		if (!grown)
			abort();
		buf[k] = grown;
		for (size_t off = 0; off < add; off += 4096)
			buf[k][len[k] + off] = (char)i;
		len[k] += add;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < GROW_BUFFERS; k++)
		free(buf[k]);
	return t / GROW_OPS;
}

/* sdsgrow: 1,024 strings as Redis's sds grows them: appends of 1-64
 * bytes, the room doubled when it runs out (sdsMakeRoomFor), and at a
 * goal of 64 B-64 KiB trimmed to the length (sdsRemoveFreeSpace) to grow
 * again, or freed one time in four (or past 64 KiB); ns per realloc. */
#define SDS_STRINGS 1024
#define SDS_OPS 1000000L
#define SDS_MAX 65536

double sdsgrow(unsigned id)
{
	unsigned seed = id * 2654435761u + 47;
	char *str[SDS_STRINGS] = { 0 };
	size_t len[SDS_STRINGS] = { 0 }, room[SDS_STRINGS] = { 0 }, goal[SDS_STRINGS] = { 0 };
	long reallocs = 0;
	double t0 = cpu_s();
	for (long i = 0; i < SDS_OPS; i++) {
		unsigned k = next_rand(&seed) % SDS_STRINGS;
		if (len[k] >= goal[k]) {
			if (len[k] >= SDS_MAX || next_rand(&seed) % 4 == 0) {
				free(str[k]);
				str[k] = NULL;
				len[k] = room[k] = 0;
				goal[k] = (size_t)64 << next_rand(&seed) % 11;
				continue;
			}
			if (room[k] > len[k]) {
				str[k] = realloc(str[k], len[k] + 1);
				room[k] = len[k];
				reallocs++;
			}
			goal[k] = len[k] + 64 + next_rand(&seed) % 1024;
		}
		size_t add = 1 + next_rand(&seed) % 64;
		if (len[k] + add > room[k]) {
			room[k] = 2 * (len[k] + add);
			str[k] = realloc(str[k], room[k] + 1);
			reallocs++;
		}
		if (!str[k])
			abort();
		memset(str[k] + len[k], 'x', add);
		len[k] += add;
		str[k][len[k]] = 0;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < SDS_STRINGS; k++)
		free(str[k]);
	return t / reallocs;
}

/* tables: 16 hash tables, each replaced by calloc of twice its size when
 * it fills (16 KiB up to 1 MiB, then back to 16 KiB), the old one's
 * entries copied into the new one and the old one freed; ns per table. */
#define TABLES 16
#define TABLE_OPS 20000L

double tables(unsigned id)
{
	unsigned seed = id * 2654435761u + 43;
	char *table[TABLES] = { 0 };
	size_t size[TABLES] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < TABLE_OPS; i++) {
		unsigned k = next_rand(&seed) % TABLES;
		size_t n = size[k] && size[k] < ((size_t)1 << 20) ? 2 * size[k] : 16384;
		char *t = calloc(n / 8, 8);
		if (!t || t[n - 1])
			abort();
		/* rehashed: every old entry lands somewhere in the new table */
		for (size_t off = 0; off < size[k]; off += 64)
			t[(off * 2 + (next_rand(&seed) & 64)) % n] = table[k][off];
		free(table[k]);
		table[k] = t;
		size[k] = n;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < TABLES; k++)
		free(table[k]);
	return t / TABLE_OPS;
}

/* shrink: a read buffer of 4-64 KiB allocated for each message, filled
 * with 16 B-4 KiB and trimmed by realloc to what came (a message kept as
 * it arrived), the message then kept in a live window of 4,096 in place
 * of a random older one; ns per message (malloc, realloc and a free). */
#define SHRINK_WINDOW 4096
#define SHRINK_OPS 500000L

double shrink(unsigned id)
{
	unsigned seed = id * 2654435761u + 71;
	char **live = calloc(SHRINK_WINDOW, sizeof *live);
	double t0 = cpu_s();
	for (long i = 0; i < SHRINK_OPS; i++) {
		size_t room = (size_t)4096 << next_rand(&seed) % 5;
		size_t got = 16 + next_rand(&seed) % 4081;
		char *buf = malloc(room);
		if (!buf)
			abort();
		memset(buf, 'm', got);
		char *msg = realloc(buf, got);
		if (!msg || msg[got - 1] != 'm')
			abort();
		unsigned k = next_rand(&seed) % SHRINK_WINDOW;
		free(live[k]);
		live[k] = msg;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < SHRINK_WINDOW; k++)
		free(live[k]);
	free(live);
	return t / SHRINK_OPS;
}

/* zerotmp: a zeroed table of 64 KiB-2 MiB calloc'd for one job (a
 * bitmap, a sort's counts, a graph's marks), 256 random entries of it
 * written and read, and freed at once; ns per table. */
#define ZERO_OPS 20000L

double zerotmp(unsigned id)
{
	unsigned seed = id * 2654435761u + 73;
	volatile unsigned long sum = 0;
	double t0 = cpu_s();
	for (long i = 0; i < ZERO_OPS; i++) {
		size_t n = ((size_t)65536 << next_rand(&seed) % 6) / sizeof(unsigned);
		n -= next_rand(&seed) % (n / 2);
		unsigned *t = calloc(n, sizeof *t);
		if (!t)
			abort();
		for (int j = 0; j < 256; j++)
			t[next_rand(&seed) % n] += (unsigned)j;
		for (int j = 0; j < 256; j++)
			sum += t[next_rand(&seed) % n];
		free(t);
	}
	double t = cpu_s() - t0;
	return t / ZERO_OPS;
}

/* usable: Redis's zmalloc with malloc_usable_size: every block's usable
 * size added to a used-memory counter when allocated and subtracted when
 * freed, and strings appended into all of their usable room before they
 * are realloc'd to twice their length; a live window of 4,096 blocks of
 * a server's sizes replaced at random, every fourth operation an append
 * of 1-64 bytes to a string of 1,024 instead; ns per operation. */
#define USABLE_WINDOW 4096
#define USABLE_STRINGS 1024
#define USABLE_OPS 2000000L

static _Thread_local size_t used_memory;  /* (per thread: what the allocator costs) */

static void *zmalloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		abort();
	used_memory += malloc_usable_size(p);
	return p;
}

static void zfree(void *p)
{
	if (p)
		used_memory -= malloc_usable_size(p);
	free(p);
}

static void *zrealloc(void *p, size_t size)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *n = realloc(p, size);
	if (!n)
		abort();
	used_memory += malloc_usable_size(n) - old;
	return n;
}

double usable(unsigned id)
{
	unsigned seed = id * 2654435761u + 79;
	void **live = calloc(USABLE_WINDOW, sizeof *live);
	char *str[USABLE_STRINGS] = { 0 };
	size_t len[USABLE_STRINGS] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < USABLE_OPS; i++) {
		if (i % 4 == 0) {
			unsigned k = next_rand(&seed) % USABLE_STRINGS;
			size_t add = 1 + next_rand(&seed) % 64;
			if (len[k] + add > 65536) {
				zfree(str[k]);
				str[k] = NULL;
				len[k] = 0;
			}
			if (!str[k] || len[k] + add + 1 > malloc_usable_size(str[k]))
				str[k] = zrealloc(str[k], 2 * (len[k] + add) + 1);
			memset(str[k] + len[k], 's', add);
			len[k] += add;
			str[k][len[k]] = 0;
			continue;
		}
		unsigned k = next_rand(&seed) % USABLE_WINDOW;
		zfree(live[k]);
		live[k] = zmalloc(skewed_size(&seed));
		*(volatile char *)live[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < USABLE_WINDOW; k++)
		zfree(live[k]);
	for (int k = 0; k < USABLE_STRINGS; k++)
		zfree(str[k]);
	free(live);
	if (used_memory)
		abort();
	return t / USABLE_OPS;
}
