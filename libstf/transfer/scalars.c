/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * scalars.c - a scalar of the source type (integer, enum, bit-field,
 * floating point) becomes a scalar of the destination type, converted with
 * its sign and width; a value the destination cannot represent exactly is
 * reported as a lossy conversion, never truncated silently.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "xfer.h"

typedef __int128 wide;

static int read_int(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p,
		    const struct stf_member_rec *bits, wide *v)
{
	const struct stf_type_rec *R = T(u, t);
	int sgn = !!(R->flags & STF_TF_SIGNED);
	uint64_t raw = 0;
	if (bits) {
		unsigned nbytes = (bits->bit_offset + bits->bit_size + 7) / 8;
		uint64_t w = 0;
		memcpy(&w, p, nbytes > 8 ? 8 : nbytes);
		w >>= bits->bit_offset;
		if (bits->bit_size < 64)
			w &= (1ULL << bits->bit_size) - 1;
		if (sgn && bits->bit_size < 64 && (w >> (bits->bit_size - 1)) & 1)
			w |= ~0ULL << bits->bit_size;
		*v = sgn ? (wide)(int64_t)w : (wide)w;
		return 0;
	}
	if (R->size > 8 || !R->size)
		return -1;
	memcpy(&raw, p, R->size);
	if (sgn && R->size < 8 && (raw >> (8 * R->size - 1)) & 1)
		raw |= ~0ULL << (8 * R->size);
	*v = sgn ? (wide)(int64_t)raw : (wide)raw;
	return 0;
}

static void fmt_wide(wide v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-%" PRIu64, (uint64_t)-v);
	else
		snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

static int write_int(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		     uint8_t *p, const struct stf_member_rec *bits, wide v)
{
	const struct stf_type_rec *R = T(u, t);
	int sgn = !!(R->flags & STF_TF_SIGNED);
	unsigned nbits = bits ? bits->bit_size : 8 * (unsigned)R->size;
	wide lo, hi;
	char vb[48], tn[128];

	if (R->flags & STF_TF_BOOL) {
		lo = 0;
		hi = 1;
	} else if (sgn) {
		lo = -((wide)1 << (nbits - 1));
		hi = ((wide)1 << (nbits - 1)) - 1;
	} else {
		lo = 0;
		hi = ((wide)1 << nbits) - 1;
	}
	if (v < lo || v > hi) {
		fmt_wide(v, vb, sizeof(vb));
		stf__xfail(x, "%s: value %s does not fit in %s%s (lossy conversion); register a "
		      "callback (stf_on_member/stf_on_type) to convert it", stf__cur_path(x), vb,
		      stf__type_str(u, t, tn, sizeof(tn)), bits ? " bitfield" : "");
		return -1;
	}
	uint64_t w = (uint64_t)v;
	if (bits) {
		unsigned nbytes = (bits->bit_offset + bits->bit_size + 7) / 8;
		uint64_t cur = 0, mask = (nbits < 64 ? (1ULL << nbits) - 1 : ~0ULL) << bits->bit_offset;
		memcpy(&cur, p, nbytes > 8 ? 8 : nbytes);
		cur = (cur & ~mask) | ((w << bits->bit_offset) & mask);
		memcpy(p, &cur, nbytes > 8 ? 8 : nbytes);
		return 0;
	}
	memcpy(p, &w, R->size);
	return 0;
}

static int read_float(const struct stf_meta_unit *u, uint32_t t, const uint8_t *p, long double *f)
{
	switch (T(u, t)->size) {
	case 4: { float v; memcpy(&v, p, 4); *f = v; return 0; }
	case 8: { double v; memcpy(&v, p, 8); *f = v; return 0; }
	case 16: { long double v; memcpy(&v, p, sizeof(v)); *f = v; return 0; }
	}
	return -1;
}

/* The fewest digits that read back as f (in double precision if f is a
 * double): 0.1, 0.10000000149011612 (0.1f), not 0.1 for 0.1000001. */
static void fmt_float(long double f, char *buf, size_t len)
{
	int dbl = (long double)(double)f == f;
	for (int p = 6; p <= 21; p++) {
		snprintf(buf, len, "%.*Lg", p, f);
		long double r = strtold(buf, NULL);
		if (dbl ? (double)r == (double)f : r == f)
			return;
	}
}

static int write_float(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		       uint8_t *p, long double f)
{
	char tn[128];
	switch (T(u, t)->size) {
	case 4: {
		float v = (float)f;
		if ((long double)v != f && !isnan(f))
			goto lossy;
		memcpy(p, &v, 4);
		return 0;
	}
	case 8: {
		double v = (double)f;
		if ((long double)v != f && !isnan(f))
			goto lossy;
		memcpy(p, &v, 8);
		return 0;
	}
	case 16:
		memcpy(p, &f, sizeof(f));
		return 0;
	}
	stf__xfail(x, "%s: unsupported floating type %s", stf__cur_path(x), stf__type_str(u, t, tn, sizeof(tn)));
	return -1;
lossy:
	if (f == truncl(f) && f > -1.8e19L && f < 1.8e19L) {
		/* an integer: all its digits (16777217, not 1.67772e+07) */
		char vb[48];
		fmt_wide((wide)f, vb, sizeof(vb));
		stf__xfail(x, "%s: value %s cannot be represented exactly as %s (lossy conversion)",
		      stf__cur_path(x), vb, stf__type_str(u, t, tn, sizeof(tn)));
		return -1;
	}
	char vb[48];
	fmt_float(f, vb, sizeof(vb));
	stf__xfail(x, "%s: value %s cannot be represented exactly as %s (lossy conversion)",
	      stf__cur_path(x), vb, stf__type_str(u, t, tn, sizeof(tn)));
	return -1;
}

int stf__convert_scalar(struct stf_xfer *x,
			const struct stf_meta_unit *su, uint32_t st, const uint8_t *s,
			const struct stf_member_rec *sbits,
			const struct stf_meta_unit *du, uint32_t dt, uint8_t *d,
			const struct stf_member_rec *dbits)
{
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	char a[128], b[128], vb[48];
	wide v;

	if (S->kind == STF_K_FLOAT) {
		long double f;
		if (read_float(su, st, s, &f) < 0)
			goto unsupported;
		if (D->kind == STF_K_FLOAT)
			return write_float(x, du, dt, d, f);
		if (D->kind == STF_K_INT) {
			if (f != truncl(f) || f < -1.8e19L || f > 1.9e19L) {
				fmt_float(f, vb, sizeof(vb));
				stf__xfail(x, "%s: value %s cannot be converted to %s without loss",
				      stf__cur_path(x), vb, stf__type_str(du, dt, b, sizeof(b)));
				return -1;
			}
			return write_int(x, du, dt, d, dbits, (wide)f);
		}
		goto unsupported;
	}
	if (S->kind != STF_K_INT && S->kind != STF_K_ENUM)
		goto unsupported;
	if (read_int(su, st, s, sbits, &v) < 0)
		goto unsupported;
	if (S->kind == STF_K_ENUM && D->kind == STF_K_ENUM) {
		const char *name = NULL;
		for (uint32_t i = 0; i < S->nmembers; i++) {
			const struct stf_member_rec *m = &su->members[S->members + i];
			if ((wide)m->offset == v) {
				name = stf_meta_str(su, m->name);
				break;
			}
		}
		if (!name) {
			fmt_wide(v, vb, sizeof(vb));
			stf__xfail(x, "%s: value %s is no enumerator of %s", stf__cur_path(x), vb,
			      stf__type_str(su, st, a, sizeof(a)));
			return -1;
		}
		if (x->renames)
			name = stf__rename(STF_RENAME_ENUMERATOR, name, x->dir);
		for (uint32_t i = 0; i < D->nmembers; i++) {
			const struct stf_member_rec *m = &du->members[D->members + i];
			if (!strcmp(stf_meta_str(du, m->name), name)) {
				wide nv = m->offset;
				if (dbits)
					return write_int(x, du, dt, d, dbits, nv);
				uint32_t ut = D->target != STF_NONE ? strip(du, D->target) : STF_NONE;
				if (ut < du->ntypes && T(du, ut)->size == D->size)
					return write_int(x, du, ut, d, NULL, nv);
				uint64_t w = (uint64_t)nv;
				memcpy(d, &w, D->size <= 8 ? D->size : 8);
				return 0;
			}
		}
		stf__xfail(x, "%s: enumerator %s of %s no longer exists in %s", stf__cur_path(x), name,
		      stf__type_str(su, st, a, sizeof(a)), stf__type_str(du, dt, b, sizeof(b)));
		return -1;
	}
	if (D->kind == STF_K_INT || D->kind == STF_K_ENUM) {
		if (D->kind == STF_K_ENUM && !dbits) {
			uint64_t w = (uint64_t)v;
			memcpy(d, &w, D->size <= 8 ? D->size : 8);
			return 0;
		}
		return write_int(x, du, dt, d, dbits, v);
	}
	if (D->kind == STF_K_FLOAT) {
		long double f = (long double)v;
		if ((wide)f != v) {
			fmt_wide(v, vb, sizeof(vb));
			stf__xfail(x, "%s: value %s cannot be represented exactly as %s",
			      stf__cur_path(x), vb, stf__type_str(du, dt, b, sizeof(b)));
			return -1;
		}
		return write_float(x, du, dt, d, f);
	}
unsupported:
	stf__xfail(x, "%s: cannot convert %s to %s automatically; register a callback "
	      "(stf_on_member/stf_on_type/stf_on_object)", stf__cur_path(x),
	      stf__type_str(su, st, a, sizeof(a)), stf__type_str(du, dt, b, sizeof(b)));
	return -1;
}
