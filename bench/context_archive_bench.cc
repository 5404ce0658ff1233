// ArchiveBuildContext (the codebuild builder's build-context ZIP, read from the git object
// database) against `git archive --format=zip HEAD` of the same tree, both in this binary.
// The input is a generated repository of 10,000 files (about 100 MB) committed once. Wall
// time for both, since git's work happens in a child process. BM_RatioToGitArchive runs the
// two alternately and reports ours / git's; bench/RESULTS.md records it. Target: at most 1.5.

#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "artifacts/context_archive.h"

namespace {

constexpr int kDefaultDirectories = 100;
constexpr int kFilesPerDirectory = 100;
constexpr size_t kMeanFileSize = 10'000;

// Text-like content: words from a small vocabulary with random numbers, so deflate has
// about the work it has on source code, not the trivial work of a repeated byte.
std::string FileContent(std::mt19937_64* random, size_t size) {
  static const std::vector<std::string> kWords = {
      "return", "const",  "std::string", "if",     "else",    "for",    "while", "int",
      "value",  "config", "service",     "handle", "request", "status", "error", "result",
      "{",      "}",      "(",           ")",      ";",       "=",      "\n",    "  "};
  std::string text;
  text.reserve(size + 32);
  while (text.size() < size) {
    const uint64_t r = (*random)();
    text += kWords[r % kWords.size()];
    text += ' ';
    if (r % 7 == 0) text += std::to_string((r >> 8) % 100000);
  }
  text.resize(size);
  return text;
}

// 100 folders of 100 files; ECSYNC_CONTEXT_BENCH_DIRS=N makes it N folders (the test
// suite's smoke run uses 2, so the bench keeps running without generating 100 MB).
int Directories() {
  const char* value = std::getenv("ECSYNC_CONTEXT_BENCH_DIRS");
  const int n = value != nullptr ? std::atoi(value) : 0;
  return n > 0 ? n : kDefaultDirectories;
}

int Shell(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The generated repository, made on first use and removed at exit.
class BenchRepository {
 public:
  static const BenchRepository& Get() {
    static const BenchRepository kRepository;
    return kRepository;
  }
  const std::string& path() const { return path_; }
  const std::string& head() const { return head_; }
  uint64_t bytes() const { return bytes_; }

 private:
  BenchRepository() {
    char pattern[] = "/tmp/ecsync-context-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    path_ = pattern;
    std::mt19937_64 random(2026);
    for (int d = 0, n = Directories(); d < n; ++d) {
      const std::string dir = path_ + "/pkg" + std::to_string(d) + "/src";
      std::filesystem::create_directories(dir);
      for (int f = 0; f < kFilesPerDirectory; ++f) {
        // Sizes from 1 KB to about 19 KB, mean kMeanFileSize.
        const size_t size = 1000 + random() % (2 * (kMeanFileSize - 1000));
        const std::string file = dir + "/file" + std::to_string(f) + ".cc";
        std::ofstream(file, std::ios::binary) << FileContent(&random, size);
        if (f % 25 == 0) {
          std::filesystem::permissions(file, std::filesystem::perms::owner_exec,
                                       std::filesystem::perm_options::add);
        }
        bytes_ += size;
      }
    }
    std::ofstream(path_ + "/Dockerfile") << "FROM scratch\nCOPY . /src\n";
    const std::string git = "git -C '" + path_ + "' ";
    if (Shell(git + "init -q") != 0 || Shell(git + "-c gc.auto=0 add -A") != 0 ||
        Shell(
            git +
            "-c gc.auto=0 -c user.name=bench -c user.email=bench@example.com commit -q -m bench") !=
            0) {
      std::abort();
    }
    FILE* rev = popen((git + "rev-parse HEAD").c_str(), "r");
    char line[64] = {};
    if (rev == nullptr || fgets(line, sizeof(line), rev) == nullptr) std::abort();
    pclose(rev);
    head_ = std::string(line, 40);
    // Packed, as a long-lived cache entry is after fetches.
    if (Shell(git + "repack -a -d -q") != 0) std::abort();
  }
  ~BenchRepository() { std::filesystem::remove_all(path_); }

  std::string path_;
  std::string head_;
  uint64_t bytes_ = 0;
};

// Seconds for one ArchiveBuildContext of the whole tree; its archive size in `*out_bytes`.
double TimeOurs(const BenchRepository& repo, size_t* out_bytes) {
  const auto start = std::chrono::steady_clock::now();
  auto archive = ecsync::artifacts::ArchiveBuildContext(repo.path(), repo.head(), "", "Dockerfile");
  const auto end = std::chrono::steady_clock::now();
  if (!archive.ok()) {
    std::fprintf(stderr, "%s\n", archive.status().ToString().c_str());
    std::abort();
  }
  *out_bytes = archive->zip.size();
  return std::chrono::duration<double>(end - start).count();
}

// Seconds for `git archive --format=zip HEAD` of the same tree, its output read to the end.
double TimeGit(const BenchRepository& repo, size_t* out_bytes) {
  const std::string command = "git -C '" + repo.path() + "' archive --format=zip " + repo.head();
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) std::abort();
  std::vector<char> buffer(1 << 20);
  size_t total = 0;
  for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) total += n;
  if (pclose(pipe) != 0) std::abort();
  const auto end = std::chrono::steady_clock::now();
  *out_bytes = total;
  return std::chrono::duration<double>(end - start).count();
}

void BM_ArchiveBuildContext(benchmark::State& state) {
  const BenchRepository& repo = BenchRepository::Get();
  size_t size = 0;
  for (auto _ : state) state.SetIterationTime(TimeOurs(repo, &size));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * repo.bytes()));
  state.counters["zip_MB"] = static_cast<double>(size) / 1e6;
}
BENCHMARK(BM_ArchiveBuildContext)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_GitArchiveZip(benchmark::State& state) {
  const BenchRepository& repo = BenchRepository::Get();
  size_t size = 0;
  for (auto _ : state) state.SetIterationTime(TimeGit(repo, &size));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * repo.bytes()));
  state.counters["zip_MB"] = static_cast<double>(size) / 1e6;
}
BENCHMARK(BM_GitArchiveZip)->UseManualTime()->Unit(benchmark::kMillisecond);

// Both, alternately, so load on the machine falls on each alike; the counter is the ratio
// of the summed times (ours / git archive).
void BM_RatioToGitArchive(benchmark::State& state) {
  const BenchRepository& repo = BenchRepository::Get();
  double ours = 0;
  double git = 0;
  size_t size = 0;
  for (auto _ : state) {
    const double a = TimeOurs(repo, &size);
    const double b = TimeGit(repo, &size);
    ours += a;
    git += b;
    state.SetIterationTime(a + b);
  }
  state.counters["ours_ms"] = 1e3 * ours / static_cast<double>(state.iterations());
  state.counters["git_ms"] = 1e3 * git / static_cast<double>(state.iterations());
  state.counters["ratio"] = ours / git;
}
BENCHMARK(BM_RatioToGitArchive)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
