/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An opaque type: other files see "struct table" only behind pointers;
 * opaque-lib.c alone completes it (the vsftpd "struct hash" pattern). */
#ifndef CORPUS_OPAQUE_H
#define CORPUS_OPAQUE_H
struct table;
struct table *table_new(unsigned nbuckets);
int table_put(struct table *t, int key);
void table_print_layout(void);

/* Expanded in opaque-lib.c: a type completed there, by a macro from here. */
#define DEFINE_PAIR(tag) struct tag { int first; long second; }

/* Completed here, used in opaque-lib.c through pointers only. */
struct in_header {
	int unused;
	char *name;
};

/* Completed here, not used by opaque-lib.c at all. */
struct header_only {
	int a;
};
#endif
