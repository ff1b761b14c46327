/* Version 2 of v1/slab15-helper.c (see there). */
#define V2
#include "../v1/slab15-helper.c"
