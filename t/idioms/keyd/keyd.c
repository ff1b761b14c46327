/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * keyd - a key-value server that signs its replies with a host key, on
 * Debian's real libcrypto (OpenSSL 3), written as an SSH daemon keeps its
 * keys (issue 8: keys in an uninstrumented library's memory).  At start
 * it generates an Ed25519 host key (EVP_PKEY) kept in the program's
 * keyring struct, which the key's ex_data points back to; the keyring
 * also holds a SHA-256 digest (EVP_MD_CTX) and an HMAC (EVP_MAC_CTX) of
 * the journal, updated by every LOG line across requests and connections.
 * Ed25519 signatures are deterministic, so the client checks that the same
 * message gets the same signature across updates: the same key.  The
 * process title is rewritten over argv.  The update point is at the top of
 * the epoll loop, stf_update_fd() in the set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * SIGN text -> SIG hex, PUBKEY -> PUBKEY hex, LOG text -> OK n, DIGEST ->
 * DIGEST hex (SHA-256 of the lines logged, each with its newline), MAC ->
 * MAC hex (their HMAC-SHA256 under the journal key), TITLE, VERSION,
 * VERIFY.  REL 2: the keyring grows in its middle and at its end; SIGNS ->
 * SIGNS n (signatures made by release 2).
 * Usage: keyd PORT-FILE
 */
#define _GNU_SOURCE
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define NBUCKETS 1024
#define INBUF 1024
#define JOURNAL_KEY "keyd journal key"

struct keyring {
	EVP_PKEY *host;
	EVP_MD_CTX *journal;
#if REL >= 2
	unsigned long signs;
#endif
	EVP_MAC_CTX *journal_mac;
	unsigned long logged;
	char fingerprint[2 * 32 + 1]; /* hex of the raw public key */
#if REL >= 2
	int rel;
#endif
};

struct entry {
	struct entry *next;
	char *key, *val;
};

struct conn {
	int fd;
	size_t inlen;
	char in[INBUF];
};
#include "../line-conn.h"

static struct keyring *ring;
static int ring_index = -1; /* the host key's ex_data slot of the keyring */
static struct entry *buckets[NBUCKETS];
static unsigned long nentries;
static int epfd = -1, listen_fd = -1;
static unsigned long nrequests;

/* setproctitle over argv, as daemons do without libbsd */
static char *title, *title_end;

static void title_init(int argc, char **argv)
{
	title = argv[0];
	title_end = argv[argc - 1] + strlen(argv[argc - 1]);
}

static void title_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void title_set(const char *fmt, ...)
{
	size_t room = (size_t)(title_end - title);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(title, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room)
		memset(title + n, 0, room - (size_t)n);
}

static void hex(char *out, const unsigned char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static void die(const char *what)
{
	fprintf(stderr, "keyd: %s failed\n", what);
	exit(1);
}

static int pubkey_hex(EVP_PKEY *k, char *out)
{
	unsigned char pub[32];
	size_t len = sizeof pub;

	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 || len != sizeof pub)
		return -1;
	hex(out, pub, len);
	return 0;
}

static struct keyring *keyring_new(void)
{
	struct keyring *r = calloc(1, sizeof *r);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	r->host = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!r->host || pubkey_hex(r->host, r->fingerprint))
		die("host key generation");
	ring_index = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ring_index < 0 || EVP_PKEY_set_ex_data(r->host, ring_index, r) != 1)
		die("EVP_PKEY_set_ex_data");
	r->journal = EVP_MD_CTX_new();
	if (!r->journal || EVP_DigestInit_ex(r->journal, EVP_sha256(), NULL) != 1)
		die("the journal's digest");
	r->journal_mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (!r->journal_mac ||
	    EVP_MAC_init(r->journal_mac, (const unsigned char *)JOURNAL_KEY, strlen(JOURNAL_KEY), params) != 1)
		die("the journal's HMAC");
	EVP_MAC_free(hmac); /* the context holds its own reference */
#if REL >= 2
	r->rel = REL;
#endif
	return r;
}

static void sign(struct conn *c, const char *msg)
{
	unsigned char sig[64];
	char out[2 * sizeof sig + 1];
	size_t len = sizeof sig;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	if (!m || EVP_DigestSignInit(m, NULL, NULL, NULL, ring->host) != 1 ||
	    EVP_DigestSign(m, sig, &len, (const unsigned char *)msg, strlen(msg)) != 1) {
		EVP_MD_CTX_free(m);
		reply(c, "ERROR sign\n");
		return;
	}
	EVP_MD_CTX_free(m);
	hex(out, sig, len);
#if REL >= 2
	ring->signs++;
#endif
	reply(c, "SIG %s\n", out);
}

static void journal_log(struct conn *c, const char *line)
{
	if (EVP_DigestUpdate(ring->journal, line, strlen(line)) != 1 ||
	    EVP_DigestUpdate(ring->journal, "\n", 1) != 1 ||
	    EVP_MAC_update(ring->journal_mac, (const unsigned char *)line, strlen(line)) != 1 ||
	    EVP_MAC_update(ring->journal_mac, (const unsigned char *)"\n", 1) != 1) {
		reply(c, "ERROR log\n");
		return;
	}
	reply(c, "OK %lu\n", ++ring->logged);
}

/* The digest and HMAC so far, from copies: the journal goes on. */
static void journal_digest(struct conn *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char out[2 * EVP_MAX_MD_SIZE + 1];
	unsigned len = 0;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();

	if (!copy || EVP_MD_CTX_copy_ex(copy, ring->journal) != 1 || EVP_DigestFinal_ex(copy, md, &len) != 1) {
		EVP_MD_CTX_free(copy);
		reply(c, "ERROR digest\n");
		return;
	}
	EVP_MD_CTX_free(copy);
	hex(out, md, len);
	reply(c, "DIGEST %s\n", out);
}

static void journal_hmac(struct conn *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char out[2 * EVP_MAX_MD_SIZE + 1];
	size_t len = 0;
	EVP_MAC_CTX *copy = EVP_MAC_CTX_dup(ring->journal_mac);

	if (!copy || EVP_MAC_final(copy, md, &len, sizeof md) != 1) {
		EVP_MAC_CTX_free(copy);
		reply(c, "ERROR mac\n");
		return;
	}
	EVP_MAC_CTX_free(copy);
	hex(out, md, len);
	reply(c, "MAC %s\n", out);
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **pp = &buckets[hash(key)];

	while (*pp && strcmp((*pp)->key, key))
		pp = &(*pp)->next;
	return pp;
}

static void verify(struct conn *c)
{
	char fpr[sizeof ring->fingerprint];
	unsigned long n = 0;
	struct entry *e;

	for (int b = 0; b < NBUCKETS; b++)
		for (e = buckets[b]; e; e = e->next) {
			if (hash(e->key) != (unsigned)b) {
				reply(c, "VERIFY bad entry %s\n", e->key);
				return;
			}
			n++;
		}
	if (n != nentries) {
		reply(c, "VERIFY bad count %lu/%lu\n", n, nentries);
		return;
	}
	if (EVP_PKEY_get_ex_data(ring->host, ring_index) != ring || pubkey_hex(ring->host, fpr) ||
	    strcmp(fpr, ring->fingerprint) || EVP_MD_get_type(EVP_MD_CTX_get0_md(ring->journal)) != NID_sha256
#if REL >= 2
	    || (ring->rel != 0 && ring->rel != 2) /* 0: made by release 1 */
#endif
	) {
		reply(c, "VERIFY bad keyring\n");
		return;
	}
	reply(c, "VERIFY ok entries=%lu logged=%lu\n", n, ring->logged);
}

static void command(struct conn *c, char *line)
{
	char *av[3] = { 0 }, *p = line;
	int ac = 0;
	struct entry **pp, *e;

	nrequests++;
	if (!strncmp(line, "SIGN ", 5)) {
		sign(c, line + 5);
		return;
	}
	if (!strncmp(line, "LOG ", 4)) {
		journal_log(c, line + 4);
		return;
	}
	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION keyd %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "PUBKEY")) {
		reply(c, "PUBKEY %s\n", ring->fingerprint);
	} else if (ac == 1 && !strcmp(av[0], "DIGEST")) {
		journal_digest(c);
	} else if (ac == 1 && !strcmp(av[0], "MAC")) {
		journal_hmac(c);
	} else if (ac == 1 && !strcmp(av[0], "TITLE")) {
		reply(c, "TITLE %s\n", title);
#if REL >= 2
	} else if (ac == 1 && !strcmp(av[0], "SIGNS")) {
		reply(c, "SIGNS %lu\n", ring->signs);
#endif
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		pp = find(av[1]);
		if ((e = *pp)) {
			free(e->val);
		} else {
			e = calloc(1, sizeof *e);
			e->key = strdup(av[1]);
			*pp = e;
			nentries++;
		}
		e->val = strdup(av[2]);
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		e = *find(av[1]);
		if (e)
			reply(c, "VALUE %s\n", e->val);
		else
			reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		pp = find(av[1]);
		if (!(e = *pp)) {
			reply(c, "NONE\n");
			return;
		}
		*pp = e->next;
		free(e->key);
		free(e->val);
		free(e);
		nentries--;
		reply(c, "OK\n");
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void conn_read(struct conn *c)
{
	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		free(c);
	}
}

static void conn_open(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;

	if (fd < 0)
		return;
	c = calloc(1, sizeof *c);
	c->fd = fd;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void serve(void)
{
	struct epoll_event evs[32];
	int n, i;

	for (;;) {
		stf_update_point();
		title_set("keyd: %s %lu requests", ring->fingerprint + 56, nrequests);
		n = epoll_wait(epfd, evs, 32, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_fd)
				conn_open();
			else if (evs[i].data.ptr != &epfd) /* stf_update_fd(): the loop's top takes it */
				conn_read(evs[i].data.ptr);
		}
	}
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (argc != 2) {
		fprintf(stderr, "usage: keyd PORT-FILE\n");
		return 2;
	}
	title_init(argc, argv);
	if (!stf_is_updating()) {
		ring = keyring_new();
		listen_fd = listen_loopback("keyd", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epfd = epoll_create1(0);
		ev.data.ptr = &listen_fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.data.ptr = &epfd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	}
	serve();
	return 1;
}
