/* SPDX-License-Identifier: MIT */
/*
 * Force-included by `make lint` into every file clang-tidy analyses except
 * src/lib/error.c. The static analyzer sees one file at a time, so it cannot
 * know that cs_error() returns its code (error.h's contract): it then follows
 * `return cs_error(...)` paths as if they returned 0 and reports the
 * never-written outputs of every failed parse. This states the contract.
 */
#ifndef CARDSTRAP_LINT_ANALYZER_H
#define CARDSTRAP_LINT_ANALYZER_H

#include "cardstrap/error.h"

#define cs_error(ei, code, ...) (cs_error((ei), (code), __VA_ARGS__), (code))

#endif
