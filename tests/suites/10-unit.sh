#!/bin/sh
# Unit tests (tests/unit/*.c), linked against libcore.a.
exec "$BUILD/bin/unit-tests"
