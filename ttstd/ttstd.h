/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ttstd.h - the supervisor's state, shared by its event loop (ttstd.c) and
 * the update transaction (txn.c, its calls to one process: calls.c).
 */
#ifndef TTSTD_TTSTD_H
#define TTSTD_TTSTD_H

#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "proto.h"

#define MAX_CLIENTS   16
#define MAX_PENDING   8    /* program connections by path, not identified yet */
#define MAX_HANDED    2    /* F's and R's connections made by ttstd */
#define HISTORY       32
#define MAX_REAPED    16
#define HELLO_WAIT_S  3    /* an unidentified connection must say hello by then
                              (libstf does in the program's constructor) */
#define EXIT_GRACE_MS 1000 /* wait for a dying process to be reaped */
#define MAX_MEMBERS   2048 /* processes of the trees besides their roots: the
				    past, future and reversed workers of an update
				    and the sessions (only the slots used are touched) */

/* WATCHED: the past version kept frozen after a commit with a watch. */
enum role { PAST, FUTURE, REVERSED, WATCHED, NROLES };
extern const char *const role_name[NROLES];

/* A process taking part in the supervision: the program (PAST), and F and R
 * during a transaction. */
struct proc {
	pid_t pid;          /* 0: none */
	int fd;             /* its control connection, -1 if not connected */
	int hung_up;        /* it closed the control connection */
	int exited;         /* reaped; `status` is valid */
	int status;
	int ready;          /* F/R: reached its update point */
	double ready_at;    /* ... when ttstd learnt it (now()) */
	uint64_t root;      /* address of its struct stf_root */
	char refused[512];  /* F/R: why its connection was refused (another
	                       process took its place) */
	int stderr_fd;      /* F/R until the commit: what it writes to stderr */
	int has_reply;
	struct ttst_msg reply;
};

/* A program connection that has not been matched to a process yet: F and R
 * may say hello before P has told us their pid. */
struct pending {
	int fd;
	pid_t pid;
	pid_t hello_pid;  /* the pid its hello names */
	enum role role;
	int said_hello;
	double since;
	int handed;  /* our end of a socketpair handed to F or R through P */
	int stderr_fd; /* F, R: the capture of their stderr, sent with the hello */
	pid_t parent;  /* a forked child's hello: its parent (0: a root) */
	unsigned order; /* ... and its creation order in the parent */
	int session;    /* ... and whether it serves a session (tree.c) */
};

/*
 * A process of a tree besides its root (tree.c): a child forked by the
 * program (a worker of a master), in the past tree, or in the future or
 * reversed tree during an update.  Paired with the process of the past
 * tree that has the counterpart of its parent as parent and the same rank
 * in creation order among its siblings.  A session (a process a listener
 * forked per connection) is supervised but not updated: it runs the
 * version that forked it until it ends.
 */
struct member {
	struct proc p;      /* p.pid 0: a free slot */
	enum role role;
	pid_t parent;
	unsigned order;
	int pair;           /* F, R: index of its counterpart in the past tree; -1 */
	int session;        /* serves a session: not quiesced, paired nor transferred */
	int retired;        /* a past master or worker kept parked for its sessions
	                       (1), told to exit once they ended (2) */
	unsigned generation; /* the version it runs: ttstd.generation then */
	char binary[PATH_MAX]; /* ... and its binary */
};

/* The supervisor's whole state (one instance, defined in ttstd.c). */
struct ttstd {
	char name[65];
	char sock[PATH_MAX];
	char prog_sock[PATH_MAX + sizeof TTST_PROG_SUFFIX];
	FILE *log;
	unsigned timeout_s;
	unsigned idle_s;  /* a client connection without a request is closed after */
	int client_lfd, prog_lfd, sigfd;
	int reserve_fd;           /* spent to refuse a connection when out of descriptors */
	double accept_paused_until; /* no descriptor even for that: listeners rest */
	struct proc proc[NROLES];  /* the roots of the trees */
	struct member member[MAX_MEMBERS];
	char **argv;      /* the running version's argv (argv[0] = binary) */
	char binary[PATH_MAX];
	time_t version_started, ttstd_started;
	/* the watched past version's, while a watch runs */
	int watching;
	char **watched_argv;
	char watched_binary[PATH_MAX];
	time_t watched_started;
	int clients[MAX_CLIENTS];
	double client_since[MAX_CLIENTS]; /* connected, or its last request */
	struct pending pending[MAX_PENDING + MAX_HANDED];
	int in_txn;
	int txn_client;      /* the client waiting for the running update */
	int txn_client_gone; /* ... has hung up; close its fd at the end */
	int term_signal;  /* termination signal to forward once idle */
	unsigned ntxn;
	unsigned generation; /* updates committed */
	struct ttst_msgbuf history[HISTORY];
	/* Exit statuses of children we did not know yet: F or R may die before
	 * P has told us their pid. */
	struct { pid_t pid; int status; } reaped[MAX_REAPED];
	unsigned nreaped;
};
extern struct ttstd ttstd;

/* ttstd.c */
double now(void);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "exited with status 3" / "was killed by SIGSEGV" */
void describe_status(int status, char *buf, size_t len);
void reply_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void proc_reset(struct proc *p);
void close_pending(struct pending *pe);
/* Attach pending hellos whose pid and role are now expected. */
void match_pending(void);
/* Process r now has pid `pid`: it may have been reaped already. */
void proc_set_pid(enum role r, pid_t pid);
/* Wait at most timeout_ms for events and handle them. */
void pump(int timeout_ms);

enum phase { PH_QUIESCE, PH_START_FUTURE, PH_FORWARD, PH_START_REVERSED,
	     PH_BACKWARD, PH_DIFF, PH_COMMIT, PH_ROLLBACK, NPHASES };
extern const char *const phase_name[NPHASES], *const phase_key[NPHASES];

struct txn {
	double t0, deadline;
	double frozen, thawed; /* P stopped serving; P or F serves again */
	double validated;      /* every check passed (end of the differencing) */
	int dry_run;
	int strict;   /* --strict: values that point nowhere refuse the update */
	char reason[8192];
	struct ttst_msgbuf rep;
};

/* txn.c: run the update a client asked for, replying to it on cfd. */
void run_update(int cfd, const struct ttst_msg *req);

/* calls.c: the transaction's calls to one process (F, R, a tree member). */
void describe_failure_p(struct proc *p, const char *who, enum phase ph, char *buf, size_t len);
int await_p(struct txn *t, struct proc *p, const char *who, enum phase ph, int want_ready);
int call_p(struct txn *t, struct proc *p, const char *who, enum phase ph,
	   struct ttst_msgbuf *cmd, int pass_fd, const char *prefix);
/* The first half of call_p: send only (then reply_p). */
int send_p(struct txn *t, struct proc *p, const char *who, enum phase ph,
	   struct ttst_msgbuf *cmd, int pass_fd);
/* The second half of call_p, for a command already sent (has_reply 0). */
int reply_p(struct txn *t, struct proc *p, const char *who, enum phase ph, const char *prefix);

/* tree.c: the processes of the trees besides their roots. */
/* A hello naming a parent: adopt it if the parent is known (1), wait (0),
 * or refuse it (-1, pe closed). */
int tree_adopt(struct pending *pe);
/* A hello of the running version naming a process of the tree being
 * committed (a session the new master forked as soon as it resumed):
 * adopted once the commit is over. */
int tree_adopt_later(const struct pending *pe);
/* Their control connections, for poll: `what` = 400 + member index. */
int tree_pollfds(struct pollfd *pfd, int *what, int max);
void tree_readable(int i);
/* A reaped child: 1 if it was a member. */
int tree_reaped(pid_t pid, int status);
/* Members of the tree of role r, sessions not counted. */
int tree_count(enum role r);
/* Sessions under ttstd (of any version). */
int tree_sessions(void);
/* "future worker 2 (child 2 of pid 123)" */
const char *tree_name(const struct member *m, char *buf, size_t len);
/* During an update: -1 with the reason if a member died or hung up. */
int tree_failure(struct txn *t, enum phase ph);
/* Quiesce every member of the past tree (after its root); *next_id: the
 * highest next dynamic ID of the tree. */
int tree_quiesce(struct txn *t, unsigned timeout_ms, uint64_t *next_id);
/* F, R: wait for the tree of role r to have a counterpart for each past
 * member, all at their update points, and pair them. */
int tree_await(struct txn *t, enum role r, enum phase ph);
int tree_forward(struct txn *t);
/* The pid map of the update, `pid=<past>:<r's counterpart>` fields. */
void tree_pids(struct ttst_msgbuf *cmd, enum role r);
int tree_backward_and_diff(struct txn *t);
/* Commit: resume the future members, exit the past and reversed ones
 * (the past tree's sessions serve on); the future members become the past
 * tree, running new_binary. */
void tree_commit(struct txn *t, const char *new_binary);
/* Rollback: resume the past members, kill the future and reversed trees. */
void tree_rollback(struct txn *t);
/* The update is over: forget the sessions that ended during it. */
void tree_txn_over(void);
/* Retired processes whose sessions all ended are told to exit. */
void tree_retired_check(void);
/* Kill the tree of role r and wait for its processes (root excluded). */
void tree_kill(enum role r);
/* ttstd exits: stop what is left of the past tree. */
void tree_stop_leftovers(void);
/* status: one `process=` field per process of the running tree */
void tree_status(struct ttst_msgbuf *m);

#endif /* TTSTD_TTSTD_H */
