#pragma once

#include <cstddef>

namespace ecsync::base {

// Hands the heap's free pages back to the operating system (glibc's malloc_trim). A
// long-running process that allocates and frees large transient structures from several
// threads (stack listings, status documents) otherwise keeps their pages: glibc returns
// only the top of each arena by itself, so the resident size stays at the high-water mark
// of every arena while the memory in use is a fraction of it. Costs a walk over the free
// lists under each arena's lock (milliseconds); call it every few seconds, not per request.
// A no-op where the allocator is not glibc's (sanitizer builds replace it).
void ReleaseFreeMemory();

// Caps glibc's malloc arenas at `arenas` for a process about to start its threads, unless
// the operator chose a number (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in
// GLIBC_TUNABLES), which wins. glibc gives threads up to eight arenas per core; in a server
// whose worker threads take turns building and freeing the same large structures, each arena
// keeps its own high-water mark of free pages, so more arenas mean a larger resident size for
// the same memory in use (bench/RESULTS.md, "Replicas and scale"). Arenas made before the
// call stay. Returns whether the cap was set; false where the allocator is not glibc's.
bool LimitHeapArenas(int arenas);

// The process's resident set size in bytes (/proc/self/statm), 0 where unknown.
size_t ResidentBytes();

}  // namespace ecsync::base
