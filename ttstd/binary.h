/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * binary.h - can this executable take part in an update?
 */
#ifndef TTSTD_BINARY_H
#define TTSTD_BINARY_H

#include <stddef.h>

/*
 * Check, before the running version is touched, that `path` is a regular
 * file (never opened blocking: a FIFO would hang ttstd), an x86-64
 * ELF executable carrying ttst metadata (built with the stf.so plugin) and
 * linked with libstf.  Without either, the new version could never receive
 * the state: the update would only pause the program until it times out.
 * Scripts (#!) pass: they exec the real program, which the update checks.
 * 0 if it can; -1 with the reason in err.
 */
int ttstd_check_binary(const char *path, char *err, size_t errlen);

#endif /* TTSTD_BINARY_H */
