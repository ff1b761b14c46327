/* Version 2 of v1/apr20-table.c (see there). */
#define V2
#include "../v1/apr20-table.c"
