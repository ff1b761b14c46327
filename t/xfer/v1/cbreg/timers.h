/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A timer list that calls fn(arg) when a timer is due (its own unit). */
#ifndef TIMERS_H
#define TIMERS_H
void timer_add(unsigned ms, void (*fn)(void *), void *arg);
void timers_run(void);
#endif
