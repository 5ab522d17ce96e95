// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * verified_insns.c - how much work the BPF verifier does on a BPF object's
 * programs: loads OBJ (default build/siplb.bpf.o) and prints, for each
 * program, bpf_prog_info.verified_insns, the verifier's count of processed
 * instructions (its limit is 1,000,000). A change to bpf/ that makes this
 * jump is a change that may one day not load.
 *
 * Nothing is pinned or attached: the maps' pin paths are cleared before
 * load, so a running siplb (whose maps are pinned by name) is not touched.
 *
 * Usage: verified_insns [OBJ]          (as root)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int print_counts(struct bpf_object *obj)
{
	struct bpf_prog_info info;
	struct bpf_program *prog;
	__u32 len;

	bpf_object__for_each_program(prog, obj)
	{
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info,
					   &len)) {
			fprintf(stderr, "verified_insns: %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			return -errno;
		}
		printf("%s\t%u processed instructions (%u xlated)\n",
		       bpf_program__name(prog), info.verified_insns,
		       info.xlated_prog_len / 8);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "build/siplb.bpf.o";
	struct bpf_object *obj;
	struct bpf_map *map;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "verified_insns: cannot open %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	err = bpf_object__load(obj);
	if (err)
		fprintf(stderr, "verified_insns: %s does not load: %s\n", path,
			strerror(-err));
	else
		err = print_counts(obj);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
