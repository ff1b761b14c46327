/* Version 2 of v1/slab15-member.c (see there). */
#define V2
#include "../v1/slab15-member.c"
