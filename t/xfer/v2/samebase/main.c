/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of samebase: unchanged (the update is refused: see
 * samebase.xfer); each file's statics would have to keep their own values. */
#include "xt.h"

void net_set(int n, const char *s);
void disk_set(int n, const char *s);
int net_check(int n, const char *s);
int disk_check(int n, const char *s);

static void init(void)
{
	net_set(1, "network");
	disk_set(2, "disk");
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(net_check(1, "network"));
	CHECK(disk_check(2, "disk"));
	XT_V2_RESULT();
}
