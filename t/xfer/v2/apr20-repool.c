/* Version 2 of v1/apr20-repool.c (see there). */
#define V2
#include "../v1/apr20-repool.c"
