/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * diff-values.c - how the state differencing (diff.c) compares and prints
 * one value: a pointer by what it targets in its own process (object and
 * offset, library symbol, argument or variable, stdio stream), a scalar
 * printed by its type (number, enumerator, float) for the report.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "diff-values.h"
#include "slots.h"
#include "untyped.h"

/* What the parts of the comparison look up in (read-only while they run):
 * the slow lookups of canon (libraries, the command line, streams) load
 * what they need on first use, so they take this lock. */
static pthread_mutex_t slow_lookup = PTHREAD_MUTEX_INITIALIZER;

/* A pointer to a stream libc allocated: compared by what re-creates it. */
void stf__canon_stream(struct stf_peer *p, uint64_t v, struct target *t)
{
	pthread_mutex_lock(&slow_lookup);
	if (stf__peer_stream(p, v, &t->stream) == 0)
		t->kind = TARGET_STREAM;
	pthread_mutex_unlock(&slow_lookup);
}

void stf__canon(struct stf_peer *p, uint64_t v, struct target *t, const struct stf_range **hint)
{
	t->kind = TARGET_NULL;
	t->id = t->lib = NULL;
	t->obj = NULL;
	t->dyn = t->off = 0;
	t->arg.kind = STF_ARG_NONE; /* arg_str is set with it */
	t->raw = v;
	if (!v)
		return;
	if (stf__not_a_pointer(v)) {
		t->kind = TARGET_INTEGER;
		return;
	}
	const struct stf_obj *o = stf__peer_find_near(p, v, hint);
	if (o && stf__slot_state(o) && (o->flags & STF_OBJF_CONTAINER))
		o = NULL; /* into an old slab's chunk: compared as a number (slots.c) */
	const char *handle = o ? stf__link_map_library(p, o) : NULL;
	if (handle) {
		/* a dlopen() handle: each process's own link map of the same
		 * library (dl-handles.c) */
		t->kind = TARGET_SYMBOL;
		t->lib = handle;
		t->id = "link map";
		t->off = v - o->addr;
		return;
	}
	if (o) {
		t->kind = TARGET_OBJECT;
		t->obj = o;
		t->id = o->id;
		t->dyn = o->dyn_id;
		t->off = v - o->addr;
		return;
	}
	pthread_mutex_lock(&slow_lookup);
	if (!stf__peer_lib_symbol(p, v, &t->lib, &t->id, &t->off)) {
		t->kind = TARGET_SYMBOL;
	} else {
		/* into main's stack outside the locals: the command line and
		 * the environment are compared by (argument or variable,
		 * offset); other stack addresses are each process's own */
		t->kind = v >= p->stack_start && v < p->stack_end ? TARGET_MAIN_STACK
								  : TARGET_UNKNOWN;
		if (t->kind == TARGET_MAIN_STACK && !stf__peer_arg_ref(p, v, &t->arg))
			stf__arg_ref_str(p, &t->arg, t->arg_str, sizeof(t->arg_str));
	}
	pthread_mutex_unlock(&slow_lookup);
}

/* An address of main's stack that is no argument or environment string
 * in one process and unknown memory in the other, the same value: a
 * stale address the transfer kept as the bytes it is (relocate.c,
 * keep_nowhere), which falls into the past's stack but not the reversed
 * version's (nginx's free connections, from a malloc that does not zero,
 * hold such addresses). */
static int kept_stack_address(const struct target *a, const struct target *b)
{
	const struct target *stack = a->kind == TARGET_MAIN_STACK ? a : b;
	const struct target *other = stack == a ? b : a;
	return stack->kind == TARGET_MAIN_STACK && stack->arg.kind == STF_ARG_NONE &&
	       other->kind == TARGET_UNKNOWN && a->raw == b->raw;
}

int stf__same_target(const struct target *a, const struct target *b)
{
	if (a->kind != b->kind)
		return kept_stack_address(a, b);
	switch (a->kind) {
	case TARGET_NULL:
		return 1;
	case TARGET_OBJECT:
		return a->dyn == b->dyn && a->off == b->off && !strcmp(a->id, b->id);
	case TARGET_SYMBOL:
		return a->off == b->off && !strcmp(a->lib, b->lib) &&
		       (a->id && b->id ? !strcmp(a->id, b->id) : a->id == b->id);
	case TARGET_MAIN_STACK:
		if (a->arg.kind != b->arg.kind)
			return 0;
		return stf__arg_ref_same(&a->arg, &b->arg);
	case TARGET_STREAM:
		return a->stream.fd == b->stream.fd && !strcmp(a->stream.mode, b->stream.mode) &&
		       a->stream.pending == b->stream.pending &&
		       a->stream.pending_hash == b->stream.pending_hash;
	default:
		return a->raw == b->raw;
	}
}

void stf__fmt_target(const struct target *t, char *buf, size_t len)
{
	switch (t->kind) {
	case TARGET_NULL:
		snprintf(buf, len, "NULL");
		break;
	case TARGET_OBJECT:
		if (t->dyn)
			snprintf(buf, len, "&%s@%" PRIu64 "+%" PRIu64, t->id, t->dyn, t->off);
		else
			snprintf(buf, len, "&%s+%" PRIu64, t->id, t->off);
		break;
	case TARGET_SYMBOL:
		if (t->id)
			snprintf(buf, len, "&%s(%s)+%" PRIu64, t->id, t->lib, t->off);
		else
			snprintf(buf, len, "%s+0x%" PRIx64, t->lib, t->off);
		break;
	case TARGET_MAIN_STACK:
		if (t->arg.kind != STF_ARG_NONE)
			snprintf(buf, len, "%s", t->arg_str);
		else
			snprintf(buf, len, "0x%" PRIx64 " (main's stack)", t->raw);
		break;
	case TARGET_INTEGER:
		snprintf(buf, len, "0x%" PRIx64 " (an integer)", t->raw);
		break;
	case TARGET_STREAM:
		snprintf(buf, len, "stdio stream (file descriptor %d, mode \"%s\", %" PRIu64
			 " bytes of pending output)", t->stream.fd, t->stream.mode,
			 t->stream.pending);
		break;
	case TARGET_UNKNOWN:
		snprintf(buf, len, "0x%" PRIx64 " (unknown memory)", t->raw);
	}
}

/* Innermost scalar of (u, type) containing off: its type and start. */
uint32_t stf__scalar_at(const struct stf_meta_unit *u, uint32_t type, uint64_t off,
			uint64_t *start)
{
	*start = 0;
	for (int depth = 0; depth < 64; depth++) {
		type = stf_meta_strip_typedefs(u, type);
		if (type >= u->ntypes)
			return STF_NONE;
		const struct stf_type_rec *t = &u->types[type];
		if (t->kind == STF_K_ARRAY) {
			uint32_t et = stf_meta_strip_typedefs(u, t->target);
			uint64_t esz = et < u->ntypes ? u->types[et].size : 0;
			if (!esz)
				return STF_NONE;
			*start += off / esz * esz;
			off %= esz;
			type = et;
			continue;
		}
		if (t->kind != STF_K_STRUCT)
			return type;
		const struct stf_member_rec *best = NULL;
		for (uint32_t i = 0; i < t->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[t->members + i];
			uint32_t mt = stf_meta_strip_typedefs(u, m->type);
			uint64_t msz = mt < u->ntypes ? u->types[mt].size : 0;
			if (!m->bit_size && (uint64_t)m->offset <= off && off - m->offset < msz) {
				best = m;
				break;
			}
		}
		if (!best)
			return STF_NONE;
		*start += best->offset;
		off -= best->offset;
		type = best->type;
	}
	return STF_NONE;
}

void stf__fmt_scalar(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p,
		     char *buf, size_t len)
{
	const struct stf_type_rec *r = t < u->ntypes ? &u->types[t] : NULL;
	if (r && (r->kind == STF_K_INT || r->kind == STF_K_ENUM) && r->size && r->size <= 8) {
		uint64_t raw = 0;
		memcpy(&raw, p, r->size);
		int sgn = !!(r->flags & STF_TF_SIGNED);
		if (sgn && r->size < 8 && (raw >> (8 * r->size - 1)) & 1)
			raw |= ~0ULL << (8 * r->size);
		if (r->kind == STF_K_ENUM)
			for (uint32_t i = 0; i < r->nmembers; i++) {
				const struct stf_member_rec *m = &u->members[r->members + i];
				if ((uint64_t)m->offset == raw) {
					snprintf(buf, len, "%s", stf_meta_str(u, m->name));
					return;
				}
			}
		if (sgn)
			snprintf(buf, len, "%" PRId64, (int64_t)raw);
		else
			snprintf(buf, len, "%" PRIu64, raw);
		return;
	}
	if (r && r->kind == STF_K_FLOAT && (r->size == 4 || r->size == 8)) {
		if (r->size == 4) {
			float f;
			memcpy(&f, p, 4);
			snprintf(buf, len, "%g", f);
		} else {
			double f;
			memcpy(&f, p, 8);
			snprintf(buf, len, "%g", f);
		}
		return;
	}
	size_t n = r && r->size && r->size <= 8 ? r->size : 1;
	size_t pos = snprintf(buf, len, "0x");
	for (size_t i = n; i-- > 0 && pos < len;)
		pos += snprintf(buf + pos, len - pos, "%02x", p[i]);
}
