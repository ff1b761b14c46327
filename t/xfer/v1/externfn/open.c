/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See main.c: functions of external linkage whose address only another
 * unit takes. */
int lib_open(int x);
int lib_close(int x);

int lib_open(int x)
{
	return x + 1;
}

int lib_close(int x)
{
	return x - 1;
}
