#!/usr/bin/env bash
# Captures real build descriptions and clang output for the flags resolver's unit tests
# (test/fixtures/build/, issue #9). Needs clang, cmake and ninja.
#
# - clang-v-host.txt, clang-v-bpf.txt: `clang -v -E` (stderr) for the host target and for
#   -target bpf: the include search list core/clang/search-dirs.ts reads.
# - cmake/compile_commands.json: CMake's database (the `command` form, one shell-escaped string)
#   for a BPF object with an include directory holding a space and a quoted string macro.
# - mj/compile_commands.json: clang's own -MJ fragments (the `arguments` form), assembled into
#   a database the way clang's documentation shows.
# - project.json: where the capture's project lived, so tests can ask for its entries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/cmake" "$out/mj"

clang -v -E -x c - </dev/null 2>"$out/clang-v-host.txt" >/dev/null
clang -v -target bpf -E -x c - </dev/null 2>"$out/clang-v-bpf.txt" >/dev/null

project="$work/project"
mkdir -p "$project/inc dir" "$project/src"
printf '#define FROM_INC_DIR 1\n' > "$project/inc dir/config.h"
printf '#include "config.h"\nconst char *name = NAME;\nint value = FROM_INC_DIR;\n' > "$project/src/prog.bpf.c"
cat > "$project/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(capture C)
add_library(prog OBJECT src/prog.bpf.c)
target_include_directories(prog PRIVATE "inc dir")
target_compile_definitions(prog PRIVATE "NAME=\"a b\"" WITH_CMAKE)
target_compile_options(prog PRIVATE -target bpf -g -O2 -Wno-unused-variable)
CMAKE
cmake -S "$project" -B "$project/build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cp "$project/build/compile_commands.json" "$out/cmake/compile_commands.json"

(cd "$project/src" && clang -MJ "$work/prog.json" -target bpf -g -O2 -I "../inc dir" '-DNAME="a b"' -c prog.bpf.c -o "$work/prog.o")
{ echo '['; sed -e '$s/,$//' "$work/prog.json"; echo ']'; } > "$out/mj/compile_commands.json"

printf '{ "projectDir": "%s" }\n' "$project" > "$out/project.json"
echo "captured into $out" >&2
