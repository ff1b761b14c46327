/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * journal.c - see journal.h.  The protocols are systemd's stable
 * interfaces: JOURNAL_STREAM=DEV:INODE names the stream stderr is
 * connected to (so a redirected stderr is not mistaken for the journal),
 * "<N>" starts a line of priority N (sd-daemon(3)), and a notification is
 * one datagram of NEWLINE-separated assignments to the AF_UNIX socket
 * $NOTIFY_SOCKET ('@' = abstract namespace) (sd_notify(3)).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"

static struct {
	int have_stream;
	dev_t dev;
	ino_t ino;
	struct sockaddr_un notify;
	socklen_t notify_len;    /* 0: no notifications */
} j;

void journal_init(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	const char *sock = getenv("NOTIFY_SOCKET");
	unsigned long long dev, ino;

	if (stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2) {
		j.have_stream = 1;
		j.dev = (dev_t)dev;
		j.ino = (ino_t)ino;
	}
	if (sock && (sock[0] == '/' || sock[0] == '@') && strlen(sock) < sizeof(j.notify.sun_path)) {
		j.notify.sun_family = AF_UNIX;
		memcpy(j.notify.sun_path, sock, strlen(sock));
		if (sock[0] == '@')
			j.notify.sun_path[0] = '\0';
		j.notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sock));
	}
	unsetenv("NOTIFY_SOCKET");
}

int journal_log(FILE *log, const char *name, const char *msg)
{
	struct stat st;
	int prio = 6; /* LOG_INFO */

	if (!j.have_stream || fstat(fileno(log), &st) < 0 || st.st_dev != j.dev ||
	    st.st_ino != j.ino)
		return 0;
	if (strstr(msg, "WARNING") || strstr(msg, ": rolled back") || strstr(msg, "refused"))
		prio = 4; /* LOG_WARNING */
	fprintf(log, "<%d>ttstd[%s]: %s\n", prio, name, msg);
	fflush(log);
	return 1;
}

void journal_notify(const char *state)
{
	int fd;

	if (!j.notify_len)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* Best effort, like sd_notify: systemd not listening changes nothing
	 * for the program. */
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		     (const struct sockaddr *)&j.notify, j.notify_len);
	close(fd);
}
