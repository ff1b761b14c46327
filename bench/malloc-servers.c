/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-servers.c - timed patterns of malloc-bench (malloc-bench.c) that
 * servers make and the other files' patterns lack: strings duplicated
 * and dropped by every worker thread at once (header names, keys), zeroed
 * per-connection state of 1-16 KiB, bursts of 64 KiB-1 MiB buffers, small
 * records of 16-64 byte alignment beside ordinary ones, and vectors grown
 * by doubling then shrunk to fit.  Each returns the CPU seconds of one
 * operation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "malloc-bench.h"

/* strdup: each thread parses requests: 8-24 strings of 4-120 bytes
 * strdup'd from the request (header names and values, a key), most
 * freed when the request is done, one in eight kept in a window of 1,024
 * (a cache of names) in place of a random older one; ns per string. */
#define DUP_WINDOW 1024
#define DUP_OPS 2000000L

double strdup_storm(unsigned id)
{
	unsigned seed = id * 2654435761u + 101;
	char text[128];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + i % 26);
	char **kept = calloc(DUP_WINDOW, sizeof *kept);
	char *parts[24];
	long made = 0;
	double t0 = cpu_s();
	while (made < DUP_OPS) {
		unsigned n = 8 + next_rand(&seed) % 17;
		for (unsigned i = 0; i < n; i++) {
			size_t len = 4 + next_rand(&seed) % 117;
			text[len] = 0;
			parts[i] = strdup(text + next_rand(&seed) % 4);
			text[len] = (char)('a' + len % 26);
			if (!parts[i])
				abort();
		}
		for (unsigned i = 0; i < n; i++) {
			if (next_rand(&seed) % 8 == 0) {
				unsigned k = next_rand(&seed) % DUP_WINDOW;
				free(kept[k]);
				kept[k] = parts[i];
			} else {
				free(parts[i]);
			}
		}
		made += n;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < DUP_WINDOW; k++)
		free(kept[k]);
	free(kept);
	return t / made;
}

/* A live window of n blocks, each replaced `ops` times at random by one
 * that make(seed, i) returns (written and checked there): CPU s per
 * replacement. */
static double churn_window(unsigned seed, void *(*make)(unsigned *, long), int n, long ops)
{
	void **set = calloc((size_t)n, sizeof *set);
	double t0 = cpu_s();
	for (long i = 0; i < ops; i++) {
		unsigned k = next_rand(&seed) % (unsigned)n;
		free(set[k]);
		set[k] = make(&seed, i);
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < n; k++)
		free(set[k]);
	free(set);
	return t / ops;
}

/* midcalloc: a connection's zeroed state of 1-16 KiB (calloc(1, size):
 * its buffers' headers, a parser's tables), a few fields written, in a
 * live window of 1,024 connections replaced at random. */
static void *connection_state(unsigned *seed, long i)
{
	size_t size = 1024 + next_rand(seed) % 15361;
	char *c = calloc(1, size);
	if (!c || c[size - 1] || c[size / 2])
		abort();
	c[0] = c[size - 1] = (char)i;
	return c;
}

double midcalloc(unsigned id)
{
	return churn_window(id * 2654435761u + 103, connection_state, 1024, 500000L);
}

/* bigburst: a reply assembled in 2-12 buffers of 64 KiB-1 MiB (a file's
 * chunks, a large value's pieces), their first and last pages written,
 * then all freed; ns per buffer. */
#define BIGBURST_OPS 40000L

double bigburst(unsigned id)
{
	unsigned seed = id * 2654435761u + 107;
	char *buf[12];
	long made = 0;
	double t0 = cpu_s();
	while (made < BIGBURST_OPS) {
		unsigned n = 2 + next_rand(&seed) % 11;
		for (unsigned i = 0; i < n; i++) {
			size_t size = ((size_t)65536 << next_rand(&seed) % 5) +
				      next_rand(&seed) % 65536;
			buf[i] = malloc(size);
			if (!buf[i])
				abort();
			buf[i][0] = (char)i;
			buf[i][size - 1] = (char)i;
		}
		for (unsigned i = 0; i < n; i++)
			free(buf[i]);
		made += n;
	}
	double t = cpu_s() - t0;
	return t / made;
}

/* alignmix: a live window of 4,096 small records, one in four from
 * posix_memalign with an alignment of 16, 32 or 64 bytes (SIMD-friendly
 * keys, padded counters), the others from malloc, 16-512 bytes. */
static void *record(unsigned *seed, long i)
{
	size_t size = 16 + next_rand(seed) % 497;
	void *p;
	if (next_rand(seed) % 4 == 0) {
		size_t align = (size_t)16 << next_rand(seed) % 3;
		if (posix_memalign(&p, align, size) || (uintptr_t)p % align)
			abort();
	} else if (!(p = malloc(size))) {
		abort();
	}
	*(volatile char *)p = (char)i;
	return p;
}

double alignmix(unsigned id)
{
	return churn_window(id * 2654435761u + 109, record, 4096, 2000000L);
}

/* vecshrink: 256 vectors of 8-byte elements, each grown by doubling its
 * capacity (realloc) up to 64-32,768 elements, then shrunk to fit
 * (realloc to its length) and kept so until it is dropped and rebuilt;
 * ns per realloc. */
#define VECTORS 256
#define VEC_OPS 2000000L

double vecshrink(unsigned id)
{
	unsigned seed = id * 2654435761u + 113;
	uint64_t *vec[VECTORS] = { 0 };
	size_t len[VECTORS] = { 0 }, cap[VECTORS] = { 0 }, goal[VECTORS] = { 0 };
	long reallocs = 0;
	double t0 = cpu_s();
	for (long i = 0; i < VEC_OPS; i++) {
		unsigned k = next_rand(&seed) % VECTORS;
		if (len[k] == goal[k]) {
			if (cap[k] > len[k]) {  /* shrink_to_fit, kept a while */
				vec[k] = realloc(vec[k], len[k] * sizeof *vec[k]);
				cap[k] = len[k];
				reallocs++;
				continue;
			}
			free(vec[k]);
			vec[k] = NULL;
			len[k] = cap[k] = 0;
			goal[k] = (size_t)64 << next_rand(&seed) % 10;
			goal[k] -= next_rand(&seed) % (goal[k] / 2);
		}
		size_t add = 1 + next_rand(&seed) % 64;
		if (len[k] + add > goal[k])
			add = goal[k] - len[k];
		if (len[k] + add > cap[k]) {
			cap[k] = cap[k] ? 2 * cap[k] : 16;
			while (cap[k] < len[k] + add)
				cap[k] *= 2;
			vec[k] = realloc(vec[k], cap[k] * sizeof *vec[k]);
			reallocs++;
		}
		if (!vec[k])
			abort();
		for (size_t j = 0; j < add; j++)
			vec[k][len[k] + j] = i;
		len[k] += add;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < VECTORS; k++)
		free(vec[k]);
	return t / reallocs;
}
