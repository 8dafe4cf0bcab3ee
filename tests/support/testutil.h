/* Helpers shared by the unit tests. */
#ifndef GLIA_TESTUTIL_H
#define GLIA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* A new empty folder under $TMPDIR (caller frees the string; tu_rmtree removes it). */
char *tu_mkdtemp(void);
/* Removes a folder tree (for test temp folders only). */
void tu_rmtree(const char *path);
/* Path under the source tree (caller frees): tu_src("tests/fixtures/x.png"). */
char *tu_src(const char *rel);
/* Path of the shared data folder ../shared/data/NAME beside the source tree, or NULL with a
 * message on stderr when absent (caller frees). */
char *tu_shared_data(const char *name);
/* Writes bytes to a file; fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t size);
/* Reads a whole file (caller frees); fails the test on error. */
unsigned char *tu_read_file(const char *path, size_t *size);

/* Reads every number (whitespace-separated) of a text file into a new array (caller frees);
 * fails the test on error. */
double *tu_read_numbers(const char *path, size_t *count);
#endif
