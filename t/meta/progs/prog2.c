/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Second unit of the stf-meta test program. */
struct stats { unsigned long hits, misses; short level; };
static struct stats stats;
extern long counter; /* defined in prog.c */

int helper_count(void)
{
	static int times;
	stats.hits += (unsigned long)++times;
	counter++;
	return (int)stats.hits + stats.level;
}
