/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-userdata.cc - user data a library keeps and gives back
 * (member-uses.cc follows the values): the setters and getters known,
 * the getters' out-parameters, and which values given to a setter are
 * used as its pool (what all the getter's results are used as) rather
 * than as the callbacks given with them.
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-uses-state.h"

namespace stf_member_uses {

/* User data a library keeps and gives back (`event_new (base, fd, ev,
 * on_read, arg)` ... `event_get_callback_arg (ev)`, or through an
 * out-parameter: `bufferevent_getcb (bev, NULL, NULL, NULL, &arg)`): the
 * getter's results are followed under the key (NULL, the getter's name,
 * NULL, -1), the pool of all the values given to the setter.  A value
 * passed to the setter is used as the callbacks passed with it use it;
 * as the pool when they do not (or the call passes none): one type for
 * all the values of a pool only when the program gives them one
 * (join_user_data_pools). */
const user_data_accessor user_data_accessors[n_user_data_accessors] = {
	{ "event_new", 4, "event_get_callback_arg", -1 },
	{ "event_assign", 5, "event_get_callback_arg", -1 },
	{ "bufferevent_setcb", 4, "bufferevent_getcb", 4 },
	{ "uv_handle_set_data", 1, "uv_handle_get_data", -1 },
	{ "uv_req_set_data", 1, "uv_req_get_data", -1 },
	{ "pthread_setspecific", 1, "pthread_getspecific", -1 },
};

std::vector<setter_call> setter_calls;

/* key -> (setter, argument): the value is used as the setter's pool
 * unless the callbacks of other units given with it use it (libstf
 * decides: STF_USE_FALLBACK). */
std::map<use_key, std::set<std::pair<tree, int>>> pool_out;

/* The locals of the function being scanned whose address is a getter's
 * out-parameter, and that getter. */
std::map<tree, const user_data_accessor *> getter_outs;

use_key user_data_key (const char *getter)
{
	return use_key (NULL_TREE, get_identifier (getter), NULL_TREE, -1);
}

/* The setter argument i of fn is, or NULL. */
const user_data_accessor *user_data_setter (tree fn, unsigned i)
{
	for (const user_data_accessor &a : user_data_accessors)
		if (a.arg == i && DECL_NAME (fn) && id_equal (DECL_NAME (fn), a.setter))
			return &a;
	return NULL;
}

/* The getter fn is, or NULL. */
const user_data_accessor *user_data_getter (tree fn)
{
	for (const user_data_accessor &a : user_data_accessors)
		if (DECL_NAME (fn) && id_equal (DECL_NAME (fn), a.getter))
			return &a;
	return NULL;
}

/* A getter's call giving its result through an out-parameter, the
 * address of a local: the loads of that local are its results. */
void scan_getter_out (gcall *c)
{
	tree fn = gimple_call_fndecl (c);
	const user_data_accessor *a = fn ? user_data_getter (fn) : NULL;
	if (!a || a->out < 0 || (unsigned) a->out >= gimple_call_num_args (c))
		return;
	tree arg = gimple_call_arg (c, a->out);
	if (TREE_CODE (arg) == ADDR_EXPR && VAR_P (TREE_OPERAND (arg, 0))
	    && !is_global_var (TREE_OPERAND (arg, 0)))
		getter_outs[TREE_OPERAND (arg, 0)] = a;
}

/* Does one of the callbacks given with a value use it (its `void *`
 * parameters' uses, here or in other units)?  1 yes, 0 no, -1 not
 * known here: a callback of another unit. */
int callbacks_use_it (const setter_call &sc)
{
	int known = 1;
	for (tree f : sc.callbacks) {
		auto ps = params_of.find (f);
		if (ps == params_of.end ()) {
			known = 0;
			continue;
		}
		for (tree p : ps->second) {
			use_key k = param_of (p);
			if (void_pointer_p (TREE_TYPE (p)) && (uses.count (k) || passed_out.count (k)))
				return 1;
		}
	}
	return known ? 0 : -1;
}

/* A value given to a library's user data setter is used as its call's
 * callbacks use it, as the getter's pool only when they do not (two
 * kinds of events whose arguments are two structs, both read back
 * through event_get_callback_arg): the pool's uses here and the
 * setter's records in other units (STF_USE_PARAM of its argument),
 * or, when a callback is of another unit, the pool for libstf to use
 * if that one does not. */
bool join_user_data_pools ()
{
	bool joined = false;
	for (const setter_call &sc : setter_calls) {
		int used = callbacks_use_it (sc);
		if (used > 0)
			continue;
		joined = true;
		if (used < 0) {
			pool_out[sc.key].insert (std::make_pair (sc.setter, (int) sc.accessor->arg));
			continue;
		}
		flows[sc.key].insert (user_data_key (sc.accessor->getter));
		passed_out[sc.key].insert (std::make_pair (sc.setter, (int) sc.accessor->arg));
	}
	setter_calls.clear ();
	return joined;
}

} /* namespace stf_member_uses */
