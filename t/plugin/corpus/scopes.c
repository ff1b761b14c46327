/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Types declared inside functions: two functions of one file declare
 * different structs of one tag (an SSH daemon's name caches for users and
 * groups) and different typedefs of one name.  Each keeps its own type. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

const char *user_name(uid_t uid)
{
	struct ncache { uid_t uid; char *name; };
	typedef int slot_t;
	static struct ncache *cache;
	static slot_t slots;
	if (!cache && !(cache = calloc(1, sizeof *cache)))
		return NULL;
	cache->uid = uid;
	slots++;
	return cache->name;
}

const char *group_name(gid_t gid)
{
	struct ncache { gid_t gid; long hits; char *name; };
	typedef char slot_t[4];
	static struct ncache *cache;
	static slot_t slots;
	if (!cache && !(cache = calloc(1, sizeof *cache)))
		return NULL;
	cache->gid = gid;
	cache->hits++;
	slots[0]++;
	return cache->name;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%p %p\n", (void *)user_name((uid_t)argc), (void *)group_name((gid_t)argc));
	return 0;
}
