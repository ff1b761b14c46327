/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugin-test.h - what the files of test-plugin share: the build variants,
 * building corpus programs with the plugin (helpers.c), reading their
 * metadata back, and the parts of the suite each file registers.
 */
#ifndef PLUGIN_TEST_H
#define PLUGIN_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "elfmeta.h"
#include "meta.h"

#define BUILD_DIR "plugin-build"

struct variant {
	const char *name;
	const char *flags;
	int optimize;
	int debug;
};

extern const struct variant variants[];
#define NVARIANTS 5

/* helpers.c: running commands, building corpus programs, reading metadata
 * (see each definition) */
int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *plugin_flags(void);
const char *sources(const char *prog);
const char *libs(const char *prog);
const char *build(const char *prog, int v);
char *slurp(const char *path);
unsigned source_line(const char *file, const char *needle);
struct elfmeta *open_meta(const char *path);
const struct stf_object_rec *object(struct elfmeta *em, const char *id,
					   const struct stf_meta_unit **u);
const struct stf_site_rec *site(struct elfmeta *em, const char *id,
				       const struct stf_meta_unit **u);
const struct stf_type_rec *type(const struct stf_meta_unit *u, uint32_t t);
const struct stf_type_rec *bare(const struct stf_meta_unit *u, uint32_t t);
const char *name(const struct stf_meta_unit *u, uint32_t off);
const struct stf_member_rec *member(const struct stf_meta_unit *u,
					   const struct stf_type_rec *t, const char *m);
void read_at(struct elfmeta *em, uint64_t addr, void *buf, size_t len);
uint64_t addr_of(const struct stf_meta_unit *u, const struct stf_object_rec *o);
unsigned first_bit(const void *p, size_t n);
const struct stf_meta_unit *unit_of(struct elfmeta *em, const char *file);

/* Add test to s as its own test case, looped over the variants if loop. */
void plugin_add_case(Suite *s, const char *name, const TTest *test, int loop);
/* The cases of test-types.c and test-objects.c. */
void add_type_cases(Suite *s);
void add_object_and_site_cases(Suite *s);
/* The cases of test-addr-keys.c. */
void add_addr_key_cases(Suite *s);

#endif /* PLUGIN_TEST_H */
