/* Version 1 of planparts.c holding integers of an address type that
 * point inside records (see v1/planparts.c). */
#define ADDR_WORDS
#include "../planparts.c"
