/* SPDX-License-Identifier: GPL-3.0-or-later */
struct entry {
	struct entry *next;
	long key;
	int hits; /* new */
};
struct entry *make_entry(int key);
extern struct entry *table[8];
