// SPDX-License-Identifier: MIT
/*
 * Users and password checks (see auth.h).  Timing: the user table is always
 * scanned to the end; plain passwords are compared over a fixed 256 bytes;
 * hashed entries always cost one crypt, also for unknown users (a dummy
 * hash with the same cost), so that timing does not reveal which names
 * exist (notes D.7).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CRYPT_H
#include <crypt.h>
#endif

#include "common/cfgtext.h"
#include "server/auth.h"

/* A users file larger than this is refused (bounded memory). */
#define AUTH_FILE_MAX (64 * 1024 * 1024)

#define AUTH_CT_LEN 256

/* Same cost as a default `openssl passwd -6` hash (5000 rounds). */
static const char dummy_setting[] = "$6$c0cksifydDummy$";

bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile uint8_t diff = 0;
	size_t i;

	diff |= (uint8_t)(alen != blen);
	diff |= (uint8_t)(alen > AUTH_CT_LEN || blen > AUTH_CT_LEN);
	for (i = 0; i < AUTH_CT_LEN; i++) {
		uint8_t x = i < alen ? (uint8_t)a[i] : 0;
		uint8_t y = i < blen ? (uint8_t)b[i] : 0;

		diff |= x ^ y;
	}
	return diff == 0;
}

bool auth_hash_is_valid(const char *hash)
{
	struct crypt_data *cd;
	const char *out;
	bool ok;

	if (!hash || hash[0] != '$' || strlen(hash) > AUTH_CT_LEN)
		return false;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_r("probe", hash, cd);
	ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
	     strncmp(out, hash, (size_t)(strrchr(hash, '$') - hash)) == 0;
	free(cd);
	return ok;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 255 && !strpbrk(name, ":\n\r");
}

int auth_db_add(struct auth_db *db, const char *name, const char *secret,
		bool hashed)
{
	struct auth_user *u = NULL;
	size_t i;

	if (!name_ok(name) || strlen(secret) > 255)
		return -EINVAL;
	if (hashed && !auth_hash_is_valid(secret))
		return -EINVAL;
	for (i = 0; i < db->n; i++)
		if (strcmp(db->users[i].name, name) == 0)
			u = &db->users[i];
	if (!u) {
		if (db->n == db->cap) {
			size_t cap = db->cap ? db->cap * 2 : 8;
			struct auth_user *nu =
				realloc(db->users, cap * sizeof(*nu));

			if (!nu)
				return -ENOMEM;
			db->users = nu;
			db->cap = cap;
		}
		u = &db->users[db->n];
		memset(u, 0, sizeof(*u));
		u->name = strdup(name);
		if (!u->name)
			return -ENOMEM;
		db->n++;
	} else {
		explicit_bzero(u->secret, strlen(u->secret));
		free(u->secret);
	}
	u->secret = strdup(secret);
	if (!u->secret)
		return -ENOMEM;
	u->hashed = hashed;
	if (hashed)
		db->any_hashed = true;
	return 0;
}

int auth_db_add_userpass(struct auth_db *db, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char name[256];
	size_t n;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - arg);
	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, arg, n);
	name[n] = '\0';
	return auth_db_add(db, name, colon + 1, false);
}

int auth_db_load_text(struct auth_db *db, const char *text, const char *name,
		      char *err, size_t errlen)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char buf[1024];
		char *s, *colon, *end;
		int rc;

		line++;
		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "%s:%d: line too long", name,
				 line);
			return -1;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (eol ? 1 : 0);
		for (s = buf; *s == ' ' || *s == '\t'; s++)
			;
		end = s + strlen(s);
		while (end > s &&
		       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		colon = strchr(s, ':');
		if (!colon || colon == s) {
			snprintf(err, errlen, "%s:%d: expected \"user:hash\"",
				 name, line);
			return -1;
		}
		*colon = '\0';
		rc = auth_db_add(db, s, colon + 1, true);
		explicit_bzero(buf, sizeof(buf));
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "%s:%d: out of memory", name,
				 line);
			return -1;
		}
		if (rc < 0) {
			snprintf(err, errlen,
				 "%s:%d: not a crypt(3) hash this system "
				 "supports (make one with `openssl passwd -6`)",
				 name, line);
			return -1;
		}
	}
	return 0;
}

int auth_db_load_file(struct auth_db *db, const char *path, char *err,
		      size_t errlen)
{
	size_t len;
	char *text = cfgtext_read_file(path, AUTH_FILE_MAX, &len);
	int rc;

	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = auth_db_load_text(db, text, path, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

void auth_db_free(struct auth_db *db)
{
	size_t i;

	for (i = 0; i < db->n; i++) {
		free(db->users[i].name);
		explicit_bzero(db->users[i].secret,
			       strlen(db->users[i].secret));
		free(db->users[i].secret);
	}
	free(db->users);
	memset(db, 0, sizeof(*db));
}

/*
 * Per-thread crypt_r state (about 32 KiB, allocated once per thread).  A
 * thread-specific key frees it when a resolver/auth pool thread exits.
 */
static pthread_key_t cd_key;
static pthread_once_t cd_once = PTHREAD_ONCE_INIT;

static void cd_key_init(void)
{
	(void)pthread_key_create(&cd_key, free);
}

static const char *hash_pass(const char *pass, const char *setting)
{
	struct crypt_data *cd;

	pthread_once(&cd_once, cd_key_init);
	cd = pthread_getspecific(cd_key);
	if (!cd) {
		cd = calloc(1, sizeof(*cd));
		if (!cd || pthread_setspecific(cd_key, cd) != 0) {
			free(cd);
			return NULL;
		}
	}
	return crypt_r(pass, setting, cd);
}

bool auth_verify(const struct auth_db *db, const char *user, size_t ulen,
		 const char *pass, size_t plen)
{
	const struct auth_user *match = NULL;
	char pw[AUTH_CT_LEN + 1];
	const char *out;
	bool clean = !memchr(user, 0, ulen) && !memchr(pass, 0, plen) &&
		     plen <= AUTH_CT_LEN;
	bool ok;
	size_t i;

	/* Scan every entry: no early exit on the name. */
	for (i = 0; i < db->n; i++) {
		const char *n = db->users[i].name;

		if (auth_ct_equal(n, strlen(n), user, ulen))
			match = &db->users[i];
	}
	if (!clean)
		match = NULL;
	if (plen > AUTH_CT_LEN)
		plen = AUTH_CT_LEN;
	memcpy(pw, pass, plen);
	pw[plen] = '\0';
	if (!match || !match->hashed) {
		/* Unknown users cost what a known one of the same kind costs. */
		if (!match && db->any_hashed)
			hash_pass(pw, dummy_setting);
		if (!match) {
			auth_ct_equal(pw, plen, "", 0);
			explicit_bzero(pw, sizeof(pw));
			return false;
		}
		ok = auth_ct_equal(match->secret, strlen(match->secret), pw,
				   plen);
		explicit_bzero(pw, sizeof(pw));
		return ok;
	}
	out = hash_pass(pw, match->secret);
	explicit_bzero(pw, sizeof(pw));
	if (!out || out[0] == '*')
		return false;
	return auth_ct_equal(out, strlen(out), match->secret,
			     strlen(match->secret));
}
