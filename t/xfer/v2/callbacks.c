/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every callback of stf.h, registered for both directions so the round
 * trip restores version 1's state exactly:
 *   stf_on_type    struct temp: celsius -> fahrenheit (and back)
 *   stf_on_member  struct acct.timeout: milliseconds -> seconds
 *   stf_on_object  callbacks.c:secret: stored doubled
 *   stf_rename     object old_name -> new_name, member count -> total,
 *                  type struct point -> struct pt
 *   stf_on_new_object  callbacks.c:generation (new) starts at 42
 *   stf_on_transfer_done  computes a derived value
 *   helpers: stf_xfer_pointer, stf_xfer_read, stf_xfer_object; a member
 *   callback computing a new member from the whole old struct */
#include <stdint.h>
#include "xt.h"

struct temp {
	int fahrenheit;
};
struct temp_v1 {
	int celsius;
};

struct acct {
	char owner[16];
	long total;   /* was count */
	int timeout;  /* seconds, was timeout_ms */
	long score;   /* new: twice the old count */
};
struct acct_v1 {
	char owner[16];
	long count;
	int timeout_ms;
};

struct pt {           /* was struct point */
	int x, y;
};

struct ref {
	int *target;
	int cached;   /* new: a copy of *target, filled by a type callback */
};
struct ref_v1 {
	int *target;
};

static struct temp room;
static struct acct account;
static int new_name;  /* was old_name */
static struct pt origin;
static int secret;
static int pointee = 77;
static struct ref ref;
static int generation;
static long derived;
static int done_calls, forward_cbs, backward_cbs;

static __attribute__((noinline)) void init(void)
{
	room.fahrenheit = 68;
	snprintf(account.owner, sizeof(account.owner), "alice");
	account.total = 12;
	account.timeout = 5;
	new_name = 5;
	origin.x = 3;
	origin.y = 4;
	secret = 2468;
	generation = 1;
	ref.target = &pointee;
	ref.cached = pointee++;
}

static int score_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		    void *arg)
{
	(void)x;
	(void)arg;
	/* a new member: the source value is the whole old struct */
	const struct acct_v1 *s = src->addr;
	long v = s->count * 2;
	if (src->size != sizeof(*s) || dst->size != sizeof(v))
		return STF_CB_ERROR;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int ref_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		  void *arg)
{
	uint64_t p;
	(void)arg;
	if (stf_xfer_direction(x) == STF_BACKWARD)
		return STF_CB_DEFAULT; /* cached is simply dropped */
	const struct ref_v1 *s = src->addr;
	struct ref *d = dst->addr;
	int value;
	if (stf_xfer_pointer(x, (uint64_t)(uintptr_t)s->target, &p) < 0 ||
	    stf_xfer_read(x, (uint64_t)(uintptr_t)s->target, &value, sizeof(value)) < 0)
		return STF_CB_ERROR;
	d->target = (int *)(uintptr_t)p;
	d->cached = value;
	if (stf_xfer_object(x, "callbacks.c:pointee") != (uint64_t)(uintptr_t)&pointee ||
	    stf_xfer_object(x, "no such object") != 0) {
		stf_xfer_fail(x, "stf_xfer_object gave a wrong address");
		return STF_CB_ERROR;
	}
	return STF_CB_DONE;
}

static int temp_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		   void *arg)
{
	(void)arg;
	if (stf_xfer_direction(x) == STF_FORWARD) {
		const struct temp_v1 *s = src->addr;
		struct temp *d = dst->addr;
		if (strcmp(src->type, "struct temp") || dst->size != sizeof(*d))
			return STF_CB_ERROR;
		d->fahrenheit = s->celsius * 9 / 5 + 32;
		forward_cbs++;
	} else {
		const struct temp *s = src->addr;
		struct temp_v1 *d = dst->addr;
		d->celsius = (s->fahrenheit - 32) * 5 / 9;
		backward_cbs++;
	}
	return STF_CB_DONE;
}

static int timeout_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		      void *arg)
{
	int v;
	(void)arg;
	memcpy(&v, src->addr, sizeof(v));
	v = stf_xfer_direction(x) == STF_FORWARD ? v / 1000 : v * 1000;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int secret_cb(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
		     void *arg)
{
	int v;
	if (arg != &secret)
		return STF_CB_ERROR;
	memcpy(&v, src->addr, sizeof(v));
	v = stf_xfer_direction(x) == STF_FORWARD ? v * 2 : v / 2;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int generation_cb(struct stf_xfer *x, struct stf_value *dst, void *arg)
{
	(void)x;
	(void)arg;
	int v = 42;
	if (dst->size != sizeof(v))
		return STF_CB_ERROR;
	memcpy(dst->addr, &v, sizeof(v));
	return STF_CB_DONE;
}

static int done_cb(struct stf_xfer *x, void *arg)
{
	(void)x;
	(void)arg;
	/* runs in this process after the forward transfer wrote our state */
	derived = account.total * 100 + new_name;
	done_calls++;
	return STF_CB_DONE;
}

int main(void)
{
	if (stf_is_updating()) {
		stf_on_type("struct temp", STF_BOTH, temp_cb, NULL);
		stf_on_member("struct acct", "timeout", STF_BOTH, timeout_cb, NULL);
		stf_on_object("callbacks.c:secret", STF_BOTH, secret_cb, &secret);
		stf_rename(STF_RENAME_OBJECT, "callbacks.c:old_name", "callbacks.c:new_name");
		stf_rename(STF_RENAME_MEMBER, "struct acct.count", "total");
		stf_rename(STF_RENAME_MEMBER, "struct acct.timeout_ms", "timeout");
		stf_rename(STF_RENAME_TYPE, "struct point", "struct pt");
		stf_on_new_object("callbacks.c:generation", STF_FORWARD, generation_cb, NULL);
		stf_on_member("struct acct", "score", STF_FORWARD, score_cb, NULL);
		stf_on_type("struct ref", STF_BOTH, ref_cb, NULL);
		stf_on_transfer_done(STF_FORWARD, done_cb, NULL);
		memset(&account, 0, sizeof(account));
		new_name = 0;
		/* bad registrations are refused */
		CHECK(stf_on_type(NULL, STF_BOTH, temp_cb, NULL) == -1);
		CHECK(stf_on_object("x", 0, secret_cb, NULL) == -1);
		CHECK(stf_rename(STF_RENAME_MEMBER, "no-dot", "x") == -1);
	}
	XT_V2_RECEIVE(init);
	CHECK(room.fahrenheit == 68);
	CHECK(!strcmp(account.owner, "alice"));
	CHECK(account.total == 12);
	CHECK(account.timeout == 5);
	CHECK(new_name == 5);
	CHECK(origin.x == 3 && origin.y == 4);
	CHECK(secret == 2468);
	CHECK(generation == 42);
	CHECK(derived == 1205);
	CHECK(done_calls == 1);
	CHECK(forward_cbs == 1);
	CHECK(backward_cbs == 1);
	CHECK(account.score == 24);
	CHECK(ref.target == &pointee && ref.cached == 78 && pointee == 78);
	XT_V2_RESULT();
}
