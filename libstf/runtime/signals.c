/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * signals.c - the past version's signal handlers, carried to the future
 * (signals.h).  Function IDs come from the executable's own metadata
 * units as alloc.c validated them, inflated outside the program's heap
 * (units.h), so the past version's tracked state stays as it was.
 */
#include <inttypes.h>
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
		if (!id)
			continue; /* not a function of the program (a library's) */
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
		uint64_t addr = each_function(addr_if_named, e + off);
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
