/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * args.c - a peer's command line and environment (see remote.h): the
 * argument and environment areas of main's stack, so pointers into them
 * are relocated to the same string in the destination.
 *
 * A program that sets its process title (setproctitle: environ moved to
 * the heap, the title written over argv[0] and on over the environment
 * strings) leaves no strings to name places by: the areas hold the title
 * and padding.  Once the past version has done so, a place in the areas
 * is its offset from the first argument, in every process of the update
 * (the new and the reversed versions start with the same arguments and,
 * up to libstf's own variables at the end, the same environment, so the
 * offset of the title area's end falls at the same place), and the
 * differencing compares those offsets, never the title's text.
 *
 * The C runtime's `environ` is carried forward when the past version
 * made it an array of its own (stf__carry_environ).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "remote.h"

/* ------------------------------------------------------------------ */
/* Command line and environment.                                       */

/* Fields 48..51 of /proc/PID/stat: arg_start, arg_end, env_start, env_end. */
static int read_arg_areas(pid_t pid, uint64_t v[4])
{
	char path[64], buf[4096], *save = NULL;
	int field = 2, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *s = strrchr(buf, ')'); /* the command name may hold anything */
	if (!s)
		return -1;
	for (char *tok = strtok_r(s + 1, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field >= 48)
			v[field - 48] = strtoull(tok, NULL, 10);
		if (field == 51)
			return 0;
	}
	return -1;
}

/* Start address of every NUL-terminated string of an area. */
static size_t split_strings(struct stf_arena *a, const char *bytes, uint64_t start,
			    uint64_t len, uint64_t **out)
{
	size_t n = 0, k = 0;
	uint64_t from = 0;
	for (uint64_t i = 0; i < len; i++)
		n += !bytes[i];
	*out = stf__arena_alloc(a, (n + 2) * sizeof(**out));
	if (!*out)
		return 0;
	for (uint64_t i = 0; i < len; i++)
		if (!bytes[i]) {
			(*out)[k++] = start + from;
			from = i + 1;
		}
	if (from < len) /* an unterminated last string */
		(*out)[k++] = start + from;
	return k;
}

/* The argv array of a process that set its title: argc, argv[0] still
 * pointing to the first argument, later entries set to NULL or pointing
 * anywhere into the areas, then NULL. */
static void find_titled_argv(struct stf_peer *p, const uint64_t *w, uint64_t lo, size_t nw)
{
	struct stf_peer_args *a = &p->args;
	for (size_t i = nw - 1; i-- > 0;) {
		uint64_t n = w[i], k;
		if (w[i + 1] != a->arg_start || n < 1 || n > 4096 || i + n + 2 > nw)
			continue;
		for (k = 1; k < n; k++)
			if (w[i + 1 + k] && (w[i + 1 + k] < a->arg_start || w[i + 1 + k] >= a->env_end))
				break;
		if (k < n || w[i + 1 + n])
			continue;
		a->argv = lo + (i + 1) * 8;
		a->argv_n = n;
		return;
	}
}

/* The argv and envp arrays lie below the strings (under the auxiliary
 * vector): argc, argv[0..argc-1] pointing into the argument area (in any
 * order: getopt permutes them), NULL, then envp up to a NULL. */
static void find_arg_arrays(struct stf_peer *p)
{
	struct stf_peer_args *a = &p->args;
	uint64_t hi = a->arg_start & ~7ULL;
	uint64_t span = (a->argc + a->envc + 2) * 8 + 65536;
	uint64_t lo = hi > span ? hi - span : 0;
	uint64_t *w;
	size_t nw;

	if (!p->stack_start || hi <= p->stack_start || hi > p->stack_end)
		return;
	if (lo < p->stack_start)
		lo = (p->stack_start + 7) & ~7ULL;
	nw = (hi - lo) / 8;
	w = stf__raw_malloc(nw * 8 + 8);
	if (!w)
		return;
	if (stf__peer_read(p, lo, w, nw * 8) < 0) {
		stf__raw_free(w);
		return;
	}
	for (size_t i = nw - (nw > a->argc + 1 ? a->argc + 1 : nw); i-- > 0;) {
		size_t k;
		if (w[i] != a->argc || i + a->argc + 2 > nw)
			continue;
		for (k = 0; k < a->argc; k++)
			if (w[i + 1 + k] < a->arg_start || w[i + 1 + k] >= a->arg_end)
				break;
		if (k < a->argc || w[i + 1 + a->argc])
			continue;
		a->argv = lo + (i + 1) * 8;
		size_t e = i + 2 + a->argc, n = 0;
		while (e + n < nw && w[e + n])
			n++;
		if (e + n < nw) {
			a->envp = lo + e * 8;
			a->envp_n = n;
			a->envp_vals = stf__arena_alloc(p->arena, (n + 1) * 8);
			if (a->envp_vals)
				memcpy(a->envp_vals, &w[e], n * 8);
			else
				a->envp = 0;
		}
		break;
	}
	if (!a->argv)
		find_titled_argv(p, w, lo, nw);
	else
		a->argv_n = a->argc;
	stf__raw_free(w);
}

/* The past version of this update rewrote its areas (set when this
 * process reads it: F in the forward transfer, R in the differencing):
 * places in every peer's areas are offsets then. */
static int titled_lineage;

static const char *env_string(const struct stf_peer_args *a, uint64_t addr);

static int load_args(struct stf_peer *p)
{
	struct stf_peer_args *a = &p->args;
	uint64_t f[4] = { 0 };
	char *ab, *eb;

	if (a->state)
		return a->state > 0 ? 0 : -1;
	a->state = -1;
	/* zero when we may not see them */
	if (read_arg_areas(p->pid, f) < 0 || !f[0] || f[1] < f[0] || f[3] < f[2] ||
	    f[1] - f[0] > (1u << 24) || f[3] - f[2] > (1u << 24))
		return -1;
	ab = stf__arena_alloc(p->arena, f[1] - f[0] + 1);
	eb = stf__arena_alloc(p->arena, f[3] - f[2] + 1);
	if (!ab || !eb || stf__peer_read(p, f[0], ab, f[1] - f[0]) < 0 ||
	    stf__peer_read(p, f[2], eb, f[3] - f[2]) < 0)
		return -1;
	a->arg_start = f[0];
	a->arg_end = f[1];
	a->env_start = f[2];
	a->env_end = f[3];
	a->arg_bytes = ab;
	a->env_bytes = eb;
	a->argc = split_strings(p->arena, ab, f[0], f[1] - f[0], &a->arg_str);
	a->envc = split_strings(p->arena, eb, f[2], f[3] - f[2], &a->env_str);
	if (!a->arg_str || !a->env_str)
		return -1;
	find_arg_arrays(p);
	/* The title is written over the environment strings (no '=' left)
	 * or over the arguments (argv no longer as exec laid it out). */
	for (size_t k = 0; k < a->envc && !a->rewritten; k++)
		a->rewritten = !strchr(env_string(a, a->env_str[k]), '=');
	if (!a->rewritten && p->stack_start && a->argc && !a->envp)
		a->rewritten = 1;
	if (a->rewritten && !p->self)
		titled_lineage = 1;
	a->state = 1;
	return 0;
}

void stf__peer_args_load(struct stf_peer *p)
{
	(void)load_args(p);
}

/* The string of strs[0..n) containing addr. */
static size_t string_at(const uint64_t *strs, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (strs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static const char *env_string(const struct stf_peer_args *a, uint64_t addr)
{
	return a->env_bytes + (addr - a->env_start);
}

int stf__peer_arg_ref(struct stf_peer *p, uint64_t addr, struct stf_arg_ref *ref)
{
	struct stf_peer_args *a = &p->args;

	memset(ref, 0, sizeof(*ref));
	if (load_args(p) < 0)
		return -1;
	if ((a->rewritten || titled_lineage) && addr >= a->arg_start &&
	    addr <= a->env_end && (addr < a->arg_end || addr >= a->env_start)) {
		ref->kind = STF_ARG_AREA;
		ref->off = addr - a->arg_start;
		return 0;
	}
	if (addr >= a->arg_start && addr < a->arg_end && a->argc) {
		ref->kind = STF_ARG_STRING;
		ref->index = string_at(a->arg_str, a->argc, addr);
		ref->off = addr - a->arg_str[ref->index];
		return 0;
	}
	if (addr >= a->env_start && addr < a->env_end && a->envc) {
		size_t k = string_at(a->env_str, a->envc, addr);
		ref->kind = STF_ARG_ENV;
		ref->name = env_string(a, a->env_str[k]);
		ref->name_len = strcspn(ref->name, "=");
		ref->off = addr - a->env_str[k];
		return 0;
	}
	if (a->argv && addr >= a->argv && addr <= a->argv + 8 * a->argv_n &&
	    !((addr - a->argv) & 7)) {
		ref->kind = STF_ARG_ARGV;
		ref->index = (addr - a->argv) / 8;
		return 0;
	}
	if (a->envp && addr >= a->envp && addr <= a->envp + 8 * a->envp_n &&
	    !((addr - a->envp) & 7)) {
		size_t i = (addr - a->envp) / 8;
		ref->kind = STF_ARG_ENVP;
		ref->index = i;
		if (i == a->envp_n)
			return 0;
		uint64_t v = a->envp_vals[i];
		if (v >= a->env_start && v < a->env_end) {
			ref->name = env_string(a, a->env_str[string_at(a->env_str, a->envc, v)]);
			ref->name_len = strcspn(ref->name, "=");
			return 0;
		}
	}
	ref->kind = STF_ARG_NONE;
	return -1;
}

/* The environment string defining the variable, 0 if none. */
static uint64_t env_find(const struct stf_peer_args *a, const char *name, size_t len)
{
	for (size_t k = 0; k < a->envc; k++) {
		const char *s = env_string(a, a->env_str[k]);
		if (!strncmp(s, name, len) && s[len] == '=')
			return a->env_str[k];
	}
	return 0;
}

uint64_t stf__peer_arg_addr(struct stf_peer *p, const struct stf_arg_ref *ref)
{
	const struct stf_peer_args *a = &p->args;
	uint64_t s;

	if (load_args(p) < 0)
		return 0;
	switch (ref->kind) {
	case STF_ARG_STRING:
		if (ref->index >= a->argc)
			return 0;
		s = a->arg_str[ref->index];
		return ref->off <= strlen(a->arg_bytes + (s - a->arg_start)) ? s + ref->off : 0;
	case STF_ARG_ENV:
		s = env_find(a, ref->name, ref->name_len);
		return s && ref->off <= strlen(env_string(a, s)) ? s + ref->off : 0;
	case STF_ARG_ARGV:
		return a->argv && ref->index <= a->argv_n ? a->argv + 8 * ref->index : 0;
	case STF_ARG_AREA:
		return ref->off <= a->env_end - a->arg_start ? a->arg_start + ref->off : 0;
	case STF_ARG_ENVP:
		if (!a->envp)
			return 0;
		if (!ref->name)
			return a->envp + 8 * a->envp_n;
		s = env_find(a, ref->name, ref->name_len);
		for (size_t i = 0; s && i < a->envp_n; i++)
			if (a->envp_vals[i] == s)
				return a->envp + 8 * i;
		return 0;
	}
	return 0;
}

void stf__arg_ref_str(struct stf_peer *p, const struct stf_arg_ref *ref, char *buf,
		      size_t len)
{
	const struct stf_peer_args *a = &p->args;
	switch (ref->kind) {
	case STF_ARG_STRING:
		snprintf(buf, len, "argument %zu (\"%.100s\") at offset %" PRIu64, ref->index,
			 a->arg_bytes + (a->arg_str[ref->index] - a->arg_start), ref->off);
		break;
	case STF_ARG_ENV:
		snprintf(buf, len, "environment variable %.*s at offset %" PRIu64,
			 (int)(ref->name_len > 100 ? 100 : ref->name_len), ref->name, ref->off);
		break;
	case STF_ARG_ARGV:
		snprintf(buf, len, "argv[%zu]", ref->index);
		break;
	case STF_ARG_AREA:
		snprintf(buf, len, "the process title area (rewritten arguments and "
			 "environment) at offset %" PRIu64, ref->off);
		break;
	case STF_ARG_ENVP:
		if (ref->name)
			snprintf(buf, len, "the envp entry of %.*s",
				 (int)(ref->name_len > 100 ? 100 : ref->name_len), ref->name);
		else
			snprintf(buf, len, "the end of the envp array");
		break;
	default:
		snprintf(buf, len, "no argument");
	}
}

int stf__arg_ref_same(const struct stf_arg_ref *a, const struct stf_arg_ref *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case STF_ARG_STRING:
		return a->index == b->index && a->off == b->off;
	case STF_ARG_ENV:
		return a->off == b->off && a->name_len == b->name_len &&
		       !memcmp(a->name, b->name, a->name_len);
	case STF_ARG_ARGV:
		return a->index == b->index;
	case STF_ARG_ENVP:
		if (!a->name || !b->name)
			return !a->name && !b->name;
		return a->name_len == b->name_len && !memcmp(a->name, b->name, a->name_len);
	case STF_ARG_AREA:
		return a->off == b->off;
	default:
		return 1;
	}
}

/* ------------------------------------------------------------------ */
/* The C runtime's `environ`.                                          */

extern char **environ;

/* Where p's `environ` is: the executable's copy when it has one (a
 * program that names `environ` gets it by a copy relocation, which the
 * C runtime then uses too), else the C library's. */
static uint64_t environ_addr(struct stf_peer *p)
{
	uint64_t a = stf__peer_symbol_addr(p, NULL, "environ");
	return a ? a : stf__peer_symbol_addr(p, "libc.so.6", "environ");
}

/*
 * A program that replaces its environment with an array of its own
 * (nginx's ngx_set_environment: the variables its configuration keeps,
 * in an array its cycle also holds) makes the C runtime's `environ`
 * state: the new startup did the same, so without the old value
 * `environ` would keep the startup's array alive beside the transferred
 * one, one object more per update, and the program's own test
 * `environ == its array` (ngx_cleanup_environment) would change answer.
 * So, forward, once every object has its place: when the past version's
 * `environ` points into one of the program's objects (a heap block of an
 * instrumented site, a static), this process's is set to that object's
 * counterpart, relocated as any pointer.  When it points to the C
 * runtime's (the exec vector on main's stack, an array setenv grew in
 * the C library's heap), the new version keeps its own, as its startup
 * left it: those are the process's own, not the program's.  The way back
 * leaves the reversed version's `environ` alone: it is no object of the
 * catalog, so the differencing does not compare it.  -1 (the transfer
 * fails, naming it) if it points to an object with no counterpart.
 */
uint64_t stf__peer_environ(struct stf_peer *p)
{
	uint64_t at = environ_addr(p), v;
	return at && stf__peer_read(p, at, &v, sizeof(v)) == 0 ? v : 0;
}

int stf__carry_environ(struct stf_xfer *x)
{
	uint64_t v, nv;
	char on[256];

	if (x->dir != STF_FORWARD || !x->dst->self || !(v = stf__peer_environ(x->src)))
		return 0;
	const struct stf_obj *o = stf__peer_find(x->src, v);
	if (!o || o->addr + o->size <= v || (o->flags & (STF_OBJF_EXTERNAL | STF_OBJF_INTERNAL)) ||
	    (o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_USER))
		return 0;
	stf__path_cut(x, 0);
	x->obj = NULL;
	x->obj_label = "environ (the C runtime's)";
	x->elem = UINT64_MAX;
	if (x->pair[o - x->src->objs].dst == PAIR_NONE) {
		stf__xfail(x, "environ (the C runtime's) points to %s, the old version's own "
			   "environment array, which the new version does not have (dropped): "
			   "keep that array in the new version, or point environ back to the "
			   "exec vector before the update point",
			   stf__obj_name(o, on, sizeof(on)));
		return -1;
	}
	if (stf__xfer_relocate(x, v, &nv) < 0)
		return -1;
	environ = (char **)(uintptr_t)nv;
	return 0;
}
