/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * type-names.c - a type's name, and the destination's type of that name:
 * through the typedef naming an anonymous struct, the renames given to
 * the update, and the same source file first (several files may each
 * declare their own type of one name).
 */
#include <stdio.h>
#include <string.h>

#include "xfer.h"
#include "engine.h"

const char *stf__type_str(const struct stf_meta_unit *u, uint32_t t, char *buf, size_t len)
{
	if (!u || t >= u->ntypes)
		snprintf(buf, len, "(untyped)");
	else
		stf_meta_type_name(u, t, buf, len);
	return buf;
}

/* The typedef of unit u naming anonymous struct, union or enum t
 * (`typedef struct { ... } foo_t;`), else t.  Types used through such a
 * typedef are recorded as the struct itself (the plugin records a type's
 * main variant), which has no name to find the new version's by; the
 * plugin records the typedef with it.  Only anonymous types are looked
 * up (a scan of the unit's types). */
static uint32_t typedef_naming(const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_type_rec *r = T(u, t);
	if (*stf_meta_str(u, r->name) ||
	    (r->kind != STF_K_STRUCT && r->kind != STF_K_UNION && r->kind != STF_K_ENUM))
		return t;
	for (uint32_t i = 0; i < u->ntypes; i++)
		if (u->types[i].kind == STF_K_TYPEDEF && u->types[i].target == t)
			return i;
	return t;
}

/* The complete type of that name declared by the destination's unit of
 * u's source file, if any: a name that several files declare each their
 * own way (every lighttpd module's `plugin_data`) is that file's type. */
static int same_file_type(const struct stf_xfer *x, const struct stf_meta_unit *u,
			  const char *name, const struct stf_meta_unit **du, uint32_t *dt)
{
	const struct stf_meta *m = x->dst->meta;
	const char *file = stf_meta_str(u, u->blob->file);
	for (size_t i = 0; i < m->nunits; i++) {
		const struct stf_meta_unit *c = &m->units[i];
		if (strcmp(stf_meta_str(c, c->blob->file), file))
			continue;
		uint32_t t = stf_meta_unit_find_type(m, c, name), st = strip(c, t);
		if (t == STF_NONE || st >= c->ntypes || (T(c, st)->flags & STF_TF_INCOMPLETE))
			return -1;
		*du = c;
		*dt = t;
		return 0;
	}
	return -1;
}

int stf__dst_type_named(const struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
			const struct stf_meta_unit **du, uint32_t *dt)
{
	char tn[256];
	t = strip(u, t);
	if (t < u->ntypes)
		t = typedef_naming(u, t);
	const char *name = stf__type_str(u, t, tn, sizeof(tn));
	if (x->renames)
		name = stf__rename(STF_RENAME_TYPE, name, x->dir);
	if (!same_file_type(x, u, name, du, dt))
		return 0;
	return stf_meta_find_type(x->dst->meta, name, du, dt);
}
