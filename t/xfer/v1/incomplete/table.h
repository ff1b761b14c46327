/* SPDX-License-Identifier: GPL-3.0-or-later */
/* struct table is opaque: only table.c completes it. */
struct table;
struct table *table_new(int base);
int table_apply(const struct table *t, int v);
int table_is_sane(const struct table *t);
