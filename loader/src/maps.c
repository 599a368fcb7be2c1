#include "maps.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "session.h"
#include "util.h"

/* A value (all CPUs together) larger than this is left out: one dump has to stay a line the
 * editor can take in every second. */
#define MAPS_VALUE_MAX (1u << 20)
/* Once the event grows past this, the remaining entries are left out and maps marked truncated. */
#define MAPS_EVENT_MAX (32u << 20)

static void raw(struct event *buf, const char *text)
{
	json_append_raw(buf, text, strlen(text));
}

static void field_int(struct event *buf, const char *key, long long value)
{
	char text[64];

	snprintf(text, sizeof(text), ",\"%s\":%lld", key, value);
	raw(buf, text);
}

static void field_str(struct event *buf, const char *key, const char *value)
{
	char text[64];

	snprintf(text, sizeof(text), ",\"%s\":", key);
	raw(buf, text);
	json_append_string(buf, value, strlen(value));
}

static void hex(struct event *buf, const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char chunk[512];
	size_t used = 0, i;

	raw(buf, "\"");
	for (i = 0; i < len; i++) {
		chunk[used++] = digits[data[i] >> 4];
		chunk[used++] = digits[data[i] & 0xf];
		if (used == sizeof(chunk)) {
			json_append_raw(buf, chunk, used);
			used = 0;
		}
	}
	json_append_raw(buf, chunk, used);
	raw(buf, "\"");
}

static bool is_percpu(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Maps without keys to walk, or whose reads would take data away from the program's reader. */
static const char *not_dumpable(enum bpf_map_type type, __u32 key_size)
{
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		return "ring buffers have no entries to read; their records go to the program's consumer";
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		return "perf event arrays hold perf buffers, not values";
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		return "queue and stack maps have no keys to walk";
	default:
		return key_size == 0 ? "this map has no keys to walk" : NULL;
	}
}

/* Appends the entries; returns false when the event limit was reached. */
static bool dump_entries(struct event *buf, int fd, const struct bpf_map_info *info, size_t value_bytes,
			 unsigned int max_entries, bool *truncated, const char **error)
{
	unsigned char *key = calloc(1, info->key_size), *next = calloc(1, info->key_size);
	unsigned char *value = calloc(1, value_bytes ? value_bytes : 1);
	unsigned int count = 0;
	bool have_key = false, within_limit = true;
	int err;

	if (!key || !next || !value) {
		*error = "out of memory";
		goto out;
	}
	for (;;) {
		err = bpf_map_get_next_key(fd, have_key ? key : NULL, next);
		if (err == -ENOENT)
			break;
		if (err) {
			*error = errno_text(-err);
			break;
		}
		if (count == max_entries || buf->len > MAPS_EVENT_MAX) {
			*truncated = true;
			within_limit = buf->len <= MAPS_EVENT_MAX;
			break;
		}
		memcpy(key, next, info->key_size);
		have_key = true;
		err = bpf_map_lookup_elem(fd, key, value);
		/* Deleted between the two calls (hash maps change under us): skip it. */
		if (err == -ENOENT)
			continue;
		if (err) {
			*error = errno_text(-err);
			break;
		}
		raw(buf, count ? ",{\"key\":" : "{\"key\":");
		hex(buf, key, info->key_size);
		raw(buf, ",\"value\":");
		hex(buf, value, value_bytes);
		raw(buf, "}");
		count++;
	}
out:
	free(key);
	free(next);
	free(value);
	return within_limit;
}

static bool dump_map(struct event *buf, const struct bpf_map *map, unsigned int max_entries, int cpus, bool first)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	const char *type_name, *skip, *error = NULL;
	size_t value_bytes;
	bool truncated = false, within_limit = true;
	int fd = bpf_map__fd(map);

	raw(buf, first ? "{\"name\":" : ",{\"name\":");
	json_append_string(buf, bpf_map__name(map), strlen(bpf_map__name(map)));
	if (fd < 0) {
		field_str(buf, "error", "the map was not created (autocreate is off)");
		raw(buf, "}");
		return true;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0) {
		field_str(buf, "error", errno_text(errno));
		raw(buf, "}");
		return true;
	}
	type_name = libbpf_bpf_map_type_str(info.type);
	field_int(buf, "id", info.id);
	field_str(buf, "type", type_name ? type_name : "unknown");
	field_int(buf, "keySize", info.key_size);
	field_int(buf, "valueSize", info.value_size);
	field_int(buf, "maxEntries", info.max_entries);
	field_int(buf, "flags", info.map_flags);
	/* Type ids in the object's own BTF (the same numbering as its .BTF section); 0 when the
	 * map was declared without BTF. */
	field_int(buf, "btfKeyTypeId", info.btf_key_type_id);
	field_int(buf, "btfValueTypeId", info.btf_value_type_id);
	/* Per-CPU values come as one slot per possible CPU, each rounded up to 8 bytes. */
	value_bytes = info.value_size;
	if (is_percpu(info.type)) {
		value_bytes = (size_t)((info.value_size + 7) / 8 * 8) * (size_t)cpus;
		raw(buf, ",\"percpu\":true");
		field_int(buf, "cpus", cpus);
	}
	skip = not_dumpable(info.type, info.key_size);
	if (!skip && value_bytes > MAPS_VALUE_MAX)
		skip = "values larger than 1 MiB are not dumped";
	if (skip) {
		field_str(buf, "error", skip);
		raw(buf, ",\"entries\":[]}");
		return true;
	}
	raw(buf, ",\"entries\":[");
	within_limit = dump_entries(buf, fd, &info, value_bytes, max_entries, &truncated, &error);
	raw(buf, "]");
	raw(buf, truncated ? ",\"truncated\":true" : ",\"truncated\":false");
	if (error)
		field_str(buf, "error", error);
	raw(buf, "}");
	return within_limit;
}

void maps_emit(struct bpf_object *obj, unsigned int max_entries, bool with_btf)
{
	struct event buf, ev;
	struct bpf_map *map;
	int cpus = libbpf_num_possible_cpus();
	bool first = true, within_limit = true;

	memset(&buf, 0, sizeof(buf));
	raw(&buf, "[");
	bpf_object__for_each_map(map, obj) {
		within_limit = dump_map(&buf, map, within_limit ? max_entries : 0, cpus < 1 ? 1 : cpus, first) && within_limit;
		first = false;
	}
	raw(&buf, "]");
	event_begin(&ev, "maps");
	if (buf.out_of_memory) {
		event_raw(&ev, "maps", "[]");
		event_str(&ev, "error", "out of memory while reading the maps");
	} else {
		event_raw(&ev, "maps", buf.data);
	}
	event_int(&ev, "maxEntries", max_entries);
	free(buf.data);
	if (with_btf) {
		/* The object's BTF as libbpf finalized it (datasec sizes and variable offsets are
		 * only known after that, not in the .o), in the numbering the type ids above use. */
		const struct btf *btf = bpf_object__btf(obj);
		__u32 size = 0;
		const void *data = btf ? btf__raw_data(btf, &size) : NULL;

		memset(&buf, 0, sizeof(buf));
		if (data)
			hex(&buf, data, size);
		event_raw(&ev, "btf", data && !buf.out_of_memory ? buf.data : "null");
		free(buf.data);
	}
	event_emit(&ev);
}

void maps_command(const char *line, void *obj)
{
	unsigned long max_entries = MAPS_DEFAULT_ENTRIES;
	bool with_btf = false;
	char words[SESSION_COMMAND_MAX], *word, *save = NULL, *end;

	snprintf(words, sizeof(words), "%s", line);
	word = strtok_r(words, " ", &save);
	if (!word || strcmp(word, "maps") != 0) {
		session_command_error(line, "unknown command; a run session knows: maps [MAX_ENTRIES] [btf]");
		return;
	}
	while ((word = strtok_r(NULL, " ", &save)) != NULL) {
		if (strcmp(word, "btf") == 0) {
			with_btf = true;
			continue;
		}
		errno = 0;
		max_entries = strtoul(word, &end, 10);
		if (errno || *end || word[0] == '-' || max_entries > MAPS_MAX_ENTRIES) {
			session_command_error(line, "usage: maps [MAX_ENTRIES] [btf], MAX_ENTRIES from 0 to 65536");
			return;
		}
	}
	maps_emit(obj, (unsigned int)max_entries, with_btf);
}
