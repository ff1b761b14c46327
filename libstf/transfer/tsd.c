/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tsd.c - thread-specific data (pthread_setspecific) in a peer's catalog
 * (see remote.h).
 *
 * A program that keeps per-thread state behind a pthread key (memcached's
 * loggers) reaches it through the thread's key slots, which the C library
 * keeps in the thread's descriptor.  After an update the program reads
 * them with the key numbers the old version created (the statics holding
 * the keys are transferred as integers), so each slot travels like a
 * thread-local variable: slot K of a thread is catalogued as the untyped
 * static "pthread key K@<thread label>" (the label as in tls.c), paired
 * with the same slot of the paired thread, and carried in place like a
 * library's data (untyped.c): its sequence number is an integer, its
 * value a word classified as any untyped word (a pointer to a program's
 * object is relocated to its counterpart, which keeps its address).
 *
 * Where the slots are: glibc describes its thread descriptor for
 * libthread_db with GLIBC_PRIVATE symbols; _thread_db_pthread_specific is
 * { bits, elements, offset } of the descriptor's `specific` array,
 * whose first entry points to the 32 slots held in the descriptor itself
 * (keys 0-31, 16 bytes each: sequence, value).  Keys from 32 up live in
 * blocks the library allocates: a thread holding a value there refuses the
 * update (they are not carried).  Without the symbols (another C library)
 * no slot is catalogued.
 *
 * libstf's own keys (its per-thread allocation cache and waiter, created
 * by its constructors before the program runs, so numbered alike in every
 * version) hold libstf's memory and are never catalogued.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "remote.h"
#include "wait.h"

#define FIRST_BLOCK_KEYS 32u  /* glibc's PTHREAD_KEY_2NDLEVEL_SIZE */
#define SLOT_SIZE 16u         /* struct pthread_key_data: seq, data */
#define KEY_SIZE 16u          /* struct pthread_key_struct: seq, destr */

/* Offset and count of the thread descriptor's `specific` array, from the
 * C library's libthread_db description; 0 if unknown. */
static int specific_layout(uint32_t *off, uint32_t *count)
{
	const uint32_t *desc = dlvsym(RTLD_DEFAULT, "_thread_db_pthread_specific", "GLIBC_PRIVATE");
	const uint32_t *slot = dlvsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread_key_data",
				      "GLIBC_PRIVATE");
	/* glibc 2.36 gives the array's size in bits, as one element: count
	 * 8-byte pointers; slots of the size read below */
	if (!desc || !slot || desc[0] % 64 || !desc[0] || *slot != SLOT_SIZE)
		return 0;
	*off = desc[2];
	*count = desc[0] / 64 * (desc[1] ? desc[1] : 1);
	return 1;
}

static int read_words(const struct stf_peer *p, uint64_t addr, void *buf, size_t len)
{
	if (p->self) {
		memcpy(buf, (const void *)(uintptr_t)addr, len);
		return 0;
	}
	return stf__peer_read(p, addr, buf, len);
}

static int add_slot(struct stf_peer *p, uint64_t addr, unsigned key, const char *label,
		    char *err, size_t errlen)
{
	struct stf_obj o = { 0 };
	char id[300];

	snprintf(id, sizeof(id), "pthread key %u@%s", key, label);
	o.addr = addr;
	o.size = SLOT_SIZE;
	o.id = stf__arena_strdup(p->arena, id);
	o.kind = STF_OBJ_STATIC;
	o.flags = STF_OBJF_EXTERNAL; /* untyped, carried in place (stf__is_lib_data) */
	/* not indexed, so not fetched with the rest: read here (a peer is
	 * quiesced while it is open) */
	uint8_t *bytes = p->self ? NULL : stf__arena_alloc(p->arena, SLOT_SIZE);
	o.bytes = p->self ? (const uint8_t *)(uintptr_t)addr : bytes;
	if (!o.id || !o.bytes || stf__peer_add(p, &o) == (size_t)-1) {
		stf__fail(err, errlen, "out of memory cataloguing thread-specific data");
		return -1;
	}
	if (bytes && stf__peer_read(p, addr, bytes, SLOT_SIZE) < 0) {
		stf__fail(err, errlen, "process %d: cannot read thread %s's slot of pthread "
			  "key %u at 0x%" PRIx64 ": %s", (int)p->pid, label, key, addr,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* A value held for a key from 32 up: refused, not carried. */
static int check_second_level(const struct stf_peer *p, const uint64_t *specific,
			      uint32_t count, const char *label, char *err, size_t errlen)
{
	for (uint32_t b = 1; b < count; b++) {
		uint64_t slots[FIRST_BLOCK_KEYS * 2];
		if (!specific[b])
			continue;
		if (read_words(p, specific[b], slots, sizeof(slots)) < 0) {
			stf__fail(err, errlen, "process %d: cannot read thread %s's pthread "
				  "keys from %u: %s", (int)p->pid, label, b * FIRST_BLOCK_KEYS,
				  strerror(errno));
			return -1;
		}
		for (unsigned k = 0; k < FIRST_BLOCK_KEYS; k++) {
			unsigned key = b * FIRST_BLOCK_KEYS + k;
			if (slots[2 * k + 1] && !stf__own_pthread_key(key)) {
				stf__fail(err, errlen, "thread %s holds a value for pthread key %u: "
					  "values of keys from %u up are not transferred; "
					  "create fewer keys", label, key, FIRST_BLOCK_KEYS);
				return -1;
			}
		}
	}
	return 0;
}

int stf__add_tsd(struct stf_peer *p, char *err, size_t errlen)
{
	uint32_t off, count;

	if (!p->ntls || !specific_layout(&off, &count))
		return 0;
	uint64_t *specific = stf__raw_malloc(count * sizeof(*specific));
	if (!specific) {
		stf__fail(err, errlen, "out of memory cataloguing thread-specific data");
		return -1;
	}
	int rc = 0;
	for (size_t t = 0; t < p->ntls && !rc; t++) {
		const struct stf_peer_tls *th = &p->tls[t];
		if (!th->tp)
			continue;
		/* x86-64: the thread pointer is the thread's descriptor */
		if (read_words(p, th->tp + off, specific, count * sizeof(*specific)) < 0) {
			stf__fail(err, errlen, "process %d: cannot read thread %s's descriptor: %s",
				  (int)p->pid, th->label, strerror(errno));
			rc = -1;
			break;
		}
		if (!specific[0])
			continue;
		for (unsigned k = 0; k < FIRST_BLOCK_KEYS && !rc; k++)
			if (!stf__own_pthread_key(k))
				rc = add_slot(p, specific[0] + (uint64_t)k * SLOT_SIZE, k, th->label,
					      err, errlen);
		if (!rc)
			rc = check_second_level(p, specific, count, th->label, err, errlen);
	}
	stf__raw_free(specific);
	return rc;
}

/* The C library's table of pthread keys, { sequence, destructor } per key
 * (odd sequence: in use), from its libthread_db description; NULL if
 * unknown. */
static uint64_t *key_table(uint32_t *count)
{
	const uint32_t *desc = dlvsym(RTLD_DEFAULT, "_thread_db___pthread_keys", "GLIBC_PRIVATE");
	uint64_t *keys = dlvsym(RTLD_DEFAULT, "__pthread_keys", "GLIBC_PRIVATE");
	if (!desc || !keys || desc[0] != 8 * KEY_SIZE || desc[2] != 0)
		return NULL;
	*count = desc[1];
	return keys;
}

int stf__claim_pthread_keys(struct stf_xfer *x)
{
	uint32_t count;
	uint64_t *own = key_table(&count);
	if (!own || !x->dst->self)
		return 0;
	uint64_t at = stf__peer_same_place(x->dst, x->src, (uint64_t)(uintptr_t)own);
	if (!at) {
		stf__xfail(x, "the past version's C library is another file than the new "
			   "version's: its pthread keys cannot be carried");
		return -1;
	}
	uint64_t *past = stf__raw_malloc((size_t)count * KEY_SIZE);
	if (!past || stf__peer_read(x->src, at, past, (size_t)count * KEY_SIZE) < 0) {
		stf__xfail(x, "cannot read the past version's pthread keys: %s",
			   past ? strerror(errno) : "out of memory");
		stf__raw_free(past);
		return -1;
	}
	char label[40];
	uint32_t problems = x->problems;
	for (uint32_t k = 0; k < count; k++) {
		uint64_t seq = past[2 * k], destr;
		if (!(seq & 1) || stf__own_pthread_key(k))
			continue;
		snprintf(label, sizeof(label), "pthread key %" PRIu32, k);
		x->obj = NULL;
		x->obj_label = label;
		x->failed = 0; /* each key's problem is its own */
		if (stf__xfer_relocate(x, past[2 * k + 1], &destr) < 0)
			continue;
		if ((own[2 * k] & 1) && own[2 * k + 1] != destr) {
			stf__xfail(x, "pthread key %" PRIu32 " is in use in both versions, with "
				   "other destructors (0x%" PRIx64 " in the old one, 0x%" PRIx64
				   " in the new one's startup): create the keys in the same order, "
				   "or guard the new version's with stf_is_updating()", k,
				   past[2 * k + 1], own[2 * k + 1]);
			continue;
		}
		/* every other thread is parked: no pthread_key_create races */
		own[2 * k + 1] = destr;
		own[2 * k] = seq;
	}
	x->obj_label = NULL;
	x->failed = 0;
	stf__raw_free(past);
	return x->problems > problems ? -1 : 0;
}
