/* SPDX-License-Identifier: MIT */
/*
 * Where socks.conf is looked for when neither SOCKS_CONF nor SOCKS_PROXY
 * (nor -c / -p) says: the user's file first, then the system's.
 *
 *   $XDG_CONFIG_HOME/socksify/socks.conf   (XDG_CONFIG_HOME set and absolute)
 *   $HOME/.config/socksify/socks.conf      (otherwise)
 *   SYSCONFDIR/socks.conf
 */
#ifndef SOCKSIFY_CONF_CONF_PATH_H
#define SOCKSIFY_CONF_CONF_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_USER_SUBPATH "socksify/socks.conf"

/*
 * The user's socks.conf path from the values of XDG_CONFIG_HOME (@xdg) and
 * HOME (@home), either may be NULL, into @buf of @cap bytes.  Returns 0, or
 * -ENOENT when neither gives an absolute directory, -ENAMETOOLONG when it
 * does not fit.  Does not look at the file system.
 */
int conf_user_path(const char *xdg, const char *home, char *buf, size_t cap);

/*
 * The default config: the user's file when it exists (access F_OK), else
 * @system.  @buf (@cap bytes) receives the path.  *@is_user says which one
 * was taken.  Returns 0, or -ENAMETOOLONG.
 */
int conf_default_path(const char *xdg, const char *home, const char *system,
		      char *buf, size_t cap, bool *is_user);

#endif
