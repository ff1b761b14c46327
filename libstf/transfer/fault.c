/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault.c - STF_FAULT parsing and the faults that do not need the engine's
 * state (see fault.h).  The value faults are applied by xfer.c at the
 * first eligible value, or at the one a :POINT suffix names.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

static const char *const names[] = {
	[STF_FAULT_NONE] = "none",
	[STF_FAULT_CRASH] = "crash",
	[STF_FAULT_HANG] = "hang",
	[STF_FAULT_CORRUPT_VALUE] = "corrupt-value",
	[STF_FAULT_CORRUPT_POINTER] = "corrupt-pointer",
	[STF_FAULT_SKIP_WRITE] = "skip-write",
	[STF_FAULT_LEAK] = "leak",
	[STF_FAULT_WAKE_LIBRARY] = "wake-library",
};

const char *stf__fault_name(enum stf_fault kind)
{
	if ((size_t)kind < sizeof(names) / sizeof(names[0]))
		return names[kind];
	return "?";
}

/* The point of a value fault: ":N" ends the spec (all digits), else none. */
static const char *point_suffix(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	return colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	       strlen(colon + 1) <= 18 ? colon : NULL;
}

uint64_t stf__fault_point(const char *spec)
{
	const char *colon = point_suffix(spec);

	return colon ? strtoull(colon + 1, NULL, 10) : 0;
}

int stf__fault_parse(const char *full, enum stf_fault *kind,
		     enum stf_direction *phase, char *err, size_t errlen)
{
	const char *colon = point_suffix(full);
	char spec[64];
	const char *at;
	size_t len;

	*kind = STF_FAULT_NONE;
	*phase = STF_FORWARD;
	snprintf(spec, sizeof(spec), "%.*s", colon ? (int)(colon - full) : (int)strlen(full), full);
	if (strchr(spec, ':')) {
		snprintf(err, errlen, "STF_FAULT=%s: a point is ':' followed by decimal digits", full);
		return -1;
	}
	at = strchr(spec, '@');
	len = at ? (size_t)(at - spec) : strlen(spec);
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncmp(spec, names[i], len))
			*kind = (enum stf_fault)i;
	if (*kind == STF_FAULT_NONE) {
		snprintf(err, errlen, "STF_FAULT=%s: unknown fault '%.*s' (use crash, hang, "
			 "corrupt-value, corrupt-pointer, skip-write, leak or wake-library, optionally "
			 "followed by @forward or @backward, then :POINT for the value "
			 "faults)", full, (int)len, spec);
		return -1;
	}
	if (colon && *kind != STF_FAULT_CORRUPT_VALUE && *kind != STF_FAULT_CORRUPT_POINTER &&
	    *kind != STF_FAULT_SKIP_WRITE) {
		snprintf(err, errlen, "STF_FAULT=%s: only corrupt-value, corrupt-pointer and "
			 "skip-write take a :POINT", full);
		*kind = STF_FAULT_NONE;
		return -1;
	}
	if (at) {
		if (!strcmp(at + 1, "forward"))
			*phase = STF_FORWARD;
		else if (!strcmp(at + 1, "backward"))
			*phase = STF_BACKWARD;
		else {
			snprintf(err, errlen, "STF_FAULT=%s: unknown phase '%s' (use "
				 "@forward or @backward)", full, at + 1);
			*kind = STF_FAULT_NONE;
			return -1;
		}
	}
	return 0;
}

enum stf_fault stf__fault_for(enum stf_direction dir)
{
	const char *spec = getenv("STF_FAULT");
	enum stf_fault kind;
	enum stf_direction phase;
	char err[256];

	if (!spec || !*spec)
		return STF_FAULT_NONE;
	if (stf_role() != STF_ROLE_FUTURE && stf_role() != STF_ROLE_REVERSED)
		return STF_FAULT_NONE;
	if (stf__fault_parse(spec, &kind, &phase, err, sizeof(err)) < 0) {
		fprintf(stderr, "libstf: %s; no fault injected\n", err);
		return STF_FAULT_NONE;
	}
	/* not the engine's: lib-restart.c asks for it */
	return phase == dir && kind != STF_FAULT_WAKE_LIBRARY ? kind : STF_FAULT_NONE;
}

bool stf__fault_wake_library(void)
{
	const char *spec = getenv("STF_FAULT");
	enum stf_fault kind;
	enum stf_direction phase;
	char err[256];

	return spec && stf_role() == STF_ROLE_FUTURE &&
	       stf__fault_parse(spec, &kind, &phase, err, sizeof(err)) == 0 &&
	       kind == STF_FAULT_WAKE_LIBRARY;
}

uint64_t stf__fault_point_for(void)
{
	const char *spec = getenv("STF_FAULT");

	return spec ? stf__fault_point(spec) : 0;
}

void stf__fault_crash(void)
{
	fprintf(stderr, "libstf: STF_FAULT: crashing on purpose (SIGSEGV)\n");
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	_exit(139);
}

void stf__fault_hang(void)
{
	fprintf(stderr, "libstf: STF_FAULT: hanging on purpose\n");
	for (;;)
		pause();
}
