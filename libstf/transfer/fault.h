/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault.h - fault injection into the state transfer (testing only).
 *
 * INTERNAL.  STF_FAULT=<kind>[@forward|@backward][:POINT] (kinds: crash,
 * hang, corrupt-value, corrupt-pointer, skip-write, leak, wake-library;
 * default phase: forward) makes the engine misbehave once, at a deterministic point of
 * the named transfer, so tests can prove that every class of fault is
 * caught.  The value faults (corrupt-value, corrupt-pointer, skip-write)
 * hit the first eligible value, or with :POINT the POINT-th one (modulo
 * their number for bytes; for pointers, none if there are fewer), which
 * lets a fault campaign spread them over the state.  wake-library is not
 * the engine's: at the commit, F wakes a library thread of the old version
 * the new one is to start again (it may wake by itself there: a GLib
 * timeout), which must make F refuse to commit.  Only honoured in the
 * future and reversed versions.
 */
#ifndef STF_FAULT_H
#define STF_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stf.h"
#include "xfer.h"

/* Parse a STF_FAULT value; 0, or -1 with a message in err. */
int stf__fault_parse(const char *spec, enum stf_fault *kind,
		     enum stf_direction *phase, char *err, size_t errlen);
/* The fault to inject into the transfer of direction dir (STF_FAULT_NONE
 * unless STF_FAULT asks for it and this process is F or R). */
enum stf_fault stf__fault_for(enum stf_direction dir);
/* F: does STF_FAULT ask to wake a library thread of the old version at the
 * commit (wake-library)? */
bool stf__fault_wake_library(void);
/* The :POINT of a spec (0 without one), and of STF_FAULT. */
uint64_t stf__fault_point(const char *spec);
uint64_t stf__fault_point_for(void);
/* Name of a fault kind ("corrupt-value"). */
const char *stf__fault_name(enum stf_fault kind);
/* Execute the crash and hang faults (never return). */
void stf__fault_crash(void) __attribute__((noreturn));
void stf__fault_hang(void) __attribute__((noreturn));

#endif /* STF_FAULT_H */
