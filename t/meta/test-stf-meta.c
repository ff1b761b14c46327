/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of stf-meta on programs built with the real stf.so plugin in the
 * real gcc: dump content, verify against DWARF (agreement on good builds,
 * detection of a swapped-in foreign DWARF), diff of version pairs with
 * exact expected output, and clean errors on bad input (missing file,
 * non-ELF, no metadata, corrupted and truncated metadata, byte flips).
 *
 * Skipped (exit 77) only when the plugin has not been built.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLUGIN   TOP_BUILDDIR "/gcc-plugin/.libs/stf.so"
/* prog.c has an update point: it includes stf.h and links with libstf */
#define LIBSTF   "-I" TOP_SRCDIR "/libstf " TOP_BUILDDIR "/libstf/.libs/libstf.so"
#define STF_META TOP_BUILDDIR "/tools/stf-meta"
#define PROGS    SRCDIR "/progs"
#define WORK     "meta-work"

static const char *cc;

/* Output of the last command (stdout and stderr) and its exit status. */
static char out[65536];
static int status;

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st), "'%s' died (signal %d)\n%s", cmd,
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0, out);
	status = WEXITSTATUS(st);
	return status;
}

static void expect_out(const char *want)
{
	ck_assert_msg(strstr(out, want), "output lacks '%s':\n%s", want, out);
}

/* Build WORK/name from sources (relative to PROGS) unless already built. */
static void build(const char *name, const char *flags, const char *sources)
{
	char path[256], srcs[1024] = "";
	char *s, *save, *copy = strdup(sources);

	snprintf(path, sizeof path, WORK "/%s", name);
	if (access(path, X_OK) == 0) {
		free(copy);
		return;
	}
	for (s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		strncat(srcs, " " PROGS "/", sizeof srcs - strlen(srcs) - 1);
		strncat(srcs, s, sizeof srcs - strlen(srcs) - 1);
	}
	free(copy);
	ck_assert_msg(run("%s -fplugin=%s %s %s " LIBSTF " -o %s", cc, PLUGIN, flags, srcs, path) == 0,
		      "building %s failed:\n%s", name, out);
}

#define PROG_SRCS "prog.c prog2.c"

/* ------------------------------------------------------------------ */
/* dump                                                                 */

/* Address of a symbol according to nm, as printed by dump ("0x4160"). */
static void nm_addr(const char *bin, const char *sym, char *buf, size_t len)
{
	unsigned long long a;

	run("nm %s | awk '$3 == \"%s\" { print $1 }'", bin, sym);
	ck_assert_msg(sscanf(out, "%llx", &a) == 1, "nm: no %s in %s", sym, bin);
	snprintf(buf, len, "0x%llx", a);
}

START_TEST(test_dump)
{
	char want[256], addr[64];

	build("prog-O0", "-g -O0", PROG_SRCS);
	ck_assert_int_eq(run(STF_META " dump " WORK "/prog-O0"), 0);
	expect_out(WORK "/prog-O0: 2 units, ");
	expect_out("unit 0: prog.c\n");
	expect_out("unit 1: prog2.c\n");
	/* objects with the addresses the linker gave them */
	nm_addr(WORK "/prog-O0", "table", addr, sizeof addr);
	ck_assert_int_eq(run(STF_META " dump " WORK "/prog-O0"), 0);
	snprintf(want, sizeof want, "    prog.c:table: var, type entry_t *[16], address %s, size 128, line 30\n", addr);
	expect_out(want);
	nm_addr(WORK "/prog-O0", "calls.0", addr, sizeof addr);
	ck_assert_int_eq(run(STF_META " dump " WORK "/prog-O0"), 0);
	snprintf(want, sizeof want, "    prog.c:put/calls: var local in put, type int, address %s, size 4", addr);
	expect_out(want);
	expect_out("    counter: var extern, type long int, address 0x");
	expect_out("    grid: var extern, type int [4][2], address 0x");
	expect_out("    prog.c:hook: var, type void (*)(int, ...), address 0x");
	expect_out("    prog2.c:helper_count/times: var local in helper_count, type int");
	/* types, members, bitfields, enumerators, flexible arrays */
	expect_out("] struct entry: struct, size 32, align 8, hash 0x");
	expect_out("      .key: int, offset 0\n      .val: char *, offset 8\n"
		   "      .next: struct entry *, offset 16\n      .f: struct flags, offset 24\n"
		   "      .col: enum color, offset 28\n");
	expect_out("      .a: unsigned int, offset 0, bits 0+3\n"
		   "      .b: unsigned int, offset 0, bits 3+5\n"
		   "      .c: int, offset 1, bits 0+7\n");
	expect_out("] enum color: enum signed, size 4, align 4, target [");
	expect_out("      RED = 0\n      GREEN = 5\n      BLUE = -2\n");
	expect_out("      .data: char [], offset 4\n");
	expect_out("] char []: array flexible, size 0, align 0, count 0");
	expect_out("] entry_t: typedef, size 32");
	expect_out("] _Bool: int bool, size 1");
	expect_out("] unsigned char: int char, size 1");
	/* sites */
	expect_out("    prog.c:put/struct entry.val#0: strdup in put -> struct entry.val, type char, count 0, flags string, line 53\n");
	expect_out("    prog.c:main/b#0: malloc in main -> b, type struct buf");
	/* the update point in main and the locals in scope there */
	expect_out("  frames: 1\n    main, line 68: argc (int), argv (char **), b (struct buf *), rounds (int)\n");
}
END_TEST

START_TEST(test_dump_json)
{
	build("prog-O0", "-g -O0", PROG_SRCS);
	ck_assert_int_eq(run(STF_META " dump --json " WORK "/prog-O0 > " WORK "/prog.json"), 0);
	ck_assert_int_eq(run("python3 -c 'import json,sys\n"
			     "d = json.load(open(sys.argv[1]))\n"
			     "u = d[\"units\"][0]\n"
			     "o = {x[\"id\"]: x for x in u[\"objects\"]}\n"
			     "t = o[\"prog.c:table\"]\n"
			     "assert t[\"type\"] == \"entry_t *[16]\", t\n"
			     "assert t[\"size\"] == 128 and t[\"kind\"] == \"var\"\n"
			     "e = [x for x in u[\"types\"] if x[\"spelled\"] == \"struct entry\"][0]\n"
			     "assert [m[\"name\"] for m in e[\"members\"]] == [\"key\", \"val\", \"next\", \"f\", \"col\"]\n"
			     "c = [x for x in u[\"types\"] if x[\"spelled\"] == \"enum color\"][0]\n"
			     "assert [m[\"value\"] for m in c[\"members\"]] == [0, 5, -2]\n"
			     "assert d[\"units\"][1][\"file\"] == \"prog2.c\"\n"
			     "' " WORK "/prog.json"), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* verify                                                               */

static const char *const good_builds[][2] = {
	{ "prog-O0", "-g -O0" },
	{ "prog-O2", "-g -O2" },
	{ "prog-O0-nopie", "-g -O0 -no-pie -fno-PIE" },
	{ "prog-O2-nopie", "-g -O2 -no-pie -fno-PIE" },
	{ "prog-O3-gc", "-g -O3 -ffunction-sections -fdata-sections -Wl,--gc-sections" },
	{ "prog-dwarf4", "-gdwarf-4 -O1" },
	{ "prog-dwarf2", "-gdwarf-2 -O0" },
};

START_TEST(test_verify_good)
{
	const char *name = good_builds[_i][0];
	char cmd[256];

	build(name, good_builds[_i][1], PROG_SRCS);
	snprintf(cmd, sizeof cmd, STF_META " verify " WORK "/%s", name);
	ck_assert_msg(run("%s", cmd) == 0, "%s (%s):\n%s", name, good_builds[_i][1], out);
	ck_assert_msg(!strncmp(out, "verify: 2 units, ", 17) && strstr(out, " sites checked: OK\n"),
		      "%s", out);
	/* every variable (12 of them) is matched at every optimization level */
	expect_out(" units, 1");
}
END_TEST

/* A binary whose DWARF comes from a build with another layout of struct
 * pair: verify must name the object, the member and both values. */
START_TEST(test_verify_detects_foreign_dwarf)
{
	build("prog-O0", "-g -O0", PROG_SRCS);
	build("prog-wide", "-g -O0 -DWIDE_PAIR", PROG_SRCS);
	ck_assert_int_eq(run("cp " WORK "/prog-O0 " WORK "/prog-swapped && "
			     "for s in $(readelf -SW " WORK "/prog-wide | sed 's/\\[ */[/' | "
			     "awk '$2 ~ /^\\.debug_/ { print $2 }'); do "
			     "objcopy --dump-section $s=" WORK "/sec.bin " WORK "/prog-wide && "
			     "objcopy --update-section $s=" WORK "/sec.bin " WORK "/prog-swapped || exit 1; done"), 0);
	ck_assert_int_eq(run(STF_META " verify " WORK "/prog-swapped"), 1);
	expect_out("prog.c: object pair_obj: type size 8 (plugin) vs 16 (DWARF)\n");
	expect_out("prog.c: object pair_obj: type.second: offset 4 (plugin) vs 8 (DWARF)\n");
	expect_out("prog.c: object pair_obj: type.second: name 'int' (plugin) vs 'long int' (DWARF)\n");
	expect_out("prog.c: object pair_obj: address 0x");
	expect_out(" disagreements between the metadata and DWARF\n");
	/* the untouched binary still agrees */
	ck_assert_int_eq(run(STF_META " verify " WORK "/prog-O0"), 0);
}
END_TEST

START_TEST(test_verify_without_g)
{
	build("prog-nog", "-O2", PROG_SRCS);
	ck_assert_int_eq(run(STF_META " verify " WORK "/prog-nog"), 2);
	ck_assert_str_eq(out, "stf-meta: " WORK "/prog-nog: no DWARF (build with -g to verify)\n");
}
END_TEST

/* Static functions of a module as GCC leaves them in DWARF (folded twins
 * without code in DWARF, abstract and concrete instances, clones, static
 * inlines of a header) agree at every level and section mode; a unit
 * without -g or with -g1 is said to be unchecked, not in disagreement. */
START_TEST(test_verify_static_functions)
{
	static const char *const modes[] = {
		"-g -O2", "-g -O2 -fPIC -shared", "-g -Os",
		"-g -O3 -ffunction-sections -fdata-sections -Wl,--gc-sections",
	};
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		const char *shared = strstr(modes[i], "-shared");
		ck_assert_msg(run("%s -fplugin=%s %s -I" PROGS " " PROGS "/module.c %s -o " WORK
				  "/module-%zu", cc, PLUGIN, modes[i],
				  shared ? "" : PROGS "/module-main.c", i) == 0, "%s", out);
		ck_assert_msg(run(STF_META " verify " WORK "/module-%zu", i) == 0,
			      "%s:\n%s", modes[i], out);
		/* the module's 7 functions, its variable and its public
		 * module_run; main.c's 2 objects and main */
		ck_assert_msg(strstr(out, shared ? "verify: 1 units, 9 objects"
					  : "verify: 2 units, 12 objects"), "%s:\n%s", modes[i], out);
	}
	/* the program's unit without -g, the module's with -g */
	ck_assert_msg(run("%s -fplugin=%s -O2 -c " PROGS "/module-main.c -o " WORK "/main-nog.o && "
			  "%s -fplugin=%s -g -O2 -I" PROGS " " PROGS "/module.c " WORK "/main-nog.o "
			  "-o " WORK "/module-mixed", cc, PLUGIN, cc, PLUGIN) == 0, "%s", out);
	ck_assert_msg(run(STF_META " verify " WORK "/module-mixed") == 0, "%s", out);
	expect_out("module-main.c: unit 1: not checked: no DWARF compilation unit "
		   "(compiled without -g)\n");
	expect_out("verify: 2 units, 9 objects");
	/* -g1: DWARF has functions and variables but no types */
	ck_assert_msg(run("%s -fplugin=%s -g1 -O2 -I" PROGS " " PROGS "/module.c " PROGS
			  "/module-main.c -o " WORK "/module-g1", cc, PLUGIN) == 0, "%s", out);
	ck_assert_msg(run(STF_META " verify " WORK "/module-g1") == 0, "%s", out);
	expect_out("module.c: unit 0: addresses checked, types not: DWARF without types "
		   "(compiled with -g1)\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* diff                                                                 */

static const struct {
	const char *flags, *want;
	int status;
} diffs[] = {
	{ "", "diff: no state changes\n", 0 },
	{ "-DADD", "member added: struct entry.ttl (int): auto (zero-filled)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DDROP", "member dropped: struct entry.col (enum color): auto (discarded)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DREORDER", "member moved: struct entry.key: offset 0 -> offset 8: auto\n"
	  "member moved: struct entry.val: offset 8 -> offset 0: auto\n"
	  "member moved: struct entry.col: offset 16 -> offset 12: auto\n"
	  "diff: 3 state changes: 3 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DKEY_T=long", "member retyped: struct entry.key: int -> long int: auto\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DKEY_T=short", "member retyped: struct entry.key: int -> short int: auto (possibly lossy)\n"
	  "diff: 1 state change: 0 auto, 1 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "'-DKEY_T=char *'", "member retyped: struct entry.key: int -> char *: callback (pointer <-> integer)\n"
	  "diff: 1 state change: 0 auto, 0 possibly lossy, 0 need review, 1 needs a callback\n", 1 },
	{ "-DNSLOTS=8", "object retyped: slots: struct entry *[16] -> struct entry *[8]: auto (array truncated, possibly lossy)\n"
	  "diff: 1 state change: 0 auto, 1 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DNSLOTS=32", "object retyped: slots: struct entry *[16] -> struct entry *[32]: auto (array expanded: a mutable table that gains entries; the new elements take the new version's static initializer)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	/* struct entry is allocated on the heap: existing entries get zero */
	{ "-DADD_PTR", "member added: struct entry.next (struct entry *): review (existing heap objects get zero; a pointer or struct that must be set for them: give an stf_on_member callback or an initializer)\n"
	  "diff: 1 state change: 0 auto, 0 possibly lossy, 1 needs review, 0 need a callback\n", 1 },
	{ "-DADD_STRUCT", "member added: struct entry.counts (struct <anonymous>): review (existing heap objects get zero; a pointer or struct that must be set for them: give an stf_on_member callback or an initializer)\n"
	  "diff: 1 state change: 0 auto, 0 possibly lossy, 1 needs review, 0 need a callback\n", 1 },
	/* conf_t is only a static object's type */
	{ "-DCONF_PTR", "member added: conf_t.path (const char *): auto (zero-filled)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DREMOVE_OBJ", "object removed: counter (long int): auto (discarded)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DADD_OBJ", "object added: diffprog.c:extra (int): auto (initialized by the new version)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DMORE_COLORS", "enumerator added: enum color.YELLOW (7): auto\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DBLUE_VALUE=9", "enumerator changed: enum color.BLUE: 2 -> 9: auto (remapped by name)\n"
	  "diff: 1 state change: 1 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DLIMIT_T=long", "member retyped: conf_t.limit: int -> long int: auto\n"
	  "member moved: conf_t.limit: offset 4 -> offset 8: auto\n"
	  "diff: 2 state changes: 2 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	{ "-DANON_SWAP", "member moved: struct shape.<anonymous>: offset 4 -> offset 8: auto\n"
	  "member moved: struct shape.<anonymous>: offset 8 -> offset 4: auto\n"
	  "diff: 2 state changes: 2 auto, 0 possibly lossy, 0 need review, 0 need a callback\n", 1 },
	/* the malloc'd block is stored into slots[]: its site changes type too */
	{ "-DOTHER_STRUCT", "object retyped: slots: struct entry *[16] -> struct other *[16]: callback (points to another struct)\n"
	  "site retyped: diffprog.c:main/slots[]#0: struct entry -> struct other: callback (another struct)\n"
	  "diff: 2 state changes: 0 auto, 0 possibly lossy, 0 need review, 2 need a callback\n", 1 },
};

START_TEST(test_diff)
{
	char name[64];

	build("diff-base", "-O0", "diffprog.c");
	snprintf(name, sizeof name, "diff-%d", _i);
	build(name, diffs[_i].flags, "diffprog.c");
	ck_assert_int_eq(run(STF_META " diff " WORK "/diff-base " WORK "/%s", name),
			 diffs[_i].status);
	ck_assert_msg(!strcmp(out, diffs[_i].want), "diff base vs %s:\n%s\nwanted:\n%s",
		      diffs[_i].flags, out, diffs[_i].want);
}
END_TEST

/* The other direction classifies differently: widening vs narrowing,
 * dropped vs added.  And optimization level changes no state. */
START_TEST(test_diff_reverse_and_json)
{
	build("diff-base", "-O0", "diffprog.c");
	build("diff-long", "-O0 -DKEY_T=long", "diffprog.c");
	build("diff-base-O2", "-O2", "diffprog.c");
	ck_assert_int_eq(run(STF_META " diff " WORK "/diff-long " WORK "/diff-base"), 1);
	ck_assert_str_eq(out, "member retyped: struct entry.key: long int -> int: auto (possibly lossy)\n"
			 "diff: 1 state change: 0 auto, 1 possibly lossy, 0 need review, 0 need a callback\n");
	ck_assert_int_eq(run(STF_META " diff " WORK "/diff-base " WORK "/diff-base-O2"), 0);
	ck_assert_int_eq(run(STF_META " diff --json " WORK "/diff-long " WORK "/diff-base"
			     " > " WORK "/diff.json"), 1);
	ck_assert_int_eq(run("python3 -c 'import json,sys\n"
			     "d = json.load(open(sys.argv[1]))\n"
			     "c = d[\"changes\"]\n"
			     "assert len(c) == 1, c\n"
			     "assert c[0] == {\"change\": \"member retyped\", \"name\": \"struct entry.key\", "
			     "\"old\": \"long int\", \"new\": \"int\", \"transfer\": \"auto\", "
			     "\"lossy\": True, \"note\": \"possibly lossy\"}, c[0]\n"
			     "' " WORK "/diff.json"), 0);
	/* a member needing review, in JSON */
	build("diff-ptr", "-O0 -DADD_PTR", "diffprog.c");
	ck_assert_int_eq(run(STF_META " diff --json " WORK "/diff-base " WORK "/diff-ptr"
			     " > " WORK "/diff.json"), 1);
	ck_assert_int_eq(run("python3 -c 'import json,sys\n"
			     "c = json.load(open(sys.argv[1]))[\"changes\"]\n"
			     "assert len(c) == 1, c\n"
			     "assert c[0][\"name\"] == \"struct entry.next\", c[0]\n"
			     "assert c[0][\"transfer\"] == \"review\", c[0]\n"
			     "assert c[0][\"lossy\"] is False, c[0]\n"
			     "assert \"stf_on_member\" in c[0][\"note\"], c[0]\n"
			     "' " WORK "/diff.json"), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* errors and corrupted input                                           */

START_TEST(test_usage_errors)
{
	build("prog-O0", "-g -O0", PROG_SRCS);
	ck_assert_int_eq(run(STF_META " --help"), 0);
	expect_out("Usage: stf-meta dump [--json] BINARY");
	ck_assert_int_eq(run(STF_META " --version"), 0);
	expect_out("stf-meta (ttst) ");
	ck_assert_int_eq(run(STF_META), 2);
	ck_assert_int_eq(run(STF_META " frobnicate x"), 2);
	expect_out("unknown subcommand 'frobnicate'");
	ck_assert_int_eq(run(STF_META " dump"), 2);
	ck_assert_int_eq(run(STF_META " diff " WORK "/prog-O0"), 2);
	ck_assert_int_eq(run(STF_META " verify a b"), 2);
}
END_TEST

START_TEST(test_bad_files)
{
	ck_assert_int_eq(run(STF_META " dump " WORK "/does-not-exist"), 2);
	ck_assert_str_eq(out, "stf-meta: " WORK "/does-not-exist: cannot open: No such file or directory\n");
	ck_assert_int_eq(run(STF_META " verify " PROGS "/prog.c"), 2);
	ck_assert_str_eq(out, "stf-meta: " PROGS "/prog.c: not an ELF file\n");
	/* a real ELF binary without metadata */
	ck_assert_int_eq(run("%s -O0 " PROGS "/diffprog.c -o " WORK "/plain", cc), 0);
	ck_assert_int_eq(run(STF_META " dump " WORK "/plain"), 2);
	ck_assert_str_eq(out, "stf-meta: " WORK "/plain: no ttst metadata (section stf_units missing): "
			 "was it built with -fplugin=stf.so?\n");
	ck_assert_int_eq(run(STF_META " diff " WORK "/plain " WORK "/plain"), 2);
	/* an object file must be linked first */
	ck_assert_int_eq(run("%s -fplugin=%s -c " PROGS "/diffprog.c -o " WORK "/diffprog.o", cc, PLUGIN), 0);
	ck_assert_int_eq(run(STF_META " dump " WORK "/diffprog.o"), 2);
	expect_out("relocatable object file: link it first");
}
END_TEST

/* File offsets of a section's contents and of its header, and its size. */
struct section { off_t off, hdr; size_t size; };

static struct section section_of(const char *path, const char *name)
{
	struct section r = { 0, 0, 0 };
	int fd = open(path, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(gelf_getehdr(e, &eh));
	ck_assert_int_eq(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (!strcmp(elf_strptr(e, shstrndx, sh.sh_name), name)) {
			r.off = (off_t)sh.sh_offset;
			r.size = sh.sh_size;
			r.hdr = (off_t)(eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize);
		}
	}
	elf_end(e);
	close(fd);
	ck_assert_msg(r.size, "%s has no section %s", path, name);
	return r;
}

/* The whole file in memory. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* The good image with len bytes at off replaced, written to path. */
static void write_patched(const char *path, const unsigned char *img, size_t imglen,
			  off_t off, const void *bytes, size_t len)
{
	unsigned char *copy = malloc(imglen);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, img, imglen);
	memcpy(copy + off, bytes, len);
	spit(path, copy, imglen);
	free(copy);
}

static void expect_prefix(const char *want)
{
	ck_assert_msg(!strncmp(out, want, strlen(want)), "output does not start with '%s':\n%s",
		      want, out);
}

#define BAD WORK "/prog-bad"
#define CORRUPT "stf-meta: " BAD ": corrupted ttst metadata: "

START_TEST(test_corrupted_metadata)
{
	/* stored whole, so that records can be patched in the file */
	const char *good = WORK "/prog-O0-whole";
	struct section units, blob;
	unsigned char *img;
	size_t len;
	uint64_t word;
	uint32_t w32, ntypes;
	char want[256];

	build("prog-O0-whole", "-g -O0 -fplugin-arg-stf-deflate=0", PROG_SRCS);
	units = section_of(good, "stf_units");
	blob = section_of(good, "stf_blob");
	img = slurp(good, &len);

	word = 0x1122334455667788ull; /* unit magic */
	write_patched(BAD, img, len, units.off, &word, 8);
	ck_assert_int_eq(run(STF_META " dump " BAD), 2);
	expect_prefix(CORRUPT "unit 0: bad unit magic 0x1122334455667788 at 0x");

	word = 0x7fffffff; /* unit blob_size: past the end of everything */
	write_patched(BAD, img, len, units.off + 24, &word, 8);
	ck_assert_int_eq(run(STF_META " dump " BAD), 2);
	expect_prefix(CORRUPT "unit 0: cannot read the blob (2147483647 bytes at 0x");
	expect_out("): Bad address\n");

	w32 = 0xdeadbeef; /* blob magic */
	write_patched(BAD, img, len, blob.off, &w32, 4);
	ck_assert_int_eq(run(STF_META " verify " BAD), 2);
	expect_prefix(CORRUPT "unit 0: bad blob magic 0xdeadbeef at 0x");

	w32 = 0x01000000; /* types.count */
	write_patched(BAD, img, len, blob.off + 36, &w32, 4);
	ck_assert_int_eq(run(STF_META " dump " BAD), 2);
	expect_prefix(CORRUPT "unit 0: types table [");
	expect_out("exceeds the blob");

	/* first member record's type index, out of range */
	memcpy(&ntypes, img + blob.off + 36, 4);
	memcpy(&w32, img + blob.off + 40, 4);
	{
		uint32_t t900 = 900;
		write_patched(BAD, img, len, blob.off + w32 + 4, &t900, 4);
	}
	ck_assert_int_eq(run(STF_META " diff " BAD " %s", good), 2);
	expect_prefix(CORRUPT "unit 0 (prog.c): ");
	snprintf(want, sizeof want, "references type 900 (only %u types)\n", ntypes);
	expect_out(want);

	/* section stf_units shortened in its header: a truncated unit */
	word = 40;
	write_patched(BAD, img, len, units.hdr + 32, &word, 8);
	ck_assert_int_eq(run(STF_META " dump " BAD), 2);
	expect_prefix(CORRUPT "unit 0: truncated unit header at section offset 0 (40 bytes left)");

	/* a deflated blob stored 4 bytes short */
	{
		const char *deflated = WORK "/prog-O0";
		struct section du;
		size_t dlen;
		unsigned char *dimg;

		build("prog-O0", "-g -O0", PROG_SRCS);
		du = section_of(deflated, "stf_units");
		dimg = slurp(deflated, &dlen);
		memcpy(&word, dimg + du.off + 24, 8);
		word -= 4;
		write_patched(BAD, dimg, dlen, du.off + 24, &word, 8);
		ck_assert_int_eq(run(STF_META " dump " BAD), 2);
		expect_prefix(CORRUPT "unit 0: ");
		expect_out("the blob's deflated part is damaged");
		free(dimg);
	}

	/* the file cut in the middle of the blob */
	spit(BAD, img, (size_t)blob.off + blob.size / 2);
	ck_assert_int_eq(run(STF_META " dump " BAD), 2);
	expect_prefix("stf-meta: " BAD ": ");
	free(img);
}
END_TEST

/* Single-byte corruptions anywhere in the metadata: every run ends with
 * status 0, 1 or 2 and never with a signal (run() asserts that). */
START_TEST(test_byte_flips)
{
	const char *good = WORK "/prog-O0";
	struct section units, blob;
	unsigned char *img;
	size_t len;
	uint32_t seed = 12345;
	int loaded = 0, rejected = 0;

	build("prog-O0", "-g -O0", PROG_SRCS);
	units = section_of(good, "stf_units");
	blob = section_of(good, "stf_blob");
	img = slurp(good, &len);
	for (int i = 0; i < 160; i++) {
		size_t pos;
		unsigned char b;

		seed = seed * 1103515245u + 12345u;
		pos = (seed >> 8) % (units.size + blob.size);
		pos = pos < units.size ? (size_t)units.off + pos
				       : (size_t)blob.off + pos - units.size;
		b = (unsigned char)(img[pos] ^ (1u << ((seed >> 4) % 8)));
		write_patched(BAD, img, len, (off_t)pos, &b, 1);
		run(STF_META " %s " BAD, i % 4 == 3 ? "verify" : "dump");
		ck_assert_msg(status <= 2, "status %d at byte %zu:\n%s", status, pos, out);
		if (status == 2)
			rejected++;
		else
			loaded++;
	}
	/* both outcomes occur: the flips are not all harmless or all fatal */
	ck_assert_int_gt(loaded, 0);
	ck_assert_int_gt(rejected, 0);
	free(img);
}
END_TEST

/* Corrupted input under valgrind: no invalid reads or writes. */
START_TEST(test_valgrind)
{
	const char *good = WORK "/prog-O0-whole";
	struct section units, blob;
	unsigned char *img;
	size_t len;
	uint32_t w32 = 900;
	uint64_t word = 0x7fffffff;

	if (run("valgrind --version") != 0) {
		printf("test_valgrind: valgrind not installed, not run\n");
		return;
	}
	build("prog-O0-whole", "-g -O0 -fplugin-arg-stf-deflate=0", PROG_SRCS);
	units = section_of(good, "stf_units");
	blob = section_of(good, "stf_blob");
	img = slurp(good, &len);
#define VG "valgrind -q --error-exitcode=99 "
	ck_assert_int_eq(run(VG STF_META " verify %s", good), 0);
	ck_assert_int_eq(run(VG STF_META " diff %s %s", good, good), 0);
	write_patched(BAD, img, len, units.off + 24, &word, 8);
	ck_assert_int_eq(run(VG STF_META " dump " BAD), 2);
	memcpy(&word, img + blob.off + 40, 4);
	write_patched(BAD, img, len, blob.off + (off_t)(uint32_t)word + 4, &w32, 4);
	ck_assert_int_eq(run(VG STF_META " verify " BAD), 2);
#undef VG
	free(img);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (access(PLUGIN, R_OK)) {
		printf("SKIP: %s not built\n", PLUGIN);
		return 77;
	}
	cc = getenv("CC");
	if (!cc || !*cc)
		cc = "gcc";
	/* Binaries of an earlier run were built by an earlier plugin. */
	if (system("rm -rf " WORK) != 0) {
		perror("rm -rf " WORK);
		return 99;
	}
	if (mkdir(WORK, 0755) && errno != EEXIST) {
		perror(WORK);
		return 99;
	}
	s = suite_create("stf-meta");
	tc = tcase_create("stf-meta");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dump);
	tcase_add_test(tc, test_dump_json);
	tcase_add_loop_test(tc, test_verify_good, 0, sizeof good_builds / sizeof *good_builds);
	tcase_add_test(tc, test_verify_detects_foreign_dwarf);
	tcase_add_test(tc, test_verify_without_g);
	tcase_add_test(tc, test_verify_static_functions);
	tcase_add_loop_test(tc, test_diff, 0, sizeof diffs / sizeof *diffs);
	tcase_add_test(tc, test_diff_reverse_and_json);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_corrupted_metadata);
	tcase_add_test(tc, test_byte_flips);
	tcase_add_test(tc, test_valgrind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
