/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's per-thread logger, made by the startup of every version
 * (no stf_is_updating() guard): a typed block in a static, also the
 * value of a pthread key.  A running version parks in its loop's
 * callback of stf_update_fd() (memcached's, called by libevent), a
 * starting one (the new and the reversed version) at the top of its
 * loop; thread-specific data and locals are named by the function
 * holding the point ("pthread key 2@loop"), so the old version's go to
 * no one, the new version's slot keeps pointing to its own logger, and
 * the old logger is transferred in place into it (the static points to
 * both).  Pushed back, that slot paired with the reversed version's and
 * pinned the logger at the new version's address, where the reversed
 * version's own startup had made its logger ("File exists"), and the
 * differencing found the slots in the reversed version only: the way
 * back now leaves out what the new version got nothing for
 * (transfer/unreceived.c), and the reversed version's heap is not where
 * the new version's is (runtime/spans.c, t/runtime/test-placement). */
#include <poll.h>
#include <pthread.h>
#include "xt.h"

struct logger {
	struct logger *prev, *next;
	pthread_mutex_t mutex;
	unsigned long written;
	char name[16];
};

struct logger *current_logger;  /* not static: kept at -O2 */
static pthread_key_t logger_key;

static void make_logger(void)
{
	current_logger = calloc(1, sizeof(*current_logger));
	pthread_mutex_init(&current_logger->mutex, NULL);
	pthread_key_create(&logger_key, NULL);
	pthread_setspecific(logger_key, current_logger);
}

static void serve(void)
{
	current_logger->written = 12345;
	strcpy(current_logger->name, "worker log");
}

static void on_update(void)
{
	stf_update_point();
}

static void loop(void)
{
	struct pollfd pfd = { stf_update_fd(), POLLIN, 0 };
	for (;;) {
		stf_update_point();
#ifdef V2
		/* started by the update: it committed */
		CHECK(current_logger->written == 12345);
		CHECK(strcmp(current_logger->name, "worker log") == 0);
		CHECK(pthread_getspecific(logger_key) == current_logger);
		XT_V2_RESULT();
#endif
		if (poll(&pfd, 1, -1) > 0)
			on_update();
	}
}

int main(void)
{
	make_logger();
	if (!stf_is_updating())
		serve();
	loop();
}
