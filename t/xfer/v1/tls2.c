/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A thread-local variable the program wrote, and a constant one. */
#include "xt.h"

static __thread int tls_count = 5;
static const __thread int tls_const = 3;

int main(void)
{
	if (!stf_is_updating())
		tls_count += 2 + tls_const;
	XT_V1_LOOP();
}
