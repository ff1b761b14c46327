/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * update-points.cc - update-point frames.
 *
 * The rewrite happens on the function's GENERIC body, before
 * gimplification: that is where a local can still be made addressable
 * (as taking its address in C would), so GCC gimplifies it as a memory
 * object from the start.  The scopes are the BIND_EXPRs enclosing the call;
 * a local is in scope once its DECL_EXPR has been passed, so locals
 * declared after the update point are not passed, nor are variables the
 * function never refers to.  Parameters come first, then locals from the
 * outermost scope inwards.
 *
 * Calls to pthread_cond_wait, pthread_cond_timedwait and
 * pthread_cond_clockwait become wait points the same way (libstf/runtime/wait.h):
 * an idle worker of a thread pool waits there, not at an update point.
 * Their frame records start with two pseudo-locals for the wait's cond
 * and mutex arguments, which libstf passes itself.
 *
 * A function holding an update point starts with a call that marks its
 * thread as one that loops to update points: only such threads get the
 * signal that interrupts blocking calls during quiescence, so a thread
 * that never reaches an update point (a pool worker reading a request, a
 * library's thread) never sees an EINTR it did not ask for.
 *
 * Both refer to libstf weakly and fall back to the plain code when it is
 * not linked: a program built with the plugin but not with libstf (one
 * that calls no stf_update_point()) links and runs as without the plugin.
 */
#include "stf-plugin.h"
#include "update-points.h"
#include "emit.h"

namespace {

struct pending_local {
	std::string name;
	tree type;
};

struct pending_frame {
	std::string func;
	unsigned line;
	std::vector<pending_local> locals;
};

std::vector<pending_frame> frames;

struct walk_state {
	tree fndecl;
	std::vector<tree> scopes; /* BIND_EXPR_VARS chains, outermost first */
	std::set<tree> declared;
	bool has_update_point;
	bool lto;  /* LTO bytecode is written: warn, rewrite nothing */
};

tree frame_fn_decl (void)
{
	static tree decl;
	if (!decl) {
		tree type = build_varargs_function_type_list (void_type_node,
							      const_ptr_type_node,
							      unsigned_type_node, NULL_TREE);
		decl = build_fn_decl (STF_UPDATE_POINT_FRAME_FN, type);
		stf_keep (decl);
	}
	return decl;
}

/* A weak reference to a libstf function: null when libstf is not linked. */
tree weak_fn_decl (const char *name, tree type)
{
	tree decl = build_fn_decl (name, type);
	declare_weak (decl);
	stf_keep (decl);
	return decl;
}

/* The condition that libstf's `fn` is linked. */
tree linked (tree fn)
{
	return build2 (NE_EXPR, boolean_type_node, build_fold_addr_expr (fn),
		       null_pointer_node);
}

tree looping_fn_decl (void)
{
	static tree decl;
	if (!decl)
		decl = weak_fn_decl (STF_LOOPING_THREAD_FN,
				     build_function_type_list (void_type_node, NULL_TREE));
	return decl;
}

/* Mark, on entry to the function, its thread as looping to update points. */
void mark_looping_thread (tree fndecl)
{
	tree body = DECL_SAVED_TREE (fndecl);
	tree *stmts = TREE_CODE (body) == BIND_EXPR ? &BIND_EXPR_BODY (body)
						   : &DECL_SAVED_TREE (fndecl);
	tree list = alloc_stmt_list ();
	tree fn = looping_fn_decl ();
	append_to_statement_list (build3 (COND_EXPR, void_type_node, linked (fn),
					  build_call_expr (fn, 0), NULL_TREE), &list);
	append_to_statement_list (*stmts, &list);
	*stmts = list;
}

tree wait_fn_decl (void)
{
	static tree decl;
	if (!decl)
		decl = weak_fn_decl (STF_WAIT_POINT_FN,
				     build_varargs_function_type_list (integer_type_node,
								       const_ptr_type_node,
								       unsigned_type_node,
								       ptr_type_node, ptr_type_node,
								       integer_type_node,
								       const_ptr_type_node, NULL_TREE));
	return decl;
}

/* The kind of condition-variable wait `call` is (libstf/runtime/wait.h's clock
 * argument), or 0 if it is none. */
enum wait_kind { NOT_A_WAIT = 0, WAIT_UNTIMED, WAIT_TIMED, WAIT_CLOCK };

wait_kind cond_wait_kind (tree call)
{
	tree fn = get_callee_fndecl (call);
	if (!fn || !DECL_NAME (fn) || !TREE_PUBLIC (fn))
		return NOT_A_WAIT;
	const char *name = stf_decl_name (fn);
	int nargs = call_expr_nargs (call);
	if (nargs == 2 && !strcmp (name, "pthread_cond_wait"))
		return WAIT_UNTIMED;
	if (nargs == 3 && !strcmp (name, "pthread_cond_timedwait"))
		return WAIT_TIMED;
	if (nargs == 4 && !strcmp (name, "pthread_cond_clockwait"))
		return WAIT_CLOCK;
	return NOT_A_WAIT;
}

bool is_update_point (tree call)
{
	tree fn = get_callee_fndecl (call);
	return fn && call_expr_nargs (call) == 0 && DECL_NAME (fn)
	       && !strcmp (stf_decl_name (fn), STF_UPDATE_POINT_FN);
}

/* Whether a local can be passed by address and described. */
bool passable (tree var, tree fndecl)
{
	if ((TREE_CODE (var) != VAR_DECL && TREE_CODE (var) != PARM_DECL)
	    || !DECL_NAME (var) || DECL_ARTIFICIAL (var) || DECL_CONTEXT (var) != fndecl)
		return false;
	if (TREE_STATIC (var) || DECL_EXTERNAL (var) || DECL_HAS_VALUE_EXPR_P (var))
		return false;
	/* Never referred to (a callback's ignored arguments, memcached's
	 * stf_update_fd() callback): it holds nothing of the function's
	 * state, and a frame without it needs no counterpart where the same
	 * thread of another version parks (libstf/transfer/thread-pairs.c). */
	if (!TREE_USED (var))
		return false;
	if (DECL_REGISTER (var)) {
		stf_verbose (DECL_SOURCE_LOCATION (var), "stf: register variable %qD "
			     "is not transferred by the update point", var);
		return false;
	}
	/* Variable length arrays have no fixed layout to describe. */
	if (!DECL_SIZE_UNIT (var) || TREE_CODE (DECL_SIZE_UNIT (var)) != INTEGER_CST
	    || variably_modified_type_p (TREE_TYPE (var), NULL_TREE)) {
		stf_verbose (DECL_SOURCE_LOCATION (var), "stf: variable length %qD "
			     "is not transferred by the update point", var);
		return false;
	}
	return true;
}

/* Record the frame of a point in st's function with `pseudo` (name, type)
 * locals first; returns the argument list of the rewritten call: unit,
 * frame index, then `fixed`, then &local for each local in scope. */
std::vector<tree> frame_args (tree call, walk_state *st,
			      const std::vector<pending_local> &pseudo,
			      const std::vector<tree> &fixed)
{
	std::vector<tree> vars;
	for (tree p = DECL_ARGUMENTS (st->fndecl); p; p = DECL_CHAIN (p))
		if (passable (p, st->fndecl))
			vars.push_back (p);
	for (tree scope : st->scopes)
		for (tree v = scope; v; v = DECL_CHAIN (v))
			if (st->declared.count (v) && passable (v, st->fndecl))
				vars.push_back (v);

	location_t loc = EXPR_LOCATION (call);
	pending_frame f;
	f.func = stf_function_name (st->fndecl);
	f.line = LOCATION_LINE (loc);
	std::vector<tree> args;
	args.push_back (build_fold_addr_expr (stf_unit_decl ()));
	args.push_back (build_int_cst (unsigned_type_node, frames.size ()));
	for (const pending_local &l : pseudo) {
		stf_keep (l.type);
		f.locals.push_back (l);
	}
	args.insert (args.end (), fixed.begin (), fixed.end ());
	for (tree v : vars) {
		TREE_ADDRESSABLE (v) = 1;
		args.push_back (build_fold_addr_expr (v));
		stf_keep (TREE_TYPE (v));
		f.locals.push_back ({ stf_decl_name (v), TREE_TYPE (v) });
	}
	frames.push_back (f);
	return args;
}

tree rewrite_update_point (tree call, walk_state *st)
{
	st->has_update_point = true;
	std::vector<tree> args = frame_args (call, st, {}, {});
	return build_call_expr_loc_array (EXPR_LOCATION (call), frame_fn_decl (),
					  args.size (), args.data ());
}

tree rewrite_wait (tree call, wait_kind kind, walk_state *st)
{
	/* The plain call stays as the fallback: the wait point's arguments
	 * are copies (each branch evaluates its own). */
	tree cond = unshare_expr (CALL_EXPR_ARG (call, 0));
	tree mutex = unshare_expr (CALL_EXPR_ARG (call, 1));
	tree clock, abstime;
	switch (kind) {
	case WAIT_UNTIMED:
		clock = build_int_cst (integer_type_node, STF_WAIT_UNTIMED);
		abstime = null_pointer_node;
		break;
	case WAIT_TIMED:
		clock = build_int_cst (integer_type_node, STF_WAIT_TIMED);
		abstime = unshare_expr (CALL_EXPR_ARG (call, 2));
		break;
	default:
		clock = fold_convert (integer_type_node, unshare_expr (CALL_EXPR_ARG (call, 2)));
		abstime = unshare_expr (CALL_EXPR_ARG (call, 3));
		break;
	}
	std::vector<pending_local> pseudo = {
		{ STF_WAIT_COND_LOCAL, TREE_TYPE (cond) },
		{ STF_WAIT_MUTEX_LOCAL, TREE_TYPE (mutex) },
	};
	std::vector<tree> fixed = {
		fold_convert (ptr_type_node, cond),
		fold_convert (ptr_type_node, mutex),
		clock,
		fold_convert (const_ptr_type_node, abstime),
	};
	std::vector<tree> args = frame_args (call, st, pseudo, fixed);
	tree rewritten = build_call_expr_loc_array (EXPR_LOCATION (call), wait_fn_decl (),
						    args.size (), args.data ());
	return build3 (COND_EXPR, TREE_TYPE (call), linked (wait_fn_decl ()),
		       fold_convert (TREE_TYPE (call), rewritten), call);
}

/* Under -flto a wait or update point stays a plain call (see
 * stf_rewrite_update_points): say what the program loses, once per call,
 * since a silent plain wait only shows as a refused update (Redis's
 * background threads: "3 threads in futex wait"). */
void warn_not_rewritten (tree call)
{
	if (cond_wait_kind (call))
		warning_at (EXPR_LOCATION (call), 0, "stf: with %<-flto%> this %qD is "
			    "not made a wait point: a thread idle in it cannot be quiesced "
			    "and updates roll back (compile this unit with %<-fno-lto%>)",
			    get_callee_fndecl (call));
	else if (is_update_point (call))
		warning_at (EXPR_LOCATION (call), 0, "stf: with %<-flto%> this update "
			    "point has no frame: its locals are not transferred and the blocking "
			    "calls of its thread are not interrupted for quiescence "
			    "(compile this unit with %<-fno-lto%>)");
}

tree walk_body (tree *tp, int *walk_subtrees, void *data)
{
	walk_state *st = (walk_state *) data;
	switch (TREE_CODE (*tp)) {
	case BIND_EXPR:
		st->scopes.push_back (BIND_EXPR_VARS (*tp));
		walk_tree (&BIND_EXPR_BODY (*tp), walk_body, data, NULL);
		st->scopes.pop_back ();
		*walk_subtrees = 0;
		break;
	case DECL_EXPR: {
		/* `int rc = pthread_cond_wait (...)`: walk_tree does not look
		 * into initializers; the variable is in scope only after it */
		tree var = DECL_EXPR_DECL (*tp);
		if (TREE_CODE (var) == VAR_DECL && !TREE_STATIC (var) && DECL_INITIAL (var))
			walk_tree (&DECL_INITIAL (var), walk_body, data, NULL);
		st->declared.insert (var);
		break;
	}
	case CALL_EXPR:
		if (st->lto)
			warn_not_rewritten (*tp);
		else if (is_update_point (*tp)) {
			*tp = rewrite_update_point (*tp, st);
			*walk_subtrees = 0;
		} else if (wait_kind kind = cond_wait_kind (*tp)) {
			*tp = rewrite_wait (*tp, kind, st);
			*walk_subtrees = 0;
		}
		break;
	default:
		if (TYPE_P (*tp))
			*walk_subtrees = 0;
		break;
	}
	return NULL_TREE;
}

} /* namespace */

void stf_rewrite_update_points (void *gcc_data, void *)
{
	tree fndecl = (tree) gcc_data;
	/* Not when LTO bytecode is written, even beside code (fat objects):
	 * the rewritten call refers to this unit's metadata, which code
	 * generated from the bytecode at link time would not have.  Each
	 * such point is named in a warning instead (also where the plugin
	 * records nothing else: the bytecode without code, whose metadata
	 * lto1 writes). */
	if (!fndecl || TREE_CODE (fndecl) != FUNCTION_DECL || !DECL_SAVED_TREE (fndecl)
	    || seen_error () || POINTER_SIZE != 64 || (!stf_active () && !flag_generate_lto))
		return;
	walk_state st;
	st.fndecl = fndecl;
	st.has_update_point = false;
	st.lto = flag_generate_lto;
	walk_tree (&DECL_SAVED_TREE (fndecl), walk_body, &st, NULL);
	if (st.has_update_point)
		mark_looping_thread (fndecl);
}

void stf_collect_frames (stf_blob &blob, stf_types &types)
{
	for (const pending_frame &f : frames) {
		stf_frame_rec r;
		memset (&r, 0, sizeof r);
		r.func = blob.str (f.func);
		r.locals = (uint32_t) blob.locals.size ();
		r.nlocals = (uint32_t) f.locals.size ();
		r.line = f.line;
		for (const pending_local &l : f.locals) {
			stf_local_rec lr;
			lr.name = blob.str (l.name);
			lr.type = types.index (l.type);
			blob.locals.push_back (lr);
		}
		blob.frames.push_back (r);
	}
}
