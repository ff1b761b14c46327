#define V2
#include "../v1/rplace16.c"
