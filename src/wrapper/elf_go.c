// SPDX-License-Identifier: MIT
/*
 * Go program detection for the wrapper (see elf_go.h).  Two marks, checked
 * in order of cost: the "Go" note in the PT_NOTE segments (a few hundred
 * bytes near the start of the file), then the section names (the section
 * header table and its string table, usually at the end of the file).
 */
#include "config.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "wrapper/elf_go.h"

#if __SIZEOF_POINTER__ == 8
typedef Elf64_Ehdr eg_ehdr;
typedef Elf64_Phdr eg_phdr;
typedef Elf64_Shdr eg_shdr;
#else
typedef Elf32_Ehdr eg_ehdr;
typedef Elf32_Phdr eg_phdr;
typedef Elf32_Shdr eg_shdr;
#endif

#define EG_NOTE_MAX 4096   /* bytes of one PT_NOTE segment looked at */
#define EG_SHSTR_MAX 65536 /* bytes of the section name table */
#define EG_SHNUM_MAX 4096  /* sections looked at */
#define EG_NT_GO_BUILDID 4 /* cmd/link: the Go build ID note type */

/* Read exactly @len bytes at @off.  True on success. */
static bool eg_read(int fd, void *buf, size_t len, uint64_t off)
{
	return off <= INT64_MAX &&
	       pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* 4-byte aligned, as ELF notes are. */
static size_t eg_align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/*
 * Does the note area @buf (@len bytes) hold a note of owner "Go" with the
 * build-ID type?  Notes: namesz, descsz, type (4 bytes each), then the
 * name and the descriptor, each padded to 4 bytes.
 */
static bool eg_notes_have_go(const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		size_t next;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		if (namesz > len || descsz > len)
			return false;
		next = off + 12 + eg_align4(namesz) + eg_align4(descsz);
		if (next > len)
			return false;
		if (type == EG_NT_GO_BUILDID && namesz == 3 &&
		    memcmp(buf + off + 12, "Go", 3) == 0)
			return true;
		off = next;
	}
	return false;
}

/*
 * The "Go" note in one of the PT_NOTE segments?  Program headers and notes
 * that lie inside @head (the first @hlen bytes of the file, already read
 * by the caller) cost no read.
 */
static bool eg_note_go(int fd, const eg_ehdr *eh, const unsigned char *head,
		       size_t hlen)
{
	unsigned char buf[EG_NOTE_MAX];
	const unsigned char *p;
	eg_phdr ph;
	int i;

	for (i = 0; i < eh->e_phnum; i++) {
		uint64_t off = eh->e_phoff + (uint64_t)i * eh->e_phentsize;
		size_t len;

		if (off + sizeof(ph) <= hlen)
			memcpy(&ph, head + off, sizeof(ph));
		else if (!eg_read(fd, &ph, sizeof(ph), off))
			return false;
		if (ph.p_type != PT_NOTE)
			continue;
		len = ph.p_filesz < sizeof(buf) ? (size_t)ph.p_filesz
						: sizeof(buf);
		if (ph.p_offset + len <= hlen)
			p = head + ph.p_offset;
		else if (eg_read(fd, buf, len, ph.p_offset))
			p = buf;
		else
			continue;
		if (eg_notes_have_go(p, len))
			return true;
	}
	return false;
}

/*
 * A section named .go.buildinfo or .note.go.buildid (a Go program built
 * with an empty build ID has no note)?  Two reads: the section header
 * table, then the section name table.
 */
static bool eg_section_go(int fd, const eg_ehdr *eh)
{
	static eg_shdr sh[EG_SHNUM_MAX];
	static char names[EG_SHSTR_MAX + 1];
	size_t len;
	int i;

	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(sh[0]) ||
	    eh->e_shnum > EG_SHNUM_MAX || eh->e_shstrndx == SHN_UNDEF ||
	    eh->e_shstrndx >= eh->e_shnum)
		return false;
	if (!eg_read(fd, sh, (size_t)eh->e_shnum * sizeof(sh[0]), eh->e_shoff))
		return false;
	len = sh[eh->e_shstrndx].sh_size < EG_SHSTR_MAX
		      ? (size_t)sh[eh->e_shstrndx].sh_size
		      : EG_SHSTR_MAX;
	if (!eg_read(fd, names, len, sh[eh->e_shstrndx].sh_offset))
		return false;
	names[len] = '\0';
	for (i = 0; i < eh->e_shnum; i++) {
		const char *n;

		if (sh[i].sh_name >= len)
			continue;
		n = names + sh[i].sh_name;
		if (strcmp(n, ".go.buildinfo") == 0 ||
		    strcmp(n, ".note.go.buildid") == 0)
			return true;
	}
	return false;
}

/* Contract: elf_go.h. */
bool elf_is_go(int fd, const unsigned char *head, size_t hlen)
{
	eg_ehdr eh;

	if (hlen < sizeof(eh))
		return false;
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_phentsize != sizeof(eg_phdr))
		return false;
	return eg_note_go(fd, &eh, head, hlen) || eg_section_go(fd, &eh);
}
