/* SPDX-License-Identifier: MIT */
#ifndef CARDSTRAP_COMPILER_H
#define CARDSTRAP_COMPILER_H

/* The only place where compiler-specific extensions are named. */
#if defined(__GNUC__) || defined(__clang__)
#define CS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
/* For functions that take a va_list: args is 0. */
#define CS_VPRINTF(fmt) __attribute__((format(printf, fmt, 0)))
#define CS_NORETURN __attribute__((noreturn))
#define CS_UNUSED __attribute__((unused))
#else
#define CS_PRINTF(fmt, args)
#define CS_VPRINTF(fmt)
#define CS_NORETURN
#define CS_UNUSED
#endif

#endif
