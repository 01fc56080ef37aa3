/*
 * vmalloc (src/vmalloc.h) in the kernel: pages demand-faulted, frames
 * promised at vmalloc and given back at vfree, the guard above, the
 * owner index, refusals.
 */
#include "tests/ktest.h"
#include "src/vmalloc.h"
#include "src/lib.h"
#include "mm/owner.h"
#include "mm/pagestate.h"
#include "mm/frame.h"
#include "arch/x86/mmu.h"

#define N 11				/* pages of the area under test */

static bool states_are(uintptr_t va, size_t n, unsigned st)
{
	for (size_t i = 0; i < n; i++)
		if (mmu_state(va + i * PAGE_SIZE) != st)
			return false;
	return true;
}

TEST(kernel_vmalloc_demand_faulted_and_given_back)
{
	struct frame_stats a, b;
	struct vmalloc_stats s0, s1;
	volatile uint8_t *v;
	uintptr_t va, guard;

	vmalloc_stats(&s0);
	frame_stats(&a);
	v = vmalloc((N - 1) * PAGE_SIZE + 100);
	CHECK(v && ((uintptr_t)v & (PAGE_SIZE - 1)) == 0);
	va = (uintptr_t)v;
	guard = va + N * PAGE_SIZE;
	frame_stats(&b);
	CHECKF(b.reserved == a.reserved + N, "reserved %u -> %u", a.reserved, b.reserved);
	CHECK(states_are(va, N, PS_AOW) && mmu_state(guard) == PS_GUARD);
	/* owner index: the area by caller, the guard above it */
	CHECK(owner_find(va + 5 * PAGE_SIZE)->kind == OW_VMALLOC);
	CHECK(owner_find(va)->start == va && owner_find(va)->size == N * PAGE_SIZE);
	CHECKF(!strncmp(owner_find(va)->name, "test_kernel_vmalloc_demand", 26), "named %s",
	       owner_find(va)->name);
	CHECK(owner_find(guard)->kind == OW_GUARD);
	/* a read maps the zero frame: zero, and no frame taken */
	CHECK(v[3 * PAGE_SIZE + 7] == 0 && mmu_state(va + 3 * PAGE_SIZE) == PS_ZERO);
	frame_stats(&a);
	CHECK(a.free == b.free && a.reserved == b.reserved);
	/* writes take the promised frames */
	for (size_t i = 0; i < N * PAGE_SIZE; i += 512)
		v[i] = (uint8_t)(i / 512 + 1);
	CHECK(states_are(va, N, PS_PRESENT));
	for (size_t i = 0; i < N * PAGE_SIZE; i += 512)
		CHECK(v[i] == (uint8_t)(i / 512 + 1) && v[i + 1] == 0);
	frame_stats(&a);
	CHECK(a.reserved == b.reserved - N && a.free == b.free - N);
	vmalloc_stats(&s1);
	CHECK(s1.areas == s0.areas + 1 && s1.present == s0.present + N);
	CHECK(s1.faults_write == s0.faults_write + N && s1.faults_read == s0.faults_read + 1);
	vfree((void *)v);
	frame_stats(&a);
	CHECKF(a.free == b.free && a.reserved == b.reserved - N, "free %u/%u reserved %u/%u",
	       a.free, b.free, a.reserved, b.reserved);
	CHECK(states_are(va, N + 1, PS_UNUSABLE) && !owner_find(va) && !owner_find(guard));
	CHECK(vmem_audit(vmalloc_arena()));
}

TEST(kernel_vmalloc_partly_written_frees_everything)
{
	struct frame_stats a, b;
	volatile uint8_t *v;

	frame_stats(&a);
	v = vmalloc(8 * PAGE_SIZE);
	CHECK(v);
	v[0] = 1;
	v[5 * PAGE_SIZE] = 2;
	(void)v[7 * PAGE_SIZE];
	vfree((void *)v);
	frame_stats(&b);
	CHECKF(a.free == b.free && a.reserved == b.reserved, "free %u/%u reserved %u/%u",
	       a.free, b.free, a.reserved, b.reserved);
}

TEST(kernel_vmalloc_refusals)
{
	struct vmalloc_stats s0, s1;
	struct frame_stats a, b;
	uint32_t tables = mmu_table_count();
	uint8_t *v;

	vmalloc_stats(&s0);
	frame_stats(&a);
	CHECK(vmalloc(0) == NULL);
	CHECK(vmalloc((size_t)(a.available + 1) * PAGE_SIZE) == NULL);	/* cannot be promised */
	frame_stats(&b);	/* page tables made for the refused range stay */
	CHECK(b.reserved == a.reserved && a.free == b.free + (mmu_table_count() - tables));
	v = vmalloc(2 * PAGE_SIZE);
	CHECK(v);
	vfree(v + PAGE_SIZE);				/* not its start */
	CHECK(mmu_state((uintptr_t)v) == PS_AOW);	/* nothing changed */
	vfree(v);
	vfree(v);					/* twice */
	vfree(NULL);
	vmalloc_stats(&s1);
	CHECK(s1.failures == s0.failures + 2 && s1.bad_frees == s0.bad_frees + 3);
	CHECK(s1.allocs == s0.allocs + 1 && s1.frees == s0.frees + 1);
	frame_stats(&b);
	CHECK(b.reserved == a.reserved && a.free == b.free + (mmu_table_count() - tables));
}
