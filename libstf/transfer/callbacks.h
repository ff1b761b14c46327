/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * callbacks.h - registry of the state transfer callbacks of stf.h.
 *
 * INTERNAL.  The program (the new version, running as F) registers its
 * callbacks and renames at startup; the engine (xfer.c) looks them up
 * while transferring in either direction.  Names are always those of the
 * version that registered them (the new version): the engine passes
 * destination-side names forward and source-side names backward.
 */
#ifndef STF_CALLBACKS_H
#define STF_CALLBACKS_H

#include <stdarg.h>
#include "stf.h"

struct stf_cb {
	union {
		stf_value_cb value;
		stf_init_cb init;
		stf_transformer_cb done;
	} fn;
	void *arg;
};

/* Non-zero if any value callback (object/type/member) is registered. */
int stf__cb_any_object(void);
int stf__cb_any_type(void);
int stf__cb_any_member(void);

/* Look up a callback for the given direction; 0 if found (*cb filled).
 * A member callback of a member that is new in the destination (forward)
 * receives the whole source struct as its source value. */
int stf__cb_find_object(const char *object_id, enum stf_direction dir, struct stf_cb *cb);
int stf__cb_find_type(const char *type_name, enum stf_direction dir, struct stf_cb *cb);
int stf__cb_find_member(const char *type_name, const char *member,
			enum stf_direction dir, struct stf_cb *cb);
int stf__cb_find_new_object(const char *object_id, enum stf_direction dir,
			    struct stf_cb *cb);
/* Run every post-transfer transformer of dir in registration order; 0 or
 * the first STF_CB_ERROR. */
int stf__cb_run_done(struct stf_xfer *x, enum stf_direction dir);

/*
 * Renames (registered old -> new).  stf__rename maps a name of the source
 * version to the destination version's name for a transfer in direction
 * dir (forward: old -> new, backward: new -> old); names without a rename
 * map to themselves.  For members, `type` is the source-side type name
 * ("struct entry") and the result is the destination-side member name.
 */
const char *stf__rename(enum stf_rename_kind kind, const char *name,
			enum stf_direction dir);
/* The new version's name of a function holding an update point (a frame
 * label, "func" or "func [wait]"), from the renames of its locals
 * ("func/local" -> "other/local"): in buf, or func itself if none. */
const char *stf__rename_frame(const char *func, char *buf, size_t len);
/* Whether a frame label of the old version (old_func) names the function
 * the new version's label (new_func) names, renamed as an object
 * (stf_rename (STF_RENAME_OBJECT, "file.c:worker", "file.c:serve")). */
int stf__function_renamed(const char *old_func, const char *new_func);
const char *stf__rename_member(const char *type, const char *member,
			       enum stf_direction dir);
int stf__rename_any(void);

/* Engine services behind the stf.h helpers (implemented in xfer.c). */
enum stf_direction stf__xfer_dir(const struct stf_xfer *x);
int stf__xfer_src_read(struct stf_xfer *x, uint64_t addr, void *buf, size_t len);
int stf__xfer_relocate(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr);
uint64_t stf__xfer_dst_object(struct stf_xfer *x, const char *object_id);
void stf__xfer_failv(struct stf_xfer *x, const char *fmt, va_list ap);

#endif /* STF_CALLBACKS_H */
