/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * glayout - preloaded by t/idioms/gkvw.sh into a new version of gkvw: a
 * GLib whose g_source_get_can_recurse() says TRUE of any source, as one
 * whose GSource keeps its flags where ttst does not look would.  ttst
 * measures GLib's GSource flags word with that accessor; the update must
 * roll back, naming GLib's GSource, and the old version serve on.
 */
#include <glib.h>

gboolean g_source_get_can_recurse(GSource *source)
{
	(void)source;
	return TRUE;
}
