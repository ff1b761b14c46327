/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userdata.h - the table of user data slots (userdata.c), filled by the
 * measurements of a library's scratch objects (userdata-libevent.c).
 */
#ifndef STF_USERDATA_H
#define STF_USERDATA_H

/* Empties the table (before measuring). */
void stf__user_data_reset(void);
/* Records the one word of heap block `block` equal to `marker` as the
 * user data slot of constructor `ctor` (blocks of block's site and
 * size); -1 if block is not a block start or holds marker in no word or
 * in several (nothing recorded). */
int stf__user_data_slot(const void *block, const void *marker, const char *ctor);
/* The heap block that a word of block `anchor` points to the start of
 * and that holds `marker` (a block libevent keeps in a list of another
 * and never returns, like event_base_once's); NULL if none. */
const void *stf__user_data_held(const void *anchor, const void *marker);
/* After measuring: drops the slots that blocks of another constructor
 * of the same site and size would share at another offset (those words
 * keep pinning: nothing tells which constructor made a block). */
void stf__user_data_settle(void);

#endif
