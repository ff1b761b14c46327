/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A static inline function of a header whose address a module takes. */
static inline int module_default_port(int scheme)
{
	return scheme ? 443 : 80;
}
