// The whole compose load (parse, interpolate, schema check, merge, normalize, validate, ECS
// check) against yaml-cpp alone parsing the same bytes, for full-example.yml (every attribute)
// and a generated 200-service project. bench/RESULTS.md records the ratios; the target is
// the load within 3x of the bare parse.

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <string>

#include "compose/loader.h"

namespace {

using ecsync::base::Result;

// A project of `n` services written the ways real files are: anchors and merge keys,
// interpolation, environment lists and maps, long and short ports, volumes, healthchecks,
// deploy resources, depends_on with conditions, labels and x- extensions.
std::string GeneratedProject(int n) {
  std::string text =
      "name: bench\n"
      "x-common: &common\n"
      "  environment:\n"
      "    LOG_LEVEL: ${LOG_LEVEL:-info}\n"
      "    REGION: eu-west-1\n"
      "  healthcheck:\n"
      "    test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/health\"]\n"
      "    interval: 30s\n"
      "    timeout: 5s\n"
      "    retries: 3\n"
      "  deploy:\n"
      "    replicas: 2\n"
      "    resources:\n"
      "      limits: {cpus: '0.5', memory: 1g}\n"
      "      reservations: {memory: 256M}\n"
      "  logging:\n"
      "    driver: awslogs\n"
      "    options: {awslogs-group: bench}\n"
      "volumes:\n  data: {}\n"
      "services:\n";
  for (int i = 0; i < n; ++i) {
    const std::string name = "svc" + std::to_string(i);
    const std::string port = std::to_string(8000 + i);
    text += "  " + name + ":\n";
    text += "    <<: *common\n";
    text += "    image: registry.example.com/" + name + ":${TAG:-1.0}\n";
    text += "    command: serve --port " + port + "\n";
    text += "    ports:\n      - \"" + port + ":" + port + "\"\n";
    text += "      - target: 9" + std::to_string(100 + i % 800) + "\n        protocol: udp\n";
    text += "    environment:\n      - SERVICE=" + name + "\n      - PORT=" + port + "\n";
    text +=
        "    labels: {com.example.team: core, com.example.index: \"" + std::to_string(i) + "\"}\n";
    text += "    volumes: [\"data:/data/" + name + ":ro\"]\n";
    if (i > 0) {
      text +=
          "    depends_on:\n      svc" + std::to_string(i - 1) + ": {condition: service_healthy}\n";
    }
    text += "    x-owner: team-" + std::to_string(i % 7) + "\n";
  }
  return text;
}

// compose-go's full example from the corpus, or "" when the corpus is not beside the checkout
// (a user's clone): the two benchmarks that need it then report a skip instead of aborting.
std::string FullExample() {
  const char* dir = std::getenv("ECSYNC_CORPUS_DIR");
  const std::string path = std::string(dir != nullptr ? dir : ECSYNC_BENCH_CORPUS_DIR) +
                           "/compose/compose-go-full-example/full-example.yml";
  ecsync::compose::DiskFileReader disk;
  Result<std::string> text = disk.Read(path);
  return text.ok() ? *text : std::string();
}

bool SkipWithoutCorpus(benchmark::State& state, const std::string& text) {
  if (!text.empty()) return false;
  state.SkipWithError("test data folder ../shared/corpora not found; skipping");
  return true;
}

// Serves the compose text, and the example's env and label files as small fixed files.
class MemoryReader final : public ecsync::compose::FileReader {
 public:
  explicit MemoryReader(const std::string& text) : text_(text) {}
  Result<std::string> Read(const std::string& path) override {
    if (path == "/w/compose.yaml") return text_;
    if (path == "/w/extra.yaml") {
      return std::string(
          "services: {db: {image: db}, redis: {image: redis}}\nvolumes: {datavolume: {}}\n"
          "networks: {other-other-network: {}}\n");
    }
    if (path.ends_with(".env") || path.ends_with(".label")) return std::string("A=1\nB=2\n");
    return ecsync::base::NotFoundError(path);
  }

 private:
  const std::string& text_;
};

void RunLoad(benchmark::State& state, const std::string& text, bool full_example) {
  MemoryReader reader(text);
  ecsync::compose::LoadOptions options;
  options.files = {"/w/compose.yaml"};
  if (full_example) options.files.push_back("/w/extra.yaml");
  options.working_dir = "/w";
  options.confine_paths = false;
  options.environment = {{"HOME", "/home/bench"}, {"QUX", "q"}};
  for (auto _ : state) {
    auto project = ecsync::compose::Load(options, reader);
    if (!project.ok()) {
      state.SkipWithError(project.status().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(project);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void RunParse(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    YAML::Node node = YAML::Load(text);
    benchmark::DoNotOptimize(node);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_YamlParse_FullExample(benchmark::State& state) {
  static const std::string kText = FullExample();
  if (SkipWithoutCorpus(state, kText)) return;
  RunParse(state, kText);
}
void BM_Load_FullExample(benchmark::State& state) {
  static const std::string kText = FullExample();
  if (SkipWithoutCorpus(state, kText)) return;
  RunLoad(state, kText, true);
}
void BM_YamlParse_200Services(benchmark::State& state) {
  static const std::string kText = GeneratedProject(200);
  RunParse(state, kText);
}
void BM_Load_200Services(benchmark::State& state) {
  static const std::string kText = GeneratedProject(200);
  RunLoad(state, kText, false);
}

BENCHMARK(BM_YamlParse_FullExample)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Load_FullExample)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_YamlParse_200Services)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Load_200Services)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
