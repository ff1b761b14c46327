/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * member-uses-emit.cc - the records of member-uses.cc's findings
 * (stf_use_rec): the types each `void *` member's value is used as, the
 * element sizes next to them, the records joining accessors and callbacks
 * across units by a function's name, the structs the code reads `void *`
 * values as, and the uses of the allocation sites of no type that the
 * unit cannot type alone (STF_USE_SITE).
 */
#include "stf-plugin.h"
#include "member-uses.h"
#include "member-uses-state.h"

using namespace stf_member_uses;

namespace {

/* STF_USE_PARAM records: parameter n of the function named fn is used as
 * the types recorded under key. */
void emit_param_uses (stf_blob &blob, stf_types &types, const char *fn, size_t n,
		      const use_key &key)
{
	auto it = uses.find (key);
	if (it == uses.end ())
		return;
	for (tree t : it->second) {
		stf_use_rec r;
		memset (&r, 0, sizeof r);
		r.type = r.used = types.index (t);
		r.member = blob.str (fn);
		r.flags = STF_USE_PARAM | (uint32_t) n << STF_USE_INDEX_SHIFT;
		r.via_type = STF_NONE;
		if (r.used != STF_NONE)
			blob.uses.push_back (r);
	}
}

typedef std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t>>
	emitted_set;

/* A callback row's STF_USE_IN_FN records: `t->fn = on_conn; t->arg = c;`
 * (link_stores_of_one_struct) makes what each function stored into fn
 * casts its `void *` parameter to a use of arg in that function, as a
 * handler's own reads of the member are, so that a row of a registry
 * `{ void (*fn)(void *); void *arg; }` tells by its function which of the
 * member's types its block is (connections and timers of one size). */
void emit_row_callbacks (stf_blob &blob, stf_types &types, emitted_set &emitted)
{
	for (const auto &sc : slot_calls) {
		const use_key &k = sc.first;
		HOST_WIDE_INT element = std::get<3> (k);
		if (!std::get<0> (k) || element > (HOST_WIDE_INT) STF_USE_INDEX_MAX)
			continue; /* not a member's value */
		uint32_t rec = types.index (std::get<0> (k));
		if (rec == STF_NONE)
			continue;
		for (const auto &call : sc.second) {
			auto fns = slot_fns.find (call.first);
			if (call.first.first != std::get<0> (k) || call.second < 0 || fns == slot_fns.end ())
				continue; /* not a function-pointer member of the same struct */
			for (tree f : fns->second) {
				auto ps = params_of.find (f);
				if (ps == params_of.end () || call.second >= (int) ps->second.size ())
					continue; /* not defined here */
				auto used = uses.find (param_of (ps->second[call.second]));
				if (used == uses.end ())
					continue;
				for (tree t : used->second) {
					stf_use_rec r;
					memset (&r, 0, sizeof r);
					r.type = rec;
					r.member = blob.str (stf_decl_name (std::get<1> (k)));
					r.used = types.index (t);
					r.flags = STF_USE_IN_FN | (element >= 0 ? STF_USE_ELEMENT
						  | (uint32_t) element << STF_USE_INDEX_SHIFT : 0);
					r.via_type = STF_NONE;
					r.via = blob.str (stf_decl_name (f));
					if (r.used != STF_NONE && emitted.insert (std::make_tuple (r.type,
							r.member, r.used, r.flags, r.via_type, r.via)).second)
						blob.uses.push_back (r);
				}
			}
		}
	}
}

/* The records joining callbacks across units: a member's value passed to
 * a function defined elsewhere (STF_USE_PASSED), and what the `void *`
 * parameters of the unit's public functions are used as (STF_USE_PARAM). */
void emit_passed (stf_blob &blob, stf_types &types,
		  const std::map<use_key, std::set<std::pair<tree, int>>> &table, uint32_t flags)
{
	for (const auto &po : table) {
		const use_key &k = po.first;
		HOST_WIDE_INT element = std::get<3> (k);
		uint32_t rec = std::get<0> (k) ? types.index (std::get<0> (k)) : STF_NONE;
		if (rec == STF_NONE || element > (HOST_WIDE_INT) STF_USE_INDEX_MAX)
			continue;
		for (const auto &fi : po.second) {
			stf_use_rec r;
			memset (&r, 0, sizeof r);
			r.type = r.used = rec;
			r.member = blob.str (stf_decl_name (std::get<1> (k)));
			r.flags = flags | (element >= 0 ? STF_USE_ELEMENT | (uint32_t) element << STF_USE_INDEX_SHIFT : 0);
			r.via_type = fi.second;
			r.via = blob.str (stf_decl_name (fi.first));
			blob.uses.push_back (r);
		}
	}
}

void emit_callbacks (stf_blob &blob, stf_types &types)
{
	emit_passed (blob, types, passed_out, STF_USE_PASSED);
	emit_passed (blob, types, pool_out, STF_USE_PASSED | STF_USE_FALLBACK);
	/* a library's user data setter's argument: what the getter's
	 * results are used as */
	for (const user_data_accessor &a : user_data_accessors)
		emit_param_uses (blob, types, a.setter, a.arg, user_data_key (a.getter));
	for (const auto &fp : params_of) {
		if (!TREE_PUBLIC (fp.first))
			continue;
		for (size_t n = 0; n < fp.second.size () && n <= STF_USE_INDEX_MAX; n++)
			emit_param_uses (blob, types, stf_decl_name (fp.first), n,
					 param_of (fp.second[n]));
	}
	flows.clear ();
	slot_fns.clear ();
	slot_flows.clear ();
	slot_calls.clear ();
	passed_to.clear ();
	passed_out.clear ();
	pool_out.clear ();
	fn_args.clear ();
	fn_arg_slots.clear ();
	registered.clear ();
	registered_slots.clear ();
	params_of.clear ();
}

/* What the other units need to join their uses across them by a public
 * function's name: the members it returns (STF_USE_RETURNED), the types
 * its results are used as here (STF_USE_RESULT). */
void emit_cross_unit (stf_blob &blob, stf_types &types, emitted_set &emitted)
{
	auto emit = [&] (uint32_t type, uint32_t member, uint32_t flags, uint32_t via) {
		stf_use_rec r;
		memset (&r, 0, sizeof r);
		r.type = r.used = type;
		r.member = member;
		r.flags = flags;
		r.via_type = STF_NONE;
		r.via = via;
		if (type != STF_NONE && emitted.insert (std::make_tuple (r.type, r.member, r.used,
				r.flags, r.via_type, r.via)).second)
			blob.uses.push_back (r);
	};
	for (const auto &fr : returned) {
		if (!TREE_PUBLIC (fr.first))
			continue;
		for (const auto &ko : fr.second) {
			const use_key &k = ko.first;
			HOST_WIDE_INT element = std::get<3> (k);
			if (!std::get<0> (k) || element > (HOST_WIDE_INT) STF_USE_INDEX_MAX)
				continue;
			emit (types.index (std::get<0> (k)), blob.str (stf_decl_name (std::get<1> (k))),
			      STF_USE_RETURNED | (element >= 0 ? STF_USE_ELEMENT | (uint32_t) element << STF_USE_INDEX_SHIFT : 0),
			      blob.str (stf_decl_name (fr.first)));
		}
	}
	for (const auto &fc : calls) {
		if (!TREE_PUBLIC (fc.first))
			continue;
		for (const call_site &site : fc.second) {
			auto res = uses.find (result_of (fc.first, site.number));
			if (res == uses.end ())
				continue;
			for (tree t : res->second)
				emit (types.index (t), blob.str (stf_decl_name (fc.first)), STF_USE_RESULT, 0);
		}
	}
	returned.clear ();
	calls.clear ();
}

/* The records of the sites left to libstf: the types their results are
 * used as here, the functions of other units they are passed to. */
void emit_sites (stf_blob &blob, stf_types &types)
{
	for (const auto &si : site_ids) {
		stf_use_rec r;
		memset (&r, 0, sizeof r);
		r.member = blob.str (si.second);
		r.via_type = STF_NONE;
		auto it = uses.find (site_key (si.first));
		if (it != uses.end ())
			for (tree t : it->second) {
				r.type = r.used = types.index (t);
				r.flags = STF_USE_SITE;
				if (r.used != STF_NONE)
					blob.uses.push_back (r);
			}
		for (const auto &fi : passed_out[site_key (si.first)]) {
			r.type = r.used = STF_NONE;
			r.flags = STF_USE_SITE | STF_USE_PASSED;
			r.via_type = fi.second;
			r.via = blob.str (stf_decl_name (fi.first));
			blob.uses.push_back (r);
		}
		for (const auto &fi : pool_out[site_key (si.first)]) {
			r.type = r.used = STF_NONE;
			r.flags = STF_USE_SITE | STF_USE_PASSED | STF_USE_FALLBACK;
			r.via_type = fi.second;
			r.via = blob.str (stf_decl_name (fi.first));
			blob.uses.push_back (r);
		}
	}
	site_ids.clear ();
	site_sizes.clear ();
}

} /* namespace */

/* Is site n's result handed to functions of other units (or a library's
 * user data setter), whose uses libstf joins? */
static bool left_to_libstf (int n)
{
	return passed_out.count (site_key (n)) || pool_out.count (site_key (n));
}

/* The one struct type the site's result is used as here, when no
 * function of another unit or library user data setter is given it too
 * (libstf joins their uses: stf_name_untyped_site) and a constant size
 * holds whole elements of it (a pool's arena handed to `pool_init (void
 * *mem)` as its header is not an array of headers). */
tree stf_site_used_as (int n)
{
	auto it = uses.find (site_key (n));
	if (it == uses.end () || it->second.size () != 1 || left_to_libstf (n))
		return NULL_TREE;
	tree t = *it->second.begin ();
	unsigned HOST_WIDE_INT size = site_sizes[n];
	if (size && size % tree_to_uhwi (TYPE_SIZE_UNIT (t)))
		return NULL_TREE;
	return t;
}

void stf_name_untyped_site (int n, const std::string &id, bool sub_objects)
{
	/* an STF_ALLOCATOR's result handed to a function (a callback), the
	 * only one saying what its sub-objects are: libstf types them at
	 * run time; one used where it is kept has a typed pointer there */
	if (left_to_libstf (n) || (sub_objects && stf_site_handed_to_functions (n)))
		site_ids[n] = id;
}

void stf_collect_member_uses (stf_blob &blob, stf_types &types)
{
	/* a key whose path the record cannot name and one without a path
	 * give the same record */
	emitted_set emitted;
	emit_sites (blob, types);
	emit_row_callbacks (blob, types, emitted);
	emit_callbacks (blob, types);
	emit_cross_unit (blob, types, emitted);
	for (const auto &u : uses) {
		if (!std::get<0> (u.first))
			continue; /* a function's results: merged into members */
		uint32_t rec = types.index (std::get<0> (u.first));
		tree via = std::get<2> (u.first);
		uint32_t via_type = STF_NONE, flags = 0;
		std::vector<tree> vias (1, via);
		if (rec == STF_NONE)
			continue;
		if (via && TREE_CODE (via) == FIELD_DECL) {
			via_type = types.index (TYPE_MAIN_VARIANT (DECL_CONTEXT (via)));
			flags = via_type == STF_NONE ? 0 : STF_USE_VIA_MEMBER;
		} else if (via && VAR_P (via)) {
			flags = STF_USE_VIA_VAR;
		} else if (via && TREE_CODE (via) == PARM_DECL && DECL_CONTEXT (via)
			   && TREE_CODE (DECL_CONTEXT (via)) == FUNCTION_DECL) {
			/* the code of a handler given the struct (or of its
			 * helper): a row of a table holding that handler says
			 * its block's type */
			vias.clear ();
			functions_using_param (via, vias);
			flags = STF_USE_IN_FN;
		}
		HOST_WIDE_INT element = std::get<3> (u.first);
		if (element > (HOST_WIDE_INT) STF_USE_INDEX_MAX)
			continue;
		if (element >= 0)
			flags |= STF_USE_ELEMENT | (uint32_t) element << STF_USE_INDEX_SHIFT;
		for (tree t : u.second)
			for (tree v : vias) {
				stf_use_rec r;
				memset (&r, 0, sizeof r);
				r.type = rec;
				r.member = blob.str (stf_decl_name (std::get<1> (u.first)));
				r.used = types.index (t);
				r.flags = flags;
				r.via_type = via_type;
				r.via = v && (flags & (STF_USE_VIA_MEMBER | STF_USE_VIA_VAR | STF_USE_IN_FN))
					? blob.str (stf_decl_name (v)) : 0;
				if (r.used != STF_NONE && emitted.insert (std::make_tuple (r.type,
						r.member, r.used, r.flags, r.via_type, r.via)).second)
					blob.uses.push_back (r);
			}
	}
	uses.clear ();
	param_passers.clear ();
	for (const auto &st : strides) {
		uint32_t rec = types.index (st.first.first);
		if (rec == STF_NONE)
			continue;
		for (tree k : st.second) {
			stf_use_rec r;
			memset (&r, 0, sizeof r);
			r.type = rec;
			r.member = blob.str (stf_decl_name (st.first.second));
			r.used = rec;
			r.flags = STF_USE_STRIDE;
			r.via_type = STF_NONE;
			r.via = blob.str (stf_decl_name (k));
			blob.uses.push_back (r);
		}
	}
	strides.clear ();
	for (tree t : casts) {
		stf_use_rec r;
		memset (&r, 0, sizeof r);
		r.type = r.used = types.index (t);
		r.flags = STF_USE_CAST;
		r.via_type = STF_NONE;
		if (r.used != STF_NONE)
			blob.uses.push_back (r);
	}
	casts.clear ();
}
