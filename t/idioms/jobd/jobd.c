/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jobd - a job server and key-value store on poll(), written as a stranger
 * would (wave 11's red team).  Everything is on Linux-style intrusive
 * circular lists (struct list_head in the middle of each object, the list
 * heads in statics, container_of back): the keys on hash chains, the jobs
 * on a pending and a finished list, the connections on a list of their
 * own.  Every block comes from xmalloc, a size-prefixing wrapper in
 * another unit (malloc(n + 8), the size in the first word, the caller
 * given the rest), and grows through its xrealloc: a key's value buffer
 * when a longer value is set, a job's output as it runs, a connection's
 * input and output.  The keys end in a flexible array.  Jobs run a step
 * at a time (each step appends "i," to the job's output) every 2 ms of
 * the loop; the last 256 finished jobs are kept.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, JOB n -> JOB id (a job of n steps), STATUS id ->
 * PENDING done/n | DONE n length | NONE, OUT id -> OUT output | NONE.
 * REL 2: struct job gains members before its list node, struct kv before
 * its chain node, struct conn before its list node; HITS k -> HITS n
 * (the key's reads since release 2).
 * Usage: jobd PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>
#include "xmem.h"

#ifndef REL
#define REL 1
#endif

#define NBUCKETS 1024
#define KEEP_FINISHED 256
#define MAXCONNS 64

/* ---- intrusive lists ---- */

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define list_entry container_of
#define list_for_each_entry(pos, head, member)                                   \
	for (pos = list_entry((head)->next, __typeof__(*pos), member); &pos->member != (head); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)                           \
	for (pos = list_entry((head)->next, __typeof__(*pos), member),           \
	    n = list_entry(pos->member.next, __typeof__(*pos), member);          \
	     &pos->member != (head);                                              \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

static void list_init(struct list_head *h)
{
	h->next = h->prev = h;
}

static void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* ---- the store ---- */

struct kv {
	unsigned hash;
#if REL >= 2
	unsigned long hits; /* new in 2 */
#endif
	struct list_head chain;
	char *val; /* an xmalloc block, reused while values fit */
	char key[];
};

static struct list_head buckets[NBUCKETS];
static size_t nkeys;

static unsigned hash_of(const char *s)
{
	unsigned h = 0;
	while (*s)
		h = h * 31 + (unsigned char)*s++;
	return h;
}

static struct kv *kv_find(const char *key)
{
	unsigned h = hash_of(key);
	struct kv *kv;
	list_for_each_entry(kv, &buckets[h % NBUCKETS], chain)
		if (kv->hash == h && !strcmp(kv->key, key))
			return kv;
	return NULL;
}

static void kv_set(const char *key, const char *val)
{
	struct kv *kv = kv_find(key);
	size_t n = strlen(val) + 1;
	if (!kv) {
		kv = xmalloc(sizeof *kv + strlen(key) + 1);
		strcpy(kv->key, key);
		kv->hash = hash_of(key);
		kv->val = NULL;
#if REL >= 2
		kv->hits = 0;
#endif
		list_add_tail(&kv->chain, &buckets[kv->hash % NBUCKETS]);
		nkeys++;
	}
	if (!kv->val || xsize(kv->val) < n)
		kv->val = xrealloc(kv->val, n);
	memcpy(kv->val, val, n);
}

static int kv_del(const char *key)
{
	struct kv *kv = kv_find(key);
	if (!kv)
		return 0;
	list_del(&kv->chain);
	xfree(kv->val);
	xfree(kv);
	nkeys--;
	return 1;
}

/* ---- jobs ---- */

struct job {
	unsigned long id;
	unsigned steps, done;
#if REL >= 2
	int prio;                /* new in 2 */
	unsigned long submitted; /* new in 2: the loop's tick then */
#endif
	struct list_head node; /* on pending or finished */
	char *out;
	size_t outlen;
};

static struct list_head pending, finished;
static unsigned long next_job_id, nfinished, ticks;

static void job_step(struct job *j)
{
	char step[16];
	int n = snprintf(step, sizeof step, "%u,", j->done++);
	if (!j->out || j->outlen + n + 1 > xsize(j->out))
		j->out = xrealloc(j->out, 2 * (j->outlen + n + 1));
	memcpy(j->out + j->outlen, step, n + 1);
	j->outlen += n;
}

static void jobs_run(void)
{
	struct job *j, *tmp;
	list_for_each_entry_safe(j, tmp, &pending, node) {
		job_step(j);
		if (j->done < j->steps)
			continue;
		list_del(&j->node);
		list_add_tail(&j->node, &finished);
		if (++nfinished > KEEP_FINISHED) {
			struct job *old = list_entry(finished.next, struct job, node);
			list_del(&old->node);
			xfree(old->out);
			xfree(old);
			nfinished--;
		}
	}
}

static struct job *job_find(unsigned long id)
{
	struct job *j;
	list_for_each_entry(j, &pending, node)
		if (j->id == id)
			return j;
	list_for_each_entry(j, &finished, node)
		if (j->id == id)
			return j;
	return NULL;
}

/* ---- connections ---- */

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	struct list_head node;
	char *in, *out; /* xmalloc blocks grown by xrealloc */
	size_t inlen, outlen;
};

static struct list_head conns;
static int listen_fd;

static void reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (!c->out || c->outlen + n + 1 > xsize(c->out))
		c->out = xrealloc(c->out, c->outlen + n + 1 + 256);
	va_start(ap, fmt);
	vsnprintf(c->out + c->outlen, n + 1, fmt, ap);
	va_end(ap);
	c->outlen += n;
}

/* The size in a key's header: its own, or (a key of release 1 that ttst
 * moved whole with its header as it was) release 1's. */
static int kv_size_ok(const struct kv *kv, size_t size)
{
	size_t key = strlen(kv->key) + 1;
#if REL >= 2
	if (size == sizeof *kv - sizeof kv->hits + key)
		return 1;
#endif
	return size == sizeof *kv + key;
}

static const char *verify(void)
{
	static char why[96];
	size_t n = 0, njobs = 0;
	struct kv *kv;
	struct job *j;
	for (int b = 0; b < NBUCKETS; b++)
		list_for_each_entry(kv, &buckets[b], chain) {
			n++;
			if (kv->chain.next->prev != &kv->chain || kv->hash % NBUCKETS != (unsigned)b ||
			    kv->hash != hash_of(kv->key) || !kv_size_ok(kv, xsize(kv)) ||
			    xsize(kv->val) < strlen(kv->val) + 1)
				return snprintf(why, sizeof why, "key %s", kv->key), why;
		}
	list_for_each_entry(j, &pending, node) {
		njobs++;
		if (j->done >= j->steps || (j->out && xsize(j->out) <= j->outlen) ||
		    (j->out && strlen(j->out) != j->outlen))
			return snprintf(why, sizeof why, "pending job %lu", j->id), why;
	}
	list_for_each_entry(j, &finished, node)
		if (j->done != j->steps || strlen(j->out) != j->outlen || j->node.next->prev != &j->node)
			return snprintf(why, sizeof why, "finished job %lu", j->id), why;
	if (n != nkeys)
		return snprintf(why, sizeof why, "census %zu/%zu", n, nkeys), why;
	snprintf(why, sizeof why, "keys=%zu pending=%zu finished=%lu", n, njobs, nfinished);
	return why;
}

static void command(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	struct kv *kv;
	struct job *j;
	const char *why;

#if REL >= 2
	c->requests++;
#endif
	if (!cmd)
		reply(c, "ERROR empty\n");
	else if (!strcmp(cmd, "VERSION"))
		reply(c, "VERSION jobd %d\n", REL);
	else if (!strcmp(cmd, "VERIFY")) {
		why = verify();
		reply(c, "VERIFY %s %s\n", strchr(why, '=') ? "ok" : "bad", why);
	} else if (!k)
		reply(c, "ERROR no argument\n");
	else if (!strcmp(cmd, "SET") && v) {
		kv_set(k, v);
		reply(c, "OK\n");
	} else if (!strcmp(cmd, "GET")) {
		if (!(kv = kv_find(k)))
			reply(c, "NONE\n");
		else {
#if REL >= 2
			kv->hits++;
#endif
			reply(c, "VALUE %s\n", kv->val);
		}
	} else if (!strcmp(cmd, "DEL"))
		reply(c, kv_del(k) ? "OK\n" : "NONE\n");
#if REL >= 2
	else if (!strcmp(cmd, "HITS"))
		reply(c, "HITS %lu\n", (kv = kv_find(k)) ? kv->hits : 0);
#endif
	else if (!strcmp(cmd, "JOB") && atoi(k) > 0) {
		j = xmalloc(sizeof *j);
		memset(j, 0, sizeof *j);
		j->id = ++next_job_id;
		j->steps = atoi(k);
#if REL >= 2
		j->submitted = ticks;
#endif
		list_add_tail(&j->node, &pending);
		reply(c, "JOB %lu\n", j->id);
	} else if (!strcmp(cmd, "STATUS") || !strcmp(cmd, "OUT")) {
		if (!(j = job_find(strtoul(k, NULL, 10))))
			reply(c, "NONE\n");
		else if (cmd[0] == 'O')
			reply(c, "OUT %s\n", j->out ? j->out : "");
		else if (j->done < j->steps)
			reply(c, "PENDING %u/%u\n", j->done, j->steps);
		else
			reply(c, "DONE %u %zu\n", j->steps, j->outlen);
	} else
		reply(c, "ERROR unknown command %s\n", cmd);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	list_del(&c->node);
	xfree(c->in);
	xfree(c->out);
	xfree(c);
}

/* Read what the client sent and answer every whole line; 0 once the
 * connection is closed. */
static int conn_read(struct conn *c)
{
	char *nl, *line;
	if (!c->in || xsize(c->in) - c->inlen < 1024)
		c->in = xrealloc(c->in, c->inlen + 4096);
	ssize_t r = read(c->fd, c->in + c->inlen, xsize(c->in) - c->inlen - 1);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return 0;
	}
	if (r < 0)
		return 1;
	c->inlen += r;
	c->in[c->inlen] = '\0';
	line = c->in;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		command(c, line);
		line = nl + 1;
	}
	c->inlen -= line - c->in;
	memmove(c->in, line, c->inlen + 1);
	return 1;
}

static void conn_flush(struct conn *c)
{
	ssize_t w = c->outlen ? write(c->fd, c->out, c->outlen) : 0;
	if (w > 0) {
		c->outlen -= w;
		memmove(c->out, c->out + w, c->outlen);
	}
}

static void on_accept(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct conn *c;
	if (fd < 0)
		return;
	c = xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->fd = fd;
	list_add_tail(&c->node, &conns);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void serve(void)
{
	struct pollfd fds[MAXCONNS + 1];
	struct conn *byslot[MAXCONNS + 1], *c;
	double last_step = now_ms();
	for (;;) {
		int n = 0;
		stf_update_point();
		fds[n].fd = listen_fd;
		fds[n++].events = POLLIN;
		list_for_each_entry(c, &conns, node) {
			if (n > MAXCONNS)
				break;
			byslot[n] = c;
			fds[n].fd = c->fd;
			fds[n++].events = POLLIN | (c->outlen ? POLLOUT : 0);
		}
		if (poll(fds, n, 2) < 0 && errno != EINTR)
			abort();
		if (now_ms() - last_step >= 2) {
			last_step = now_ms();
			ticks++;
			jobs_run();
		}
		for (int i = 1; i < n; i++)
			if (fds[i].revents && conn_read(byslot[i]))
				conn_flush(byslot[i]);
		if (fds[0].revents & POLLIN)
			on_accept();
	}
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	for (int b = 0; b < NBUCKETS; b++)
		list_init(&buckets[b]);
	list_init(&pending);
	list_init(&finished);
	list_init(&conns);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(listen_fd, 128) || getsockname(listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("jobd: listen");
		exit(1);
	}
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: jobd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	serve();
}
