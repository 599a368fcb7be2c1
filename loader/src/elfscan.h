/* Lists the programs of a BPF object straight from its ELF symbols, for objects libbpf refuses
 * to open: each program is still named in the report, with the reason. */
#ifndef BPFDEV_ELFSCAN_H
#define BPFDEV_ELFSCAN_H

struct elf_program {
	char *name;
	char *section;
};

/* Programs as libbpf finds them: global functions in executable sections other than .text,
 * in section then address order. Returns the count (0 included), or -1 if the file is not a
 * readable ELF object. */
int elf_list_programs(const char *path, struct elf_program **out);
void elf_programs_free(struct elf_program *programs, int count);

#endif
