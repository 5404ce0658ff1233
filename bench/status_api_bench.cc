// The status API and the status UI's overview with many projects (issue 17's target: under
// 50 ms and under 1 MB with 1,000 projects), end to end over loopback HTTP against the real
// web::HttpServer of a controller::Controller that is not started: its StatusStore is filled
// with what reconciles would have left there (see Fill), so nothing polls or deploys while
// the requests are timed.
//
// Benchmarks (wall time: the work happens on the server's threads):
//   BM_Healthz             GET /healthz, the baseline: the same client, connection,
//                          listener and security headers, no status document.
//   BM_StatusDocument/N    StatusStore::ToJson().dump() in this process: the handler's
//                          work without HTTP, to tell building the document from sending it.
//   BM_StatusTree/N        StatusStore::ToJson() alone (the tree built and destroyed).
//   BM_StatusApi/N         GET /api/v1/status (the document, its ETag, the security
//                          headers, the socket and the client reading it).
//   BM_UiOverview/N        what a browser asks when it opens the overview: /, /ui/app.css,
//                          /ui/app.js and /api/v1/status on one new keep-alive connection.
// BM_Healthz and BM_StatusApi repeat their request on one keep-alive connection.
// Counters: `bytes` is the bodies' size per iteration (headers left out).
//
// ECSYNC_STATUS_BENCH_PROJECTS (default 1000) is the larger N; 10 is always measured.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/stack_files.h"
#include "base/clock.h"
#include "base/hash.h"
#include "controller/controller.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "tests/server/raw_client.h"
#include "web/http_server.h"
#include "web/webhook_handler.h"

namespace ecsync {
namespace {

using std::chrono::system_clock;

constexpr int kProjectsPerRepository = 20;
constexpr int kCommitsPerRepository = 16;  // StatusStore keeps RepositoryStatus::kMaxCommits

// Commit subjects as people write them: long, with non-ASCII text and characters the UI must
// escape.
const char* const kSubjects[] = {
    "Déploiement du service « paiements » : limite mémoire relevée à 2 Gio après l’incident "
    "n° 4711 du week-end (voir le post-mortem)",
    "支払いサービスのタイムアウトを30秒に延長し、再試行回数を3回に変更（本番環境のみ）",
    "Bump nginx from 1.27.2 to 1.27.3 in services/web and services/edge; rotate the TLS "
    "listener certificate of the eu-west-1 load balancer",
    "Grüße an das Ops-Team: Healthcheck-Intervall für api und worker auf 15 s gesenkt ✅",
    "Revert \"Scale worker to 12 replicas\" — queue depth alarm fired at 02:14 UTC <b>🚨</b>",
    "feat(api): add /v2/orders endpoint & move <script> tags out of templates",
};
const char* const kAuthors[] = {"Zoë Müller-Łukasiewicz", "山田 太郎", "José Ángel Núñez",
                                "dependabot[bot]", "Ольга Смирнова"};

std::string Sha(const std::string& seed) { return base::Sha256Hex(seed).substr(0, 40); }

std::string Name(const char* prefix, int n) {
  return prefix + std::string(n < 10 ? "0" : "") + std::to_string(n);
}

// Fills `store` as reconciles leave it for the configured projects: every repository fetched
// with its last kCommitsPerRepository commits known; projects mostly Ready (2% Stalled with a
// long reason, 1% Reconciling with a progress line, 4% drifted), each with five runs and the
// last update's change set and template diff (every tenth project a large one: 12 changes,
// 20 diff lines; the others 3 and 4).
void Fill(controller::StatusStore& store, int projects) {
  const auto now = system_clock::now();
  const int repositories = (projects + kProjectsPerRepository - 1) / kProjectsPerRepository;
  for (int r = 0; r < repositories; ++r) {
    const std::string repository = Name("team-", r);
    for (int c = 0; c < kCommitsPerRepository; ++c) {
      store.RecordCommit(
          repository, Sha(repository + std::to_string(c)),
          {kSubjects[(r + c) % std::size(kSubjects)], kAuthors[(r * 3 + c) % std::size(kAuthors)]});
    }
    store.UpdateRepository(repository, [&](controller::RepositoryStatus& s) {
      s.url = "https://github.com/acme/" + repository + ".git";
      s.ref = "main";
      s.last_commit = Sha(repository + std::to_string(kCommitsPerRepository - 1));
      s.last_fetch = now;
      s.next_attempt = now + std::chrono::minutes(1);
      s.polled = true;
    });
  }
  for (int i = 0; i < projects; ++i) {
    const std::string repository = Name("team-", i / kProjectsPerRepository);
    const std::string name = Name("svc-", i % kProjectsPerRepository);
    const std::string stack = repository + "-" + name;
    const std::string revision = Sha(repository + std::to_string(i % kCommitsPerRepository));
    const std::string short_sha = revision.substr(0, 7);
    store.UpdateProject(repository + "/" + name, [&](controller::ProjectStatus& p) {
      p.repository = repository;
      p.name = name;
      p.stack = stack;
      p.condition = controller::Condition::kReady;
      if (i % 50 == 7) {
        p.condition = controller::Condition::kStalled;
        p.needs_input = true;
        p.reason = "updating stack " + stack +
                   " failed (UPDATE_ROLLBACK_COMPLETE; CloudFormation rolled it back to the "
                   "previous revision); first failure: WebService (AWS::ECS::Service) "
                   "UPDATE_FAILED: Service did not stabilize (waiting for a new commit or "
                   "configuration)";
      } else if (i % 100 == 3) {
        p.condition = controller::Condition::kReconciling;
        p.reason = "new revision " + short_sha;
        p.progress = "WebTaskDefinition AWS::ECS::TaskDefinition CREATE_IN_PROGRESS";
      }
      p.last_applied_revision = revision;
      p.last_attempted_revision = revision;
      p.stack_status = p.progress.empty() ? "UPDATE_COMPLETE" : "UPDATE_IN_PROGRESS";
      p.drift_status = i % 25 == 0 ? "DRIFTED" : "IN_SYNC";
      if (i % 25 == 0) {
        p.drifted_resources = 2;
        p.drift_detail =
            "WebService (AWS::ECS::Service) MODIFIED: DesiredCount; "
            "WebTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup) MODIFIED: "
            "HealthCheckIntervalSeconds";
      }
      p.drift_checked = now;
      for (int run = 0; run < 5; ++run) {
        const bool changed = run == 0;
        controller::RunRecord record;
        record.started = now - std::chrono::minutes(10 * run);
        record.seconds = changed ? 94.2 : 1.3;
        record.revision = revision;
        record.action = changed ? "update" : "none";
        record.result = changed ? "success" : "noop";
        record.message = changed ? "updated stack " + stack + " to revision " + short_sha +
                                       " (3 resources changed)"
                                 : "stack " + stack + " is up to date at revision " + short_sha;
        p.runs.push_back(std::move(record));
      }
      const bool large = i % 10 == 0;
      const int changes = large ? 12 : 3;
      for (int c = 0; c < changes; ++c) {
        p.last_changes.push_back({c % 4 == 3 ? "Add" : "Modify",
                                  "Service" + std::to_string(c) + "TaskDefinition",
                                  "AWS::ECS::TaskDefinition", c % 4 == 3 ? "" : "True"});
      }
      const int diff_lines = large ? 20 : 4;
      for (int d = 0; d < diff_lines; ++d) {
        p.last_template_diff.push_back(
            "~ Resources.Service" + std::to_string(d) +
            "TaskDefinition.Properties.ContainerDefinitions[0].Image: "
            "\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.4." +
            std::to_string(d) +
            "\" -> \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.5." +
            std::to_string(d) + "\"");
      }
      p.last_changes_revision = revision;
    });
  }
}

// A controller (not started) with `projects` configured projects and their filled status,
// served by HttpServer on loopback ports.
class Site {
 public:
  explicit Site(int projects)
      : dir_(MakeDir()),
        git_(dir_ + "/cache"),
        stacks_(dir_ + "/stacks", *base::SystemClock::Get()),
        metrics_("bench", "") {
    config::Config config;
    config.aws.vpc_id = "vpc-12345678";
    config.aws.subnet_ids = {"subnet-1111aaaa", "subnet-2222bbbb"};
    config.webhooks.secret = "bench-secret";
    for (int i = 0; i < projects; ++i) {
      if (i % kProjectsPerRepository == 0) {
        config::RepositoryConfig repository;
        repository.name = Name("team-", i / kProjectsPerRepository);
        repository.url = "https://github.com/acme/" + repository.name + ".git";
        repository.ref = "main";
        config.repositories.push_back(repository);
      }
      config::ProjectConfig project;
      project.name = Name("svc-", i % kProjectsPerRepository);
      project.files = {project.name + "/compose.yaml"};
      project.stack_name = config.repositories.back().name + "-" + project.name;
      config.repositories.back().projects.push_back(project);
    }
    controller::ControllerDeps deps;
    deps.git = &git_;
    deps.targets.cloudformation = &stacks_;
    deps.clock = base::SystemClock::Get();
    deps.metrics = &metrics_;
    controller_ = std::make_unique<controller::Controller>(config, deps);
    // The store is the controller's own; reconciles fill it through the same calls.
    Fill(const_cast<controller::StatusStore&>(controller_->status()), projects);
    webhooks_ = std::make_unique<web::WebhookHandler>(
        *controller_, &metrics_, *base::SystemClock::Get(), web::WebhookHandler::Options{});
    web::HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    options.admin_listen = "127.0.0.1:0";
    options.version = "bench";
    server_ = std::make_unique<web::HttpServer>(*controller_, *webhooks_, &metrics_, options);
    if (!server_->Start().ok()) throw std::runtime_error("the HTTP server did not start");
  }

  ~Site() {
    server_->Stop();
    server_.reset();
    webhooks_.reset();
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  int port() const { return server_->admin_port(); }
  const controller::Controller& controller() const { return *controller_; }

 private:
  static std::string MakeDir() {
    std::string path = (std::filesystem::temp_directory_path() / "ecsync-status-bench.XXXXXX");
    if (mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return path;
  }

  std::string dir_;
  git::LibGit2Source git_;
  aws::StackFiles stacks_;
  metrics::Metrics metrics_;
  std::unique_ptr<controller::Controller> controller_;
  std::unique_ptr<web::WebhookHandler> webhooks_;
  std::unique_ptr<web::HttpServer> server_;
};

// One site per project count, built on first use and kept for every benchmark and repetition.
Site& SiteFor(int projects) {
  static std::map<int, std::unique_ptr<Site>> sites;
  auto& site = sites[projects];
  if (!site) site = std::make_unique<Site>(projects);
  return *site;
}

// Sends GET `path` on `client` and reads the answer; the body's size, or -1 unless it is 200.
int64_t Get(testing::RawClient& client, const std::string& path) {
  if (!client.Send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n")) {
    return -1;
  }
  const std::string response = client.ReadResponse(std::chrono::seconds(10));
  if (!response.starts_with("HTTP/1.1 200")) return -1;
  const size_t head_end = response.find("\r\n\r\n");
  return static_cast<int64_t>(response.size() - head_end - 4);
}

// GET `path` again and again on one keep-alive connection (a new connection per request
// would leave tens of thousands of sockets in TIME_WAIT, and finding a free port for the next
// one then costs more than the request).
void GetRepeatedly(benchmark::State& state, int port, const std::string& path) {
  auto client = testing::RawClient::Connect(port);
  int64_t bytes = 0;
  for (auto _ : state) {
    bytes = client ? Get(*client, path) : -1;
    if (bytes < 0) {
      state.SkipWithError(("GET " + path + " failed").c_str());
      return;
    }
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

int LargeCount() {
  const char* value = std::getenv("ECSYNC_STATUS_BENCH_PROJECTS");
  return value != nullptr ? std::atoi(value) : 1000;
}

void SizeArgs(benchmark::internal::Benchmark* bench) {
  bench->Arg(10)->Arg(LargeCount())->Unit(benchmark::kMillisecond)->UseRealTime();
}

void BM_Healthz(benchmark::State& state) { GetRepeatedly(state, SiteFor(10).port(), "/healthz"); }
BENCHMARK(BM_Healthz)->Unit(benchmark::kMillisecond)->UseRealTime();

// Times `text_of` on the status of state.range(0) projects; `bytes` is the text's size.
void MeasureText(benchmark::State& state,
                 const std::function<std::string(const controller::StatusStore&)>& text_of) {
  const controller::StatusStore& store =
      SiteFor(static_cast<int>(state.range(0))).controller().status();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = text_of(store);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_StatusDocument(benchmark::State& state) {
  MeasureText(state, [](const controller::StatusStore& store) { return store.ToJson().dump(); });
}
BENCHMARK(BM_StatusDocument)->Apply(SizeArgs);

// The document's tree alone (built and destroyed, not serialized): StatusDocument minus this
// is the serialization.
void BM_StatusTree(benchmark::State& state) {
  const controller::StatusStore& store =
      SiteFor(static_cast<int>(state.range(0))).controller().status();
  for (auto _ : state) {
    nlohmann::ordered_json doc = store.ToJson();
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_StatusTree)->Apply(SizeArgs);

void BM_StatusApi(benchmark::State& state) {
  GetRepeatedly(state, SiteFor(static_cast<int>(state.range(0))).port(), "/api/v1/status");
}
BENCHMARK(BM_StatusApi)->Apply(SizeArgs);

void BM_UiOverview(benchmark::State& state) {
  const int port = SiteFor(static_cast<int>(state.range(0))).port();
  int64_t bytes = 0;
  for (auto _ : state) {
    auto client = testing::RawClient::Connect(port);
    bytes = 0;
    for (const char* path : {"/", "/ui/app.css", "/ui/app.js", "/api/v1/status"}) {
      const int64_t size = client ? Get(*client, path) : -1;
      if (size < 0) {
        state.SkipWithError((std::string("GET ") + path + " failed").c_str());
        return;
      }
      bytes += size;
    }
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_UiOverview)->Apply(SizeArgs);

}  // namespace
}  // namespace ecsync

BENCHMARK_MAIN();
