/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of STF_FAULT parsing (libstf/fault.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

START_TEST(parses_every_kind)
{
	static const struct {
		const char *spec;
		enum stf_fault kind;
		enum stf_direction phase;
	} ok[] = {
		{ "crash", STF_FAULT_CRASH, STF_FORWARD },
		{ "hang@backward", STF_FAULT_HANG, STF_BACKWARD },
		{ "corrupt-value@forward", STF_FAULT_CORRUPT_VALUE, STF_FORWARD },
		{ "corrupt-pointer", STF_FAULT_CORRUPT_POINTER, STF_FORWARD },
		{ "skip-write@backward", STF_FAULT_SKIP_WRITE, STF_BACKWARD },
		{ "leak", STF_FAULT_LEAK, STF_FORWARD },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum stf_fault kind;
		enum stf_direction phase;
		char err[256] = "";
		ck_assert_int_eq(stf__fault_parse(ok[i].spec, &kind, &phase, err, sizeof(err)), 0);
		ck_assert_int_eq(kind, ok[i].kind);
		ck_assert_int_eq(phase, ok[i].phase);
		ck_assert_str_eq(err, "");
	}
	ck_assert_str_eq(stf__fault_name(STF_FAULT_SKIP_WRITE), "skip-write");
}
END_TEST

START_TEST(rejects_bad_specs)
{
	static const char *const bad[] = { "", "crash@", "crash@sideways", "explode",
					   "crashh", "@forward", "leak@forward@backward" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum stf_fault kind = STF_FAULT_LEAK;
		enum stf_direction phase;
		char err[256] = "";
		ck_assert_int_eq(stf__fault_parse(bad[i], &kind, &phase, err, sizeof(err)), -1);
		ck_assert_int_eq(kind, STF_FAULT_NONE);
		ck_assert_ptr_nonnull(strstr(err, "STF_FAULT="));
	}
}
END_TEST

/* :POINT picks which eligible value a value fault hits. */
START_TEST(parses_points)
{
	static const struct {
		const char *spec;
		enum stf_fault kind;
		uint64_t point;
	} ok[] = {
		{ "corrupt-value:17", STF_FAULT_CORRUPT_VALUE, 17 },
		{ "corrupt-pointer@backward:0", STF_FAULT_CORRUPT_POINTER, 0 },
		{ "skip-write@forward:123456789012", STF_FAULT_SKIP_WRITE, 123456789012u },
		{ "corrupt-value@forward", STF_FAULT_CORRUPT_VALUE, 0 },
	};
	static const char *const bad[] = { "corrupt-value:", "corrupt-value:x1", "crash:3",
					   "leak@forward:1", "corrupt-value:1:2",
					   "corrupt-value@sideways:1", "corrupt-value:-1" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum stf_fault kind;
		enum stf_direction phase;
		char err[256] = "";
		ck_assert_int_eq(stf__fault_parse(ok[i].spec, &kind, &phase, err, sizeof(err)), 0);
		ck_assert_int_eq(kind, ok[i].kind);
		ck_assert_uint_eq(stf__fault_point(ok[i].spec), ok[i].point);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum stf_fault kind;
		enum stf_direction phase;
		char err[256] = "";
		ck_assert_msg(stf__fault_parse(bad[i], &kind, &phase, err, sizeof(err)) == -1,
			      "%s accepted", bad[i]);
		ck_assert_int_eq(kind, STF_FAULT_NONE);
		ck_assert_ptr_nonnull(strstr(err, "STF_FAULT="));
	}
}
END_TEST

/* Outside an update (role normal) no fault is ever injected. */
START_TEST(ignored_outside_updates)
{
	setenv("STF_FAULT", "crash", 1);
	ck_assert_int_eq(stf__fault_for(STF_FORWARD), STF_FAULT_NONE);
	unsetenv("STF_FAULT");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");
	tcase_add_test(tc, parses_every_kind);
	tcase_add_test(tc, rejects_bad_specs);
	tcase_add_test(tc, parses_points);
	tcase_add_test(tc, ignored_outside_updates);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
