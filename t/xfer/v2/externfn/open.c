/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/externfn/main.c; a function comes before the others. */
int lib_init(int x);
int lib_open(int x);
int lib_close(int x);

int lib_init(int x)
{
	return x * 3 + 7;
}

int lib_open(int x)
{
	return x + 1;
}

int lib_close(int x)
{
	return x - 1;
}
