/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CORPUS_MULTI_H
#define CORPUS_MULTI_H
struct shared {
	int id;
	struct shared *next;
	char name[8];
};
extern struct shared lib_item;
int lib_touch(int v);
#endif
