/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every type shape the metadata describes, attached to external objects
 * (which GCC always emits). */
#ifndef __STF_PLUGIN__
#error "stf.so must predefine __STF_PLUGIN__"
#endif
#include <sys/time.h>

#include "types.h"

struct fwd;
struct fwd *fwd_ptr;

outer_t *outer_ptr;
struct outer outer_v;
struct flags flags_v;
level_t level_v;
enum level level_raw;
union holder holder_v;
union ok_union ok_v;
union data_ptrs data_ptrs_v;
tagged_t tagged_v;
named_t named_v;
struct opaque_s opaque_v;
union callbacks callbacks_v;
union mixed_callbacks mixed_v;
struct timeval system_v; /* a library's type (STF_TF_SYSTEM) */
struct annotated annotated_v;
bool bool_v;
char char_v;
signed char schar_v;
unsigned char uchar_v;
short short_v;
unsigned long long ull_v;
float float_v;
double double_v;
long double ld_v;
_Complex double cplx_v;
int (*fp_v)(const char *, ...);
const volatile int cv_v = 1;
int matrix[2][3][4];
v4si vec_v;

int main(void)
{
	return cv_v - 1;
}
