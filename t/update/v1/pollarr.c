/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A poll array in main's frame that only the loop fills: at the update
 * point its bytes are whatever the stack held before (t/idioms/tagcmd's
 * `struct pollfd fds[]`).  Built with -DV2, the second version prints
 * "ok" once it has taken the state. */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include <stf.h>

int main(void)
{
	struct pollfd fds[16]; /* written by the loop only: undefined at the point */
	int n = 0;

#ifdef V2
	if (stf_is_updating()) {
		stf_update_point();
		printf("ok\n");
		fflush(stdout);
	}
#endif
	for (;;) {
		stf_update_point();
		if (n)
			poll(fds, (nfds_t)n, 0);
		usleep(2000);
	}
}
