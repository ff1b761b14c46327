/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ttstd.h - the supervisor's state, shared by its event loop (ttstd.c) and
 * the update transaction (txn.c).
 */
#ifndef TTSTD_TTSTD_H
#define TTSTD_TTSTD_H

#include <limits.h>
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
	struct proc proc[NROLES];
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

/* txn.c: run the update a client asked for, replying to it on cfd. */
void run_update(int cfd, const struct ttst_msg *req);

#endif /* TTSTD_TTSTD_H */
