/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libckeep: a line server that keeps, in its own structs, memory the C
 * library allocated for it, and uses and frees it after updates.  Built
 * once as version 1 and once with -DKEEP_V2 (struct kept gains a first
 * member, so every member moves); t/update/update-libckeep.sh updates
 * 1 -> 2 -> 2 with one ITEM at a time, then ends it with SIGTERM, when it
 * frees everything it holds and exits 0 ("clean exit" on stdout).
 *
 *   directives  tinyproxy's conf.c: a static table of patterns compiled at
 *               every start (the new version's startup too) into regex_t
 *               blocks the program allocates, regcomp's blocks behind them
 *   regex       a regex_t embedded in the kept struct, compiled once
 *   strdup      strdup and strndup copies
 *   asprintf    an asprintf string
 *   getline     getline's buffer, grown by the C library, used again
 *   addrinfo    a getaddrinfo list
 *   scandir     scandir's array of dirent copies
 *   realpath    realpath(NULL)'s string
 *   opendir     a DIR * (its descriptor and buffer)
 *   fopen       a FILE * read half-way, its buffer holding the rest
 *   fopenall    a FILE * read to its end, then read again from the start
 *   memstream   an open_memstream FILE *, which points at the kept
 *               struct's members
 *   iconv       an iconv_open descriptor of a gconv module (ISO-8859-1)
 *   iconvucs4   an iconv_open descriptor of a conversion built into the C
 *               library (UCS-4LE)
 *   locale      a newlocale locale_t
 *   tsearch     a tsearch tree (its nodes the C library's) of the
 *               program's entries, which grow in version 2
 *   hsearch     an hsearch_r table in the kept struct, keys and data the
 *               program's entries
 *   glob        a glob_t's path list
 *   ifaddrs     a getifaddrs list (one block, its links inside it)
 *
 * Usage: libckeep SOCKET DIR ITEM; DIR holds "data" ("first\nsecond\n"),
 * "lines" ("a line\n") and nothing else.  One request per connection:
 *   use   what ITEM keeps used as when it was made  -> "ok" or "failed"
 */
#define _GNU_SOURCE /* asprintf, hsearch_r, tdestroy */
#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <iconv.h>
#include <ifaddrs.h>
#include <langinfo.h>
#include <locale.h>
#include <netdb.h>
#include <netinet/in.h>
#include <regex.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

/* tinyproxy's config_directive_entry */
static struct directive {
	const char *re;
	regex_t *cre;
} directives[] = {
	{ "^port[[:space:]]+([0-9]+)$", NULL },
	{ "^allow[[:space:]]+([^[:space:]]+)$", NULL },
	{ "^(yes|on|no|off)$", NULL },
};
#define NDIRECTIVES (sizeof directives / sizeof directives[0])

/* what the tsearch and hsearch items keep in the C library's nodes */
struct item {
#ifdef KEEP_V2
	unsigned long hits;
#endif
	int key;
	char name[12];
};
#define NENTRIES 3

struct kept {
#ifdef KEEP_V2
	unsigned long uses;
#endif
	regex_t re;
	char *dup, *ndup, *fmt;
	char *line;
	size_t linecap;
	struct addrinfo *ai;
	struct dirent **names;
	int nnames;
	char *real;
	DIR *dir;
	FILE *file;
	FILE *mem;
	char *membuf;
	size_t memsize;
	iconv_t cd;
	locale_t loc;
	void *tree;
	struct hsearch_data table;
	struct item *entries[NENTRIES];
	glob_t paths;
	struct ifaddrs *ifs;
};

static struct kept *kept;
static char item[16];
static char dir[256];
static volatile sig_atomic_t stopping;

static int is(const char *name)
{
	return !strcmp(item, name);
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static int regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int read_line_into(char **buf, size_t *cap)
{
	char p[300];
	path_of(p, sizeof p, "lines");
	FILE *f = fopen(p, "r");
	ssize_t n = f ? getline(buf, cap, f) : -1;
	if (f)
		fclose(f);
	return n == 7 && !strcmp(*buf, "a line\n") ? 0 : -1;
}

static int by_key(const void *a, const void *b)
{
	return ((const struct item *)a)->key - ((const struct item *)b)->key;
}

static void no_free(void *p)
{
	(void)p; /* the entries are freed from kept->entries */
}

/* entry k as made, named "eK" */
static int entry_right(const struct item *e, int k)
{
	char name[12];
	snprintf(name, sizeof name, "e%d", k);
	return e && e->key == k && !strcmp(e->name, name);
}

static int compile_directives(void)
{
	for (size_t i = 0; i < NDIRECTIVES; i++) {
		directives[i].cre = malloc(sizeof(regex_t));
		if (!directives[i].cre ||
		    regcomp(directives[i].cre, directives[i].re, REG_EXTENDED | REG_ICASE))
			return -1;
	}
	return 0;
}

/* What ITEM keeps, made once (not again in a new version's startup). */
static int keep(void)
{
	char p[300];
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_CANONNAME };

	if (!(kept = calloc(1, sizeof *kept)))
		return -1;
	if (is("regex"))
		return regcomp(&kept->re, "^get[[:space:]]+/([a-z]+)$", REG_EXTENDED) ? -1 : 0;
	if (is("strdup")) {
		kept->dup = strdup("kept by strdup");
		kept->ndup = strndup("kept by strndup, cut here", 15);
		return kept->dup && kept->ndup ? 0 : -1;
	}
	if (is("asprintf"))
		return asprintf(&kept->fmt, "kept %d by asprintf", 42) < 0 ? -1 : 0;
	if (is("getline"))
		return read_line_into(&kept->line, &kept->linecap);
	if (is("addrinfo"))
		return getaddrinfo("127.0.0.1", "7000", &hints, &kept->ai) ? -1 : 0;
	if (is("scandir"))
		return (kept->nnames = scandir(dir, &kept->names, regular, alphasort)) == 2 ? 0 : -1;
	if (is("realpath")) {
		path_of(p, sizeof p, "./lines");
		return (kept->real = realpath(p, NULL)) ? 0 : -1;
	}
	if (is("opendir"))
		return (kept->dir = opendir(dir)) ? 0 : -1;
	if (is("fopen")) {
		path_of(p, sizeof p, "data");
		char first[16];
		kept->file = fopen(p, "r");
		return kept->file && fgets(first, sizeof first, kept->file) &&
		       !strcmp(first, "first\n") ? 0 : -1;
	}
	if (is("fopenall")) {
		path_of(p, sizeof p, "data");
		char line[16];
		kept->file = fopen(p, "r");
		while (kept->file && fgets(line, sizeof line, kept->file))
			;
		return kept->file && feof(kept->file) ? 0 : -1;
	}
	if (is("memstream")) {
		kept->mem = open_memstream(&kept->membuf, &kept->memsize);
		return kept->mem && fputs("before ", kept->mem) >= 0 && !fflush(kept->mem) ? 0 : -1;
	}
	if (is("iconv"))
		return (kept->cd = iconv_open("ISO-8859-1", "UTF-8")) == (iconv_t)-1 ? -1 : 0;
	if (is("iconvucs4"))
		return (kept->cd = iconv_open("UCS-4LE", "UTF-8")) == (iconv_t)-1 ? -1 : 0;
	if (is("locale"))
		return (kept->loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0)) ? 0 : -1;
	if (is("tsearch") || is("hsearch")) {
		if (is("hsearch") && !hcreate_r(16, &kept->table))
			return -1;
		for (int k = 0; k < NENTRIES; k++) {
			struct item *e = calloc(1, sizeof *e);
			ENTRY in, *out;
			if (!e)
				return -1;
			e->key = k;
			snprintf(e->name, sizeof e->name, "e%d", k);
			kept->entries[k] = e;
			in.key = e->name;
			in.data = e;
			if (is("tsearch") ? !tsearch(e, &kept->tree, by_key) :
					    !hsearch_r(in, ENTER, &out, &kept->table))
				return -1;
		}
		return 0;
	}
	if (is("glob")) {
		path_of(p, sizeof p, "*");
		return glob(p, 0, NULL, &kept->paths) || kept->paths.gl_pathc != 2 ? -1 : 0;
	}
	if (is("ifaddrs"))
		return getifaddrs(&kept->ifs) || !kept->ifs ? -1 : 0;
	return is("directives") ? 0 : -1;
}

/* 0 when what ITEM keeps works as it did when it was made. */
static int use(void)
{
	regmatch_t m[2];
	char buf[64];

	if (is("directives")) {
		return regexec(directives[0].cre, "PORT 8888", 2, m, 0) || m[1].rm_so != 5 ||
		       regexec(directives[1].cre, "allow 10.0.0.0/8", 0, NULL, 0) ||
		       !regexec(directives[2].cre, "maybe", 0, NULL, 0) ? -1 : 0;
	}
	if (is("regex"))
		return regexec(&kept->re, "get /index", 2, m, 0) || m[1].rm_so != 5 ||
		       !regexec(&kept->re, "put /x", 0, NULL, 0) ? -1 : 0;
	if (is("strdup"))
		return strcmp(kept->dup, "kept by strdup") || strcmp(kept->ndup, "kept by strndup") ? -1 : 0;
	if (is("asprintf"))
		return strcmp(kept->fmt, "kept 42 by asprintf") ? -1 : 0;
	if (is("getline"))
		return strcmp(kept->line, "a line\n") || read_line_into(&kept->line, &kept->linecap);
	if (is("addrinfo")) {
		const struct sockaddr_in *sin = (const void *)kept->ai->ai_addr;
		return kept->ai->ai_family != AF_INET || sin->sin_port != htons(7000) ||
		       sin->sin_addr.s_addr != htonl(0x7f000001) || !kept->ai->ai_canonname ||
		       strcmp(kept->ai->ai_canonname, "127.0.0.1") ? -1 : 0;
	}
	if (is("scandir"))
		return kept->nnames != 2 || strcmp(kept->names[0]->d_name, "data") ||
		       strcmp(kept->names[1]->d_name, "lines") ? -1 : 0;
	if (is("realpath")) {
		size_t n = strlen(kept->real);
		return n < 7 || kept->real[0] != '/' || strcmp(kept->real + n - 6, "/lines") ||
		       access(kept->real, R_OK) ? -1 : 0;
	}
	if (is("opendir")) {
		int n = 0;
		rewinddir(kept->dir);
		for (struct dirent *d; (d = readdir(kept->dir));)
			n += regular(d);
		return n == 2 ? 0 : -1;
	}
	if (is("fopen")) {
		long at = ftell(kept->file);
		int bad = !fgets(buf, sizeof buf, kept->file) || strcmp(buf, "second\n");
		return bad || fseek(kept->file, at, SEEK_SET) ? -1 : 0;
	}
	if (is("fopenall")) {
		rewind(kept->file);
		int bad = !fgets(buf, sizeof buf, kept->file) || strcmp(buf, "first\n");
		while (fgets(buf, sizeof buf, kept->file))
			;
		return bad || strcmp(buf, "second\n") || !feof(kept->file) ? -1 : 0;
	}
	if (is("memstream")) {
		size_t before = kept->memsize;
		return fputs("x", kept->mem) < 0 || fflush(kept->mem) ||
		       kept->memsize != before + 1 || strncmp(kept->membuf, "before x", 8) ? -1 : 0;
	}
	if (is("iconv")) {
		char in[] = "caf\xc3\xa9", out[8] = { 0 };
		char *ip = in, *op = out;
		size_t il = 5, ol = sizeof out;
		return iconv(kept->cd, &ip, &il, &op, &ol) == (size_t)-1 ||
		       strcmp(out, "caf\xe9") ? -1 : 0;
	}
	if (is("iconvucs4")) {
		char in[] = "caf\xc3\xa9", out[16] = { 0 };
		char *ip = in, *op = out;
		size_t il = 5, ol = sizeof out;
		return iconv(kept->cd, &ip, &il, &op, &ol) == (size_t)-1 || op - out != 16 ||
		       memcmp(out, "c\0\0\0a\0\0\0f\0\0\0\xe9\0\0", 16) ? -1 : 0;
	}
	if (is("locale"))
		return strcmp(nl_langinfo_l(CODESET, kept->loc), "UTF-8") ||
		       toupper_l('a', kept->loc) != 'A' ? -1 : 0;
	if (is("tsearch")) {
		for (int k = 0; k < NENTRIES; k++) {
			struct item want = { .key = k };
			struct item **found = tfind(&want, &kept->tree, by_key);
			if (!found || *found != kept->entries[k] || !entry_right(*found, k))
				return -1;
		}
		return 0;
	}
	if (is("hsearch")) {
		for (int k = 0; k < NENTRIES; k++) {
			char name[12];
			ENTRY in = { .key = name }, *out;
			snprintf(name, sizeof name, "e%d", k);
			if (!hsearch_r(in, FIND, &out, &kept->table) || out->data != kept->entries[k] ||
			    out->key != kept->entries[k]->name || !entry_right(out->data, k))
				return -1;
		}
		return 0;
	}
	if (is("glob")) {
		size_t n = strlen(dir);
		return kept->paths.gl_pathc != 2 || strncmp(kept->paths.gl_pathv[0], dir, n) ||
		       strcmp(kept->paths.gl_pathv[0] + n, "/data") ||
		       strcmp(kept->paths.gl_pathv[1] + n, "/lines") || kept->paths.gl_pathv[2] ? -1 : 0;
	}
	if (is("ifaddrs")) {
		int lo = 0;
		for (struct ifaddrs *i = kept->ifs; i; i = i->ifa_next)
			lo += !strcmp(i->ifa_name, "lo") && i->ifa_addr &&
			      i->ifa_addr->sa_family == AF_INET &&
			      ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr ==
				      htonl(0x7f000001);
		return lo == 1 ? 0 : -1;
	}
	return -1;
}

/* Everything given back as the program would at its end. */
static void release(void)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (directives[i].cre) {
			regfree(directives[i].cre);
			free(directives[i].cre);
		}
	if (is("regex"))
		regfree(&kept->re);
	free(kept->dup);
	free(kept->ndup);
	free(kept->fmt);
	free(kept->line);
	if (kept->ai)
		freeaddrinfo(kept->ai);
	for (int i = 0; i < kept->nnames; i++)
		free(kept->names[i]);
	free(kept->names);
	free(kept->real);
	if (kept->dir)
		closedir(kept->dir);
	if (kept->file)
		fclose(kept->file);
	if (kept->mem)
		fclose(kept->mem);
	free(kept->membuf);
	if (kept->cd)
		iconv_close(kept->cd);
	if (kept->loc)
		freelocale(kept->loc);
	if (is("tsearch"))
		tdestroy(kept->tree, no_free);
	if (is("hsearch"))
		hdestroy_r(&kept->table);
	for (int k = 0; k < NENTRIES; k++)
		free(kept->entries[k]);
	if (is("glob"))
		globfree(&kept->paths);
	if (kept->ifs)
		freeifaddrs(kept->ifs);
	free(kept);
}

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	static int lfd = -1;
	struct sigaction sa = { .sa_handler = on_term }; /* no SA_RESTART: accept returns */

	if (argc != 4 || strlen(argv[2]) >= sizeof dir || strlen(argv[3]) >= sizeof item) {
		fprintf(stderr, "usage: libckeep SOCKET DIR ITEM\n");
		return 2;
	}
	strcpy(dir, argv[2]);
	strcpy(item, argv[3]);
	sigaction(SIGTERM, &sa, NULL);
	if (is("directives") && compile_directives()) {
		fprintf(stderr, "libckeep: regcomp failed\n");
		return 1;
	}
	if (!stf_is_updating()) {
		if (keep() || use()) {
			fprintf(stderr, "libckeep: %s: not made\n", item);
			return 1;
		}
		lfd = listen_at("libckeep", argv[1], SOCK_STREAM, 16);
	}
	while (!stopping) {
		stf_update_point();
		int c = accept_next("libckeep", lfd);
		if (c < 0)
			continue;
		char req[64];
		if (read_request(c, req, sizeof req) > 0)
			write_reply(c, use() ? "failed\n" : "ok\n");
		close(c);
	}
	release();
	printf("clean exit\n");
	return 0;
}
