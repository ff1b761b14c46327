/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * helpers.c - test-plugin's shared helpers (plugin-test.h): the build
 * variants, running commands and building the corpus programs with the
 * plugin, and reading their metadata back with the real reader.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin-test.h"

const struct variant variants[] = {
	{ "O0-pie-g", "-O0 -g -fPIE -pie", 0, 1 },
	{ "O1-nopie-g", "-O1 -g -fno-pie -no-pie", 1, 1 },
	{ "O2-pie-g-gc", "-O2 -g -fPIE -pie -ffunction-sections -fdata-sections "
	  "-Wl,--gc-sections", 2, 1 },
	{ "O3-nopie-gc", "-O3 -fno-pie -no-pie -ffunction-sections -fdata-sections "
	  "-Wl,--gc-sections", 3, 0 },
	{ "O2-pie", "-O2 -fPIE -pie", 2, 0 },
};
_Static_assert(sizeof variants / sizeof variants[0] == NVARIANTS, "NVARIANTS");

/* ------------------------------------------------------------------ */
/* Running commands                                                     */

/* Run a shell command; its stdout and stderr go to *out (malloc'ed). */
int run(char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);

	char full[8300];
	snprintf(full, sizeof full, "LC_ALL=C; export LC_ALL; ( %s ) 2>&1", cmd);
	FILE *p = popen(full, "r");
	ck_assert_msg(p, "popen: %s", strerror(errno));
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	int st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const char *plugin_flags(void)
{
	static char flags[1024];
	snprintf(flags, sizeof flags, "-fplugin=%s -I%s -I%s -Wall", STF_PLUGIN_SO,
		 LIBSTF_INC, CORPUS_DIR);
	return flags;
}

const char *sources(const char *prog)
{
	static char src[1024];
	if (!strcmp(prog, "multi") || !strcmp(prog, "opaque") || !strcmp(prog, "autowrap"))
		snprintf(src, sizeof src, "%s/%s%s.c %s/%s-lib.c", CORPUS_DIR, prog,
			 strcmp(prog, "autowrap") ? "-main" : "", CORPUS_DIR, prog);
	else
		snprintf(src, sizeof src, "%s/%s.c", CORPUS_DIR, prog);
	return src;
}

/* Programs that call into libstf link with the build tree's libstf. */
const char *libs(const char *prog)
{
	static char l[1024];
	if (!strcmp(prog, "sites") || !strcmp(prog, "frames") || !strcmp(prog, "autowrap"))
		snprintf(l, sizeof l, "-L%s -lstf -Wl,-rpath,%s", LIBSTF_DIR, LIBSTF_DIR);
	else
		l[0] = '\0';
	return l;
}

/* Build prog in variant v once; returns the binary's path.  The compiler
 * output is kept next to it in PATH.log. */
const char *build(const char *prog, int v)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof path, BUILD_DIR "/%s-%s", prog, variants[v].name);
	if (access(path, X_OK) == 0)
		return path;
	mkdir(BUILD_DIR, 0755);
	char *out;
	int rc = run(&out, "%s %s %s %s -o %s.tmp %s > %s.log 2>&1; rc=$?; cat %s.log; "
		     "[ $rc = 0 ] && mv %s.tmp %s",
		     TEST_CC, plugin_flags(), variants[v].flags, sources(prog), path,
		     libs(prog), path, path, path, path);
	ck_assert_msg(rc == 0, "building %s (%s) failed:\n%s", prog, variants[v].name, out);
	free(out);
	return path;
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Line of the first line of a corpus file containing needle. */
unsigned source_line(const char *file, const char *needle)
{
	char path[PATH_MAX], line[1024];
	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, file);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	unsigned n = 0;
	while (fgets(line, sizeof line, f)) {
		n++;
		if (strstr(line, needle)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("%s not found in %s", needle, file);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading metadata                                                     */

struct elfmeta *open_meta(const char *path)
{
	enum elfmeta_status st;
	char err[1024];
	struct elfmeta *em = elfmeta_open(path, &st, err, sizeof err);
	ck_assert_msg(em, "%s", err);
	return em;
}

const struct stf_object_rec *object(struct elfmeta *em, const char *id,
					   const struct stf_meta_unit **u)
{
	uint32_t i;
	ck_assert_msg(stf_meta_find_object(elfmeta_meta(em), id, u, &i) == 0,
		      "object %s missing", id);
	return &(*u)->objects[i];
}

const struct stf_site_rec *site(struct elfmeta *em, const char *id,
				       const struct stf_meta_unit **u)
{
	uint32_t i;
	ck_assert_msg(stf_meta_find_site(elfmeta_meta(em), id, u, &i) == 0,
		      "site %s missing", id);
	return &(*u)->sites[i];
}

const struct stf_type_rec *type(const struct stf_meta_unit *u, uint32_t t)
{
	ck_assert_msg(t < u->ntypes, "type index %u out of range", t);
	return &u->types[t];
}

/* The type after typedefs. */
const struct stf_type_rec *bare(const struct stf_meta_unit *u, uint32_t t)
{
	return type(u, stf_meta_strip_typedefs(u, t));
}

const char *name(const struct stf_meta_unit *u, uint32_t off)
{
	return stf_meta_str(u, off);
}

const struct stf_member_rec *member(const struct stf_meta_unit *u,
					   const struct stf_type_rec *t, const char *m)
{
	for (uint32_t i = 0; i < t->nmembers; i++)
		if (!strcmp(name(u, u->members[t->members + i].name), m))
			return &u->members[t->members + i];
	ck_abort_msg("member %s missing in %s", m, name(u, t->name));
	return NULL;
}

void read_at(struct elfmeta *em, uint64_t addr, void *buf, size_t len)
{
	ck_assert_msg(elfmeta_read(em, addr, buf, len) == 0,
		      "cannot read %zu bytes at %#llx", len, (unsigned long long)addr);
}

uint64_t addr_of(const struct stf_meta_unit *u, const struct stf_object_rec *o)
{
	return u->addrs[o - u->objects];
}

/* First set bit of an object representation (bit-field positions). */
unsigned first_bit(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < 8; j++)
			if (b[i] & (1u << j))
				return (unsigned)(i * 8 + j);
	return ~0u;
}

/* The unit of a corpus file in a binary. */
const struct stf_meta_unit *unit_of(struct elfmeta *em, const char *file)
{
	const struct stf_meta *m = elfmeta_meta(em);
	for (uint32_t k = 0; k < m->nunits; k++)
		if (!strcmp(name(&m->units[k], m->units[k].blob->file), file))
			return &m->units[k];
	ck_abort_msg("no unit %s", file);
	return NULL;
}
