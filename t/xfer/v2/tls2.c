/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of tls2.c: the main thread's copy came with its value. */
#include "xt.h"

static __thread int tls_count = 5;
static const __thread int tls_const = 3;

static void init(void)
{
	tls_count += 2 + tls_const;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(tls_count == 10);
	CHECK(tls_const == 3);
	XT_V2_RESULT();
}
