/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * callbacks.c - the state transfer callback API of stf.h (registration)
 * and its lookup by the engine.  Registration happens at the program's
 * startup, before any transfer, from one thread; lookups happen during
 * the transfer only, so a mutex guards registration against a late call
 * from another thread and lookups read without locking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"

/* The public API of stf.h (the library is built with hidden visibility). */
#define EXPORT __attribute__((visibility("default")))

enum cb_kind { CB_OBJECT, CB_TYPE, CB_MEMBER, CB_NEW, CB_DONE };

struct cb_entry {
	enum cb_kind kind;
	unsigned directions;
	char *name;   /* object ID or type name */
	char *member; /* CB_MEMBER */
	struct stf_cb cb;
};

struct rename_entry {
	enum stf_rename_kind kind;
	char *old_name, *new_name;     /* members: old "struct entry.old", new "new" */
	char *type, *old_member;       /* members: split old name */
};

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cb_entry *cbs;
static size_t ncbs;
static struct rename_entry *renames;
static size_t nrenames;
static int counts[5];

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = stf__raw_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int add_cb(enum cb_kind kind, const char *name, const char *member,
		  unsigned directions, struct stf_cb cb)
{
	if ((kind != CB_DONE && (!name || !*name)) || (kind == CB_MEMBER && (!member || !*member)) ||
	    !directions || (directions & ~(unsigned)STF_BOTH)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&cb_lock);
	struct cb_entry *n = stf__raw_realloc(cbs, (ncbs + 1) * sizeof(*n));
	if (!n) {
		pthread_mutex_unlock(&cb_lock);
		errno = ENOMEM;
		return -1;
	}
	cbs = n;
	n = &cbs[ncbs];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->directions = directions;
	n->name = name ? dup_str(name) : NULL;
	n->member = member ? dup_str(member) : NULL;
	n->cb = cb;
	if ((name && !n->name) || (member && !n->member)) {
		pthread_mutex_unlock(&cb_lock);
		errno = ENOMEM;
		return -1;
	}
	ncbs++;
	counts[kind]++;
	pthread_mutex_unlock(&cb_lock);
	return 0;
}

EXPORT int stf_on_object(const char *object_id, unsigned directions, stf_value_cb cb, void *arg)
{
	struct stf_cb c = { .fn.value = cb, .arg = arg };
	if (!cb)
		return errno = EINVAL, -1;
	return add_cb(CB_OBJECT, object_id, NULL, directions, c);
}

EXPORT int stf_on_type(const char *type_name, unsigned directions, stf_value_cb cb, void *arg)
{
	struct stf_cb c = { .fn.value = cb, .arg = arg };
	if (!cb)
		return errno = EINVAL, -1;
	return add_cb(CB_TYPE, type_name, NULL, directions, c);
}

EXPORT int stf_on_member(const char *type_name, const char *member, unsigned directions,
		  stf_value_cb cb, void *arg)
{
	struct stf_cb c = { .fn.value = cb, .arg = arg };
	if (!cb)
		return errno = EINVAL, -1;
	return add_cb(CB_MEMBER, type_name, member, directions, c);
}

EXPORT int stf_on_new_object(const char *object_id, unsigned directions, stf_init_cb cb, void *arg)
{
	struct stf_cb c = { .fn.init = cb, .arg = arg };
	if (!cb)
		return errno = EINVAL, -1;
	return add_cb(CB_NEW, object_id, NULL, directions, c);
}

EXPORT int stf_on_transfer_done(unsigned directions, stf_transformer_cb cb, void *arg)
{
	struct stf_cb c = { .fn.done = cb, .arg = arg };
	if (!cb)
		return errno = EINVAL, -1;
	return add_cb(CB_DONE, NULL, NULL, directions, c);
}

EXPORT int stf_rename(enum stf_rename_kind kind, const char *old_name, const char *new_name)
{
	const char *dot = NULL;

	if (!old_name || !new_name || !*old_name || !*new_name ||
	    kind < STF_RENAME_OBJECT || kind > STF_RENAME_ENUMERATOR)
		return errno = EINVAL, -1;
	if (kind == STF_RENAME_MEMBER) {
		dot = strrchr(old_name, '.');
		if (!dot || dot == old_name || !dot[1] || strchr(new_name, '.'))
			return errno = EINVAL, -1;
	}
	pthread_mutex_lock(&cb_lock);
	struct rename_entry *n = stf__raw_realloc(renames, (nrenames + 1) * sizeof(*n));
	if (!n) {
		pthread_mutex_unlock(&cb_lock);
		return errno = ENOMEM, -1;
	}
	renames = n;
	n = &renames[nrenames];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->old_name = dup_str(old_name);
	n->new_name = dup_str(new_name);
	if (dot) {
		n->type = stf__raw_malloc(dot - old_name + 1);
		if (n->type) {
			memcpy(n->type, old_name, dot - old_name);
			n->type[dot - old_name] = 0;
		}
		n->old_member = dup_str(dot + 1);
	}
	if (!n->old_name || !n->new_name || (dot && (!n->type || !n->old_member))) {
		pthread_mutex_unlock(&cb_lock);
		return errno = ENOMEM, -1;
	}
	nrenames++;
	pthread_mutex_unlock(&cb_lock);
	return 0;
}

int stf__cb_any_object(void) { return counts[CB_OBJECT]; }
int stf__cb_any_type(void) { return counts[CB_TYPE]; }
int stf__cb_any_member(void) { return counts[CB_MEMBER]; }
int stf__rename_any(void) { return nrenames != 0; }

static int find(enum cb_kind kind, const char *name, const char *member,
		enum stf_direction dir, struct stf_cb *cb)
{
	if (!counts[kind])
		return -1;
	for (size_t i = 0; i < ncbs; i++) {
		const struct cb_entry *e = &cbs[i];
		if (e->kind != kind || !(e->directions & dir) || strcmp(e->name, name) ||
		    (member && strcmp(e->member, member)))
			continue;
		*cb = e->cb;
		return 0;
	}
	return -1;
}

int stf__cb_find_object(const char *object_id, enum stf_direction dir, struct stf_cb *cb)
{
	return find(CB_OBJECT, object_id, NULL, dir, cb);
}

int stf__cb_find_type(const char *type_name, enum stf_direction dir, struct stf_cb *cb)
{
	return find(CB_TYPE, type_name, NULL, dir, cb);
}

int stf__cb_find_member(const char *type_name, const char *member,
			enum stf_direction dir, struct stf_cb *cb)
{
	return find(CB_MEMBER, type_name, member, dir, cb);
}

int stf__cb_find_new_object(const char *object_id, enum stf_direction dir,
			    struct stf_cb *cb)
{
	return find(CB_NEW, object_id, NULL, dir, cb);
}

int stf__cb_run_done(struct stf_xfer *x, enum stf_direction dir)
{
	for (size_t i = 0; i < ncbs; i++) {
		const struct cb_entry *e = &cbs[i];
		if (e->kind != CB_DONE || !(e->directions & dir))
			continue;
		if (e->cb.fn.done(x, e->cb.arg) == STF_CB_ERROR)
			return STF_CB_ERROR;
	}
	return 0;
}

const char *stf__rename(enum stf_rename_kind kind, const char *name,
			enum stf_direction dir)
{
	for (size_t i = 0; i < nrenames; i++) {
		const struct rename_entry *r = &renames[i];
		if (r->kind != kind)
			continue;
		if (dir == STF_FORWARD && !strcmp(r->old_name, name))
			return r->new_name;
		if (dir == STF_BACKWARD && !strcmp(r->new_name, name))
			return r->old_name;
	}
	return name;
}

const char *stf__rename_frame(const char *func, char *buf, size_t len)
{
	size_t n = strlen(func);
	for (size_t i = 0; i < nrenames; i++) {
		const struct rename_entry *r = &renames[i];
		const char *slash = strchr(r->new_name, '/');
		if (r->kind == STF_RENAME_OBJECT && slash && !strncmp(r->old_name, func, n) &&
		    r->old_name[n] == '/') {
			snprintf(buf, len, "%.*s", (int)(slash - r->new_name), r->new_name);
			return buf;
		}
	}
	return func;
}

/* An object ID without its file ("rename19.c:worker" -> "worker"). */
static const char *plain_name(const char *id)
{
	const char *colon = strrchr(id, ':');
	return colon ? colon + 1 : id;
}

int stf__function_renamed(const char *old_func, const char *new_func)
{
	/* a frame label may end with " [wait]" (metadata.c): the same on
	 * both sides, after the function's name */
	size_t on = strcspn(old_func, " "), nn = strcspn(new_func, " ");
	if (strcmp(old_func + on, new_func + nn))
		return 0;
	for (size_t i = 0; i < nrenames; i++) {
		const struct rename_entry *r = &renames[i];
		if (r->kind != STF_RENAME_OBJECT || strchr(r->old_name, '/') ||
		    strchr(r->new_name, '/'))
			continue;
		const char *o = plain_name(r->old_name), *n = plain_name(r->new_name);
		if (strlen(o) == on && !strncmp(o, old_func, on) && strlen(n) == nn &&
		    !strncmp(n, new_func, nn))
			return 1;
	}
	return 0;
}

const char *stf__rename_member(const char *type, const char *member,
			       enum stf_direction dir)
{
	for (size_t i = 0; i < nrenames; i++) {
		const struct rename_entry *r = &renames[i];
		if (r->kind != STF_RENAME_MEMBER)
			continue;
		/* the type may be spelled by its old or its new name */
		if (strcmp(r->type, type) &&
		    strcmp(stf__rename(STF_RENAME_TYPE, r->type, STF_FORWARD), type))
			continue;
		if (dir == STF_FORWARD && !strcmp(r->old_member, member))
			return r->new_name;
		if (dir == STF_BACKWARD && !strcmp(r->new_name, member))
			return r->old_member;
	}
	return member;
}

/* ---- helpers for callbacks (stf.h) ---- */

EXPORT enum stf_direction stf_xfer_direction(const struct stf_xfer *x)
{
	return stf__xfer_dir(x);
}

EXPORT int stf_xfer_read(struct stf_xfer *x, uint64_t src_addr, void *buf, size_t len)
{
	return stf__xfer_src_read(x, src_addr, buf, len);
}

EXPORT int stf_xfer_pointer(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr)
{
	return stf__xfer_relocate(x, src_ptr, dst_ptr);
}

EXPORT uint64_t stf_xfer_object(struct stf_xfer *x, const char *object_id)
{
	return stf__xfer_dst_object(x, object_id);
}

EXPORT void stf_xfer_fail(struct stf_xfer *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stf__xfer_failv(x, fmt, ap);
	va_end(ap);
}
