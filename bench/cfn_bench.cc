// Converting and serializing beside loading, for generated projects of 1, 10, 100 and 500
// services, in the same run: the target is that converting plus serializing costs
// no more than loading the same project. Also the split into nested stacks of the 200- and
// 500-service templates, beside their conversion. bench/RESULTS.md records the figures.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "cfn/convert.h"
#include "cfn/nested.h"
#include "compose/loader.h"

namespace {

// `n` services shaped like real ones: an image, a published port (80 -> 8080 style, so
// listener and container ports differ), environment from an anchor, a healthcheck,
// resources, two networks, depends_on a neighbour, every tenth service with a secret and a
// named volume, every fifth with autoscaling.
std::string ComposeText(int n) {
  std::string text =
      "name: bench\n"
      "x-env: &env\n"
      "  LOG_LEVEL: ${LOG_LEVEL:-info}\n"
      "  REGION: eu-west-1\n"
      "  DATABASE_URL: postgres://db:5432/app\n"
      "networks:\n"
      "  front: {}\n"
      "  back: {}\n"
      "secrets:\n"
      "  token:\n"
      "    file: ./token.txt\n"
      "volumes:\n"
      "  data: {}\n"
      "services:\n";
  for (int i = 0; i < n; ++i) {
    const std::string name = "svc" + std::to_string(i);
    text += "  " + name + ":\n";
    text += "    image: registry.example.com/" + name + ":${TAG:-1.0}\n";
    text += "    command: [\"serve\", \"--port\", \"8080\"]\n";
    text += "    environment:\n      <<: *env\n      SERVICE: " + name + "\n";
    text += "    ports: [\"" + std::to_string(10000 + i) + ":8080\"]\n";
    text += "    networks: [front, back]\n";
    text +=
        "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/up\"]\n"
        "      interval: 30s\n      retries: 3\n";
    text +=
        "    deploy:\n      replicas: 2\n      resources:\n        limits: {cpus: '0.5', memory: "
        "1g}\n";
    if (i % 5 == 0) text += "      x-aws-autoscaling: {min: 1, max: 4, cpu: 70}\n";
    if (i % 10 == 0) text += "    secrets: [token]\n    volumes: [\"data:/data\"]\n";
    if (i > 0) text += "    depends_on: [svc" + std::to_string(i - 1) + "]\n";
  }
  return text;
}

class MemoryReader final : public ecsync::compose::FileReader {
 public:
  explicit MemoryReader(std::string text) : text_(std::move(text)) {}
  ecsync::base::Result<std::string> Read(const std::string& path) override {
    if (path.ends_with("compose.yaml")) return text_;
    return std::string("token-value\n");
  }

 private:
  std::string text_;
};

ecsync::compose::Project LoadOrDie(const std::string& text) {
  MemoryReader reader(text);
  ecsync::compose::LoadOptions options;
  options.files = {"/bench/compose.yaml"};
  options.working_dir = "/bench";
  auto project = ecsync::compose::Load(options, reader);
  if (!project.ok()) {
    std::fprintf(stderr, "%s\n", project.status().ToString().c_str());
    std::abort();
  }
  return std::move(project).value();
}

const ecsync::cfn::ConvertOptions kNetwork("vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"});

void BM_Load(benchmark::State& state) {
  const std::string text = ComposeText(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(LoadOrDie(text));
}

void BM_ConvertSerialize(benchmark::State& state) {
  const auto project = LoadOrDie(ComposeText(static_cast<int>(state.range(0))));
  size_t bytes = 0;
  for (auto _ : state) {
    auto tmpl = ecsync::cfn::Convert(project, kNetwork);
    if (!tmpl.ok()) {
      state.SkipWithError(tmpl.status().ToString().c_str());
      break;
    }
    std::string json = ecsync::cfn::ToJson(*tmpl);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["template_bytes"] = static_cast<double>(bytes);
}

void BM_Convert(benchmark::State& state) {
  const auto project = LoadOrDie(ComposeText(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(ecsync::cfn::Convert(project, kNetwork));
}

void BM_Serialize(benchmark::State& state) {
  const auto project = LoadOrDie(ComposeText(static_cast<int>(state.range(0))));
  const auto tmpl = ecsync::cfn::Convert(project, kNetwork);
  for (auto _ : state) benchmark::DoNotOptimize(ecsync::cfn::ToJson(*tmpl));
}

// SplitIntoNestedStacks on the converted template: measuring it, grouping, packing, the
// children's bodies (compact JSON) and the parent. The URL function only names the child.
void BM_SplitNested(benchmark::State& state) {
  const auto project = LoadOrDie(ComposeText(static_cast<int>(state.range(0))));
  const auto tmpl = ecsync::cfn::Convert(project, kNetwork);
  auto url = [](size_t number, const std::string&) {
    return "https://templates.s3.us-east-1.amazonaws.com/bench/" + std::to_string(number);
  };
  size_t children = 0;
  for (auto _ : state) {
    auto split = ecsync::cfn::SplitIntoNestedStacks(*tmpl, url);
    if (!split.ok()) {
      state.SkipWithError(split.status().ToString().c_str());
      break;
    }
    children = split->children.size();
    benchmark::DoNotOptimize(split);
  }
  state.counters["children"] = static_cast<double>(children);
}

BENCHMARK(BM_Load)->Arg(1)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ConvertSerialize)->Arg(1)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Convert)->Arg(1)->Arg(10)->Arg(100)->Arg(200)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Serialize)->Arg(1)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SplitNested)->Arg(200)->Arg(500)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
