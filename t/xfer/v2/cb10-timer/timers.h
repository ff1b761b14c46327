/* SPDX-License-Identifier: GPL-3.0-or-later */
void timer_add(long ms, void (*fn)(void *), void *arg);
void *timer_arg(int i);
int timer_run(long now);
