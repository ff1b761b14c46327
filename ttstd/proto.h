/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proto.h - the wire format of ttstd's sockets.
 *
 * Shared by ttstd, ttst-ctl and libstf's control thread (libstf/runtime/ctl.c).
 * Header-only so that each of the three carries its own copy: libstf must
 * not depend on a ttst library, and the code is small.
 *
 * Both sockets are SOCK_SEQPACKET: one message is one datagram of at most
 * TTST_MSG_MAX bytes holding one line of space-separated `key=value` fields.
 * Keys are [a-z0-9_]+; values are percent-encoded (every byte outside
 * 0x21..0x7e, and '%' and '=', becomes %XX), so a message is printable,
 * self-describing and parsed without allocation.  A key may repeat (`arg=`
 * for each argument); order is kept.
 */
#ifndef TTST_PROTO_H
#define TTST_PROTO_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TTST_MSG_MAX    65536 /* bytes in one datagram: room for every
                               * problem of an update, whole */
#define TTST_MSG_FIELDS 256   /* fields in one message */

/* ---- building a message ---------------------------------------------- */

struct ttst_msgbuf {
	char buf[TTST_MSG_MAX];
	size_t len;
	int overflow; /* set when a field did not fit: the message is invalid */
};

static inline void ttst_msg_init(struct ttst_msgbuf *m)
{
	m->len = 0;
	m->overflow = 0;
}

static inline void ttst_msg_putc(struct ttst_msgbuf *m, char c)
{
	if (m->len + 1 >= sizeof m->buf)
		m->overflow = 1;
	else
		m->buf[m->len++] = c;
}

/* Append `key=value`, percent-encoding the value. */
static inline void ttst_msg_add(struct ttst_msgbuf *m, const char *key,
				const char *val)
{
	static const char hex[] = "0123456789ABCDEF";

	if (m->len)
		ttst_msg_putc(m, ' ');
	for (; *key; key++)
		ttst_msg_putc(m, *key);
	ttst_msg_putc(m, '=');
	for (const unsigned char *v = (const unsigned char *)val; *v; v++) {
		if (*v > 0x20 && *v < 0x7f && *v != '%' && *v != '=') {
			ttst_msg_putc(m, (char)*v);
		} else {
			ttst_msg_putc(m, '%');
			ttst_msg_putc(m, hex[*v >> 4]);
			ttst_msg_putc(m, hex[*v & 15]);
		}
	}
	m->buf[m->len] = '\0';
}

static inline void ttst_msg_addf(struct ttst_msgbuf *m, const char *key,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void ttst_msg_addf(struct ttst_msgbuf *m, const char *key,
				 const char *fmt, ...)
{
	char val[4096]; /* numbers and short texts: long ones use ttst_msg_add */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof val, fmt, ap);
	va_end(ap);
	ttst_msg_add(m, key, val);
}

/* ---- parsing a message ------------------------------------------------- */

struct ttst_msg {
	char buf[TTST_MSG_MAX + 1];
	int nfields;
	const char *key[TTST_MSG_FIELDS];
	const char *val[TTST_MSG_FIELDS];
};

static inline int ttst_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parse the `len` bytes already in m->buf, in place.  0 on success; -1 with
 * a reason in `err` for anything malformed (the message is then unusable).
 */
static inline int ttst_msg_parse(struct ttst_msg *m, size_t len, char *err,
				 size_t errlen)
{
	char *p = m->buf, *end = m->buf + len;

	m->nfields = 0;
	if (len > TTST_MSG_MAX) {
		snprintf(err, errlen, "message longer than %d bytes", TTST_MSG_MAX);
		return -1;
	}
	*end = '\0';
	while (p < end) {
		char *key = p, *out, *val;

		if (*p == ' ' || *p == '\n') { /* tolerate separators and a final newline */
			p++;
			continue;
		}
		while (p < end && ((*p >= 'a' && *p <= 'z') ||
				   (*p >= '0' && *p <= '9') || *p == '_'))
			p++;
		if (p == key || p == end || *p != '=') {
			snprintf(err, errlen,
				 "malformed field %d at byte %td: expected key=value with a key of [a-z0-9_]",
				 m->nfields + 1, key - m->buf);
			return -1;
		}
		*p++ = '\0';
		val = out = p;
		while (p < end && *p != ' ' && *p != '\n') {
			if (*p == '%') {
				int hi = end - p >= 3 ? ttst_hexval(p[1]) : -1;
				int lo = end - p >= 3 ? ttst_hexval(p[2]) : -1;

				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
					snprintf(err, errlen,
						 "bad percent escape in field '%.40s'", key);
					return -1;
				}
				*out++ = (char)(hi << 4 | lo);
				p += 3;
			} else if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				snprintf(err, errlen,
					 "unencoded byte 0x%02x in field '%.40s'",
					 (unsigned char)*p, key);
				return -1;
			} else {
				*out++ = *p++;
			}
		}
		if (p < end)
			p++;
		*out = '\0';
		if (m->nfields == TTST_MSG_FIELDS) {
			snprintf(err, errlen, "more than %d fields", TTST_MSG_FIELDS);
			return -1;
		}
		m->key[m->nfields] = key;
		m->val[m->nfields] = val;
		m->nfields++;
	}
	return 0;
}

/* The first value of `key`, or NULL. */
static inline const char *ttst_msg_get(const struct ttst_msg *m, const char *key)
{
	for (int i = 0; i < m->nfields; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

/* Unsigned decimal (or 0x hex) value of `key`; `def` when absent or bad. */
static inline uint64_t ttst_msg_u64(const struct ttst_msg *m, const char *key,
				    uint64_t def)
{
	const char *v = ttst_msg_get(m, key);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtoull(v, &end, 0);
	return (*end || errno) ? def : (uint64_t)x;
}

/* ---- sending and receiving ------------------------------------------- */

/* Send a built message, with an optional file descriptor (SCM_RIGHTS). */
static inline int ttst_msg_send(int fd, const struct ttst_msgbuf *m, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)m->buf, .iov_len = m->len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (m->overflow) {
		errno = EMSGSIZE;
		return -1;
	}
	if (pass_fd >= 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Receive one message into `m` and parse it.  Returns 1 on a message, 0 on
 * end of stream, -1 on error: errno set for socket errors, or errno = EBADMSG
 * with a reason in `err` for an oversized or malformed message (the datagram
 * has been consumed; the connection can go on).  A passed descriptor is
 * stored in *got_fd (close-on-exec), else *got_fd = -1.
 */
static inline int ttst_msg_recv(int fd, struct ttst_msg *m, int *got_fd,
				char *err, size_t errlen)
{
	struct iovec iov = { .iov_base = m->buf, .iov_len = TTST_MSG_MAX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
	ssize_t n;
	int passed = -1;

	if (got_fd)
		*got_fd = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < nfd; i++) {
			int x;
			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof x);
			if (passed < 0 && got_fd)
				passed = x;
			else
				close(x); /* unexpected descriptors are not kept */
		}
	}
	if (got_fd)
		*got_fd = passed;
	if (n == 0 && !(mh.msg_flags & MSG_TRUNC))
		return 0;
	if (mh.msg_flags & MSG_TRUNC) {
		snprintf(err, errlen, "message longer than %d bytes", TTST_MSG_MAX);
		goto bad;
	}
	if (ttst_msg_parse(m, (size_t)n, err, errlen) < 0)
		goto bad;
	return 1;
bad:
	if (passed >= 0 && got_fd) {
		close(passed);
		*got_fd = -1;
	}
	m->nfields = 0;
	errno = EBADMSG;
	return -1;
}

/* ---- where the sockets live ---------------------------------------------- */

/*
 * The directory of ttstd's sockets: $XDG_RUNTIME_DIR/ttst, else /run/ttst
 * for root, else /tmp/ttst-$UID.
 */
static inline void ttst_runtime_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg && *xdg == '/')
		snprintf(buf, len, "%s/ttst", xdg);
	else if (geteuid() == 0)
		snprintf(buf, len, "/run/ttst");
	else
		snprintf(buf, len, "/tmp/ttst-%u", (unsigned)geteuid());
}

/* A valid instance name: [A-Za-z0-9._-], 1..64 bytes, not starting with '.'. */
static inline int ttst_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.')
		return 0;
	for (; *name; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9') || *name == '.' || *name == '_' ||
		      *name == '-'))
			return 0;
	return 1;
}

/*
 * A fault injection request KIND[@PHASE] as libstf's fault.c understands it
 * (kinds of enum stf_fault in libstf/transfer/xfer.h).  Checked before an update
 * starts: a mistyped fault must not turn a test into a real update.
 */
static inline int ttst_fault_ok(const char *spec)
{
	static const char *const kinds[] = { "crash", "hang", "corrupt-value",
		"corrupt-pointer", "skip-write", "leak", "wake-library" };
	const char *colon = strchr(spec, ':');
	size_t end = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *at = memchr(spec, '@', end);
	size_t len = at ? (size_t)(at - spec) : end;
	int kind_ok = 0, point_ok = 1;

	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		kind_ok |= strlen(kinds[i]) == len && strncmp(spec, kinds[i], len) == 0;
	if (colon) /* :POINT, value faults only (indices 2..4 of kinds) */
		point_ok = colon[1] && strlen(colon + 1) <= 18 &&
			   strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
			   (strncmp(spec, "corrupt-", 8) == 0 || strncmp(spec, "skip-write", 10) == 0);
	return kind_ok && point_ok &&
	       (!at || (end - (size_t)(at - spec) == 8 && strncmp(at, "@forward", 8) == 0) ||
		(end - (size_t)(at - spec) == 9 && strncmp(at, "@backward", 9) == 0));
}
#define TTST_FAULT_HELP "crash, hang, corrupt-value, corrupt-pointer, skip-write, leak or " \
	"wake-library, " \
	"optionally followed by @forward or @backward, then for corrupt-value, " \
	"corrupt-pointer and skip-write optionally :POINT (which eligible value)"

/* Suffix of the program socket next to the client socket. */
#define TTST_PROG_SUFFIX ".prog"

#endif /* TTST_PROTO_H */
