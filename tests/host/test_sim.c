/*
 * The host fixture's fault entry behaves as the kernel's: a fault taken
 * by code running inside the page-fault path is reported as nested and
 * stops the run (fault/pagefault.c powers off; the simulator aborts).
 * The case runs the nested fault in a child and reads its verdict.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/ktest.h"
#include "arch/host/sim.h"
#include "mm/kheap.h"

static sim_fault_fn heap_fault;		/* the fixture's own entry */
static volatile char *touch;		/* a page the fault path will read */

/* A fault path that reads another heap page before doing its job. */
static bool faulting_fault_path(uintptr_t va, bool write)
{
	volatile char *p = touch;

	touch = NULL;
	if (p)
		(void)*p;
	return heap_fault(va, write);
}

static void nested_fault_child(int out)
{
	char *a;

	dup2(out, 2);
	ktest_heap_setup();
	a = kmalloc(2 * PAGE_SIZE);		/* two AOW pages */
	heap_fault = sim_fault_handler();
	touch = a + PAGE_SIZE;
	sim_set_fault_handler(faulting_fault_path);
	a[0] = 1;
	_exit(0);				/* the nested fault went unnoticed */
}

TEST(sim_nested_fault_in_the_fault_path_is_fatal)
{
	char buf[512] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		nested_fault_child(fds[1]);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	       "child status %#x: the nested fault did not stop it", status);
	CHECKF(strstr(buf, "sim: FATAL: page fault inside the page-fault handler: read at "),
	       "no nested-fault report; child said: %s", buf);
	CHECK(strstr(buf, "(state AOW)"));
}
