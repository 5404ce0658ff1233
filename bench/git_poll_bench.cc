// One poll cycle of ecsync's change detection: LibGit2Source::RemoteHead over many
// repositories, sequentially or from a small thread pool. Prints wall and CPU time (this
// process's user + system) per cycle. Driven by bench/git_poll_bench.sh, which serves the
// repositories with `git daemon` and times `git ls-remote` over the same set.
//
// Usage: git_poll_bench --url-prefix git://127.0.0.1:PORT/repo --count N
//                       [--ref HEAD] [--threads T] [--cycles C]
// Repository i (0 <= i < N) is <url-prefix><i>. Exits non-zero when any RemoteHead fails.

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "git/libgit2_source.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Options {
  std::string url_prefix;
  int count = 0;
  std::string ref = "HEAD";
  int threads = 1;
  int cycles = 1;
};

bool Parse(int argc, char** argv, Options* options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--url-prefix") {
      options->url_prefix = value;
    } else if (flag == "--count") {
      options->count = std::atoi(value.c_str());
    } else if (flag == "--ref") {
      options->ref = value;
    } else if (flag == "--threads") {
      options->threads = std::atoi(value.c_str());
    } else if (flag == "--cycles") {
      options->cycles = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !options->url_prefix.empty() && options->count > 0 &&
         options->threads > 0 && options->cycles > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!Parse(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: %s --url-prefix PREFIX --count N [--ref REF] [--threads T] "
                 "[--cycles C]\n",
                 argv[0]);
    return 2;
  }
  // RemoteHead never touches the cache; the directory only has to be a valid path.
  ecsync::git::LibGit2Source source("/nonexistent/ecsync-bench-cache");
  int failures = 0;
  for (int cycle = 0; cycle < options.cycles; ++cycle) {
    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    auto worker = [&] {
      for (int i = next++; i < options.count; i = next++) {
        auto head = source.RemoteHead(options.url_prefix + std::to_string(i), options.ref);
        if (!head.ok()) {
          if (failed++ == 0) std::fprintf(stderr, "%s\n", head.status().ToString().c_str());
        }
      }
    };
    double cpu_start = CpuSeconds();
    auto wall_start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < options.threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    double cpu = CpuSeconds() - cpu_start;
    std::printf("cycle %d threads %d repos %d wall_s %.3f cpu_s %.3f failed %d\n", cycle,
                options.threads, options.count, wall, cpu, failed.load());
    failures += failed.load();
  }
  return failures == 0 ? 0 : 1;
}
