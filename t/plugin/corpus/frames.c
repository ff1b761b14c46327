/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An update point with locals in nested scopes, and locals that must not
 * be passed (static, register, VLA, declared after the update point, and
 * a libevent-style callback's arguments it never uses). */
#include "stf.h"

static int work(int arg, int n)
{
	int total = 0;
	register int reg = 3;
	char vla[n];
	vla[0] = 0;
	for (int i = 0; i < 2; i++) {
		struct pair {
			int a, b;
		} p = { i, arg };
		static int calls;
		stf_update_point();
		int later = i;
		total += p.a + p.b + later + reg + vla[0] + calls++;
	}
	return total;
}

/* stf_update_fd()'s callback: its arguments hold nothing of its state */
static void on_update(int fd, short what, void *arg)
{
	stf_update_point();
}

int main(int argc, char **argv)
{
	(void)argv;
	on_update(0, 0, 0);
	return work(argc, 4) > 100;
}
