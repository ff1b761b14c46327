/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ttst-ctl - control a ttstd: live update, status, history.  See ttst-ctl(1).
 *
 * A thin client: it resolves the new binary's path, sends one request on
 * ttstd's control socket (format in ttstd/proto.h) and renders the reply as
 * text or JSON.  Exit status: 0 committed (or a dry run that validated),
 * 1 rolled back, 2 usage or connection error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define EXIT_COMMITTED 0
#define EXIT_ROLLED_BACK 1
#define EXIT_USAGE 2

/* How long to wait for ttstd by default: status and history are answered
 * at once by a ttstd that runs; an update takes its own timeout, plus the
 * watch, plus the bounded commit or rollback. */
#define DEFAULT_WAIT_S 5
#define UPDATE_MARGIN_S 20

static int json;
static unsigned wait_s;      /* --timeout: 0 for the defaults above */
static const char *sock_path;
static double deadline;      /* of the request being waited for */
static double waited_from;

static void usage(FILE *f, int status) __attribute__((noreturn));
static void usage(FILE *f, int status)
{
	fputs("usage: ttst-ctl [-n NAME | --socket PATH] [--json] [--timeout S] COMMAND\n"
	      "commands:\n"
	      "  update [--dry-run] [--strict] [--timeout S] [--watch S] [--fault KIND[@PHASE][:POINT]]\n"
	      "         NEW [ARGS...]\n"
	      "         live-update the program to binary NEW (ARGS default to the\n"
	      "         running version's; a lone `--` after NEW means no arguments)\n"
	      "  status     pid, binary, arguments, uptime, last transaction\n"
	      "  history    every transaction ttstd remembers\n"
	      "exit status: 0 committed (or validated by --dry-run), 1 rolled back,\n"
	      "2 usage or connection error (also: ttstd did not answer within --timeout S,\n"
	      "default 5 s, for an update its own timeout and watch + 20 s).  See ttst-ctl(1).\n", f);
	exit(status);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ttst-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_wait(unsigned seconds)
{
	waited_from = now();
	deadline = waited_from + (wait_s ? wait_s : seconds);
}

/* Wait for fd to be ready for `events` until the deadline; exit 2 if not. */
static void wait_ready(int fd, short events)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		double left = deadline - now();
		int r;

		if (left <= 0)
			fail("ttstd at %s did not answer in time: no %s within %.0f s (is it "
			     "stopped or overloaded? --timeout S waits longer)", sock_path,
			     events == POLLIN ? "reply" : "room for the request",
			     deadline - waited_from);
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return;
		if (r < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
	}
}

/* Send a request within the deadline. */
static void send_request(int fd, const struct ttst_msgbuf *req)
{
	wait_ready(fd, POLLOUT);
	(void)ttst_msg_send(fd, req, -1); /* a refusal is already waiting to be read */
}

static int connect_to(const char *path, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path)
		fail("socket path %s is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	/* A full backlog (a stopped ttstd) says EAGAIN: retry until the deadline. */
	while ((rc = connect(fd, (struct sockaddr *)&sa, sizeof sa)) < 0 && errno == EAGAIN) {
		if (now() > deadline)
			fail("ttstd at %s accepts no connection (stopped or overloaded?); "
			     "nothing was requested", path);
		usleep(50000);
	}
	if (rc < 0) {
		if (name)
			fail("cannot connect to %s: %s (is `ttstd --name %s` running as this user?)",
			     path, strerror(errno), name);
		fail("cannot connect to %s: %s (is ttstd running with --socket %s?)",
		     path, strerror(errno), path);
	}
	return fd;
}

/* Receive one reply; exit 2 on connection errors and on `ok=0`. */
static void receive(int fd, struct ttst_msg *m)
{
	char err[256];
	int r;

	wait_ready(fd, POLLIN);
	r = ttst_msg_recv(fd, m, NULL, err, sizeof err);

	if (r < 0 && errno == EBADMSG)
		fail("bad reply from ttstd: %s", err);
	if (r < 0)
		fail("receiving from ttstd: %s", strerror(errno));
	if (r == 0)
		fail("ttstd closed the connection without replying");
	if (ttst_msg_u64(m, "ok", 0) != 1) {
		const char *e = ttst_msg_get(m, "error");
		fail("ttstd: %s", e ? e : "request failed (no reason given)");
	}
}

/* ---- JSON rendering ------------------------------------------------------ */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int is_number(const char *s)
{
	char *end;

	if (!*s || (s[0] == '0' && s[1] && s[1] != '.'))
		return 0;
	strtod(s, &end);
	return *end == '\0' && strspn(s, "0123456789.-") == strlen(s);
}

static void json_value(const char *v)
{
	if (is_number(v))
		fputs(v, stdout);
	else
		json_string(v);
}

/*
 * One object: plain fields at the top, repeated `arg` as "args", and the
 * prefixed groups t_ (seconds of each phase), fwd_, bwd_, diff_ (engine
 * reports) as nested objects.
 */
static void json_record(const struct ttst_msg *m)
{
	static const char *const group[][2] = {
		{ "t_", "seconds" }, { "fwd_", "forward" }, { "bwd_", "backward" },
		{ "diff_", "diff" }, { "last_", "last" },
	};
	const size_t ngroups = sizeof group / sizeof *group;
	int first = 1, nargs = 0;

	putchar('{');
	for (int i = 0; i < m->nfields; i++) {
		size_t g;

		if (strcmp(m->key[i], "ok") == 0)
			continue;
		if (strcmp(m->key[i], "arg") == 0) {
			nargs++;
			continue;
		}
		for (g = 0; g < ngroups; g++)
			if (strncmp(m->key[i], group[g][0], strlen(group[g][0])) == 0)
				break;
		if (g < ngroups)
			continue;
		printf("%s", first ? "" : ",");
		first = 0;
		json_string(m->key[i]);
		putchar(':');
		if (strcmp(m->key[i], "dry_run") == 0)
			fputs(strcmp(m->val[i], "1") == 0 ? "true" : "false", stdout);
		else
			json_value(m->val[i]);
	}
	if (nargs || ttst_msg_get(m, "binary")) {
		int n = 0;

		printf("%s\"args\":[", first ? "" : ",");
		first = 0;
		for (int i = 0; i < m->nfields; i++)
			if (strcmp(m->key[i], "arg") == 0) {
				printf("%s", n++ ? "," : "");
				json_string(m->val[i]);
			}
		putchar(']');
	}
	for (size_t g = 0; g < ngroups; g++) {
		size_t plen = strlen(group[g][0]);
		int n = 0, nproblems = 0;

		for (int i = 0; i < m->nfields; i++) {
			if (strncmp(m->key[i], group[g][0], plen) != 0)
				continue;
			/* the repeated problem fields: one array, "problems" */
			if (strcmp(m->key[i] + plen, "problem") == 0 && nproblems++)
				continue;
			if (n++ == 0) {
				printf("%s", first ? "" : ",");
				first = 0;
				json_string(group[g][1]);
				fputs(":{", stdout);
			} else {
				putchar(',');
			}
			if (strcmp(m->key[i] + plen, "problem") == 0) {
				int k = 0;

				fputs("\"problems\":[", stdout);
				for (int j = i; j < m->nfields; j++)
					if (strncmp(m->key[j], group[g][0], plen) == 0 &&
					    strcmp(m->key[j] + plen, "problem") == 0) {
						printf("%s", k++ ? "," : "");
						json_string(m->val[j]);
					}
				putchar(']');
				continue;
			}
			json_string(m->key[i] + plen);
			putchar(':');
			json_value(m->val[i]);
		}
		if (n)
			putchar('}');
	}
	putchar('}');
}

/* ---- text rendering ---------------------------------------------------- */

static double secs(const struct ttst_msg *m, const char *key)
{
	const char *v = ttst_msg_get(m, key);

	return v ? strtod(v, NULL) : -1;
}

static void print_engine(const struct ttst_msg *m, const char *prefix, const char *label)
{
	char key[64];
#define F(name) (snprintf(key, sizeof key, "%s%s", prefix, name), \
		 (unsigned long long)ttst_msg_u64(m, key, 0))

	snprintf(key, sizeof key, "%sstatic_objects", prefix);
	if (!ttst_msg_get(m, key))
		return;
	printf("%-9s %llu static, %llu dynamic, %llu locals, %llu bytes, %llu pointers, "
	       "%llu type transformations, %llu dropped, %llu added", label,
	       F("static_objects"), F("dynamic_objects"), F("locals"), F("bytes"),
	       F("pointers"), F("type_transforms"), F("dropped"), F("added"));
	/* integers kept in pointer-typed values ((void *)1, thread arguments) */
	if (F("integers"))
		printf(", %llu integers in pointers", F("integers"));
	/* values in pointer slots that point nowhere (stale, garbage), kept */
	if (F("nowhere"))
		printf(", kept %llu value%s that point nowhere", F("nowhere"),
		       F("nowhere") == 1 ? "" : "s");
	/* untyped words that followed the member they point to */
	if (F("member_moved"))
		printf(", %llu untyped word%s following a moved member", F("member_moved"),
		       F("member_moved") == 1 ? "" : "s");
	/* words of blocks typed as bytes taken for pointers */
	if (F("bytes_words"))
		printf(", %llu word%s of byte blocks relocated", F("bytes_words"),
		       F("bytes_words") == 1 ? "" : "s");
	if (F("new_values"))
		printf(", %llu new value%s from the new version", F("new_values"),
		       F("new_values") == 1 ? "" : "s");
	if (F("startup_freed") || F("startup_kept"))
		printf(", startup objects: %llu replaced and freed, %llu kept",
		       F("startup_freed"), F("startup_kept"));
	if (F("unreached"))
		printf(", %llu old block%s nothing carried reaches dropped", F("unreached"),
		       F("unreached") == 1 ? "" : "s");
	if (F("inplace"))
		printf(", %llu transferred in place into startup objects", F("inplace"));
	/* typed objects kept at their address, and why */
	if (F("pinned")) {
		printf(", %llu object%s kept at %s address (%llu whose address is a key",
		       F("pinned"), F("pinned") == 1 ? "" : "s", F("pinned") == 1 ? "its" : "their",
		       F("pinned_keys"));
		if (F("pinned_grown"))
			printf(", %llu grown there", F("pinned_grown"));
		putchar(')');
	}
	if (F("int_addrs"))
		printf(", %llu integer%s that look%s like addresses (their blocks kept there)",
		       F("int_addrs"), F("int_addrs") == 1 ? "" : "s", F("int_addrs") == 1 ? "s" : "");
	if (F("epoll"))
		printf(", %llu epoll registrations", F("epoll"));
	putchar('\n');
#undef F
}

/* Every problem an engine listed, each whole on its own line. */
static void print_problems(const struct ttst_msg *m, const char *prefix, const char *label)
{
	char key[64], omitted[64];
	int n = 0;

	snprintf(key, sizeof key, "%sproblem", prefix);
	snprintf(omitted, sizeof omitted, "%sproblems_omitted", prefix);
	for (int i = 0; i < m->nfields; i++)
		n += strcmp(m->key[i], key) == 0;
	if (!n)
		return;
	printf("problems (%s, %d):\n", label, n);
	for (int i = 0, k = 0; i < m->nfields; i++)
		if (strcmp(m->key[i], key) == 0)
			printf("  %d. %s\n", ++k, m->val[i]);
	if (ttst_msg_u64(m, omitted, 0))
		printf("  ... and %llu more, not listed\n",
		       (unsigned long long)ttst_msg_u64(m, omitted, 0));
}

static void print_update(const struct ttst_msg *m)
{
	static const char *const phases[][2] = {
		{ "t_quiesce", "quiesce" }, { "t_settle", "(threads still serving" },
		{ "t_warm", "(of which making memory ready" },
		{ "t_start_future", "start-future" },
		{ "t_forward", "forward" }, { "fwd_seconds_metadata", "(metadata" },
		{ "t_start_reversed", "start-reversed" }, { "t_backward", "backward" },
		{ "t_diff", "diff" }, { "t_commit", "commit" }, { "t_rollback", "rollback" },
		{ "t_watch", "watch" }, { "t_total", "total" }, { "t_downtime", "(program paused" },
	};
	const char *outcome = ttst_msg_get(m, "outcome");
	const char *reason = ttst_msg_get(m, "reason");
	const char *nw = ttst_msg_get(m, "new");

	if (!outcome)
		outcome = "(unknown)";
	if (strcmp(outcome, "committed") == 0)
		printf("committed: %s runs as pid %s (was pid %s)\n", nw ? nw : "?",
		       ttst_msg_get(m, "future") ? ttst_msg_get(m, "future") : "?",
		       ttst_msg_get(m, "past") ? ttst_msg_get(m, "past") : "?");
	else if (strcmp(outcome, "reverted") == 0)
		printf("reverted after the commit: %s\n", reason ? reason : "(no reason given)");
	else if (strcmp(outcome, "validated") == 0)
		printf("validated (dry run, rolled back, nothing changed): %s\n", nw ? nw : "?");
	else
		printf("rolled back: %s\n", reason ? reason : "(no reason given)");
	if (secs(m, "t_pause_estimate") >= 0)
		printf("a real update would pause the program ~%.0f ms\n",
		       secs(m, "t_pause_estimate") * 1e3);
	printf("phases (ms):");
	for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) {
		double s = secs(m, phases[i][0]);
		if (s >= 0)
			printf(" %s %.2f%s", phases[i][1], s * 1e3, *phases[i][1] == '(' ? ")" : "");
	}
	putchar('\n');
	print_engine(m, "fwd_", "forward:");
	print_engine(m, "bwd_", "backward:");
	if (ttst_msg_get(m, "diff_differences"))
		printf("diff:     %llu differences%s%s\n",
		       (unsigned long long)ttst_msg_u64(m, "diff_differences", 0),
		       ttst_msg_get(m, "diff_first_diff") && *ttst_msg_get(m, "diff_first_diff")
		       ? ", first: " : "",
		       ttst_msg_get(m, "diff_first_diff") ? ttst_msg_get(m, "diff_first_diff") : "");
	print_problems(m, "fwd_", "forward");
	print_problems(m, "bwd_", "backward");
	print_problems(m, "diff_", "state differencing");
}

static void print_status(const struct ttst_msg *m)
{
	const char *last = ttst_msg_get(m, "last_outcome");

	printf("name:     %s\n", ttst_msg_get(m, "name"));
	printf("pid:      %s\n", ttst_msg_get(m, "pid"));
	printf("binary:   %s\n", ttst_msg_get(m, "binary"));
	printf("args:    ");
	for (int i = 0; i < m->nfields; i++)
		if (strcmp(m->key[i], "arg") == 0)
			printf(" %s", m->val[i]);
	printf("\nprocesses:\n");
	for (int i = 0; i < m->nfields; i++)
		if (strcmp(m->key[i], "process") == 0)
			printf("  %s\n", m->val[i]);
	printf("state:    %s%s\n", ttst_msg_get(m, "state"),
	       ttst_msg_u64(m, "connected", 0) ? "" : " (not connected to ttstd yet)");
	printf("uptime:   %s s (ttstd: %s s)\n", ttst_msg_get(m, "uptime"),
	       ttst_msg_get(m, "ttstd_uptime"));
	printf("updates:  %s\n", ttst_msg_get(m, "transactions"));
	if (last) {
		const char *reason = ttst_msg_get(m, "last_reason");
		printf("last:     #%s %s %s %s%s%s\n", ttst_msg_get(m, "last_id"),
		       ttst_msg_get(m, "last_when"), last, ttst_msg_get(m, "last_new"),
		       reason ? ": " : "", reason ? reason : "");
	}
}

static void print_history_line(const struct ttst_msg *m)
{
	const char *reason = ttst_msg_get(m, "reason");

	printf("#%s %s %-11s %s -> %s (%.1f ms)%s%s\n", ttst_msg_get(m, "id"),
	       ttst_msg_get(m, "when"), ttst_msg_get(m, "outcome"), ttst_msg_get(m, "old"),
	       ttst_msg_get(m, "new"), secs(m, "t_total") * 1e3,
	       reason ? ": " : "", reason ? reason : "");
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_update(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fault", required_argument, NULL, 'f' },
		{ "watch", required_argument, NULL, 'w' },
		{ "strict", no_argument, NULL, 's' },
		{ 0 }
	};
	struct ttst_msgbuf req;
	static struct ttst_msg rep;
	char path[PATH_MAX], *end;
	struct stat st;
	const char *fault = NULL, *outcome;
	unsigned long timeout = 0, watch = 0;
	int c, dry_run = 0, strict = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dry_run = 1; break;
		case 's': strict = 1; break;
		case 'f':
			fault = optarg;
			if (!ttst_fault_ok(fault))
				fail("unknown fault '%s': use %s", fault, TTST_FAULT_HELP);
			break;
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (*end || errno || timeout == 0 || timeout > 3600)
				fail("--timeout needs 1..3600 seconds, not '%s'", optarg);
			break;
		case 'w':
			errno = 0;
			watch = strtoul(optarg, &end, 10);
			if (*end || errno || watch == 0 || watch > 3600)
				fail("--watch needs 1..3600 seconds, not '%s'", optarg);
			break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (watch && dry_run)
		fail("--watch and --dry-run exclude each other: a dry run commits nothing to watch");
	if (optind >= argc)
		fail("update needs the new binary: ttst-ctl update [--dry-run] NEW [ARGS...]");
	if (!realpath(argv[optind], path))
		fail("new binary %s: %s", argv[optind], strerror(errno));
	if (access(path, X_OK) < 0)
		fail("new binary %s is not executable: %s", path, strerror(errno));
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		fail("new binary %s is not a regular file: the new version must be an "
		     "executable file", path);
	ttst_msg_init(&req);
	ttst_msg_add(&req, "cmd", "update");
	ttst_msg_add(&req, "new", path);
	if (dry_run)
		ttst_msg_add(&req, "dry_run", "1");
	if (strict)
		ttst_msg_add(&req, "strict", "1");
	if (timeout)
		ttst_msg_addf(&req, "timeout", "%lu", timeout);
	if (fault)
		ttst_msg_add(&req, "fault", fault);
	if (watch)
		ttst_msg_addf(&req, "watch", "%lu", watch);
	ttst_msg_add(&req, "progress", "1");  /* the limit, once ttstd knows the state */
	if (optind + 2 == argc && strcmp(argv[optind + 1], "--") == 0)
		ttst_msg_add(&req, "no_args", "1");
	else
		for (int i = optind + 1; i < argc; i++)
			ttst_msg_add(&req, "arg", argv[i]);
	if (req.overflow)
		fail("request too large: at most %d bytes of arguments", TTST_MSG_MAX);
	if (!timeout) {
		/* ttstd's own timeout bounds the wait: ask for it (and see
		 * that ttstd answers at all) */
		struct ttst_msgbuf probe;

		ttst_msg_init(&probe);
		ttst_msg_add(&probe, "cmd", "status");
		send_request(fd, &probe);
		receive(fd, &rep);
		timeout = (unsigned long)ttst_msg_u64(&rep, "timeout", 3600);
	}
	set_wait((unsigned)(timeout + watch) + UPDATE_MARGIN_S);
	send_request(fd, &req);
	receive(fd, &rep);
	/* Quiesced: ttstd's time limit grew with the program's state. */
	while (ttst_msg_get(&rep, "progress")) {
		set_wait((unsigned)ttst_msg_u64(&rep, "limit_left", 0) + (unsigned)watch +
			 UPDATE_MARGIN_S);
		receive(fd, &rep);
	}
	if (json) {
		json_record(&rep);
		putchar('\n');
	} else {
		print_update(&rep);
	}
	outcome = ttst_msg_get(&rep, "outcome");
	return outcome && (strcmp(outcome, "committed") == 0 || strcmp(outcome, "validated") == 0)
		? EXIT_COMMITTED : EXIT_ROLLED_BACK;
}

static int cmd_simple(int fd, const char *cmd)
{
	struct ttst_msgbuf req;
	static struct ttst_msg rep;
	int n = 0;

	ttst_msg_init(&req);
	ttst_msg_add(&req, "cmd", cmd);
	send_request(fd, &req);
	if (strcmp(cmd, "status") == 0) {
		receive(fd, &rep);
		if (json) {
			json_record(&rep);
			putchar('\n');
		} else {
			print_status(&rep);
		}
		return 0;
	}
	if (json)
		putchar('[');
	for (;;) {
		receive(fd, &rep);
		if (ttst_msg_get(&rep, "end"))
			break;
		if (json) {
			printf("%s", n ? ",\n" : "");
			json_record(&rep);
		} else {
			print_history_line(&rep);
		}
		n++;
	}
	if (json)
		puts("]");
	else if (!n)
		puts("no transactions yet");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name = NULL, *sock = NULL, *cmd;
	char path[PATH_MAX], *end;
	unsigned long w;
	int c, fd;

	while ((c = getopt_long(argc, argv, "+n:s:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		case 't':
			errno = 0;
			w = strtoul(optarg, &end, 10);
			if (*end || errno || w == 0 || w > 86400)
				fail("--timeout needs 1..86400 seconds, not '%s'", optarg);
			wait_s = (unsigned)w;
			break;
		case 'h': usage(stdout, 0);
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage(stderr, EXIT_USAGE);
	if (!!name == !!sock)
		fail("say which ttstd to talk to: -n NAME or --socket PATH (exactly one)");
	cmd = argv[optind];
	if (strcmp(cmd, "update") && strcmp(cmd, "status") && strcmp(cmd, "history"))
		fail("unknown command '%s' (expected update, status or history)", cmd);
	if (strcmp(cmd, "update") && optind + 1 != argc)
		fail("%s takes no arguments", cmd);
	if (name) {
		char dir[PATH_MAX - 80];

		if (!ttst_name_ok(name))
			fail("bad name '%s': 1..64 characters of [A-Za-z0-9._-]", name);
		ttst_runtime_dir(dir, sizeof dir);
		snprintf(path, sizeof path, "%s/%s.sock", dir, name);
		sock = path;
	}
	sock_path = sock;
	set_wait(DEFAULT_WAIT_S);
	fd = connect_to(sock, name);
	if (strcmp(cmd, "update") == 0)
		return cmd_update(fd, argc - optind, argv + optind);
	return cmd_simple(fd, cmd);
}
