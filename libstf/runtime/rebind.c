/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rebind.c - the new version's startup binds the sockets it inherited
 * (rebind.h).
 *
 * Interposed like pthread_create (respawn.c): libstf is loaded before the
 * C library, so the program's and its libraries' calls of bind and unlink
 * come here; out of a startup they cost one load (stf_is_updating)
 * before the C library's function.
 *
 * A socket is P's when its inode is one noted at start: a startup that
 * closed an inherited number and opened another socket there has a socket
 * of its own under that number.  Nothing here allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include <stf.h>

#include "fds.h"
#include "interpose.h"
#include "parked.h"
#include "rebind.h"

#define EXPORT __attribute__((visibility("default")))

/* More listeners than this are not rebound: their bind fails as before. */
#define MAX_INHERITED 256

static struct inherited {
	int fd;
	dev_t dev;
	ino_t ino;
	int rebound; /* the startup's descriptor it was given to (once: the
		      * sockets of a SO_REUSEPORT group one by one), or -1 */
} inherited[MAX_INHERITED];
static int ninherited;

static int sockopt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) == 0 ? v : -1;
}

/* A socket a new startup binds to the same address: one listening, or a
 * bound datagram socket (a connected one, a client's, is bound to an
 * ephemeral port no startup asks for). */
static bool rebindable(int fd)
{
	int type = sockopt(fd, SO_TYPE);

	if (type == SOCK_DGRAM)
		return true;
	return (type == SOCK_STREAM || type == SOCK_SEQPACKET) && sockopt(fd, SO_ACCEPTCONN) == 1;
}

static int note_one(int fd, void *ctx)
{
	struct stat st;

	(void)ctx;
	if (ninherited == MAX_INHERITED)
		return 1;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && rebindable(fd))
		inherited[ninherited++] = (struct inherited){ fd, st.st_dev, st.st_ino, -1 };
	return 0;
}

void stf__rebind_note(void)
{
	ninherited = 0;
	(void)stf__fds_each(0, note_one, NULL);
}

/* The entry of the inherited socket open on fd, or NULL. */
static struct inherited *inherited_at(int fd)
{
	struct stat st;

	if (!ninherited || fstat(fd, &st) < 0)
		return NULL;
	for (int i = 0; i < ninherited; i++)
		if (inherited[i].dev == st.st_dev && inherited[i].ino == st.st_ino)
			return &inherited[i];
	return NULL;
}

bool stf__rebind_dup(int fd)
{
	const struct inherited *in = fd >= 0 ? inherited_at(fd) : NULL;

	return in && in->rebound == fd && in->fd != fd;
}

bool stf__rebind_any_dup(void)
{
	for (int i = 0; i < ninherited; i++)
		if (stf__rebind_dup(inherited[i].rebound))
			return true;
	return false;
}

/* The same socket file behind two paths (one relative, one absolute). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && S_ISSOCK(sa.st_mode) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* sun_path of a UNIX address of `len` bytes, NUL-terminated in buf. */
static const char *unix_path(const struct sockaddr_un *sun, socklen_t len, char *buf)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
			   len - offsetof(struct sockaddr_un, sun_path) : 0;

	if (n > sizeof sun->sun_path)
		n = sizeof sun->sun_path;
	memcpy(buf, sun->sun_path, n);
	buf[n] = '\0';
	return buf;
}

/* Is `want` (what the startup binds) the address `have` is bound to?  A
 * port 0 asks for any port, an unnamed UNIX address for none: never. */
static bool same_address(const struct sockaddr *want, socklen_t wlen,
			 const struct sockaddr_storage *have, socklen_t hlen)
{
	if (wlen < sizeof(sa_family_t) || want->sa_family != have->ss_family)
		return false;
	switch (want->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *w = (const void *)want, *h = (const void *)have;
		return wlen >= sizeof *w && w->sin_port && w->sin_port == h->sin_port &&
		       w->sin_addr.s_addr == h->sin_addr.s_addr;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *w = (const void *)want, *h = (const void *)have;
		return wlen >= sizeof *w && w->sin6_port && w->sin6_port == h->sin6_port &&
		       !memcmp(&w->sin6_addr, &h->sin6_addr, sizeof w->sin6_addr) &&
		       w->sin6_scope_id == h->sin6_scope_id;
	}
	case AF_UNIX: {
		char wp[sizeof(struct sockaddr_un) + 1], hp[sizeof(struct sockaddr_un) + 1];
		size_t off = offsetof(struct sockaddr_un, sun_path);

		if (wlen <= off || hlen <= off)
			return false;
		if (((const struct sockaddr_un *)want)->sun_path[0] == '\0') /* abstract */
			return wlen == hlen && !memcmp(want, have, wlen);
		unix_path((const void *)want, wlen, wp);
		unix_path((const void *)have, hlen, hp);
		return hp[0] && (!strcmp(wp, hp) || same_file(wp, hp));
	}
	default:
		return false;
	}
}

/* An inherited socket not given out yet, of fd's kind, bound to addr. */
static struct inherited *find_bound(int fd, const struct sockaddr *addr, socklen_t len)
{
	int domain = sockopt(fd, SO_DOMAIN), type = sockopt(fd, SO_TYPE);
	int protocol = sockopt(fd, SO_PROTOCOL);

	for (int i = 0; i < ninherited; i++) {
		struct inherited *in = &inherited[i];
		struct sockaddr_storage have;
		socklen_t hlen = sizeof have;

		if (in->rebound >= 0 || in->fd == fd || inherited_at(in->fd) != in ||
		    sockopt(in->fd, SO_DOMAIN) != domain || sockopt(in->fd, SO_TYPE) != type ||
		    sockopt(in->fd, SO_PROTOCOL) != protocol || !rebindable(in->fd) ||
		    getsockname(in->fd, (struct sockaddr *)&have, &hlen) < 0)
			continue;
		if (same_address(addr, len, &have, hlen))
			return in;
	}
	return NULL;
}

/* During F's or R's startup only: after its update point the process is
 * the program (or R's comparison), binding as it would anywhere. */
static bool in_startup(void)
{
	return stf_is_updating() && ninherited && stf__in_startup();
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	int (*real)(int, __CONST_SOCKADDR_ARG, socklen_t) =
		STF_NEXT_FN(int (*)(int, __CONST_SOCKADDR_ARG, socklen_t), "bind");
	struct inherited *in;

	if (in_startup() && addr.__sockaddr__ && (in = find_bound(fd, addr.__sockaddr__, len))) {
		int flags = fcntl(fd, F_GETFD);

		/* fd becomes P's socket; its close-on-exec flag stays the
		 * startup's (dup2 clears it), its file status flags are P's */
		if (dup2(in->fd, fd) < 0)
			return -1;
		if (flags > 0)
			fcntl(fd, F_SETFD, flags);
		in->rebound = fd;
		return 0;
	}
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, addr, len);
}

/* The path of an inherited UNIX socket stays: without it P (on a
 * rollback) or F (after the commit) would listen where no client finds it,
 * and the startup's bind would not find the socket to rebind. */
static bool inherited_path(const char *path)
{
	for (int i = 0; i < ninherited; i++) {
		struct sockaddr_storage have;
		socklen_t hlen = sizeof have;
		char hp[sizeof(struct sockaddr_un) + 1];

		if (sockopt(inherited[i].fd, SO_DOMAIN) == AF_UNIX &&
		    getsockname(inherited[i].fd, (struct sockaddr *)&have, &hlen) == 0 &&
		    unix_path((const struct sockaddr_un *)&have, hlen, hp)[0] && same_file(path, hp))
			return true;
	}
	return false;
}

EXPORT int unlink(const char *path)
{
	int (*real)(const char *) = STF_NEXT_FN(int (*)(const char *), "unlink");

	if (in_startup() && inherited_path(path))
		return 0;
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(path);
}
