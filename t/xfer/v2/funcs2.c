/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of funcs2.c: mul_old renamed mul, legacy removed, struct
 * acct converted by a type callback (cents -> dollars) and a member
 * callback (ms -> seconds), a new static array filled by callback,
 * struct blob drops its cache member. */
#include <stdint.h>
#include "xt.h"

typedef int (*op_fn)(int, int);

struct acct {
	int id;
	int secs;
	double dollars;
	struct acct *peer;
};

struct acct_v1 {
	int id;
	int ms;
	int cents;
	struct acct *peer;
};

struct blob {
	uintptr_t where STF_PXFER;
	int len;
	char *junk STF_IXFER;
};

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }

static op_fn ops[4];
static op_fn *op_mul = &ops[2];
static struct acct *accts;
static int target[3] = { 5, 6, 7 };
static struct blob *blob;
static int fresh[5];               /* new */
static int type_cbs, member_cbs, new_cbs;

static __attribute__((noinline)) void init(const char *mode)
{
	(void)mode;
	ops[0] = add;
	ops[1] = sub;
	ops[2] = mul;
	ops[3] = add;
	op_mul = &ops[2];
	accts = malloc(3 * sizeof(*accts));
	for (int i = 0; i < 3; i++) {
		accts[i].id = i;
		accts[i].secs = i + 1;
		accts[i].dollars = 1.5 * i;
		accts[i].peer = &accts[(i + 1) % 3];
	}
	blob = malloc(sizeof(*blob));
	blob->len = 11;
	blob->where = (uintptr_t)&target[1];
	blob->junk = (char *)(uintptr_t)0xdeadbeef;
}

static int acct_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		   void *arg)
{
	(void)arg;
	type_cbs++;
	if (stf_xfer_direction(x) == STF_FORWARD) {
		const struct acct_v1 *s = src->addr;
		struct acct *d = dst->addr;
		if (src->size != sizeof(*s) || dst->size != sizeof(*d))
			return STF_CB_ERROR;
		d->dollars = s->cents / 100.0;
	} else {
		const struct acct *s = src->addr;
		struct acct_v1 *d = dst->addr;
		d->cents = (int)(s->dollars * 100);
	}
	return STF_CB_DEFAULT;
}

static int secs_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		   void *arg)
{
	int v;
	(void)arg;
	member_cbs++;
	memcpy(&v, src->addr, sizeof(v));
	v = stf_xfer_direction(x) == STF_FORWARD ? v / 1000 : v * 1000;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int fresh_cb(struct stf_xfer *x, struct stf_value *dst, void *arg)
{
	(void)x;
	(void)arg;
	new_cbs++;
	if (dst->size != sizeof(fresh))
		return STF_CB_ERROR;
	int *f = dst->addr;
	for (int i = 0; i < 5; i++)
		f[i] = i * i;
	return STF_CB_DONE;
}

int main(int argc, char **argv)
{
	if (stf_is_updating()) {
		stf_rename(STF_RENAME_OBJECT, "funcs2.c:mul_old", "funcs2.c:mul");
		stf_rename(STF_RENAME_MEMBER, "struct acct.ms", "secs");
		stf_on_type("struct acct", STF_BOTH, acct_cb, NULL);
		stf_on_member("struct acct", "secs", STF_BOTH, secs_cb, NULL);
		stf_on_new_object("funcs2.c:fresh", STF_FORWARD, fresh_cb, NULL);
	}
	if (!stf_is_updating()) {
		init(argc > 1 ? argv[1] : "");
		XT_V1_LOOP();
	}
	stf_update_point();
	CHECK(ops[0] == add && ops[1] == sub && ops[2] == mul && ops[3] == add);
	CHECK(op_mul == &ops[2] && (*op_mul)(6, 7) == 42);
	for (int i = 0; i < 3; i++) {
		CHECK(accts[i].id == i && accts[i].secs == i + 1);
		CHECK(accts[i].dollars == 1.5 * i);
		CHECK(accts[i].peer == &accts[(i + 1) % 3]);
	}
	CHECK(type_cbs >= 3 && member_cbs >= 3);
	CHECK(new_cbs == 1);
	for (int i = 0; i < 5; i++)
		CHECK(fresh[i] == i * i);
	CHECK(blob->len == 11 && blob->where == (uintptr_t)&target[1] &&
	      *(int *)blob->where == 6);
	CHECK(blob->junk == (char *)(uintptr_t)0xdeadbeef);
	XT_V2_RESULT();
}
