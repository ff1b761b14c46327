/* SPDX-License-Identifier: GPL-3.0-or-later */
struct entry {
	int key;
	struct entry *next;
};
struct entry *make_entry(int key);
extern struct entry *table[8];
