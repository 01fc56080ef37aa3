/*
 * Host tests only: capture what a call prints, so a case can check that a
 * diagnostic was really given (and fail when it is missing).
 *
 * Promises: between capture_begin and capture_end, stdout goes to a
 * temporary file; capture_end restores it and returns the text (at most
 * CAPTURE_MAX - 1 bytes, NUL-terminated, valid until the next capture).
 * Context: one capture at a time; no CHECK between the two calls.
 */
#ifndef TESTS_HOST_CAPTURE_H
#define TESTS_HOST_CAPTURE_H

#define CAPTURE_MAX 16384

void capture_begin(void);
const char *capture_end(void);

#endif
