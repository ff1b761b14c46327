/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * problems.c - what a transfer reports: each problem once, whole or cut at a
 * word, in the report's list (every problem at once, README "Limits");
 * and the path of the value being transferred, which names the object
 * and member in each problem.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "xfer.h"
#include "engine.h"

void stf__report_problem(struct stf_xfer_report *rep, const char *text)
{
	size_t used = 0, n = strlen(text) + 1;
	const char *p = rep->problems;

	for (uint32_t k = 0; k < rep->nproblems; k++, p += strlen(p) + 1) {
		if (!strcmp(p, text))
			return;
		used += strlen(p) + 1;
	}
	if (!rep->nproblems && !rep->problems_omitted)
		snprintf(rep->error, sizeof(rep->error), "%s", text);
	if (rep->nproblems >= STF_PROBLEMS_MAX || used + n > sizeof(rep->problems)) {
		rep->problems_omitted++;
		return;
	}
	memcpy(rep->problems + used, text, n);
	rep->nproblems++;
}

/* A problem's text: whole when it fits the buffer, else cut at a word
 * boundary with "..." (a path can be long; the reason stays readable). */
static void format_problem(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);
	if (n < 0 || (size_t)n < len)
		return;
	char *cut = strrchr(buf, ' ');
	if (!cut || cut - buf < (ptrdiff_t)len / 2)
		cut = buf + len - 5;
	memcpy(cut, " ...", 5);
}

void stf__xfer_failv(struct stf_xfer *x, const char *fmt, va_list ap)
{
	char text[4096];

	/* the first problem of an object: what follows in it is likely
	 * its consequence */
	if (x->failed)
		return;
	x->failed = 1;
	if (x->trial)
		return;
	x->problems++;
	format_problem(text, sizeof(text), fmt, ap);
	stf__report_problem(x->rep, text);
}

void stf__xfail(struct stf_xfer *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stf__xfer_failv(x, fmt, ap);
	va_end(ap);
}

/* The path of the value being transferred ("kvd.c:table[3].key"). */
const char *stf__cur_path(struct stf_xfer *x)
{
	static __thread char buf[1400];
	uint32_t lt;
	size_t n;
	if (x->obj && x->obj->dyn_id)
		n = snprintf(buf, sizeof(buf), "%s@%" PRIu64, x->obj->id, x->obj->dyn_id);
	else
		n = snprintf(buf, sizeof(buf), "%s", x->obj ? x->obj->id :
			     x->obj_label ? x->obj_label : "");
	if (x->elem != UINT64_MAX && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "[%" PRIu64 "]", x->elem);
	size_t kept = x->plen < STF_PATH_STEPS ? x->plen : STF_PATH_STEPS;
	for (size_t k = 0; k < kept && n < sizeof(buf); k++)
		n += x->path[k].name ?
		     snprintf(buf + n, sizeof(buf) - n, ".%s", x->path[k].name) :
		     snprintf(buf + n, sizeof(buf) - n, "[%" PRIu64 "]", x->path[k].index);
	if (kept < x->plen && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "...");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (x->leaf_active)
		stf__type_path(x->leaf_unit, x->leaf_type, x->leaf_off, buf, sizeof(buf), &lt);
	return buf;
}

static size_t path_push(struct stf_xfer *x, const char *name, uint64_t index)
{
	if (x->plen < STF_PATH_STEPS)
		x->path[x->plen] = (struct path_step){ name, index };
	return x->plen++;
}

size_t stf__path_member(struct stf_xfer *x, const char *name)
{
	return path_push(x, name, 0);
}

size_t stf__path_index(struct stf_xfer *x, uint64_t index)
{
	return path_push(x, NULL, index);
}

void stf__path_cut(struct stf_xfer *x, size_t mark)
{
	x->plen = mark;
}
