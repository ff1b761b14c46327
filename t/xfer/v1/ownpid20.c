/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The process's own pid kept in statics at start, as dnsmasq's signal
 * handler compares `static volatile pid_t pid` with getpid() to tell the
 * master from its TCP children (a mismatch ignores SIGTERM), and as
 * daemons tag their logs: after the update each names the new process.
 */
#include <sys/types.h>
#include "xt.h"

static volatile pid_t master_pid;
static pid_t log_pid;
struct logger {
	pid_t pid;
	int lines;
};
static struct logger *logger;

static __attribute__((noinline)) void init(void)
{
	master_pid = getpid();
	log_pid = getpid();
	logger = malloc(sizeof(*logger));
	logger->pid = getpid();
	logger->lines = 3;
}

#ifdef V2
static void check(void)
{
	CHECK(master_pid == getpid());
	CHECK(log_pid == getpid());
	CHECK(logger->pid == getpid() && logger->lines == 3);
}
#else
static void check(void)
{
	if (master_pid != getpid() || log_pid != master_pid || logger->pid != master_pid)
		abort();
}
#endif

XT_MAIN_CHECKED(init, check)
