#!/bin/sh
# embed.sh NAME <FILE >FILE.c: a C file defining NAME_text[] (the bytes of
# FILE plus a NUL) and NAME_len, for files compiled into ferry.
name=$1
echo "/* generated from a source file by tests/setup/embed.sh; do not edit */"
echo "#include <stddef.h>"
echo "const char ${name}_text[] = {"
od -An -v -tx1 | sed -e 's/  */ /g' -e 's/^ //' -e '/^$/d' \
	-e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00 };"
echo "const size_t ${name}_len = sizeof(${name}_text) - 1;"
