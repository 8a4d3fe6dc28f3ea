// SPDX-License-Identifier: MIT
/*
 * The config search path (conf_path.h): pure string work plus one
 * access(2), so that the library can call it at init without stdio.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_path.h"

/* @a + @b + @c into @buf (@cap bytes); 0 or -ENAMETOOLONG. */
static int conf_path_join(char *buf, size_t cap, const char *a, const char *b,
			  const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, c, lc + 1);
	return 0;
}

int conf_user_path(const char *xdg, const char *home, char *buf, size_t cap)
{
	if (xdg != NULL && xdg[0] == '/')
		return conf_path_join(buf, cap, xdg, "/", CONF_USER_SUBPATH);
	if (home != NULL && home[0] == '/')
		return conf_path_join(buf, cap, home, "/.config/",
				      CONF_USER_SUBPATH);
	return -ENOENT;
}

int conf_default_path(const char *xdg, const char *home, const char *system,
		      char *buf, size_t cap, bool *is_user)
{
	*is_user = false;
	if (conf_user_path(xdg, home, buf, cap) == 0 &&
	    access(buf, F_OK) == 0) {
		*is_user = true;
		return 0;
	}
	return conf_path_join(buf, cap, system, "", "");
}
