/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stf-plain.c - what a plain (uninstrumented) build of an example server
 * links instead of libstf for make eval's baselines: update points that
 * never fire, never updating.  The server's source stays unchanged.
 */
volatile int stf__update_pending;

void stf__update_point(void);
void stf__update_point(void)
{
}

int stf_is_updating(void);
int stf_is_updating(void)
{
	return 0;
}
