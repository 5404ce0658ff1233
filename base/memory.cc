#include "base/memory.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ecsync::base {

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

bool LimitHeapArenas(int arenas) {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return false;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.arena_max") != nullptr) {
    return false;
  }
  return mallopt(M_ARENA_MAX, arenas) == 1;
#else
  (void)arenas;
  return false;
#endif
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0;
  size_t pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  const long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? pages_resident * static_cast<size_t>(page) : 0;
}

}  // namespace ecsync::base
