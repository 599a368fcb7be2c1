#include "elfscan.h"

#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct found {
	size_t section;
	GElf_Addr value;
	struct elf_program program;
};

static int by_position(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->value < y->value ? -1 : x->value > y->value;
}

static bool is_program_section(Elf *elf, size_t shstrndx, size_t index)
{
	Elf_Scn *scn = elf_getscn(elf, index);
	GElf_Shdr shdr;
	const char *name;

	if (!scn || !gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_EXECINSTR) || shdr.sh_size == 0)
		return false;
	name = elf_strptr(elf, shstrndx, shdr.sh_name);
	return name && strcmp(name, ".text") != 0;
}

static int scan(Elf *elf, struct found **out)
{
	struct found *found = NULL;
	size_t shstrndx, count = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize == 0)
			continue;
		data = elf_getdata(scn, NULL);
		n = shdr.sh_size / shdr.sh_entsize;
		for (i = 0; data && i < n; i++) {
			GElf_Sym sym;
			const char *name, *section;
			struct found *grown;
			int bind;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			bind = GELF_ST_BIND(sym.st_info);
			if ((bind != STB_GLOBAL && bind != STB_WEAK) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= SHN_LORESERVE || !is_program_section(elf, shstrndx, sym.st_shndx))
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			{
				GElf_Shdr owner;

				if (!gelf_getshdr(elf_getscn(elf, sym.st_shndx), &owner))
					continue;
				section = elf_strptr(elf, shstrndx, owner.sh_name);
			}
			if (!name || !section)
				continue;
			grown = realloc(found, (count + 1) * sizeof(*found));
			if (!grown)
				break;
			found = grown;
			found[count].section = sym.st_shndx;
			found[count].value = sym.st_value;
			found[count].program.name = strdup(name);
			found[count].program.section = strdup(section);
			count++;
		}
	}
	qsort(found, count, sizeof(*found), by_position);
	*out = found;
	return (int)count;
}

int elf_list_programs(const char *path, struct elf_program **out)
{
	struct found *found = NULL;
	struct elf_program *programs;
	Elf *elf;
	int fd, count, i;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	count = elf ? scan(elf, &found) : -1;
	if (elf)
		elf_end(elf);
	close(fd);
	if (count <= 0) {
		free(found);
		return count;
	}
	programs = calloc((size_t)count, sizeof(*programs));
	for (i = 0; i < count; i++) {
		if (programs)
			programs[i] = found[i].program;
		else {
			free(found[i].program.name);
			free(found[i].program.section);
		}
	}
	free(found);
	if (!programs)
		return -1;
	*out = programs;
	return count;
}

void elf_programs_free(struct elf_program *programs, int count)
{
	int i;

	for (i = 0; i < count && programs; i++) {
		free(programs[i].name);
		free(programs[i].section);
	}
	free(programs);
}
