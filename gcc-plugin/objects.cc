/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * objects.cc - static objects, collected at the end of the unit.
 *
 * Only objects GCC actually wrote are recorded (TREE_ASM_WRITTEN), so the
 * metadata never refers to a symbol that was optimized away.  Static IDs
 * come from source names and scopes, never from assembler names.
 */
#include "stf-plugin.h"
#include "objects.h"
#include "attributes.h"

/* A literal and its place in the code (stf-format.h): scope and where in
 * it, "=<member path>" in the initializer of the object whose ID is the
 * scope, "#<n>" for the n-th literal whose address the code of the
 * function named by the scope lets escape. */
struct noted_string {
	tree str;
	std::string scope, where;
};
static std::vector<noted_string> noted_strings;

static void note_string (tree str, const std::string &scope, const std::string &where)
{
	if (TREE_CODE (str) != STRING_CST || TREE_STRING_LENGTH (str) <= 0)
		return;
	stf_keep (str);
	noted_strings.push_back ({ str, scope, where });
}

/* walk_tree callback collecting literals into a vector. */
static tree find_strings (tree *tp, int *walk_subtrees, void *data)
{
	if (TREE_CODE (*tp) == STRING_CST)
		((std::vector<tree> *) data)->push_back (*tp);
	else if (TYPE_P (*tp) || DECL_P (*tp))
		*walk_subtrees = 0;
	return NULL_TREE;
}

static std::vector<tree> strings_in (tree expr)
{
	std::vector<tree> found;
	/* Operands of GIMPLE statements are unshared: no visited set. */
	if (expr)
		walk_tree (&expr, find_strings, &found, NULL);
	return found;
}

/* Library functions that read a literal argument and keep no pointer to
 * it, nor return one into it: a literal only passed to them never reaches
 * the program's state, so it needs no record.  (strchr and the like return
 * pointers into their argument and are not here.) */
static bool reads_only (const gcall *call)
{
	/* C library functions GCC has no builtin for, declared in the
	 * system's headers. */
	static const char *const library[] = {
		"perror", "strtok", "strtok_r", "fopen", "fdopen", "freopen", "open",
		"openat", "creat", "access", "stat", "lstat", "unlink", "remove",
		"rename", "mkdir", "rmdir", "chdir", "inet_pton", "inet_addr",
		"getaddrinfo", "setenv", "unsetenv", "getenv", "atoi", "atol",
		"atoll", "atof", "write", "send", "sendto", "syslog", "vsyslog",
		"err", "errx", "warn", "warnx", "verr", "verrx", "vwarn", "vwarnx",
		"dprintf", "vdprintf", "asprintf", "vasprintf", "__asprintf_chk",
		"__vasprintf_chk", "__dprintf_chk", "__vdprintf_chk", "__syslog_chk",
		"__vsyslog_chk", "strcoll", "fnmatch", "strftime", "popen", "system",
	};
	tree fn = gimple_call_fndecl (call);
	if (fn && DECL_IN_SYSTEM_HEADER (fn) && !gimple_call_builtin_p (call, BUILT_IN_NORMAL)) {
		for (const char *name : library)
			if (!strcmp (stf_decl_name (fn), name))
				return true;
		return false;
	}
	if (!gimple_call_builtin_p (call, BUILT_IN_NORMAL))
		return false;
	switch (DECL_FUNCTION_CODE (gimple_call_fndecl (call))) {
	case BUILT_IN_PRINTF: case BUILT_IN_FPRINTF: case BUILT_IN_SPRINTF:
	case BUILT_IN_SNPRINTF: case BUILT_IN_VPRINTF: case BUILT_IN_VFPRINTF:
	case BUILT_IN_VSPRINTF: case BUILT_IN_VSNPRINTF:
	case BUILT_IN_PRINTF_UNLOCKED: case BUILT_IN_FPRINTF_UNLOCKED:
	case BUILT_IN_PRINTF_CHK: case BUILT_IN_FPRINTF_CHK: case BUILT_IN_SPRINTF_CHK:
	case BUILT_IN_SNPRINTF_CHK: case BUILT_IN_VPRINTF_CHK: case BUILT_IN_VFPRINTF_CHK:
	case BUILT_IN_VSPRINTF_CHK: case BUILT_IN_VSNPRINTF_CHK:
	case BUILT_IN_PUTS: case BUILT_IN_PUTS_UNLOCKED: case BUILT_IN_FPUTS:
	case BUILT_IN_FPUTS_UNLOCKED: case BUILT_IN_FWRITE: case BUILT_IN_FWRITE_UNLOCKED:
	case BUILT_IN_SCANF: case BUILT_IN_FSCANF: case BUILT_IN_SSCANF:
	case BUILT_IN_STRCMP: case BUILT_IN_STRNCMP: case BUILT_IN_STRCASECMP:
	case BUILT_IN_STRNCASECMP: case BUILT_IN_STRLEN: case BUILT_IN_STRNLEN:
	case BUILT_IN_MEMCMP: case BUILT_IN_BCMP: case BUILT_IN_STRSPN: case BUILT_IN_STRCSPN:
	case BUILT_IN_STRCPY: case BUILT_IN_STRNCPY: case BUILT_IN_STPCPY:
	case BUILT_IN_STPNCPY: case BUILT_IN_STRCAT: case BUILT_IN_STRNCAT:
	case BUILT_IN_MEMCPY: case BUILT_IN_MEMMOVE: case BUILT_IN_MEMPCPY:
	case BUILT_IN_STRCPY_CHK: case BUILT_IN_STRNCPY_CHK: case BUILT_IN_STPCPY_CHK:
	case BUILT_IN_STPNCPY_CHK: case BUILT_IN_STRCAT_CHK: case BUILT_IN_STRNCAT_CHK:
	case BUILT_IN_MEMCPY_CHK: case BUILT_IN_MEMMOVE_CHK: case BUILT_IN_MEMPCPY_CHK:
	case BUILT_IN_STRDUP: case BUILT_IN_STRNDUP:
		return true;
	default:
		return false;
	}
}

/* Whether argument i of a call keeps no pointer to what it is given: a
 * library function that only reads it, or a function whose escape
 * analysis (modref, -O1 and above) found that it neither stores nor
 * returns the pointer. */
static bool arg_kept (const gcall *call, unsigned i)
{
	const int kept_nowhere = EAF_NO_DIRECT_ESCAPE | EAF_NO_INDIRECT_ESCAPE
				 | EAF_NOT_RETURNED_DIRECTLY;
	if (reads_only (call))
		return false;
	return (gimple_call_arg_flags (call, i) & kept_nowhere) != kept_nowhere;
}

/* Whether the value of an SSA name may reach memory: any use other than
 * as an argument no callee keeps. */
static bool may_escape (tree name)
{
	if (TREE_CODE (name) != SSA_NAME)
		return true;
	imm_use_iterator it;
	gimple *use;
	FOR_EACH_IMM_USE_STMT (use, it, name) {
		if (is_gimple_debug (use))
			continue;
		gcall *call = dyn_cast <gcall *> (use);
		if (!call || gimple_call_lhs (call) == name || gimple_call_fn (call) == name)
			return true;
		for (unsigned i = 0; i < gimple_call_num_args (call); i++)
			if (gimple_call_arg (call, i) == name && arg_kept (call, i))
				return true;
	}
	return false;
}

void stf_note_function_strings (function *fun)
{
	std::string func = stf_function_name (fun->decl);
	unsigned ordinal = 0;
	auto note_all = [&] (tree expr) {
		for (tree str : strings_in (expr))
			note_string (str, func, "#" + std::to_string (ordinal++));
	};
	basic_block bb;
	FOR_EACH_BB_FN (bb, fun) {
		/* Literals chosen between by a condition end up in PHIs. */
		for (gphi_iterator pi = gsi_start_phis (bb); !gsi_end_p (pi); gsi_next (&pi))
			if (may_escape (gimple_phi_result (pi.phi ())))
				for (unsigned i = 0; i < gimple_phi_num_args (pi.phi ()); i++)
					note_all (gimple_phi_arg_def (pi.phi (), i));
		for (gimple_stmt_iterator gsi = gsi_start_bb (bb); !gsi_end_p (gsi);
		     gsi_next (&gsi)) {
			gimple *stmt = gsi_stmt (gsi);
			if (is_gimple_debug (stmt) || gimple_code (stmt) == GIMPLE_ASM)
				continue;
			gcall *call = dyn_cast <gcall *> (stmt);
			if (!call) {
				for (unsigned i = 0; i < gimple_num_ops (stmt); i++)
					note_all (gimple_op (stmt, i));
				continue;
			}
			for (unsigned i = 0; i < gimple_call_num_args (call); i++)
				if (arg_kept (call, i))
					note_all (gimple_call_arg (call, i));
		}
	}
}

/* Literals of an initializer, each with the member path leading to it
 * ("[3].name"); the members of an anonymous member are named as the
 * outer ones, like C does. */
static void note_initializer (tree init, const std::string &id, const std::string &path)
{
	if (TREE_CODE (init) != CONSTRUCTOR) {
		for (tree str : strings_in (init))
			note_string (str, id, "=" + path);
		return;
	}
	unsigned HOST_WIDE_INT ix;
	tree index, value;
	HOST_WIDE_INT pos = 0;
	FOR_EACH_CONSTRUCTOR_ELT (CONSTRUCTOR_ELTS (init), ix, index, value) {
		std::string sub;
		if (index && TREE_CODE (index) == RANGE_EXPR)
			index = TREE_OPERAND (index, 0);
		if (index && TREE_CODE (index) == FIELD_DECL) {
			if (DECL_NAME (index))
				sub = std::string (".") + stf_decl_name (index);
		} else {
			if (index && tree_fits_shwi_p (index))
				pos = tree_to_shwi (index);
			sub = "[" + std::to_string (pos++) + "]";
		}
		note_initializer (value, id, path + sub);
	}
}

void stf_note_initializer_strings (void *, void *)
{
	varpool_node *vnode;
	FOR_EACH_VARIABLE (vnode) {
		tree init = DECL_INITIAL (vnode->decl);
		if (!init || init == error_mark_node || DECL_EXTERNAL (vnode->decl))
			continue;
		std::string func;
		note_initializer (init, stf_object_id (vnode->decl, &func), "");
	}
}

/* The assembler operand naming a written declaration. */
static std::string asm_name (tree decl)
{
	const char *name = IDENTIFIER_POINTER (DECL_ASSEMBLER_NAME (decl));
	return targetm.strip_name_encoding (name);
}

std::string stf_object_id (tree decl, std::string *func)
{
	std::string name = stf_decl_name (decl);
	tree ctx = DECL_CONTEXT (decl);
	if (ctx && TREE_CODE (ctx) == FUNCTION_DECL) {
		*func = stf_function_name (ctx);
		return std::string (stf_unit_file ()) + ":" + *func + "/" + name;
	}
	if (TREE_PUBLIC (decl))
		return name;
	return std::string (stf_unit_file ()) + ":" + name;
}

static void add_object (stf_blob &blob, stf_types &types, tree decl, int kind,
			std::set<std::string> &ids)
{
	std::string func;
	std::string id = stf_object_id (decl, &func);
	/* Two function-local statics of the same name in one function
	 * (different blocks): number the later ones. */
	std::string unique = id;
	for (int n = 1; ids.count (unique); n++)
		unique = id + "#" + std::to_string (n);
	ids.insert (unique);

	stf_object_rec r;
	memset (&r, 0, sizeof r);
	r.id = blob.str (unique);
	r.name = blob.str (stf_decl_name (decl));
	r.func = blob.str (func);
	r.type = types.index (TREE_TYPE (decl));
	r.kind = (uint8_t) kind;
	if (TREE_PUBLIC (decl))
		r.flags |= STF_OF_EXTERN;
	if (!func.empty ())
		r.flags |= STF_OF_LOCAL;
	if (kind == STF_O_VAR) {
		if (TREE_READONLY (decl))
			r.flags |= STF_OF_READONLY;
		if (DECL_THREAD_LOCAL_P (decl))
			r.flags |= STF_OF_TLS;
		unsigned xfer = stf_decl_xfer (decl);
		if (xfer & STF_MF_IXFER)
			r.flags |= STF_OF_IXFER;
		if (xfer & STF_MF_PXFER)
			r.flags |= STF_OF_PXFER;
		if (DECL_SIZE_UNIT (decl) && tree_fits_uhwi_p (DECL_SIZE_UNIT (decl)))
			r.size = tree_to_uhwi (DECL_SIZE_UNIT (decl));
	}
	r.line = DECL_SOURCE_LINE (decl);
	blob.objects.push_back (r);
	/* A thread-local variable: its offset from each thread's thread
	 * pointer, resolved by the linker in an executable (local-exec);
	 * a shared library would need static TLS for it, so none there. */
	if (r.flags & STF_OF_TLS)
		blob.addrs.push_back (flag_pic && !flag_pie ? "0" : asm_name (decl) + "@tpoff");
	else
		blob.addrs.push_back (asm_name (decl));
}

static void add_variables (stf_blob &blob, stf_types &types, std::set<std::string> &ids)
{
	varpool_node *vnode;
	std::vector<tree> decls;
	FOR_EACH_VARIABLE (vnode) {
		tree decl = vnode->decl;
		/* Compiler-made variables (gcov counters...) are not always
		 * artificial, but never have a source position. */
		if (vnode->alias || DECL_EXTERNAL (decl) || !TREE_ASM_WRITTEN (decl)
		    || DECL_ARTIFICIAL (decl) || !DECL_NAME (decl)
		    || DECL_HARD_REGISTER (decl)
		    || DECL_SOURCE_LOCATION (decl) <= BUILTINS_LOCATION)
			continue;
		decls.push_back (decl);
	}
	/* The varpool lists newest first; record in source order. */
	std::stable_sort (decls.begin (), decls.end (), [] (tree a, tree b) {
		return DECL_UID (a) < DECL_UID (b);
	});
	for (tree decl : decls)
		add_object (blob, types, decl, STF_O_VAR, ids);
}

static void add_functions (stf_blob &blob, stf_types &types, std::set<std::string> &ids)
{
	cgraph_node *node;
	std::vector<tree> decls;
	FOR_EACH_FUNCTION (node) {
		tree decl = node->decl;
		/* A function of external linkage may have its address taken
		 * in another unit (Redis's luaopen_struct, stored by
		 * script_lua.c into Lua's heap): recorded here, where it is
		 * defined, like one whose address this unit takes. */
		if (!(node->address_taken || TREE_PUBLIC (decl)) || node->alias || node->thunk
		    || DECL_EXTERNAL (decl) || !TREE_ASM_WRITTEN (decl)
		    || DECL_ARTIFICIAL (decl) || !DECL_NAME (decl))
			continue;
		decls.push_back (decl);
	}
	std::stable_sort (decls.begin (), decls.end (), [] (tree a, tree b) {
		return DECL_UID (a) < DECL_UID (b);
	});
	for (tree decl : decls)
		add_object (blob, types, decl, STF_O_FUNC, ids);
}

/* FNV-1a of the literal's bytes, terminating NUL included. */
static uint64_t string_hash (tree str)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p = (const unsigned char *) TREE_STRING_POINTER (str);
	for (int i = 0; i < TREE_STRING_LENGTH (str); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void add_strings (stf_blob &blob, stf_types &types)
{
	std::set<std::string> labels;
	/* Initializers were noted first: their place wins over code's. */
	for (const noted_string &n : noted_strings) {
		tree str = n.str;
		rtx rtl = lookup_constant_def (str);
		if (!rtl || !MEM_P (rtl) || GET_CODE (XEXP (rtl, 0)) != SYMBOL_REF)
			continue;
		rtx sym = XEXP (rtl, 0);
		tree decl = SYMBOL_REF_DECL (sym);
		if (!decl || !TREE_ASM_WRITTEN (decl))
			continue;
		std::string label = targetm.strip_name_encoding (XSTR (sym, 0));
		if (!labels.insert (label).second)
			continue;
		char id[32];
		snprintf (id, sizeof id, "str:%016llx",
			  (unsigned long long) string_hash (str));
		stf_object_rec r;
		memset (&r, 0, sizeof r);
		r.id = blob.str (id);
		r.name = blob.str (n.where);
		r.func = blob.str (n.scope);
		/* Typed by its element (char): every literal of a unit then
		 * shares one type record, instead of one char [N] per
		 * length; size gives the length. */
		r.type = types.index (TREE_TYPE (TREE_TYPE (str)));
		r.kind = STF_O_STRING;
		r.flags = STF_OF_READONLY;
		HOST_WIDE_INT size = int_size_in_bytes (TREE_TYPE (str));
		r.size = size > 0 ? (uint64_t) size : (uint64_t) TREE_STRING_LENGTH (str);
		blob.objects.push_back (r);
		blob.addrs.push_back (label);
	}
}

void stf_collect_objects (stf_blob &blob, stf_types &types)
{
	std::set<std::string> ids;
	add_variables (blob, types, ids);
	add_functions (blob, types, ids);
	add_strings (blob, types);
}
