/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program that installs its signal handler in the one-time
 * initialization, which the new version of an update skips.  SIGUSR1
 * counts hits; when the file argv[1] exists the count is written to
 * argv[2].  Without the handler carried over, SIGUSR1 would kill the new
 * version (default action).
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stf.h>

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (!stf_is_updating()) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
		sigaction(SIGUSR1, &sa, NULL);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			FILE *out = fopen(argv[2], "w");
			if (out) {
				fprintf(out, "%d\n", (int)hits);
				fclose(out);
			}
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
