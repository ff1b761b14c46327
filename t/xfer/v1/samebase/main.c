/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two files of one name in different directories (net/util.c and
 * disk/util.c), each with statics of the same names. */
#include "xt.h"

void net_set(int n, const char *s);
void disk_set(int n, const char *s);

int main(void)
{
	if (!stf_is_updating()) {
		net_set(1, "network");
		disk_set(2, "disk");
	}
	XT_V1_LOOP();
}
