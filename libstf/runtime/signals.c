/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * signals.c - the past version's signal handlers, carried to the future
 * (signals.h).  Function IDs come from the executable's own metadata
 * units as alloc.c validated them, inflated outside the program's heap
 * (units.h), so the past version's tracked state stays as it was.  A
 * handler that is a shared library's function (libevent's and libev's,
 * which their loops installed) is carried as that library's file and
 * offset: the same place of the same file in the new version, whose
 * library state comes from the past version too (transfer/libraries.c).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "signals.h"
#include "units.h"
#include "stf-format.h"

/* Call fn on every function object of the executable's metadata until it
 * returns non-zero; that value is returned. */
static uint64_t each_function(uint64_t (*fn)(const char *id, uint64_t addr, const void *arg),
			      const void *arg)
{
	size_t n;
	const struct stf_unit *const *units = stf__units(&n);

	for (size_t k = 0; k < n; k++) {
		const struct stf_unit *u = units[k];
		const struct stf_blob_hdr *b = stf__unit_blob(u);
		const struct stf_object_rec *o =
			(const struct stf_object_rec *)((const char *)b + b->objects.off);
		const char *str = (const char *)b + b->strtab.off;
		for (uint32_t i = 0; i < b->objects.count && i < u->nobjects; i++) {
			if (o[i].kind != STF_O_FUNC || o[i].id >= b->strtab.count)
				continue;
			uint64_t r = fn(str + o[i].id, stf_unit_addr(u, i), arg);
			if (r)
				return r;
		}
	}
	return 0;
}

static uint64_t id_if_at(const char *id, uint64_t addr, const void *arg)
{
	return addr == *(const uint64_t *)arg ? (uint64_t)(uintptr_t)id : 0;
}

static uint64_t addr_if_named(const char *id, uint64_t addr, const void *arg)
{
	return strcmp(id, arg) == 0 ? addr : 0;
}

/* Signals below SIGRTMIN-ish numbers fit a 64-bit mask; libstf's own
 * quiescence signal is never carried. */
static int carried(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && sig != SIGRTMAX - 2;
}

/* "@FILE+0xOFFSET" for a function of a shared library (not the
 * executable, not libstf: those are named by function ID or never
 * carried); -1 if h is none. */
static int library_place(uint64_t h, char *out, size_t len)
{
	Dl_info info, own;
	char real[PATH_MAX];
	if (!dladdr((void *)(uintptr_t)h, &info) || !info.dli_fname || !*info.dli_fname ||
	    !info.dli_fbase)
		return -1;
	if (dladdr((void *)(uintptr_t)library_place, &own) && own.dli_fbase == info.dli_fbase)
		return -1; /* libstf's own */
	if (!realpath(info.dli_fname, real) || strpbrk(real, ";"))
		return -1;
	int n = snprintf(out, len, "@%s+0x%" PRIx64, real, h - (uint64_t)(uintptr_t)info.dli_fbase);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct lib_lookup {
	const char *path;
	uint64_t base;
};

static int base_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib_lookup *l = arg;
	char real[PATH_MAX];
	(void)size;
	if (info->dlpi_name && *info->dlpi_name && realpath(info->dlpi_name, real) &&
	    !strcmp(real, l->path)) {
		l->base = info->dlpi_addr;
		return 1;
	}
	return 0;
}

/* The address of "@FILE+0xOFFSET" here, 0 if FILE is not loaded. */
static uint64_t library_addr(const char *place)
{
	char path[PATH_MAX];
	const char *plus = strrchr(place, '+');
	if (place[0] != '@' || !plus || (size_t)(plus - place - 1) >= sizeof path)
		return 0;
	memcpy(path, place + 1, plus - place - 1);
	path[plus - place - 1] = '\0';
	struct lib_lookup l = { path, 0 };
	if (!dl_iterate_phdr(base_of, &l) || !l.base)
		return 0;
	return l.base + strtoull(plus + 1, NULL, 16);
}

int stf__signals_describe(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++) {
		struct sigaction sa;
		if (!carried(sig) || sigaction(sig, NULL, &sa) < 0)
			continue;
		uint64_t h = (sa.sa_flags & SA_SIGINFO) ? (uint64_t)(uintptr_t)sa.sa_sigaction
							 : (uint64_t)(uintptr_t)sa.sa_handler;
		if (!(sa.sa_flags & SA_SIGINFO) &&
		    (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
			continue; /* SIG_IGN survives exec by itself */
		const char *id = (const char *)(uintptr_t)each_function(id_if_at, &h);
		char lib[PATH_MAX + 32];
		if (!id && library_place(h, lib, sizeof lib) == 0)
			id = lib;
		if (!id)
			continue; /* neither the program's nor a library's */
		uint64_t mask = 0;
		for (int s = 1; s <= 64 && s < NSIG; s++)
			if (sigismember(&sa.sa_mask, s) == 1)
				mask |= 1ULL << (s - 1);
		int n = snprintf(buf + used, len - used, "%s%d:%x:%" PRIx64 ":%s",
				 used ? ";" : "", sig, (unsigned)sa.sa_flags, mask, id);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

static char noted[4096];

void stf__signals_note(const char *desc)
{
	snprintf(noted, sizeof noted, "%s", desc ? desc : "");
}

void stf__signals_commit(void)
{
	char *save = NULL;

	for (char *e = strtok_r(noted, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		int sig;
		unsigned flags;
		uint64_t mask;
		int off = 0;
		struct sigaction sa, cur;

		if (sscanf(e, "%d:%x:%" SCNx64 ":%n", &sig, &flags, &mask, &off) != 3 || !off ||
		    sig < 1 || sig >= NSIG || !carried(sig))
			continue;
		if (sigaction(sig, NULL, &cur) < 0 || (cur.sa_flags & SA_SIGINFO) ||
		    cur.sa_handler != SIG_DFL)
			continue; /* the new version installed its own */
		uint64_t addr = e[off] == '@' ? library_addr(e + off) :
				each_function(addr_if_named, e + off);
		if (!addr) {
			fprintf(stderr, "libstf[%d]: signal %d: handler %s is gone in the new "
				"version; the default action stays\n", (int)getpid(), sig, e + off);
			continue;
		}
		memset(&sa, 0, sizeof sa);
		sa.sa_flags = (int)flags;
		sigemptyset(&sa.sa_mask);
		for (int s = 1; s <= 64 && s < NSIG; s++)
			if (mask & (1ULL << (s - 1)))
				sigaddset(&sa.sa_mask, s);
		if (flags & SA_SIGINFO)
			sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(uintptr_t)addr;
		else
			sa.sa_handler = (void (*)(int))(uintptr_t)addr;
		if (sigaction(sig, &sa, NULL) < 0)
			fprintf(stderr, "libstf[%d]: signal %d: cannot install %s\n",
				(int)getpid(), sig, e + off);
	}
	noted[0] = '\0';
}
