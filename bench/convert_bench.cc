// The cost of turning compose text into a template, per stage, for projects of 3 and 60
// services. BM_YamlParseBaseline is yaml-cpp parsing the same text into its own node tree:
// the floor any loader built on it pays. bench/RESULTS.md records the ratios.

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <string>

#include "cfn/convert.h"
#include "compose/loader.h"

namespace {

using ecsync::base::Result;

// A project with `n` services in the shapes real files use: anchors and merge keys,
// interpolation, list and map environments, ports, deploy limits and depends_on.
std::string ComposeText(int n) {
  std::string text =
      "name: bench\n"
      "x-common: &common\n"
      "  environment:\n"
      "    LOG_LEVEL: ${LOG_LEVEL:-info}\n"
      "    REGION: eu-west-1\n"
      "  deploy:\n"
      "    resources:\n"
      "      limits: {cpus: '0.5', memory: 1g}\n"
      "services:\n";
  for (int i = 0; i < n; ++i) {
    std::string name = "svc" + std::to_string(i);
    text += "  " + name + ":\n";
    text += "    <<: *common\n";
    text += "    image: registry.example.com/" + name + ":${TAG:-1.0}\n";
    text += "    command: [\"serve\", \"--port\", \"" + std::to_string(8000 + i) + "\"]\n";
    text += "    ports: [\"" + std::to_string(8000 + i) + ":" + std::to_string(8000 + i) + "\"]\n";
    if (i > 0) text += "    depends_on: [svc" + std::to_string(i - 1) + "]\n";
  }
  return text;
}

class MemoryReader final : public ecsync::compose::FileReader {
 public:
  explicit MemoryReader(std::string text) : text_(std::move(text)) {}
  // Only the compose file exists (no .env beside it).
  Result<std::string> Read(const std::string& path) override {
    if (path != "compose.yaml") return ecsync::base::NotFoundError(path + ": no such file");
    return text_;
  }

 private:
  std::string text_;
};

ecsync::compose::Project LoadOrDie(const std::string& text) {
  MemoryReader reader(text);
  ecsync::compose::LoadOptions options;
  options.files = {"compose.yaml"};
  auto project = ecsync::compose::Load(options, reader);
  if (!project.ok()) {
    std::fprintf(stderr, "convert_bench: %s\n", project.status().ToString().c_str());
    std::abort();
  }
  return std::move(project).value();
}

const ecsync::cfn::ConvertOptions kNetwork{"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};

void BM_YamlParseBaseline(benchmark::State& state) {
  std::string text = ComposeText(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(YAML::Load(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_Load(benchmark::State& state) {
  std::string text = ComposeText(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(LoadOrDie(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_Convert(benchmark::State& state) {
  auto project = LoadOrDie(ComposeText(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(ecsync::cfn::Convert(project, kNetwork));
}

// What `ecsync convert` and each reconcile do: load, convert, serialize to JSON.
void BM_LoadConvertSerialize(benchmark::State& state) {
  std::string text = ComposeText(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto tmpl = ecsync::cfn::Convert(LoadOrDie(text), kNetwork);
    benchmark::DoNotOptimize(ecsync::cfn::ToJson(*tmpl));
  }
}

BENCHMARK(BM_YamlParseBaseline)->Arg(3)->Arg(60);
BENCHMARK(BM_Load)->Arg(3)->Arg(60);
BENCHMARK(BM_Convert)->Arg(3)->Arg(60);
BENCHMARK(BM_LoadConvertSerialize)->Arg(3)->Arg(60);

}  // namespace

BENCHMARK_MAIN();
